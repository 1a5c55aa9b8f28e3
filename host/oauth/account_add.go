package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// Adding a factor on the account page is the enrolment of the login pages
// (the same choices, from the factors' descriptions, and the same confirm
// step), kept in a sealed flow bound to the browser, with the user's session
// checked at every step. A user who has a factor proves one first.

// accountAdd begins enrolling the factor the user picked.
func (p *Provider) accountAdd(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	factors, err := p.activeFactors(r.Context(), se.User.ID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return
	}
	if len(factors) > 0 && !p.fresh(se) {
		p.renderStepUp(w, r, se, stepUpAction{Action: actionAddFactor}, "", http.StatusOK, "")
		return
	}
	posted := postedEnrollment(r)
	opt := p.accountOption(r, se.User.ID, posted.Factor)
	if opt == nil {
		p.renderAccount(w, r, se, http.StatusBadRequest, "", "Choose a factor to add.")
		return
	}
	nickname := strings.TrimSpace(r.PostFormValue("nickname"))
	if utf8.RuneCountInString(nickname) > store.MaxCredentialNameLength {
		p.renderAccountForm(w, r, se, http.StatusBadRequest, "Give the factor a shorter name.", posted)
		return
	}
	params := map[string]string{}
	for _, prm := range opt.Params {
		if v := strings.TrimSpace(r.PostFormValue(prm.Name)); v != "" {
			params[prm.Name] = v
		}
	}
	en, err := p.d.MFA.BeginEnrollment(r.Context(), p.accountMeta(r, se.User.ID), mfa.BeginRequest{UserID: se.User.ID, Factor: opt.Factor, Params: params})
	if err != nil {
		status, msg := p.mfaMessage(w, r, err)
		p.renderAccountForm(w, r, se, status, msg, posted)
		return
	}
	fl := &loginFlow{
		Account: true, UserID: se.User.ID, CreatedAt: p.now(), Step: stepAccountConfirm,
		Factor: opt.Factor, EnrollmentID: en.ID, Nickname: nickname,
		Ceremony: opt.Ceremony,
		Display: &flowDisplay{Secret: en.Display.Secret, URI: en.Display.URI, QRPNG: en.Display.QRPNG,
			Masked: en.Display.MaskedDestination, Options: en.Display.OptionsJSON},
	}
	fl.Bind = hashToken(p.bindSecret(w, r))
	if err := p.createFlow(r.Context(), fl); err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The factor could not be added.", err)
		return
	}
	http.Redirect(w, r, p.url(pathAccount)+"/add?flow="+url.QueryEscape(fl.ID), http.StatusSeeOther)
}

// postedEnrollment is what the add form sent, shown again after an error.
func postedEnrollment(r *http.Request) enrollPosted {
	out := enrollPosted{Factor: r.PostFormValue("factor"), Nickname: r.PostFormValue("nickname"), Values: map[string]string{}}
	for k, v := range r.PostForm {
		if len(v) > 0 && k != "csrf" && k != "flow" {
			out.Values[k] = v[0]
		}
	}
	return out
}

// accountOption returns the enrolment choice called factor if the user may
// add it: one the login pages offer that the user does not have yet, or one
// of which a user holds several (another security key).
func (p *Provider) accountOption(r *http.Request, userID, factor string) *enrollOption {
	for _, o := range p.accountOptions(r, userID) {
		if o.Factor == factor {
			return &o
		}
	}
	return nil
}

// accountOptions are the factors the user may add.
func (p *Provider) accountOptions(r *http.Request, userID string) []enrollOption {
	have := map[string]bool{}
	if factors, err := p.activeFactors(r.Context(), userID); err == nil {
		for _, f := range factors {
			have[f.Factor] = true
		}
	}
	var out []enrollOption
	for _, o := range p.enrollOptions() {
		if !have[o.Factor] || o.Multiple {
			out = append(out, o)
		}
	}
	return out
}

// accountFlow loads the add flow the request names and checks that it
// belongs to the session's user.
func (p *Provider) accountFlow(w http.ResponseWriter, r *http.Request) (auth.Session, *loginFlow, bool) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return auth.Session{}, nil, false
	}
	// The session's CSRF token was checked; the flow must be this browser's.
	fl, err := p.loadBoundFlow(r)
	if err == nil && (!fl.Account || fl.Step != stepAccountConfirm || fl.UserID != se.User.ID) {
		err = errFlowGone
	}
	switch {
	case errors.Is(err, errFlowGone):
		p.renderAccount(w, r, se, http.StatusNotFound, "", "That setup has expired or was finished. Start it again.")
		return auth.Session{}, nil, false
	case err != nil:
		p.flowError(w, r, err)
		return auth.Session{}, nil, false
	}
	return se, fl, true
}

// accountAddPage shows the confirm step of an added factor.
func (p *Provider) accountAddPage(w http.ResponseWriter, r *http.Request) {
	se, fl, ok := p.accountFlow(w, r)
	if !ok {
		return
	}
	p.renderAddConfirm(w, se, fl, http.StatusOK, "")
}

// renderAddConfirm renders the confirm step of an added factor.
func (p *Provider) renderAddConfirm(w http.ResponseWriter, se auth.Session, fl *loginFlow, status int, msg string) {
	d := pageData{Title: "Confirm your new factor", Flow: fl.ID, CSRF: se.CSRFToken(), Step: stepConfirm, Error: msg, FactorName: p.factorName(fl.Factor)}
	if fl.Display != nil {
		d.Secret, d.URI, d.Masked = fl.Display.Secret, fl.Display.URI, fl.Display.Masked
		d.QR = qrURL(fl.Display.QRPNG)
	}
	if fl.Ceremony && fl.Display != nil {
		d.Ceremony, d.CeremonyOptions = true, string(fl.Display.Options)
	}
	d.Wide = true
	p.render(w, status, "account-confirm", accountData{pageData: d})
}

// accountAddConfirm confirms the added factor with its first code, or with
// what the browser's security key or passkey returned. A user without
// backup codes gets them with it, shown once.
func (p *Provider) accountAddConfirm(w http.ResponseWriter, r *http.Request) {
	se, fl, ok := p.accountFlow(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	proof, ok := formProof(r)
	if !ok {
		p.renderAddConfirm(w, se, fl, http.StatusBadRequest, "Enter the code.")
		return
	}
	req := mfa.ConfirmRequest{UserID: se.User.ID, EnrollmentID: fl.EnrollmentID, Proof: proof}
	if !p.hasBackupCodes(r, se.User.ID) {
		req.AlsoEnroll = p.backupCompanion()
	}
	c, err := p.d.MFA.ConfirmEnrollment(ctx, p.accountMeta(r, se.User.ID), req)
	if errors.Is(err, mfa.ErrNoEnrollment) || errors.Is(err, mfa.ErrExpired) {
		_ = p.d.Store.DeleteLoginFlow(ctx, fl.ID)
		p.renderAccount(w, r, se, http.StatusGone, "", "The setup expired. Start it again.")
		return
	}
	if err != nil {
		status, msg := p.proofMessage(w, r, proof, err)
		p.renderAddConfirm(w, se, fl, status, msg)
		return
	}
	if err := p.d.Store.DeleteLoginFlow(ctx, fl.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		p.log.WarnContext(ctx, "oauth: end account flow", "error", err)
	}
	if fl.Nickname != "" {
		if err := p.d.Store.SetCredentialName(ctx, se.User.ID, c.Credential.ID, fl.Nickname); err != nil {
			p.log.WarnContext(ctx, "oauth: name added factor", "error", err)
		}
	}
	if c.Also != nil && len(c.Also.Display.Codes) > 0 {
		p.render(w, http.StatusOK, "account-codes", accountData{pageData: pageData{Title: "Save your backup codes", Codes: c.Also.Display.Codes, Wide: true}})
		return
	}
	http.Redirect(w, r, p.url(pathAccount)+"?done=added", http.StatusSeeOther)
}

// hasBackupCodes reports whether the user has active backup codes.
func (p *Provider) hasBackupCodes(r *http.Request, userID string) bool {
	factors, err := p.activeFactors(r.Context(), userID)
	if err != nil {
		return true // never replace codes the user may have
	}
	return containsFactor(factors, p.d.BackupCodes)
}
