package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// The provider is the token issuer of host/signin: the sign-ins of the
// documented dialects (a security scanner's /auth/sign_in, an accounting
// service's /authorisation/token, SlugBase's /api/auth/login) get tokens
// issued here, with the same claims as the login pages.
//
// Each dialect signs in through a built-in client of its own, registered at
// first use when absent: public (no secret), first-party only in the sense
// that the host itself uses it, never offered the password step or the MFA
// grants at the token endpoint. An operator may register it beforehand with
// `factorgate clients create --id ...` to change how its tokens look; the
// registration found is used as it is.

var _ signin.TokenIssuer = (*Provider)(nil)

// registration is how a sign-in client is registered when it is absent.
func registration(c signin.Client) store.OAuthClient {
	oc := store.OAuthClient{ID: c.ID, Name: c.Name, Public: true, JWTAccessTokens: !c.Session}
	if c.Refresh && !c.Session {
		oc.GrantTypes, oc.Scopes = []string{"refresh_token"}, []string{scopeOfflineAccess}
	}
	return oc
}

// scopeOfflineAccess is the scope that makes a refresh token come with an
// access token.
const scopeOfflineAccess = "offline_access"

// IssueTokens issues and stores an access token (and, for a client that may
// refresh, a refresh token) to a sign-in's client, as a token endpoint grant
// would, so that introspection, revocation and the refresh grant treat them
// like any other.
func (p *Provider) IssueTokens(ctx context.Context, c signin.Client, user store.User, amr []string, authTime, requestedAt time.Time) (signin.Tokens, error) {
	client, err := p.fstore.GetClient(ctx, c.ID)
	if err != nil {
		return signin.Tokens{}, fmt.Errorf("load client %q: %w", c.ID, err)
	}
	sess := userSession(user.ID, user.Name, authState{AMR: amr, AuthTime: authTime}, nil, requestedAt)
	req := fosite.NewAccessRequest(sess)
	req.Client = client
	req.RequestedAt = time.Now().UTC()
	req.GrantTypes = fosite.Arguments{GrantPassword}
	if c.Refresh && client.GetGrantTypes().Has("refresh_token") && p.config.GetScopeStrategy(ctx)(client.GetScopes(), scopeOfflineAccess) {
		req.SetRequestedScopes(fosite.Arguments{scopeOfflineAccess})
		req.GrantScope(scopeOfflineAccess)
	}
	now := time.Now().UTC()
	sess.SetExpiresAt(fosite.AccessToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(GrantPassword), fosite.AccessToken, p.config.GetAccessTokenLifespan(ctx))).Round(time.Second))
	if p.canRefresh(ctx, req) {
		sess.SetExpiresAt(fosite.RefreshToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(GrantPassword), fosite.RefreshToken, p.config.GetRefreshTokenLifespan(ctx))).Round(time.Second))
	}
	var out issued
	if err := p.storeTokens(ctx, req, &out); err != nil {
		return signin.Tokens{}, err
	}
	p.d.Observer.TokenIssued(GrantPassword)
	return signin.Tokens{
		AccessToken: out.access, RefreshToken: out.refresh, Scopes: req.GetGrantedScopes(),
		ExpiresIn: time.Until(sess.GetExpiresAt(fosite.AccessToken)).Round(time.Second),
	}, nil
}

// EnsureClient registers a sign-in's client when it is absent.
func (p *Provider) EnsureClient(ctx context.Context, c signin.Client) error {
	_, err := p.fstore.GetClient(ctx, c.ID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fosite.ErrNotFound) {
		return fmt.Errorf("oauth: load client %q: %w", c.ID, err)
	}
	if _, err := p.d.Store.CreateOAuthClient(ctx, registration(c)); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("oauth: register client %q: %w", c.ID, err)
	}
	p.log.InfoContext(ctx, "oauth: registered a dialect's sign-in client", "client", c.ID)
	return nil
}
