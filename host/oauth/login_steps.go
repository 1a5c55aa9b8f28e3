package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// postFlow loads the flow of a form post and checks it is at one of steps.
func (p *Provider) postFlow(w http.ResponseWriter, r *http.Request, steps ...string) (*loginFlow, bool) {
	fl, err := p.loadFlow(r)
	if err != nil {
		p.flowError(w, r, err)
		return nil, false
	}
	for _, s := range steps {
		if fl.Step == s {
			return fl, true
		}
	}
	// A stale tab or a resubmitted form: show where the flow is now.
	http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
	return nil, false
}

// saveAndShow saves fl and sends the browser to its current step, or, when
// msg is set (a code could not be sent), renders the step with it.
func (p *Provider) saveAndShow(w http.ResponseWriter, r *http.Request, fl *loginFlow, status int, msg string) {
	if err := p.saveFlow(r.Context(), fl); err != nil {
		if errors.Is(err, store.ErrConflict) {
			http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
			return
		}
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not continue.", err)
		return
	}
	if msg != "" {
		p.renderStep(w, r, fl, status, msg, nil)
		return
	}
	http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
}

// loginPassword is the password step.
func (p *Provider) loginPassword(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepPassword)
	if !ok {
		return
	}
	ctx := r.Context()
	user, err := p.signin.CheckPassword(ctx, p.signInMeta(r, fl.ClientID, "login"), r.PostFormValue("username"), r.PostFormValue("password"))
	switch {
	case errors.Is(err, signin.ErrBadCredentials):
		p.renderStep(w, r, fl, http.StatusUnauthorized, "Wrong username or password.", nil)
		return
	case errors.Is(err, mfa.ErrThrottled):
		d, _ := mfa.RetryAfter(err)
		status, _ := p.mfaMessage(w, r, err)
		p.renderStep(w, r, fl, status, fmt.Sprintf("Too many sign-in attempts. Try again in %s.", d), nil)
		return
	case errors.Is(err, mfa.ErrLocked):
		status, msg := p.mfaMessage(w, r, err)
		p.renderStep(w, r, fl, status, msg, nil)
		return
	case err != nil:
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not continue.", err)
		return
	}
	fl.UserID, fl.AMR, fl.AuthTime = user.ID, []string{amrPassword}, p.now()
	done, err := p.advance(ctx, r, fl)
	if done {
		p.finish(w, r, fl)
		return
	}
	status, msg := p.mfaMessage(w, r, err)
	p.saveAndShow(w, r, fl, status, msg)
}

// loginChooseFactor picks one of the user's factors to verify.
func (p *Provider) loginChooseFactor(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepChoose, stepVerify)
	if !ok {
		return
	}
	ctx := r.Context()
	factors, err := p.activeFactors(ctx, fl.UserID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return
	}
	want := r.PostFormValue("factor")
	for _, f := range factors {
		if f.Factor == want {
			status, msg := p.mfaMessage(w, r, p.enterVerify(ctx, r, fl, f))
			p.saveAndShow(w, r, fl, status, msg)
			return
		}
	}
	p.renderStep(w, r, fl, http.StatusBadRequest, "Choose one of your factors.", nil)
}

// loginResend sends a new code for a factor that sends codes.
func (p *Provider) loginResend(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepVerify)
	if !ok {
		return
	}
	ctx := r.Context()
	factors, err := p.activeFactors(ctx, fl.UserID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return
	}
	for _, f := range factors {
		if f.Factor == fl.Factor && f.Challenge {
			status, msg := p.mfaMessage(w, r, p.enterVerify(ctx, r, fl, f))
			p.saveAndShow(w, r, fl, status, msg)
			return
		}
	}
	http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
}

// loginVerify checks the code of the chosen factor.
func (p *Provider) loginVerify(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepVerify)
	if !ok {
		return
	}
	ctx := r.Context()
	proof, ok := formProof(r)
	if !ok {
		p.renderStep(w, r, fl, http.StatusBadRequest, "Enter the code.", nil)
		return
	}
	amr, err := p.signin.ProveWith(ctx, p.signInMeta(r, fl.ClientID, "oauth"), signin.Step{UserID: fl.UserID, Factor: fl.Factor}, proof)
	if err != nil {
		status, msg := p.proofMessage(w, r, proof, err)
		p.renderStep(w, r, fl, status, msg, nil)
		return
	}
	fl.AMR = signin.AddMethods(fl.AMR, true, amr...)
	fl.AuthTime = p.now()
	p.finish(w, r, fl)
}

// loginEnroll begins enrolling the factor the user picked.
func (p *Provider) loginEnroll(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepEnroll, stepConfirm)
	if !ok {
		return
	}
	want := r.PostFormValue("factor")
	var opt *enrollOption
	for _, o := range p.enrollOptions() {
		if o.Factor == want {
			opt = &o
			break
		}
	}
	if opt == nil {
		fl.Step = stepEnroll
		p.renderStep(w, r, fl, http.StatusBadRequest, "Choose a factor to set up.", nil)
		return
	}
	params := map[string]string{}
	for _, p := range opt.Params {
		if v := strings.TrimSpace(r.PostFormValue(p.Name)); v != "" {
			params[p.Name] = v
		}
	}
	en, err := p.d.MFA.BeginEnrollment(r.Context(), p.meta(r, fl.UserID), mfa.BeginRequest{UserID: fl.UserID, Factor: opt.Factor, Params: params})
	if err != nil {
		status, msg := p.mfaMessage(w, r, err)
		fl.Step = stepEnroll
		p.renderStep(w, r, fl, status, msg, nil)
		return
	}
	fl.Step, fl.Factor, fl.EnrollmentID = stepConfirm, opt.Factor, en.ID
	fl.Display = &flowDisplay{Secret: en.Display.Secret, URI: en.Display.URI, QRPNG: en.Display.QRPNG, Masked: en.Display.MaskedDestination,
		Options: en.Display.OptionsJSON}
	p.saveAndShow(w, r, fl, 0, "")
}

// loginConfirm confirms the enrollment with its first code, which counts as
// the second factor of this login. The backup codes enrolled with it are
// shown once, in this response.
func (p *Provider) loginConfirm(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepConfirm)
	if !ok {
		return
	}
	ctx := r.Context()
	proof, ok := formProof(r)
	if !ok {
		p.renderStep(w, r, fl, http.StatusBadRequest, "Enter the code.", nil)
		return
	}
	req := mfa.ConfirmRequest{UserID: fl.UserID, EnrollmentID: fl.EnrollmentID, Proof: proof, AlsoEnroll: p.backupCompanion()}
	c, err := p.d.MFA.ConfirmEnrollment(ctx, p.meta(r, fl.UserID), req)
	if err != nil {
		if errors.Is(err, mfa.ErrNoEnrollment) || errors.Is(err, mfa.ErrExpired) {
			fl.Step, fl.Display = stepEnroll, nil
			p.saveAndShow(w, r, fl, http.StatusGone, "The setup expired. Start it again.")
			return
		}
		status, msg := p.proofMessage(w, r, proof, err)
		p.renderStep(w, r, fl, status, msg, nil)
		return
	}
	fl.AMR = signin.AddMethods(fl.AMR, true, c.AMR...)
	fl.AuthTime, fl.Display, fl.EnrollmentID = p.now(), nil, ""
	if c.Also == nil || len(c.Also.Display.Codes) == 0 {
		p.finish(w, r, fl)
		return
	}
	fl.Step = stepCodes
	if err := p.saveFlow(ctx, fl); err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not continue.", err)
		return
	}
	p.renderStep(w, r, fl, http.StatusOK, "", c.Also.Display.Codes)
}

// loginContinue ends the flow once the backup codes have been shown.
func (p *Provider) loginContinue(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepCodes)
	if !ok {
		return
	}
	p.finish(w, r, fl)
}

// finish ends a flow whose login meets its policy: it starts a new browser
// session with what was proven (replacing any earlier one, so a session id
// fixed before the login is worthless) and issues the code.
func (p *Provider) finish(w http.ResponseWriter, r *http.Request, fl *loginFlow) {
	ctx := r.Context()
	user, err := p.d.Store.GetUser(ctx, fl.UserID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not be completed.", err)
		return
	}
	// Of two requests finishing one flow, only the one that deletes it goes on.
	if err := p.d.Store.DeleteLoginFlow(ctx, fl.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			p.flowError(w, r, errFlowGone)
			return
		}
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not be completed.", err)
		return
	}
	if old, ok := p.browserSession(r); ok {
		if err := p.d.Sessions.Destroy(ctx, old); err != nil {
			p.log.WarnContext(ctx, "oauth: end replaced session", "error", err)
		}
	}
	se, err := p.d.Sessions.Create(ctx, user, fl.AMR, fl.AuthTime)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not be completed.", err)
		return
	}
	http.SetCookie(w, auth.Cookie(sessionCookieName, se.Secret, "/", p.secure, p.d.SessionMaxAge))
	p.signin.Finished(ctx, p.signInMeta(r, fl.ClientID, "login"), user, fl.AMR)
	if fl.Account {
		http.Redirect(w, r, p.url(pathAccount), http.StatusSeeOther)
		return
	}
	p.resumeAuthorization(w, r, fl, user)
}

// signInMeta is the sign-in service's who and where for a request.
func (p *Provider) signInMeta(r *http.Request, clientID, via string) signin.Meta {
	return signin.Meta{RemoteAddr: httpx.ClientIP(r, p.d.TrustedProxies), Via: via, ClientID: clientID, UserAgent: httpx.UserAgentSummary(r)}
}

// mfaMessage maps a lifecycle failure to what the login page says; nil is
// no message.
// A failure that passes with time also sets Retry-After.
func (p *Provider) mfaMessage(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	if err == nil {
		return 0, ""
	}
	if passesWithTime(err) {
		d, _ := mfa.RetryAfter(err)
		w.Header().Set("Retry-After", httpx.RetryAfter(d))
	}
	switch {
	case errors.Is(err, mfa.ErrInvalidCode):
		return http.StatusUnauthorized, "That code is not right. Try again."
	case errors.Is(err, mfa.ErrReplayed):
		return http.StatusUnauthorized, "That code was already used. Wait for the next one."
	case errors.Is(err, mfa.ErrExpired):
		return http.StatusUnauthorized, "That code has expired. Request a new one."
	case errors.Is(err, mfa.ErrChallengeSpent):
		return http.StatusUnauthorized, "Too many wrong codes. Request a new code."
	case errors.Is(err, mfa.ErrNoChallenge):
		return http.StatusBadRequest, "Request a code first."
	case errors.Is(err, mfa.ErrLocked):
		d, _ := mfa.RetryAfter(err)
		return http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts. Try again in %s.", d)
	case errors.Is(err, mfa.ErrThrottled):
		if d, ok := mfa.RetryAfter(err); ok {
			return http.StatusTooManyRequests, fmt.Sprintf("You can ask for another code in %s.", inWords(d))
		}
		return http.StatusTooManyRequests, "Please wait a moment before asking for another code."
	case errors.Is(err, mfa.ErrInvalidParams):
		if reason := mfa.Reason(err); reason != "" {
			return http.StatusBadRequest, strings.ToUpper(reason[:1]) + reason[1:] + "."
		}
		return http.StatusBadRequest, "Check what you entered."
	case errors.Is(err, mfa.ErrAlreadyEnrolled):
		return http.StatusConflict, "That factor is already set up."
	case errors.Is(err, mfa.ErrUnavailable):
		return http.StatusServiceUnavailable, "This factor is unavailable right now. Try again shortly."
	case errors.Is(err, mfa.ErrFactorFailed):
		p.log.WarnContext(r.Context(), "oauth: second factor failed", "error", err)
		return http.StatusBadGateway, "This factor could not check your code right now. Try again shortly."
	}
	p.log.ErrorContext(r.Context(), "oauth: second factor failed", "error", err)
	return http.StatusInternalServerError, "Something went wrong. Try again."
}
