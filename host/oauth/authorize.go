package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/store"
)

// policy is what an authorization request asks of the login, read by the
// login layer before fosite issues a code.
type policy struct {
	// requireMFA: the client requires a second factor, or acr_values asks
	// for an MFA class.
	requireMFA bool
	acrValues  []string
	// fresh: prompt=login or max_age=0; the user authenticates again.
	fresh bool
	// maxAge is the max_age parameter; negative when absent.
	maxAge     time.Duration
	promptNone bool
}

func requestPolicy(ar fosite.AuthorizeRequester, client *store.OAuthClient) (policy, error) {
	form := ar.GetRequestForm()
	pol := policy{acrValues: splitSpaces(form.Get("acr_values")), maxAge: -1}
	pol.requireMFA = client.RequireMFA || wantsMFA(pol.acrValues)
	prompts := splitSpaces(form.Get("prompt"))
	pol.fresh = slices.Contains(prompts, "login")
	pol.promptNone = slices.Contains(prompts, "none")
	if v := form.Get("max_age"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 1<<31 {
			return policy{}, fosite.ErrInvalidRequest.WithHint("max_age must be a number of seconds.")
		}
		pol.maxAge = time.Duration(n) * time.Second
		pol.fresh = pol.fresh || n == 0
	}
	// fosite checks PKCE when it issues the code; checking here too spares
	// the user a login that would end in this error.
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge != "" && method != "S256":
		return policy{}, fosite.ErrInvalidRequest.WithHint("Only the S256 code_challenge_method is supported.")
	case challenge == "" && client.IsPublic():
		return policy{}, fosite.ErrInvalidRequest.WithHint("A public client must use PKCE (code_challenge with S256).")
	}
	return pol, nil
}

// authorize is the authorization endpoint. fosite validates the request
// (client, redirect URI, scopes, PKCE); the login layer then decides whether
// the browser's session meets the request's policy. When it does, the code
// is issued at once, without a consent screen; otherwise a login flow starts.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := p.fosite.NewAuthorizeRequest(ctx, r)
	if err != nil {
		p.authorizeError(ctx, w, ar, err)
		return
	}
	client, ok := ar.GetClient().(*store.OAuthClient)
	if !ok {
		p.authorizeError(ctx, w, ar, fosite.ErrServerError.WithDebugf("client is %T", ar.GetClient()))
		return
	}
	pol, err := requestPolicy(ar, client)
	if err != nil {
		p.authorizeError(ctx, w, ar, err)
		return
	}
	now := p.now()
	se, haveSession := p.browserSession(r)
	if haveSession && !pol.fresh {
		satisfied, err := p.sessionSatisfies(ctx, se, pol, now)
		if err != nil {
			p.authorizeError(ctx, w, ar, fosite.ErrServerError.WithWrap(err))
			return
		}
		if satisfied {
			p.issueCode(w, r, ar, se.User, authState{AMR: se.AMR, AuthTime: se.AuthTime}, pol.acrValues, ar.GetRequestedAt())
			return
		}
	}
	if pol.promptNone {
		p.authorizeError(ctx, w, ar, fosite.ErrLoginRequired.WithHint("The user must sign in (or prove a second factor) first."))
		return
	}
	fl := &loginFlow{
		ClientID: client.ID, ClientName: client.Name, Query: ar.GetRequestForm().Encode(),
		RequireMFA: pol.requireMFA, ACRValues: pol.acrValues, CreatedAt: now, Step: stepPassword,
	}
	// A session that is recent enough but lacks a second factor is stepped
	// up: its password stands and only the factor is asked for.
	if haveSession && !pol.fresh && (pol.maxAge < 0 || now.Sub(se.AuthTime) <= pol.maxAge) {
		fl.UserID, fl.AMR, fl.AuthTime = se.User.ID, se.AMR, se.AuthTime
		fl.Step = ""
	}
	bind := p.bindSecret(w, r)
	fl.Bind = hashToken(bind)
	if fl.Step == "" {
		done, err := p.advance(ctx, r, fl)
		switch {
		case done:
			// The session meets the policy after all (it changed meanwhile):
			// sign in afresh rather than guess.
			fl.UserID, fl.AMR, fl.AuthTime, fl.Step = "", nil, time.Time{}, stepPassword
		case err != nil && fl.Step == "":
			p.authorizeError(ctx, w, ar, fosite.ErrServerError.WithWrap(err))
			return
		case err != nil:
			// The code could not be sent; the step offers to send it again.
			p.log.WarnContext(ctx, "oauth: send code on step-up", "factor", fl.Factor, "error", err)
		}
	}
	if err := p.createFlow(ctx, fl); err != nil {
		p.authorizeError(ctx, w, ar, fosite.ErrServerError.WithWrap(err))
		return
	}
	http.Redirect(w, r, p.flowURL(fl.ID), http.StatusSeeOther)
}

// sessionSatisfies reports whether a browser session meets pol: recent
// enough for max_age, and with a second factor when the client or
// acr_values ask for one, or when the user has one enrolled (a user who
// enrolled a factor always proves it).
func (p *Provider) sessionSatisfies(ctx context.Context, se auth.Session, pol policy, now time.Time) (bool, error) {
	if pol.maxAge >= 0 && now.Sub(se.AuthTime) > pol.maxAge {
		return false, nil
	}
	if hasMFA(se.AMR) {
		return true, nil
	}
	if pol.requireMFA {
		return false, nil
	}
	factors, err := p.activeFactors(ctx, se.User.ID)
	if err != nil {
		return false, err
	}
	return len(factors) == 0, nil
}

// issueCode grants what the request asked for (the client may ask only for
// what it is registered for, which fosite checked) and redirects back with
// the code. requestedAt is when the authorization request arrived, which
// prompt=login and max_age are measured against.
func (p *Provider) issueCode(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, user store.User, a authState, acrValues []string, requestedAt time.Time) {
	ctx := r.Context()
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	for _, aud := range ar.GetRequestedAudience() {
		ar.GrantAudience(aud)
	}
	resp, err := p.fosite.NewAuthorizeResponse(ctx, ar, userSession(user.ID, user.Name, a, acrValues, requestedAt))
	if err != nil {
		p.authorizeError(ctx, w, ar, err)
		return
	}
	p.fosite.WriteAuthorizeResponse(ctx, w, ar, resp)
}

// resumeAuthorization parses the flow's authorization request again and
// issues its code for the login the flow proved.
func (p *Provider) resumeAuthorization(w http.ResponseWriter, r *http.Request, fl *loginFlow, user store.User) {
	ctx := r.Context()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url(pathAuthorize)+"?"+fl.Query, nil)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not be completed.", err)
		return
	}
	ar, err := p.fosite.NewAuthorizeRequest(ctx, req)
	if err != nil {
		p.authorizeError(ctx, w, ar, err)
		return
	}
	if ar.GetClient().GetID() != fl.ClientID {
		p.renderError(w, r, http.StatusBadRequest, "The sign-in does not belong to this application.", fmt.Errorf("flow client %q, request client %q", fl.ClientID, ar.GetClient().GetID()))
		return
	}
	p.issueCode(w, r, ar, user, authState{AMR: fl.AMR, AuthTime: fl.AuthTime}, fl.ACRValues, fl.CreatedAt)
}

// browserSession returns the live login session of the request's cookie.
func (p *Provider) browserSession(r *http.Request) (auth.Session, bool) {
	c, err := r.Cookie(sessionCookieName)
	if err != nil || c.Value == "" {
		return auth.Session{}, false
	}
	se, err := p.d.Sessions.Authenticate(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, auth.ErrBadSession) {
			p.log.WarnContext(r.Context(), "oauth: look up session", "error", err)
		}
		return auth.Session{}, false
	}
	return se, true
}

// bindSecret returns the browser's login-binding secret, setting the cookie
// when there is none. Login flows are bound to it, and their CSRF tokens
// derive from it, so a flow id leaked in a URL is useless elsewhere.
func (p *Provider) bindSecret(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(bindCookieName); err == nil && len(c.Value) >= 32 && len(c.Value) <= 128 {
		return c.Value
	}
	secret := randomToken(secretBytes)
	http.SetCookie(w, auth.Cookie(bindCookieName, secret, "/", p.secure, 0))
	// Later handlers of this request see it too.
	r.AddCookie(&http.Cookie{Name: bindCookieName, Value: secret})
	return secret
}

// authorizeError answers an authorization request with err: to the
// client's redirect URI when it is known and registered, and otherwise with
// a page for the person whose browser it is, which redirects nowhere. It
// logs failures of the host's own.
func (p *Provider) authorizeError(ctx context.Context, w http.ResponseWriter, ar fosite.AuthorizeRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.CodeField >= http.StatusInternalServerError {
		p.log.ErrorContext(ctx, "oauth: authorization request failed", "error", rfc.ErrorField, "debug", rfc.DebugField, "cause", rfc.Cause())
	}
	if ar == nil || !ar.IsRedirectURIValid() {
		p.render(w, rfc.CodeField, "error", pageData{Title: "This sign-in link does not work", Error: authorizeProblem(rfc)})
		return
	}
	p.fosite.WriteAuthorizeError(ctx, w, ar, err)
}

// authorizeProblem explains, to a person, an authorization request that
// cannot be answered to its application.
func authorizeProblem(rfc *fosite.RFC6749Error) string {
	const tail = " Go back to the application and try again; if it keeps happening, tell the application's support."
	switch {
	case errors.Is(rfc, fosite.ErrInvalidClient):
		return "The application that sent you here is not registered with this sign-in service." + tail
	case rfc.CodeField >= http.StatusInternalServerError:
		return "The sign-in service could not handle the request." + tail
	case rfc.ErrorField == fosite.ErrInvalidRequest.ErrorField:
		return "The application that sent you here asked to return you to an address it has not registered, so you are not sent there." + tail
	}
	return "The application that sent you here made a request this sign-in service cannot accept." + tail
}
