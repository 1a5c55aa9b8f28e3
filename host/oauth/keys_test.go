package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// jwksKids returns the key ids the JWKS publishes, by algorithm.
func (h *host) jwksKids(t testing.TB) map[string][]string {
	t.Helper()
	resp, err := h.srv.Client().Get(h.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid, Alg string } `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, k := range set.Keys {
		out[k.Alg] = append(out[k.Alg], k.Kid)
	}
	return out
}

// TestSigningKeyRotation: after a rotation new tokens carry the new kid, the
// old key stays published so tokens it signed still verify (go-oidc and
// introspection of a JWT access token), and the janitor removes it once
// those tokens have expired.
func TestSigningKeyRotation(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	ctx := context.Background()
	h.user("olga")
	webID, webSecret := h.client(clientSpec{id: "web"})
	svcID, svcSecret := h.client(clientSpec{id: "svc", jwt: true, grants: []string{"client_credentials"}, scopes: []string{"api"}})
	c := h.rp(t, webID, webSecret)
	login := func() (string, string) {
		b := h.browser()
		a := c.authorization()
		tok, _ := c.exchange(t, a, codeFrom(t, b.signIn(b.get(a.url), "olga"), a.state))
		raw := tok.Extra("id_token").(string)
		hdr, err := jwtHeader(raw)
		if err != nil {
			t.Fatal(err)
		}
		return raw, hdr["kid"].(string)
	}
	cc := clientcredentials.Config{ClientID: svcID, ClientSecret: svcSecret, TokenURL: h.url + "/oauth2/token"}
	ccCtx := context.WithValue(ctx, oauth2.HTTPClient, h.srv.Client())

	oldIDToken, oldKid := login()
	oldAccess, err := cc.Token(ccCtx)
	if err != nil {
		t.Fatal(err)
	}
	before := h.jwksKids(t)
	if len(before["RS256"]) != 1 || before["RS256"][0] != oldKid {
		t.Fatalf("JWKS before rotation %v, ID token kid %s", before, oldKid)
	}

	newKids, err := h.provider.RotateSigningKey(ctx)
	if err != nil || len(newKids) != 2 {
		t.Fatalf("RotateSigningKey = %v, %v", newKids, err)
	}
	after := h.jwksKids(t)
	if !slices.Equal(after["RS256"], []string{newKids[0], oldKid}) || len(after["ES256"]) != 2 {
		t.Fatalf("JWKS after rotation %v, new keys %v", after, newKids)
	}
	_, kid := login()
	if kid != newKids[0] {
		t.Fatalf("new ID token signed with %s, want %s", kid, newKids[0])
	}
	if _, err := c.verifier.Verify(c.ctx, oldIDToken); err != nil {
		t.Fatalf("ID token signed before the rotation: %v", err)
	}
	if in := h.introspect(t, svcID, svcSecret, oldAccess.AccessToken); in["active"] != true {
		t.Fatalf("JWT access token signed before the rotation: %v", in)
	}

	// Once every token the old key signed has expired, the janitor drops it.
	h.clock.Add(3 * time.Hour)
	defer h.clock.Add(-3 * time.Hour)
	n, err := h.provider.DeleteExpired(ctx)
	if err != nil || n == 0 {
		t.Fatalf("DeleteExpired = %d, %v", n, err)
	}
	if got := h.jwksKids(t); !slices.Equal(got["RS256"], []string{newKids[0]}) || len(got["ES256"]) != 1 {
		t.Fatalf("JWKS after the retired keys expired: %v", got)
	}
	resp, err := h.srv.Client().Get(h.url + "/.well-known/openid-configuration")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery after rotation: %v", err)
	}
	resp.Body.Close()
}
