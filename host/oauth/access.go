package oauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/store"
)

// maxAccessTokenBytes bounds a presented access token; a JWT of this
// provider is far shorter.
const maxAccessTokenBytes = 8 << 10

// AuthenticateAccessToken resolves an access token this provider issued (an
// opaque one, or an RFC 9068 JWT checked against the provider's keys) to the
// user it was issued to, as a resource server of the host would: the token
// must be live (not expired, not revoked, its grant not revoked) and issued
// to a user; refresh tokens, codes and client-credentials tokens are
// refused. The principal is never an admin: an access token acts only on its
// own user. It returns auth.ErrBadToken for any token it does not accept.
func (p *Provider) AuthenticateAccessToken(ctx context.Context, token string) (auth.Principal, error) {
	if token == "" || len(token) > maxAccessTokenBytes {
		return auth.Principal{}, auth.ErrBadToken
	}
	// The checks of fosite's access-token introspection, without its
	// fallback that would also accept a refresh token.
	sig := p.strategy.AccessTokenSignature(ctx, token)
	if sig == "" {
		return auth.Principal{}, auth.ErrBadToken
	}
	req, err := p.fstore.GetAccessTokenSession(ctx, sig, newSession())
	if errors.Is(err, fosite.ErrNotFound) || errors.Is(err, fosite.ErrInactiveToken) {
		return auth.Principal{}, auth.ErrBadToken
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("oauth: look up access token: %w", err)
	}
	if err := p.strategy.ValidateAccessToken(ctx, req, token); err != nil {
		return auth.Principal{}, auth.ErrBadToken
	}
	sub := req.GetSession().GetSubject()
	if sub == "" {
		return auth.Principal{}, auth.ErrBadToken
	}
	user, err := p.d.Store.GetUser(ctx, sub)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled()) {
		return auth.Principal{}, auth.ErrBadToken
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("oauth: look up token user: %w", err)
	}
	return auth.Principal{User: user}, nil
}
