package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/factorgate/factorgate/host/store"
)

func TestChain(t *testing.T) {
	errDown := errors.New("store down")
	accept := func(id string) Authenticator {
		return AuthenticatorFunc(func(_ context.Context, secret string) (Principal, error) {
			if secret == id {
				return Principal{User: store.User{ID: id}}, nil
			}
			return Principal{}, ErrBadToken
		})
	}
	broken := AuthenticatorFunc(func(context.Context, string) (Principal, error) { return Principal{}, errDown })
	for _, tc := range []struct {
		name    string
		chain   Chain
		secret  string
		want    string
		wantErr error
	}{
		{name: "first accepts", chain: Chain{accept("a"), accept("b")}, secret: "a", want: "a"},
		{name: "second accepts", chain: Chain{accept("a"), accept("b")}, secret: "b", want: "b"},
		{name: "none accepts", chain: Chain{accept("a"), accept("b")}, secret: "c", wantErr: ErrBadToken},
		{name: "empty chain", chain: Chain{}, secret: "a", wantErr: ErrBadToken},
		{name: "a failure ends the search", chain: Chain{broken, accept("a")}, secret: "a", wantErr: errDown},
		{name: "a failure after an acceptance is not reached", chain: Chain{accept("a"), broken}, secret: "a", want: "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.chain.Authenticate(context.Background(), tc.secret)
			if !errors.Is(err, tc.wantErr) || p.User.ID != tc.want {
				t.Fatalf("Authenticate(%q) = %q, %v; want %q, %v", tc.secret, p.User.ID, err, tc.want, tc.wantErr)
			}
		})
	}
}
