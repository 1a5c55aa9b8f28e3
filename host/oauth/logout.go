package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/ory/fosite/token/jwt"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/store"
)

// pathEndSession is the end_session_endpoint of OpenID Connect RP-Initiated
// Logout 1.0.
const pathEndSession = "/oauth2/logout"

// Errors of a logout request; each is shown on the error page, never
// redirected to an unchecked URI.
var (
	errBadHint          = errors.New("the id_token_hint is not an ID token this provider issued")
	errUnknownClient    = errors.New("the application is not registered")
	errClientMismatch   = errors.New("client_id does not match the id_token_hint's audience")
	errRedirectNoClient = errors.New("post_logout_redirect_uri needs an id_token_hint or a client_id")
	errRedirectRefused  = errors.New("post_logout_redirect_uri is not registered for the application")
)

// logoutRequest is what an end-session request asks for, once checked.
type logoutRequest struct {
	clientID string
	subject  string
	redirect string
	state    string
}

// endSession is the end_session_endpoint (RP-Initiated Logout 1.0): it ends
// the browser's login session (the row and the cookie) and sends the browser
// to the client's registered post_logout_redirect_uri with its state, or
// shows that the user is signed out. The id_token_hint is checked with the
// provider's keys; an expired one is accepted, as the specification allows,
// since logout often comes long after the ID token's short life.
func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		p.render(w, http.StatusBadRequest, "error", pageData{Title: "Sign-out problem", Error: "The sign-out request could not be read."})
		return
	}
	req, err := p.checkLogout(ctx, r.Form)
	if err != nil {
		p.log.InfoContext(ctx, "oauth: logout request refused", "reason", err.Error(), "client", req.clientID)
		p.render(w, http.StatusBadRequest, "error", pageData{Title: "Sign-out problem", Error: "The application's sign-out request was refused: " + err.Error() + "."})
		return
	}
	if se, ok := p.browserSession(r); ok {
		if !p.logoutConfirmed(r, se, req) {
			// Without a hint naming this user, any page could sign the
			// user out by sending the browser here: the user confirms
			// first, as the specification advises.
			p.render(w, http.StatusOK, "confirm-sign-out", logoutPage{pageData: pageData{Title: "Sign out?", CSRF: se.CSRFToken()}, Form: r.Form})
			return
		}
		if err := p.d.Sessions.Destroy(ctx, se); err != nil {
			p.renderError(w, r, http.StatusInternalServerError, "The sign-out could not be completed. Try again.", err)
			return
		}
		p.log.InfoContext(ctx, "oauth: signed out", "user", se.User.ID, "client", req.clientID)
	}
	http.SetCookie(w, auth.ExpiredCookie(sessionCookieName, "/", p.secure))
	if req.redirect == "" {
		p.render(w, http.StatusOK, "signed-out", pageData{Title: "You are signed out"})
		return
	}
	to, _ := url.Parse(req.redirect) // parsed when registered and checked
	if req.state != "" {
		q := to.Query()
		q.Set("state", req.state)
		to.RawQuery = q.Encode()
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to.String(), http.StatusFound)
}

// logoutPage is the confirmation of a sign-out, which posts the request's
// own parameters back with the session's CSRF token.
type logoutPage struct {
	pageData
	Form url.Values
}

// logoutConfirmed reports whether the session may end without asking: the
// request carries an ID token hint of the session's user, or it is the
// user's own answer to the confirmation (a POST with the session's CSRF
// token).
func (p *Provider) logoutConfirmed(r *http.Request, se auth.Session, req logoutRequest) bool {
	if req.subject != "" && req.subject == se.User.ID {
		return true
	}
	return r.Method == http.MethodPost && r.PostFormValue("confirm") != "" && auth.CheckCSRF(se.Secret, r.PostFormValue("csrf"))
}

// checkLogout checks an end-session request's parameters: the hint, the
// client and the redirect, which must be registered for the client exactly.
func (p *Provider) checkLogout(ctx context.Context, form url.Values) (logoutRequest, error) {
	req := logoutRequest{clientID: form.Get("client_id"), redirect: form.Get("post_logout_redirect_uri"), state: form.Get("state")}
	if hint := form.Get("id_token_hint"); hint != "" {
		sub, aud, err := p.parseIDTokenHint(ctx, hint)
		if err != nil {
			return req, fmt.Errorf("%w (%v)", errBadHint, err)
		}
		if req.clientID != "" && !slices.Contains(aud, req.clientID) {
			return req, errClientMismatch
		}
		if req.clientID == "" && len(aud) > 0 {
			req.clientID = aud[0]
		}
		req.subject = sub
	}
	if req.redirect == "" {
		return req, nil
	}
	if req.clientID == "" {
		return req, errRedirectNoClient
	}
	fc, err := p.fstore.GetClient(ctx, req.clientID)
	if err != nil {
		return req, errUnknownClient
	}
	c, ok := fc.(*store.OAuthClient)
	if !ok || !slices.Contains(c.PostLogoutRedirectURIs, req.redirect) {
		return req, errRedirectRefused
	}
	return req, nil
}

// parseIDTokenHint verifies an ID token this provider signed, expired or
// not, and returns its subject and audience.
func (p *Provider) parseIDTokenHint(ctx context.Context, raw string) (string, []string, error) {
	tok, err := p.strategy.signer.Decode(ctx, raw)
	var ve *jwt.ValidationError
	if err != nil && !(errors.As(err, &ve) && ve.Errors == jwt.ValidationErrorExpired) {
		return "", nil, err
	}
	if tok == nil {
		return "", nil, errors.New("no token")
	}
	if typ, _ := tok.Header["typ"].(string); typ == "at+jwt" {
		return "", nil, errors.New("an access token, not an ID token")
	}
	if iss, _ := tok.Claims["iss"].(string); iss != p.issuer {
		return "", nil, fmt.Errorf("issuer %q", iss)
	}
	sub, _ := tok.Claims["sub"].(string)
	var aud []string
	switch v := tok.Claims["aud"].(type) {
	case string:
		aud = []string{v}
	case []any:
		for _, a := range v {
			if s, ok := a.(string); ok {
				aud = append(aud, s)
			}
		}
	case []string:
		aud = v
	}
	if sub == "" || len(aud) == 0 {
		return "", nil, errors.New("no subject or audience")
	}
	return sub, aud, nil
}
