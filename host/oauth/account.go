package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// The account page: a signed-in user's factors (add, remove, new backup
// codes), their recent security events, and signing out here or everywhere.
// It lives behind the login session and, like the login pages, needs no
// script: every action is a form post carrying the session's CSRF token.
const (
	pathAccount = "/account"
	// stepUpWindow is how recent a second factor must be to remove a
	// factor, get new backup codes or add a factor.
	stepUpWindow = 5 * time.Minute
	// accountEvents is how many security events the page lists.
	accountEvents = 20
	// stepAccountConfirm is the step of a flow that adds a factor on the
	// account page; the login steps never take it.
	stepAccountConfirm = "account-confirm"
)

// Audit actions of the account page.
const (
	actionSignOut           = "account.signout"
	actionSignOutEverywhere = "account.signout_everywhere"
)

// registerAccount adds the account page's endpoints.
func (p *Provider) registerAccount(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET "+pathAccount, p.accountPage)
	handle("POST "+pathAccount+"/add", p.accountAdd)
	handle("GET "+pathAccount+"/add", p.accountAddPage)
	handle("POST "+pathAccount+"/add/confirm", p.accountAddConfirm)
	handle("POST "+pathAccount+"/remove", p.accountRemove)
	handle("POST "+pathAccount+"/codes", p.accountCodes)
	handle("POST "+pathAccount+"/stepup", p.accountStepUpStart)
	handle("POST "+pathAccount+"/verify", p.accountVerify)
	handle("POST "+pathAccount+"/signout", p.accountSignOut)
	handle("POST "+pathAccount+"/signout-everywhere", p.accountSignOutEverywhere)
}

// accountSession returns the request's login session. Without one, a GET
// starts a sign-in that comes back to the account page, and a post shows
// that the session ended. A post must carry the session's CSRF token.
func (p *Provider) accountSession(w http.ResponseWriter, r *http.Request) (auth.Session, bool) {
	se, ok := p.browserSession(r)
	if !ok && r.Method == http.MethodGet {
		p.startAccountSignIn(w, r)
		return auth.Session{}, false
	}
	if !ok {
		p.accountMessage(w, http.StatusUnauthorized, "Signed out", "Your session has ended. Sign in again to manage your account.")
		return auth.Session{}, false
	}
	if r.Method == http.MethodPost && !auth.CheckCSRF(se.Secret, r.PostFormValue("csrf")) {
		p.accountMessage(w, http.StatusForbidden, "Account problem", "The form was not sent by your account page. Reload the page and try again.")
		return auth.Session{}, false
	}
	return se, true
}

// startAccountSignIn starts a login flow whose end is the account page.
func (p *Provider) startAccountSignIn(w http.ResponseWriter, r *http.Request) {
	now := p.now()
	fl := &loginFlow{ClientName: "your account", CreatedAt: now, Step: stepPassword, Account: true}
	fl.Bind = hashToken(p.bindSecret(w, r))
	if err := p.createFlow(r.Context(), fl); err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not start.", err)
		return
	}
	http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
}

// fresh reports whether the session proved a second factor within the
// step-up window. A session's AuthTime is when the last of its methods was
// proven; once it holds "mfa", only second factors are added to it (at
// sign-in and by the account page's step-up), so AuthTime is when a second
// factor was last proven.
func (p *Provider) fresh(se auth.Session) bool {
	age := p.now().Sub(se.AuthTime)
	return hasMFA(se.AMR) && age >= -time.Minute && age <= stepUpWindow
}

// accountMeta is the audit record's who and where of an account request.
func (p *Provider) accountMeta(r *http.Request, userID string) mfa.Meta {
	m := p.meta(r, userID)
	m.Via = "account"
	return m
}

// accountPage shows the account.
func (p *Provider) accountPage(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	p.renderAccount(w, r, se, http.StatusOK, accountNotice(r.URL.Query().Get("done")), "")
}

// accountNotice is what the page says after an action it redirected from.
func accountNotice(done string) string {
	switch done {
	case "added":
		return "Your new factor is ready."
	case "removed":
		return "The factor was removed."
	case "verified":
		return "Verified. For the next 5 minutes you can change your factors."
	}
	return ""
}

// accountRemove removes one of the user's factors, after a step-up.
func (p *Provider) accountRemove(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	act := stepUpAction{Action: actionRemoveFactor, Credential: r.PostFormValue("credential_id")}
	if !p.fresh(se) {
		p.renderStepUp(w, r, se, act, "", http.StatusOK, "")
		return
	}
	p.runAction(w, r, se, act)
}

// accountCodes replaces the user's backup codes, after a step-up.
func (p *Provider) accountCodes(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	act := stepUpAction{Action: actionNewCodes}
	if !p.fresh(se) {
		p.renderStepUp(w, r, se, act, "", http.StatusOK, "")
		return
	}
	p.runAction(w, r, se, act)
}

// removeFactor removes a credential of the user's.
func (p *Provider) removeFactor(w http.ResponseWriter, r *http.Request, se auth.Session, credentialID string) {
	_, err := p.d.MFA.RemoveCredential(r.Context(), p.accountMeta(r, se.User.ID), se.User.ID, credentialID)
	switch {
	case errors.Is(err, mfa.ErrNotFound):
		p.renderAccount(w, r, se, http.StatusNotFound, "", "That factor is no longer on your account.")
	case err != nil:
		status, msg := p.mfaMessage(w, r, err)
		p.renderAccount(w, r, se, status, "", msg)
	default:
		http.Redirect(w, r, p.url(pathAccount)+"?done=removed", http.StatusSeeOther)
	}
}

// newBackupCodes replaces the user's backup codes and shows the new ones
// once.
func (p *Provider) newBackupCodes(w http.ResponseWriter, r *http.Request, se auth.Session) {
	factor := p.backupCompanion()
	if factor == "" {
		p.renderAccount(w, r, se, http.StatusNotFound, "", "Backup codes are not available here.")
		return
	}
	en, err := p.d.MFA.BeginEnrollment(r.Context(), p.accountMeta(r, se.User.ID), mfa.BeginRequest{UserID: se.User.ID, Factor: factor, Replace: true})
	if err != nil {
		status, msg := p.mfaMessage(w, r, err)
		p.renderAccount(w, r, se, status, "", msg)
		return
	}
	p.render(w, http.StatusOK, "account-codes", accountData{pageData: pageData{Title: "Your new backup codes", Codes: en.Display.Codes, Wide: true}})
}

// accountSignOut ends this session.
func (p *Provider) accountSignOut(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := p.d.Sessions.Destroy(ctx, se); err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "You could not be signed out. Try again.", err)
		return
	}
	p.auditAccount(r, se.User, actionSignOut, nil)
	http.SetCookie(w, auth.ExpiredCookie(sessionCookieName, "/", p.secure))
	p.accountMessage(w, http.StatusOK, "Signed out", "You are signed out on this device.")
}

// accountSignOutEverywhere ends every session of the user and revokes the
// tokens issued to them, so every application must sign them in again.
func (p *Provider) accountSignOutEverywhere(w http.ResponseWriter, r *http.Request) {
	se, ok := p.accountSession(w, r)
	if !ok {
		return
	}
	out, err := p.d.Store.SignOutEverywhere(r.Context(), se.User.ID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "You could not be signed out everywhere. Try again.", err)
		return
	}
	p.auditAccount(r, se.User, actionSignOutEverywhere, map[string]string{
		"sessions": fmt.Sprint(out.Sessions), "grants": fmt.Sprint(out.Grants),
	})
	http.SetCookie(w, auth.ExpiredCookie(sessionCookieName, "/", p.secure))
	p.accountMessage(w, http.StatusOK, "Signed out everywhere",
		"You are signed out on every device, and every application must ask you to sign in again.")
}

// auditAccount records an account action of user's; a failed write is
// logged.
func (p *Provider) auditAccount(r *http.Request, user store.User, action string, detail map[string]string) {
	m := p.accountMeta(r, user.ID)
	d := map[string]string{"via": m.Via}
	for k, v := range detail {
		d[k] = v
	}
	e := store.AuditEvent{
		Time: p.now(), OrgID: user.OrgID, UserID: user.ID, Actor: user.ID, Action: action, Result: "ok",
		RemoteAddr: m.RemoteAddr, UserAgent: m.UserAgent, Detail: d,
	}
	if _, err := p.d.Store.AppendAudit(r.Context(), e); err != nil {
		p.log.ErrorContext(r.Context(), "oauth: audit write failed", "action", action, "user", user.ID, "error", err)
	}
}

// accountMessage renders a page that only says something, with a way back
// to the account page.
func (p *Provider) accountMessage(w http.ResponseWriter, status int, title, msg string) {
	p.render(w, status, "account-message", accountData{pageData: pageData{Title: title}, Message: msg})
}

// signInFactors returns the user's active factors proven with a code or a
// security key the page can ask for; the first is the one asked for by
// default.
func (p *Provider) signInFactors(r *http.Request, userID string) ([]factorChoice, error) {
	factors, err := p.activeFactors(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	inst := p.instances()
	return slices.DeleteFunc(factors, func(f factorChoice) bool {
		proof := inst[f.Factor].Proof()
		return proof != sdk.ProofTypedCode && proof != sdk.ProofSentCode && proof != sdk.ProofBrowserCeremony
	}), nil
}

// addMFA records a second factor proven in the session now.
func (p *Provider) addMFA(r *http.Request, se *auth.Session, amr []string) error {
	methods := signin.AddMethods(se.AMR, true, amr...)
	if err := p.d.Sessions.AddMethods(r.Context(), se, p.now(), methods...); err != nil {
		return fmt.Errorf("record step-up: %w", err)
	}
	return nil
}
