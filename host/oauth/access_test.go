package oauth_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/factorgate/factorgate/host/auth"
)

// Only access tokens issued to a user authenticate a caller of the host's own
// endpoints: a client-credentials token has no user, a refresh token is not
// an access token, and a revoked token is dead.
func TestAuthenticateAccessToken(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, h.srv.Client())

	for _, jwt := range []bool{false, true} {
		id := map[bool]string{false: "svc", true: "svc-jwt"}[jwt]
		cid, secret := h.client(clientSpec{id: id, grants: []string{"client_credentials"}, scopes: []string{"api:read"}, jwt: jwt})
		tok, err := (&clientcredentials.Config{ClientID: cid, ClientSecret: secret, TokenURL: h.url + "/oauth2/token", Scopes: []string{"api:read"}}).Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.provider.AuthenticateAccessToken(context.Background(), tok.AccessToken); !errors.Is(err, auth.ErrBadToken) {
			t.Fatalf("client-credentials token (jwt %v): %v, want ErrBadToken", jwt, err)
		}
	}

	alice := h.user("alice")
	secret, _ := h.enrollTOTP(alice)
	id, clientSecret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, clientSecret)
	b := h.browser()
	a := c.authorization()
	p := b.signIn(b.get(a.url), "alice")
	p = b.enterCode(p, h.totpCode(secret))
	tok, _ := c.exchange(t, a, codeFrom(t, p, a.state))

	principal, err := h.provider.AuthenticateAccessToken(context.Background(), tok.AccessToken)
	if err != nil || principal.User.ID != alice.ID || principal.Admin {
		t.Fatalf("user access token: %+v, %v", principal, err)
	}
	for name, bad := range map[string]string{"refresh token": tok.RefreshToken, "garbage": "x.y.z", "empty": ""} {
		if _, err := h.provider.AuthenticateAccessToken(context.Background(), bad); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("%s: %v, want ErrBadToken", name, err)
		}
	}
}
