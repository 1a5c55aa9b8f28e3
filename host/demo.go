package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/google/uuid"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
)

// demoUser is the user `make run` creates on first start.
const demoUser = "demo"

// bootstrapDemo creates the demo user and an API token on first start and
// prints how to try the server. The password and token are printed once, to
// the terminal, never to the log.
func bootstrapDemo(ctx context.Context, a *app, out io.Writer) error {
	base := a.cfg.PublicURL
	if _, err := a.store.GetUserByName(ctx, demoUser); err == nil {
		fmt.Fprintf(out, "\nThe demo user %q exists already. Get a new API token with:\n  bin/factorgate tokens create %s\n", demoUser, demoUser)
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	password, err := randomPassword(16)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	org, err := a.store.EnsureDefaultOrg(ctx)
	if err != nil {
		return err
	}
	user, err := a.store.CreateUser(ctx, store.User{ID: uuid.NewString(), OrgID: org.ID, Name: demoUser, PasswordHash: hash, Email: "demo@example.com"})
	if err != nil {
		return fmt.Errorf("create demo user: %w", err)
	}
	token, _, err := a.tokens.Create(ctx, user.ID, "demo", false, defaultTokenTTL)
	if err != nil {
		return err
	}
	client, err := newClient("demo-client", "Demo client", []string{"http://127.0.0.1/callback"},
		[]string{"openid", "profile", "email", "offline_access"}, []string{"authorization_code", "refresh_token"}, nil, false, false, false, false)
	if err != nil {
		return err
	}
	clientSecret, secretHash, err := oauth.NewClientSecret()
	if err != nil {
		return err
	}
	client.SecretHash = secretHash
	if _, err := a.store.CreateOAuthClient(ctx, client); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("create demo client: %w", err)
	}
	fmt.Fprintf(out, `
Demo user created (shown once):
  name:      %s
  password:  %s
  API token: %s

Try it:
  export TOKEN=%s
  # 1. start enrolling TOTP: add the "secret" (or "otpauth_uri") to an authenticator app
  curl -s -X POST -H "Authorization: Bearer $TOKEN" %s/v1/users/me/factors/totp/enrollments
  # 2. confirm with the app's current code, using the "id" from step 1
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"code":"123456"}' %s/v1/users/me/factors/totp/enrollments/ENROLLMENT_ID/confirm
  # 3. verify a later code
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
       -d '{"code":"123456"}' %s/v1/users/me/factors/totp/verify

Sign in through OAuth 2.0 / OpenID Connect (password, then the second factor) and see the ID token's claims:
  go run ./examples/oauth2-client -issuer %s -client-id %s -client-secret %s
`, demoUser, password, token, token, base, base, base, base, client.ID, clientSecret)
	return nil
}

// randomPassword returns n characters from an alphabet without look-alikes.
func randomPassword(n int) (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	out := make([]byte, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("random password: %w", err)
		}
		out[i] = alphabet[k.Int64()]
	}
	return string(out), nil
}
