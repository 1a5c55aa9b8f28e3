package oauth_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/host/oauth"
)

var ceremonyOptions = regexp.MustCompile(`data-webauthn="(create|get)" data-options="([^"]*)"`)

// ceremony answers the security key or passkey form of p with a, as the
// login pages' script does in a browser, and posts the result.
func (b *browser) ceremony(p page, path string, a *softkey.Authenticator) page {
	b.t.Helper()
	return b.submit(p, path, url.Values{"credential": {b.answer(p, a)}})
}

// answer is what a returns for the security key or passkey form of p.
func (b *browser) answer(p page, a *softkey.Authenticator) string {
	b.t.Helper()
	m := ceremonyOptions.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no security key form on the page: %d %s", p.status, p.body)
	}
	options := []byte(html.UnescapeString(m[2]))
	answer := a.Get
	if m[1] == "create" {
		answer = a.Create
	}
	credential, err := answer(options, softkey.Ceremony{Origin: webauthnOrigin})
	if err != nil {
		b.t.Fatalf("authenticator: %v", err)
	}
	return string(credential)
}

func TestSecurityKeyAtLogin(t *testing.T) {
	eachHost(t, hostOptions{webauthn: true}, func(t *testing.T, h *host) {
		h.user("carol")
		id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
		c := h.rp(t, id, secret)
		start := time.Now().Add(-time.Second)
		key := &softkey.Authenticator{Seed: []byte("carol's key")}

		// Enrolment: the page offers a security key or passkey and
		// registers one under the name the user gives.
		b := h.browser()
		a := c.authorization()
		p := b.signIn(b.get(a.url), "carol")
		if !p.contains("Use a security key or passkey") || !p.contains(`value="webauthn"`) {
			t.Fatalf("enrollment choice: %d %s", p.status, p.body)
		}
		p = b.submit(p, "/login/enroll", url.Values{"factor": {"webauthn"}, "name": {"Carol's key"}})
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline'; script") {
			t.Fatalf("CSP of the ceremony page: %q", csp)
		}
		if strings.Contains(p.body, "<script>") || !strings.Contains(p.body, `<script src="/login/webauthn.js"`) {
			t.Fatalf("the ceremony page must load its script from the host, never inline: %s", p.body)
		}
		p = b.ceremony(p, "/login/enroll/confirm", key)
		if p.contains("backup codes") {
			p = b.submit(p, "/login/continue", nil)
		}
		_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
		checkAuth(t, "enrolment login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "hwk", "user", "mfa"}, oauth.ACRMFA, start)

		// Second factor: a new login asks for the key; the client asked for
		// the phishing-resistant class and gets it.
		b = h.browser()
		a = c.authorization(oauth2.SetAuthURLParam("acr_values", oauth.ACRPhishingResistant))
		p = b.signIn(b.get(a.url), "carol")
		if !p.contains("Use a security key or passkey") {
			t.Fatalf("second factor step: %d %s", p.status, p.body)
		}
		p = b.ceremony(p, "/login/verify", key)
		_, claims = c.exchange(t, a, codeFrom(t, p, a.state))
		checkAuth(t, "security key login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "hwk", "user", "mfa"}, oauth.ACRPhishingResistant, start)

		// Passwordless: the passkey alone, no user name, counts as MFA.
		b = h.browser()
		a = c.authorization(oauth2.SetAuthURLParam("acr_values", oauth.ACRPhishingResistant))
		p = b.get(a.url)
		if !p.contains("Sign in with a passkey instead") {
			t.Fatalf("password step offers no passkey: %s", p.body)
		}
		p = b.submit(p, "/login/passkey", nil)
		p = b.ceremony(p, "/login/passkey/verify", key)
		_, claims = c.exchange(t, a, codeFrom(t, p, a.state))
		checkAuth(t, "passkey login", claims.AMR, claims.ACR, claims.AuthTime, []string{"hwk", "user", "mfa"}, oauth.ACRPhishingResistant, start)
	})
}

func TestSecurityKeyRefusedAtLogin(t *testing.T) {
	h := sqliteHost(t, hostOptions{webauthn: true})
	h.user("dave")
	id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
	c := h.rp(t, id, secret)
	key := &softkey.Authenticator{Seed: []byte("dave's key")}
	b := h.browser()
	p := b.signIn(b.get(c.authorization().url), "dave")
	p = b.ceremony(b.submit(p, "/login/enroll", url.Values{"factor": {"webauthn"}}), "/login/enroll/confirm", key)
	if p.callback == nil && !p.contains("backup codes") {
		t.Fatalf("enrolment: %d %s", p.status, p.body)
	}

	// A phishing page's answer (another origin) and a passkey without its
	// PIN where a passkey sign-in needs one are refused with the reason.
	b = h.browser()
	p = b.signIn(b.get(c.authorization().url), "dave")
	m := ceremonyOptions.FindStringSubmatch(p.body)
	phished, err := key.Get([]byte(html.UnescapeString(m[2])), softkey.Ceremony{Origin: "https://login.example.com.evil.test"})
	if err != nil {
		t.Fatal(err)
	}
	p = b.submit(p, "/login/verify", url.Values{"credential": {string(phished)}})
	if p.status != http.StatusUnauthorized || !p.contains("not accepted") || !p.contains("origin") {
		t.Fatalf("an answer for another origin: %d %s", p.status, p.body)
	}

	b = h.browser()
	p = b.submit(b.get(c.authorization().url), "/login/passkey", nil)
	key.SkipUserVerification = true // the passkey is used without its PIN
	p = b.ceremony(p, "/login/passkey/verify", key)
	if p.callback != nil || !p.contains("did not verify you") || !p.contains(`name="password"`) {
		t.Fatalf("a passkey without user verification: %d %s", p.status, p.body)
	}
}

// TestAccountAddsSecurityKeys: the account page registers security keys by
// the browser's ceremony, under the names the user gives, keeps offering
// another one, and takes a security key as the second factor of its
// step-up (with backup codes as another method).
func TestAccountAddsSecurityKeys(t *testing.T) {
	h := sqliteHost(t, hostOptions{webauthn: true})
	h.user("dora")
	b, p := h.signInToAccount(t, "dora", "")
	blue := &softkey.Authenticator{Seed: []byte("dora's blue key")}
	for _, key := range []struct {
		name string
		key  *softkey.Authenticator
	}{{"Blue key", blue}, {"Laptop", &softkey.Authenticator{Seed: []byte("dora's laptop")}}} {
		if key.name == "Laptop" {
			// Once dora has a factor, adding another needs one proven.
			p = b.submit(b.get(h.url+"/account"), "/account/stepup", nil)
			if !p.contains(`data-webauthn="get"`) || !p.contains("a backup code") {
				t.Fatalf("step-up of a user with a security key: %s", p.body)
			}
			p = b.submit(p, "/account/verify", withFields(p, "credential", b.answer(p, blue)))
			if !p.contains("Verified.") {
				t.Fatalf("after stepping up with the security key: %d %s", p.status, p.body)
			}
		}
		if !p.contains("Add a security key or passkey") || p.contains(`id="nickname-webauthn"`) {
			t.Fatalf("add form for a security key: %s", p.body)
		}
		p = b.submit(p, "/account/add", url.Values{"factor": {"webauthn"}, "name": {key.name}})
		if p.status != http.StatusOK || !p.contains(`data-webauthn="create"`) || !p.contains(`action="/account/add/confirm"`) {
			t.Fatalf("confirm page of a security key: %d %s", p.status, p.body)
		}
		if p = b.ceremony(p, "/account/add/confirm", key.key); p.status != http.StatusOK {
			t.Fatalf("after registering %q: %d %s", key.name, p.status, p.body)
		}
	}
	p = b.get(h.url + "/account")
	if !p.contains("Blue key") || !p.contains("Laptop") || !p.contains("Add a security key or passkey") {
		t.Fatalf("account page after two keys: %s", p.body)
	}
}
