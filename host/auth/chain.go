package auth

import (
	"context"
	"errors"
)

// Authenticator resolves a bearer secret to its principal, answering
// ErrBadToken for a secret it does not accept.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (Principal, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, secret string) (Principal, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, secret string) (Principal, error) {
	return f(ctx, secret)
}

var (
	_ Authenticator = (*Tokens)(nil)
	_ Authenticator = Chain(nil)
)

// Chain accepts a secret any of its authenticators accepts: personal API
// tokens and the OAuth provider's access tokens, for example. They are asked
// in order; ErrBadToken passes the secret on to the next, any other error
// ends the search. A secret none accepts is ErrBadToken.
type Chain []Authenticator

// Authenticate resolves secret with the first authenticator that accepts it.
func (c Chain) Authenticate(ctx context.Context, secret string) (Principal, error) {
	for _, a := range c {
		p, err := a.Authenticate(ctx, secret)
		if errors.Is(err, ErrBadToken) {
			continue
		}
		return p, err
	}
	return Principal{}, ErrBadToken
}
