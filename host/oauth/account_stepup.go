package oauth

import (
	"fmt"
	"net/http"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/signin"
)

// Actions that need a second factor proven within the step-up window.
const (
	actionRemoveFactor = "remove"
	actionNewCodes     = "codes"
	actionAddFactor    = "add"
)

// stepUpAction is what the user asked for when the page asked them to
// prove a second factor first; the step-up form carries it.
type stepUpAction struct {
	Action     string
	Credential string
}

// stepUpData is what the step-up page renders.
type stepUpData struct {
	stepUpAction
	// Purpose says what the proof is for ("remove Authenticator app").
	Purpose string
	// Chosen is the factor asked for; Others are the user's other factors.
	Chosen factorChoice
	Others []factorChoice
}

// accountStepUpStart asks for a second factor before the user may add one.
func (p *Provider) accountStepUpStart(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	p.renderStepUp(w, r, se, stepUpAction{Action: actionAddFactor}, "", http.StatusOK, "")
}

// accountVerify is the step-up form: send=1 picks a factor (and sends its
// code, or issues a security key's options); a code, or what the browser's
// security key or passkey returned, proves it, records the proof in the
// session and carries out the action the step-up was for.
func (p *Provider) accountVerify(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	act := stepUpAction{Action: r.PostFormValue("action"), Credential: r.PostFormValue("credential_id")}
	factor := r.PostFormValue("factor")
	if r.PostFormValue("send") != "" {
		p.renderStepUp(w, r, se, act, factor, http.StatusOK, "")
		return
	}
	proof, ok := formProof(r)
	if !ok {
		p.renderStepUpError(w, r, se, act, factor, http.StatusBadRequest, "Enter the code.")
		return
	}
	factors, err := p.signInFactors(r, se.User.ID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return
	}
	if !containsFactor(factors, factor) {
		p.renderStepUp(w, r, se, act, "", http.StatusBadRequest, "Choose one of your factors.")
		return
	}
	meta := p.signInMeta(r, "", "account")
	amr, err := p.signin.ProveWith(r.Context(), meta, signin.Step{UserID: se.User.ID, Factor: factor}, proof)
	if err != nil {
		status, msg := p.proofMessage(w, r, proof, err)
		if proof.Payload != nil {
			// A ceremony's challenge is spent by any answer: ask anew.
			p.renderStepUp(w, r, se, act, factor, status, msg)
			return
		}
		p.renderStepUpError(w, r, se, act, factor, status, msg)
		return
	}
	if err := p.addMFA(r, &se, amr); err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your account could not be updated.", err)
		return
	}
	p.runAction(w, r, se, act)
}

// runAction carries out an action whose step-up is fresh.
func (p *Provider) runAction(w http.ResponseWriter, r *http.Request, se auth.Session, act stepUpAction) {
	switch act.Action {
	case actionRemoveFactor:
		p.removeFactor(w, r, se, act.Credential)
	case actionNewCodes:
		p.newBackupCodes(w, r, se)
	default:
		http.Redirect(w, r, p.url(pathAccount)+"?done=verified#add", http.StatusSeeOther)
	}
}

func containsFactor(factors []factorChoice, name string) bool {
	for _, f := range factors {
		if f.Factor == name {
			return true
		}
	}
	return false
}

// renderStepUp asks for a second factor: want, or the first of the user's
// factors (backup codes only when they have nothing else). A factor that sends its code sends
// it now.
func (p *Provider) renderStepUp(w http.ResponseWriter, r *http.Request, se auth.Session, act stepUpAction, want string, status int, msg string) {
	d, ok := p.stepUpPage(w, r, se, act, want)
	if !ok {
		return
	}
	if d.StepUp.Chosen.Challenge {
		ch, err := p.signin.SendCode(r.Context(), p.signInMeta(r, "", "account"), se.User.ID, d.StepUp.Chosen.Factor)
		if err != nil {
			status, msg = p.mfaMessage(w, r, err)
		} else {
			d.Masked = ch.Display.MaskedDestination
			d.Ceremony = d.StepUp.Chosen.Ceremony
			d.CeremonyOptions = string(ch.Display.OptionsJSON)
		}
	}
	d.Error = msg
	p.render(w, status, "account-stepup", d)
}

// renderStepUpError shows the step-up page again after a failed proof,
// without sending another code.
func (p *Provider) renderStepUpError(w http.ResponseWriter, r *http.Request, se auth.Session, act stepUpAction, want string, status int, msg string) {
	d, ok := p.stepUpPage(w, r, se, act, want)
	if !ok {
		return
	}
	d.Error = msg
	p.render(w, status, "account-stepup", d)
}

// stepUpPage prepares the step-up page; it answers the request itself (and
// reports false) when there is nothing to ask for.
func (p *Provider) stepUpPage(w http.ResponseWriter, r *http.Request, se auth.Session, act stepUpAction, want string) (accountData, bool) {
	if act.Action != actionRemoveFactor && act.Action != actionNewCodes {
		act = stepUpAction{Action: actionAddFactor}
	}
	factors, err := p.signInFactors(r, se.User.ID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return accountData{}, false
	}
	if len(factors) == 0 {
		p.renderAccount(w, r, se, http.StatusForbidden, "", "Add a second factor first: this change needs one to be proven.")
		return accountData{}, false
	}
	// Backup codes come last: the fallback, unless the user asks for them.
	up := stepUpData{stepUpAction: act, Chosen: factors[0], Purpose: p.stepUpPurpose(r, se, act)}
	for _, f := range factors {
		if f.Factor == want {
			up.Chosen = f
		}
	}
	for _, f := range factors {
		if f.Factor != up.Chosen.Factor {
			up.Others = append(up.Others, f)
		}
	}
	d := accountData{pageData: pageData{Title: "Verify it's you", CSRF: se.CSRFToken(), Wide: true}, StepUp: &up}
	return d, true
}

// stepUpPurpose says what a step-up is for.
func (p *Provider) stepUpPurpose(r *http.Request, se auth.Session, act stepUpAction) string {
	switch act.Action {
	case actionNewCodes:
		return "get new backup codes"
	case actionRemoveFactor:
		creds, err := p.d.MFA.ListCredentials(r.Context(), se.User.ID)
		if err != nil {
			p.log.WarnContext(r.Context(), "oauth: list factors for step-up", "error", err)
			return "remove a factor"
		}
		for _, c := range creds {
			if c.ID == act.Credential {
				return fmt.Sprintf("remove %s", p.factorName(c.Factor))
			}
		}
		return "remove a factor"
	}
	return "add a factor"
}

// factorName is the display name of a factor instance.
func (p *Provider) factorName(factor string) string {
	if d, ok := p.instances()[factor]; ok && d.DisplayName != "" {
		return d.DisplayName
	}
	return factor
}
