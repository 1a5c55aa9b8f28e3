package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// passwordStep is the first step of the MFA grants (Auth0's contract) for
// clients registered as first-party: grant_type=password, or Auth0's
// password-realm (its realm parameter is accepted and ignored: there is one
// user directory). It checks the password and answers 403 mfa_required with
// an mfa_token. It never issues tokens itself, so it is not a password
// grant: every API login proves a second factor, and a user without one
// enrolls it through /mfa/associate with that mfa_token.
type passwordStep struct{ p *Provider }

var _ fosite.TokenEndpointHandler = (*passwordStep)(nil)

// mfaRequiredError is the password step's answer; the token endpoint writes
// it as 403 mfa_required with the mfa_token.
type mfaRequiredError struct{ token string }

func (e *mfaRequiredError) Error() string { return "mfa_required" }

// tooManyAttemptsError is Auth0's too_many_attempts (HTTP 429).
func tooManyAttemptsError(retryAfter time.Duration) *fosite.RFC6749Error {
	return &fosite.RFC6749Error{
		ErrorField:       "too_many_attempts",
		DescriptionField: fmt.Sprintf("Too many failed attempts; the account is locked for %s.", retryAfter),
		CodeField:        http.StatusTooManyRequests,
	}
}

// CanHandleTokenEndpointRequest reports whether the request is a password step.
func (h *passwordStep) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	return req.GetGrantTypes().ExactOne(GrantPassword) || req.GetGrantTypes().ExactOne(GrantPasswordRealm)
}

// CanSkipClientAuth is false: the client authenticates as usual.
func (h *passwordStep) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// HandleTokenEndpointRequest checks the password and issues the mfa_token.
func (h *passwordStep) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	p := h.p
	client, err := firstParty(req)
	if err != nil {
		return err
	}
	form := req.GetRequestForm()
	username, password := form.Get("username"), form.Get("password")
	if username == "" || password == "" {
		return fosite.ErrInvalidRequest.WithHint("The username and password parameters are required.")
	}
	if err := p.checkScopes(ctx, client, req); err != nil {
		return err
	}
	r := httpRequest(ctx)
	user, err := p.signin.CheckPassword(ctx, p.signInMeta(r, client.ID, "grant"), username, password)
	busy := busyError(err)
	switch {
	case errors.Is(err, signin.ErrBadCredentials):
		return fosite.ErrInvalidGrant.WithHint("Wrong username or password.")
	case busy != nil:
		return busy
	case err != nil:
		return fosite.ErrServerError.WithWrap(err)
	}
	token := "fgmfa_" + randomToken(secretBytes)
	now := p.now()
	if _, err := p.d.Store.CreateMFAToken(ctx, store.MFAToken{
		Hash: hashToken(token), ClientID: client.ID, UserID: user.ID,
		Scopes: req.GetRequestedScopes(), Audience: req.GetRequestedAudience(),
		AMR: []string{amrPassword}, AuthTime: now, CreatedAt: now, ExpiresAt: now.Add(p.d.MFATokenLifespan),
	}); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	return &mfaRequiredError{token: token}
}

// PopulateTokenEndpointResponse is never reached: the step always ends in
// mfa_required or an error.
func (h *passwordStep) PopulateTokenEndpointResponse(context.Context, fosite.AccessRequester, fosite.AccessResponder) error {
	return fosite.ErrUnknownRequest
}

// firstParty returns the request's client when it may use the MFA grants.
func firstParty(req fosite.AccessRequester) (*store.OAuthClient, error) {
	c, ok := req.GetClient().(*store.OAuthClient)
	if !ok || !c.FirstParty {
		return nil, fosite.ErrUnauthorizedClient.WithHint("The client is not registered as first-party, so it may not use the password step or the MFA grants.")
	}
	return c, nil
}

// checkScopes checks the requested scopes and audience against the client's
// registration, as fosite does for its own grants.
func (p *Provider) checkScopes(ctx context.Context, client *store.OAuthClient, req fosite.Requester) error {
	for _, s := range req.GetRequestedScopes() {
		if !p.config.GetScopeStrategy(ctx)(client.GetScopes(), s) {
			return fosite.ErrInvalidScope.WithHintf("The client may not request the scope %q.", s)
		}
	}
	if err := p.config.GetAudienceStrategy(ctx)(client.GetAudience(), req.GetRequestedAudience()); err != nil {
		return err
	}
	return nil
}

// httpRequest returns the HTTP request fosite put in ctx, for the client's
// address in audit records.
func httpRequest(ctx context.Context) *http.Request {
	if r, ok := ctx.Value(fosite.RequestContextKey).(*http.Request); ok {
		return r
	}
	return &http.Request{Header: http.Header{}}
}
