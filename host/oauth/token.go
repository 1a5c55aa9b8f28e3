package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// token is the token endpoint (also served at Auth0's /oauth/token). Auth0
// SDKs send JSON bodies; they are turned into the form fosite reads.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := formFromJSON(r); err != nil {
		p.fosite.WriteAccessError(ctx, w, fosite.NewAccessRequest(newSession()), fosite.ErrInvalidRequest.WithHint(err.Error()))
		return
	}
	sess := newSession()
	ar, err := p.fosite.NewAccessRequest(ctx, r, sess)
	if err != nil {
		p.writeTokenError(ctx, w, ar, err)
		return
	}
	if err := p.checkSubject(ctx, ar); err != nil {
		p.writeTokenError(ctx, w, ar, err)
		return
	}
	if err := checkClientIDTokenAlg(ar.GetClient()); err != nil {
		p.writeTokenError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("client_credentials") {
		// A client acting for itself gets what it is registered for and
		// asked for; fosite checked the request against the registration.
		for _, s := range ar.GetRequestedScopes() {
			ar.GrantScope(s)
		}
		for _, a := range ar.GetRequestedAudience() {
			ar.GrantAudience(a)
		}
	}
	resp, err := p.fosite.NewAccessResponse(ctx, ar)
	if err != nil {
		p.writeTokenError(ctx, w, ar, err)
		return
	}
	p.d.Observer.TokenIssued(strings.Join(ar.GetGrantTypes(), " "))
	p.fosite.WriteAccessResponse(ctx, w, ar, resp)
}

// checkSubject refuses a grant (a code, a refresh token, an MFA grant) whose
// user has been disabled or deleted since the login it comes from.
func (p *Provider) checkSubject(ctx context.Context, ar fosite.AccessRequester) error {
	sub := ar.GetSession().GetSubject()
	if sub == "" {
		return nil
	}
	user, err := p.d.Store.GetUser(ctx, sub)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled()) {
		return fosite.ErrInvalidGrant.WithHint("The user is disabled or no longer exists.")
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return nil
}

// checkClientIDTokenAlg refuses, before a code or refresh token is used up,
// a request of a client whose registered ID token algorithm the provider
// cannot sign with (a registration made around the CLI's checks).
func checkClientIDTokenAlg(c fosite.Client) error {
	oc, ok := c.(*store.OAuthClient)
	if !ok {
		return nil
	}
	if err := CheckIDTokenAlg(oc.IDTokenSignedResponseAlg); err != nil {
		return fosite.ErrServerError.WithHint("The client's registered ID token signing algorithm is not supported.").WithDebug(err.Error())
	}
	return nil
}

// writeTokenError writes a token endpoint error: fosite's, or the 403
// mfa_required of the password step (which carries the mfa_token fosite's
// error body has no room for), or a 429 too_many_attempts.
func (p *Provider) writeTokenError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) {
	var need *mfaRequiredError
	if errors.As(err, &need) {
		writeJSON(w, http.StatusForbidden, map[string]string{
			"error":             "mfa_required",
			"error_description": "Multifactor authentication required",
			"mfa_token":         need.token,
		}, "")
		return
	}
	var wait *retryAfterError
	if errors.As(err, &wait) {
		w.Header().Set("Retry-After", httpx.RetryAfter(wait.after))
		err = wait.rfc
	}
	if errors.Is(err, fosite.ErrInactiveToken) && ar != nil && ar.GetGrantTypes().ExactOne("refresh_token") && ar.GetClient() != nil {
		// fosite revoked every token of the grant: someone holds a copy.
		p.log.WarnContext(ctx, "oauth: a refresh token was used again; every token of its grant is revoked", "client", ar.GetClient().GetID())
	}
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) && rfc.CodeField >= http.StatusInternalServerError && rfc.CodeField != http.StatusServiceUnavailable {
		p.log.ErrorContext(ctx, "oauth: token request failed", "error", rfc.ErrorField, "debug", rfc.DebugField, "cause", rfc.Cause())
	}
	if ar == nil {
		ar = fosite.NewAccessRequest(newSession())
	}
	p.fosite.WriteAccessError(ctx, w, ar, err)
}

// retryAfterError carries how long a client should wait (a lockout, a
// throttle, a factor that is down) to the Retry-After header of the token
// endpoint's and the MFA API's error answers.
type retryAfterError struct {
	rfc   *fosite.RFC6749Error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.rfc.Error() }
func (e *retryAfterError) Unwrap() error { return e.rfc }

// passesWithTime reports whether err is a lifecycle failure that passes
// with time (locked, throttled, a factor unavailable): one answered with
// Retry-After.
func passesWithTime(err error) bool {
	return errors.Is(err, mfa.ErrLocked) || errors.Is(err, mfa.ErrThrottled) || errors.Is(err, mfa.ErrUnavailable)
}

// busyError maps the lifecycle's failures that pass with time (locked,
// throttled, a factor unavailable) to their OAuth answer with Retry-After in
// whole seconds, at least one; nil for any other error.
func busyError(err error) error {
	d, _ := mfa.RetryAfter(err)
	d = time.Duration(httpx.RetryAfterSeconds(d)) * time.Second
	var rfc *fosite.RFC6749Error
	switch {
	case errors.Is(err, mfa.ErrLocked):
		rfc = tooManyAttemptsError(d)
	case errors.Is(err, mfa.ErrThrottled):
		rfc = &fosite.RFC6749Error{ErrorField: "too_many_attempts", DescriptionField: "Too many requests; try again later.", CodeField: http.StatusTooManyRequests}
	case errors.Is(err, mfa.ErrUnavailable):
		rfc = fosite.ErrTemporarilyUnavailable.WithHint("The second factor is unavailable right now.")
	default:
		return nil
	}
	return &retryAfterError{rfc: rfc, after: d}
}

// formFromJSON turns a JSON object body into a form body. Strings are kept,
// arrays of strings become repeated values, numbers and booleans their text.
func formFromJSON(r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return errors.New("the JSON body is not an object")
	}
	if err := httpx.CheckDuplicateKeys(body); err != nil {
		return fmt.Errorf("the JSON body is not valid: %w", err)
	}
	form := url.Values{}
	for k, raw := range obj {
		if string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var s string
		var list []string
		var v any
		switch {
		case json.Unmarshal(raw, &s) == nil:
			form.Set(k, s)
		case json.Unmarshal(raw, &list) == nil:
			form[k] = list
		case json.Unmarshal(raw, &v) == nil:
			form.Set(k, strings.TrimSpace(string(raw)))
		}
	}
	enc := form.Encode()
	r.Body = io.NopCloser(bytes.NewReader([]byte(enc)))
	r.ContentLength = int64(len(enc))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return nil
}
