package oauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	chromium "github.com/factorgate/factorgate/host/internal/browser"
	"github.com/factorgate/factorgate/host/oauth"
)

// callbackServer is the relying party's redirect URI on the loopback, so the
// browser lands on a page that answers.
func callbackServer(t *testing.T, h *host) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Signed in</title><p>Signed in</p>`))
	}))
	t.Cleanup(srv.Close)
	return "http://localhost:" + portOf(t, srv.Listener.Addr().String()) + "/callback"
}

// browserCode returns the code of the address the browser landed on.
func browserCode(t *testing.T, landed string, a authorization) string {
	t.Helper()
	u, err := url.Parse(landed)
	if err != nil || u.Query().Get("state") != a.state || u.Query().Get("code") == "" {
		t.Fatalf("the browser landed on %s, want the callback with a code and state %s", landed, a.state)
	}
	return u.Query().Get("code")
}

// TestBrowserPasskey registers a passkey on the enrolment page with
// Chromium's virtual authenticator, signs out, signs in with it as a second
// factor, then without a user name or password; the relying party gets amr
// with hwk and the phishing-resistant acr it asked for.
func TestBrowserPasskey(t *testing.T) {
	b := chromium.Start(t)
	h := sqliteHost(t, hostOptions{webauthn: true, localhost: true})
	h.user("erin")
	callback := callbackServer(t, h)
	id, secret := h.client(clientSpec{id: "bank", requireMFA: true, redirects: []string{callback}})
	c := h.rp(t, id, secret)
	c.conf.RedirectURL = callback
	start := time.Now().Add(-time.Second)

	p := b.NewPage(1280, 800)
	p.Goto(h.url + "/.well-known/openid-configuration")
	p.CDP("WebAuthn.enable", map[string]any{}, nil)
	p.CDP("WebAuthn.addVirtualAuthenticator", map[string]any{"options": map[string]any{
		"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
		"hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true,
	}}, nil)

	// Enrolment: password, then a passkey named by the user.
	a := c.authorization()
	p.Goto(a.url)
	p.Fill("#username", "erin")
	p.Fill("#password", password)
	p.ClickNav("button[type=submit]")
	p.Fill("#name-webauthn", "Erin's laptop")
	p.ClickNav("form:has(input[name=factor][value=webauthn]) button[type=submit]")
	landed := p.ClickNav("#webauthn-start")
	if strings.Contains(landed, "/login") && p.Count("text=Continue") > 0 {
		landed = p.ClickNav("button[type=submit]")
	}
	_, claims := c.exchange(t, a, browserCode(t, landed, a))
	checkAuth(t, "enrolment", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "hwk", "user", "mfa"}, oauth.ACRMFA, start)
	// The script ran under the pages' CSP without a violation or an error
	// (a missing favicon's 404 is no concern of this test).
	for _, line := range p.Console() {
		if strings.Contains(line, "Content Security Policy") || strings.Contains(line, "Uncaught") {
			t.Errorf("the login pages logged: %s", line)
		}
	}

	// Sign out, then the passkey as the second factor; the client asks for
	// the phishing-resistant class.
	p.ClearCookies()
	a = c.authorization(oauth2.SetAuthURLParam("acr_values", oauth.ACRPhishingResistant))
	p.Goto(a.url)
	p.Fill("#username", "erin")
	p.Fill("#password", password)
	p.ClickNav("button[type=submit]")
	landed = p.ClickNav("#webauthn-start")
	_, claims = c.exchange(t, a, browserCode(t, landed, a))
	checkAuth(t, "second factor", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "hwk", "user", "mfa"}, oauth.ACRPhishingResistant, start)

	// Sign out, then passwordless: the passkey alone.
	p.ClearCookies()
	a = c.authorization(oauth2.SetAuthURLParam("acr_values", oauth.ACRPhishingResistant))
	p.Goto(a.url)
	p.ClickNav("text=Sign in with a passkey instead")
	landed = p.ClickNav("#webauthn-start")
	_, claims = c.exchange(t, a, browserCode(t, landed, a))
	checkAuth(t, "passwordless", claims.AMR, claims.ACR, claims.AuthTime, []string{"hwk", "user", "mfa"}, oauth.ACRPhishingResistant, start)
	if claims.Subject != "id-erin" {
		t.Fatalf("passwordless sign-in as %q, want erin", claims.Subject)
	}
}
