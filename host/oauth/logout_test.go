package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signedInRP signs alice in through the authorization code flow of a
// go-oidc relying party and returns the browser (holding the session
// cookie), the relying party and the raw ID token.
func signedInRP(t *testing.T, h *host) (*browser, *rp, string) {
	t.Helper()
	h.user("alice")
	id, secret := h.client(clientSpec{id: "web", logouts: []string{redirectURI + "/signed-out"}})
	c := h.rp(t, id, secret)
	b := h.browser()
	a := c.authorization()
	p := b.signIn(b.get(a.url), "alice")
	tok, _ := c.exchange(t, a, codeFrom(t, p, a.state))
	raw, _ := tok.Extra("id_token").(string)
	// A second authorization needs no password: the session signs in.
	a = c.authorization()
	if p := b.get(a.url); p.callback == nil {
		t.Fatalf("the session did not sign in again: %d %s", p.status, p.body)
	}
	return b, c, raw
}

// TestRPInitiatedLogout: the end_session_endpoint from discovery ends the
// login session and sends the browser to the registered URI with its state;
// afterwards the authorization request asks for the password again.
func TestRPInitiatedLogout(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		b, c, idToken := signedInRP(t, h)
		var disco struct {
			EndSession string `json:"end_session_endpoint"`
		}
		if err := provider(t, h).Claims(&disco); err != nil || disco.EndSession != h.url+"/oauth2/logout" {
			t.Fatalf("end_session_endpoint = %q, %v", disco.EndSession, err)
		}
		q := url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}, "state": {"st-42"}}
		p := b.get(disco.EndSession + "?" + q.Encode())
		if p.callback == nil || p.callback.Path != "/callback/signed-out" || p.callback.Query().Get("state") != "st-42" {
			t.Fatalf("logout: %d %v %s", p.status, p.callback, p.body)
		}
		a := c.authorization()
		if p := b.get(a.url); p.callback != nil || !p.contains(`name="password"`) {
			t.Fatalf("after logout the session still signs in: %d %v", p.status, p.callback)
		}
		n, err := h.st.DeleteExpiredSessions(context.Background(), h.clock.Now().Add(24*365*3600e9))
		if err != nil || n != 0 {
			t.Fatalf("session rows left after logout: %d, %v", n, err)
		}
	})
}

// TestLogoutRefusals: a redirect that is not registered, or one without a
// way to know the client, or a forged hint, is refused with a page and
// never followed; without a redirect the user sees that they are signed out.
func TestLogoutRefusals(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	b, _, idToken := signedInRP(t, h)
	forged := idToken[:strings.LastIndex(idToken, ".")+1] + "AAAA"
	sign := func(iss string, exp time.Time) string {
		tok, err := h.provider.SignForTest(context.Background(), map[string]any{
			"iss": iss, "sub": "id-alice", "aud": []string{"web"}, "iat": exp.Add(-time.Hour).Unix(), "exp": exp.Unix(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	expired := sign(h.url, time.Now().Add(-24*time.Hour))
	otherIssuer := sign("https://other.example", time.Now().Add(time.Hour))
	for _, tc := range []struct {
		name   string
		q      url.Values
		status int
		shows  string
	}{
		{"unregistered redirect", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/"}}, 400, "not registered"},
		{"prefix of a registered redirect", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {redirectURI}}, 400, "not registered"},
		{"redirect without client", url.Values{"post_logout_redirect_uri": {redirectURI + "/signed-out"}}, 400, "needs an id_token_hint or a client_id"},
		{"client mismatch", url.Values{"id_token_hint": {idToken}, "client_id": {"other"}}, 400, "does not match"},
		{"forged hint", url.Values{"id_token_hint": {forged}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}}, 400, "not an ID token this provider issued"},
		{"hint of another issuer", url.Values{"id_token_hint": {otherIssuer}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}}, 400, "not an ID token this provider issued"},
		{"expired hint accepted", url.Values{"id_token_hint": {expired}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}, "state": {"s"}}, 302, ""},
		{"client_id and registered redirect", url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}}, 302, ""},
		{"no redirect", url.Values{}, 200, "You are signed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get(h.url + "/oauth2/logout?" + tc.q.Encode())
			if p.callback != nil {
				if tc.status != http.StatusFound {
					t.Fatalf("redirected to %v", p.callback)
				}
				return
			}
			if p.status != tc.status || !p.contains(tc.shows) {
				t.Fatalf("%d, want %d showing %q: %s", p.status, tc.status, tc.shows, p.body)
			}
		})
	}
}

// TestLogoutWithoutHintAsksFirst: a logout request that does not carry an
// ID token of the session's user could come from any page, so the user is
// asked; the session ends only on their answer, which must carry the
// session's CSRF token, and the redirect and state then go through.
func TestLogoutWithoutHintAsksFirst(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	b, c, _ := signedInRP(t, h)
	q := url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {redirectURI + "/signed-out"}, "state": {"st-7"}}
	stillSignedIn := func(when string) {
		t.Helper()
		if p := b.get(c.authorization().url); p.callback == nil {
			t.Fatalf("%s the session no longer signs in: %d %s", when, p.status, p.body)
		}
	}
	p := b.get(h.url + "/oauth2/logout?" + q.Encode())
	if p.status != http.StatusOK || !p.contains("Sign out now?") || !p.contains(`name="state" value="st-7"`) {
		t.Fatalf("confirmation page: %d %s", p.status, p.body)
	}
	stillSignedIn("after the request,")
	forged := url.Values{"confirm": {"1"}, "csrf": {"not-the-token"}}
	for k, v := range q {
		forged[k] = v
	}
	if again := b.submit(p, "/oauth2/logout", forged); again.callback != nil || !again.contains("Sign out now?") {
		t.Fatalf("an answer without the CSRF token: %d %v", again.status, again.callback)
	}
	stillSignedIn("after a forged answer,")
	answer := url.Values{"confirm": {"1"}}
	for k, v := range q {
		answer[k] = v
	}
	p = b.submit(p, "/oauth2/logout", answer)
	if p.callback == nil || p.callback.Path != "/callback/signed-out" || p.callback.Query().Get("state") != "st-7" {
		t.Fatalf("after confirming: %d %v %s", p.status, p.callback, p.body)
	}
	if p := b.get(c.authorization().url); p.callback != nil {
		t.Fatal("the session still signs in after a confirmed logout")
	}
}

// TestDisabledUser: disabling a user ends their browser session and their
// refresh tokens, and their password no longer signs in.
func TestDisabledUser(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	b, c, _ := signedInRP(t, h)
	a := c.authorization()
	p := b.get(a.url)
	if p.callback == nil {
		t.Fatalf("not signed in: %d", p.status)
	}
	tok, _ := c.exchange(t, a, codeFrom(t, p, a.state))
	if err := h.st.SetUserDisabled(context.Background(), "id-alice", h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	a = c.authorization()
	p = b.get(a.url)
	if p.callback != nil || !p.contains(`name="password"`) {
		t.Fatalf("a disabled user's session still signs in: %d %v", p.status, p.callback)
	}
	if p = b.signIn(p, "alice"); p.callback != nil || p.contains("Enter the code") {
		t.Fatalf("a disabled user's password signed in: %d %v", p.status, p.callback)
	}
	if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("a disabled user's refresh token: %v, want invalid_grant", err)
	}
}
