package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// signInToAccount opens the account page in a fresh browser, which sends it
// through the login (password, then the user's TOTP when secret is set),
// and returns the browser and the account page.
func (h *host) signInToAccount(t *testing.T, name, secret string) (*browser, page) {
	t.Helper()
	b := h.browser()
	p := b.signIn(b.get(h.url+"/account"), name)
	if secret != "" {
		if !p.contains(`name="code"`) {
			p = b.submit(p, "/login/factor", url.Values{"factor": {"totp"}})
		}
		p = b.enterCode(p, h.totpCode(secret))
		h.nextStep()
	}
	if p.status != http.StatusOK || !p.contains("Your account") || !p.contains("Signed in as <strong>"+name+"</strong>") {
		t.Fatalf("account page after sign-in: %d %s", p.status, p.body)
	}
	return b, p
}

// credentialID returns the id of the user's active credential of factor.
func (h *host) credentialID(t *testing.T, u store.User, factor string) string {
	t.Helper()
	c, err := h.mfa.ActiveCredential(context.Background(), u.ID, factor)
	if err != nil {
		t.Fatalf("active %s credential: %v", factor, err)
	}
	return c.ID
}

// TestAccountPage: the page lists the user's factors with when they were
// added and last used, and their recent security events with where they
// came from.
func TestAccountPage(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		bob := h.user("bob")
		secret, _ := h.enrollTOTP(bob)
		_, p := h.signInToAccount(t, "bob", secret)
		for _, want := range []string{
			"Authenticator app", "Backup codes", "Added ", "Last used ", "Never used",
			"Recent security events", "Signed in", "Verified with Authenticator app", "Entered the password",
			"127.0.0.1", "Go HTTP client", "Succeeded",
			`action="/account/remove"`, `action="/account/codes"`, `action="/account/signout-everywhere"`,
		} {
			if !p.contains(want) {
				t.Errorf("account page lacks %q", want)
			}
		}
		if n := strings.Count(p.body, "<li>\n<strong>"); n == 0 || n > 20 {
			t.Errorf("account page lists %d events, want 1 to 20", n)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if strings.Contains(p.body, "<script>") {
			t.Error("the account page has an inline script")
		}
		// A failed attempt is listed as one.
		b2 := h.browser()
		p2 := b2.signIn(b2.get(h.url+"/account"), "bob")
		b2.enterCode(p2, "000000")
		_, p = h.signInToAccount(t, "bob", secret)
		if !p.contains("Failed: wrong code") {
			t.Errorf("account page does not list the wrong code: %s", p.body)
		}
	})
}

// TestAccountRemoveAndCodesNeedStepUp: removing a factor and getting new
// backup codes need a second factor proven in the last 5 minutes; a stale
// session proves one on the page first, and the action then goes ahead.
func TestAccountRemoveAndCodesNeedStepUp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stale bool
		path  string
	}{
		{"remove, fresh", false, "/account/remove"},
		{"remove, stale", true, "/account/remove"},
		{"new codes, fresh", false, "/account/codes"},
		{"new codes, stale", true, "/account/codes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := sqliteHost(t, hostOptions{})
			bob := h.user("bob")
			secret, oldCodes := h.enrollTOTP(bob)
			h.enrollSMS(bob, "+61412345678")
			b, p := h.signInToAccount(t, "bob", secret)
			if !p.contains("until") {
				t.Fatalf("a fresh session is not said to be fresh: %s", p.body)
			}
			form := url.Values{}
			if tc.path == "/account/remove" {
				form.Set("credential_id", h.credentialID(t, bob, "sms"))
			}
			if tc.stale {
				h.clock.Add(5*time.Minute + time.Second)
				p = b.submit(p, tc.path, form)
				if p.status != http.StatusOK || !p.contains("Verify it's you") || !p.contains("Enter the code from your Authenticator app") {
					t.Fatalf("stale session: %d %s", p.status, p.body)
				}
				// A wrong code keeps the step-up and changes nothing.
				wrong := b.submit(p, "/account/verify", withFields(p, "code", "000000"))
				if wrong.status != http.StatusUnauthorized || !wrong.contains("That code is not right") {
					t.Fatalf("wrong step-up code: %d %s", wrong.status, wrong.body)
				}
				p = b.submit(p, "/account/verify", withFields(p, "code", h.totpCode(secret)))
				h.nextStep()
			} else {
				p = b.submit(p, tc.path, form)
			}
			checkAccountAction(t, h, bob, tc.path, p, oldCodes)
		})
	}
}

// withFields returns the hidden fields of the step-up page's code form
// with the given extra fields.
func withFields(p page, kv ...string) url.Values {
	form := url.Values{}
	for _, name := range []string{"action", "credential_id", "factor"} {
		form.Set(name, p.field(regexp.MustCompile(`name="`+name+`" value="([^"]*)"`)))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return form
}

// checkAccountAction checks the outcome of a removal or of new codes.
func checkAccountAction(t *testing.T, h *host, bob store.User, path string, p page, oldCodes []string) {
	t.Helper()
	ctx := context.Background()
	if path == "/account/remove" {
		if p.status != http.StatusOK || !p.contains("The factor was removed.") || p.contains("<h3>Text message</h3>") || !p.contains("Removed Text message") {
			t.Fatalf("after removal: %d %s", p.status, p.body)
		}
		if _, err := h.mfa.ActiveCredential(ctx, bob.ID, "sms"); err == nil {
			t.Fatal("the SMS factor is still active")
		}
		return
	}
	codes := shownCode.FindAllStringSubmatch(p.body, -1)
	if p.status != http.StatusOK || len(codes) < 5 || !p.contains("shown only this once") {
		t.Fatalf("new codes page: %d %s", p.status, p.body)
	}
	if _, err := h.mfa.Verify(ctx, meta, mfa.VerifyRequest{UserID: bob.ID, Factor: "backup-codes", Proof: proof(oldCodes[0])}); err == nil {
		t.Fatal("an old backup code still works")
	}
	if _, err := h.mfa.Verify(ctx, meta, mfa.VerifyRequest{UserID: bob.ID, Factor: "backup-codes", Proof: proof(codes[0][1])}); err != nil {
		t.Fatalf("a new backup code does not work: %v", err)
	}
}

func proof(code string) sdk.Proof { return sdk.Proof{Code: strings.TrimSpace(code)} }

// TestAccountAddFactor: a user without a factor adds an authenticator app
// (and gets backup codes with it); a user with one verifies it first, and
// an error keeps what they typed.
func TestAccountAddFactor(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("amy")
	b, p := h.signInToAccount(t, "amy", "")
	if !p.contains("You have no second factor yet") || !p.contains(`value="totp"`) || p.contains(`name="factor" value="backup-codes"`) {
		t.Fatalf("account page without factors: %s", p.body)
	}
	p = b.submit(p, "/account/add", url.Values{"factor": {"totp"}, "nickname": {"Phone app"}})
	key := shownKey(p)
	if p.status != http.StatusOK || key == "" || p.field(shownQR) == "" || !p.contains("Confirm your new Authenticator app") {
		t.Fatalf("confirm page: %d %s", p.status, p.body)
	}
	if grouped := p.field(shownSecret); !regexp.MustCompile(`^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$`).MatchString(grouped) {
		t.Fatalf("key shown as %q, want groups of four", grouped)
	}
	if wrong := b.submit(p, "/account/add/confirm", url.Values{"code": {"000000"}}); wrong.status != http.StatusUnauthorized || shownKey(wrong) != key {
		t.Fatalf("wrong first code: %d %s", wrong.status, wrong.body)
	}
	p = b.submit(p, "/account/add/confirm", url.Values{"code": {h.totpCode(key)}})
	h.nextStep()
	if codes := shownCode.FindAllString(p.body, -1); p.status != http.StatusOK || len(codes) < 5 {
		t.Fatalf("backup codes after the first factor: %d %s", p.status, p.body)
	}
	p = b.get(h.url + "/account")
	if !p.contains("Authenticator app") || !p.contains("Phone app") || !p.contains("Backup codes") || !p.contains("Added Authenticator app") {
		t.Fatalf("account page after adding: %s", p.body)
	}

	// Now that amy has a factor, adding another needs it proven again.
	h.clock.Add(6 * time.Minute)
	p = b.get(h.url + "/account")
	if !p.contains("Verify to add a factor") || p.contains(`action="/account/add"`) {
		t.Fatalf("stale session offers to add: %s", p.body)
	}
	p = b.submit(p, "/account/stepup", nil)
	p = b.submit(p, "/account/verify", withFields(p, "code", h.totpCode(key)))
	h.nextStep()
	if !p.contains("Verified.") || !p.contains(`action="/account/add"`) {
		t.Fatalf("after step-up: %d %s", p.status, p.body)
	}
	p = b.submit(p, "/account/add", url.Values{"factor": {"sms"}, "phone": {"12"}, "nickname": {"Work phone"}})
	if p.status != http.StatusBadRequest || !p.contains(`value="12"`) || !p.contains(`value="Work phone"`) {
		t.Fatalf("invalid phone number: %d %s", p.status, p.body)
	}
	const phone = "+61412345678"
	p = b.submit(p, "/account/add", url.Values{"factor": {"sms"}, "phone": {phone}, "nickname": {"Work phone"}})
	if !p.contains("We sent a code to") || strings.Contains(p.body, phone) {
		t.Fatalf("SMS confirm page: %d %s", p.status, p.body)
	}
	p = b.submit(p, "/account/add/confirm", url.Values{"code": {h.sms.lastCode(t, phone)}})
	if !p.contains("Your new factor is ready.") || !p.contains("Text message") || !p.contains("Work phone") {
		t.Fatalf("after adding SMS: %d %s", p.status, p.body)
	}
	if strings.Contains(p.body, `name="factor" value="sms"`) {
		t.Fatal("the page offers to add a factor the user has")
	}
}

// TestAccountSignOut: signing out ends this session only; signing out
// everywhere ends every session of the user and revokes their refresh
// tokens.
func TestAccountSignOut(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		bob := h.user("bob")
		secret, _ := h.enrollTOTP(bob)
		id, clientSecret := h.client(clientSpec{id: "web"})
		c := h.rp(t, id, clientSecret)
		app := h.browser()
		a := c.authorization()
		p := app.enterCode(app.signIn(app.get(a.url), "bob"), h.totpCode(secret))
		h.nextStep()
		tok, _ := c.exchange(t, a, codeFrom(t, p, a.state))
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token")
		}

		b1, p1 := h.signInToAccount(t, "bob", secret)
		out := b1.submit(p1, "/account/signout", nil)
		if out.status != http.StatusOK || !out.contains("You are signed out on this device") {
			t.Fatalf("sign out: %d %s", out.status, out.body)
		}
		if again := b1.get(h.url + "/account"); !again.contains(`name="password"`) {
			t.Fatalf("account page after signing out: %s", again.body)
		}
		// The application's tokens stand.
		tok, err := c.refresh(tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh after signing out one session: %v", err)
		}

		b2, p2 := h.signInToAccount(t, "bob", secret)
		out = b2.submit(p2, "/account/signout-everywhere", nil)
		if out.status != http.StatusOK || !out.contains("You are signed out on every device") {
			t.Fatalf("sign out everywhere: %d %s", out.status, out.body)
		}
		if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
			t.Fatalf("refresh after signing out everywhere: %v, want invalid_grant", err)
		}
		for name, br := range map[string]*browser{"account": b2, "application": app} {
			if p := br.get(c.authorization().url); !p.contains(`name="password"`) {
				t.Errorf("%s browser is still signed in: %d %s", name, p.status, p.body)
			}
		}
		_, p = h.signInToAccount(t, "bob", secret)
		if !p.contains("Signed out everywhere") || !p.contains("Signed out") {
			t.Errorf("the sign-outs are not among the events: %s", p.body)
		}
	})
}

// TestAccountCSRF: a form post without the session's CSRF token changes
// nothing.
func TestAccountCSRF(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	bob := h.user("bob")
	secret, _ := h.enrollTOTP(bob)
	h.enrollSMS(bob, "+61412345678")
	sms := h.credentialID(t, bob, "sms")
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"remove", "/account/remove", url.Values{"credential_id": {sms}}},
		{"new codes", "/account/codes", nil},
		{"add", "/account/add", url.Values{"factor": {"totp"}}},
		{"step-up", "/account/verify", url.Values{"factor": {"totp"}, "code": {"123456"}, "action": {"remove"}, "credential_id": {sms}}},
		{"sign out", "/account/signout", nil},
		{"sign out everywhere", "/account/signout-everywhere", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, p := h.signInToAccount(t, "bob", secret)
			for _, csrf := range []string{"", "forged"} {
				form := url.Values{"csrf": {csrf}}
				for k, v := range tc.form {
					form[k] = v
				}
				if got := b.submit(p, tc.path, form); got.status != http.StatusForbidden || !got.contains("not sent by your account page") {
					t.Fatalf("csrf %q: %d %s", csrf, got.status, got.body)
				}
			}
			if _, err := h.mfa.ActiveCredential(context.Background(), bob.ID, "sms"); err != nil {
				t.Fatalf("the SMS factor is gone: %v", err)
			}
			if again := b.get(h.url + "/account"); !again.contains("Signed in as <strong>bob</strong>") {
				t.Fatalf("the session ended: %s", again.body)
			}
		})
	}
	// Without a session, a post is refused and a visit asks to sign in.
	b := h.browser()
	if p := b.submit(page{}, "/account/signout-everywhere", url.Values{"csrf": {"x"}}); p.status != http.StatusUnauthorized {
		t.Fatalf("post without a session: %d %s", p.status, p.body)
	}
}

// TestUnregisteredRedirectURI: an authorization request naming a redirect
// URI its client did not register gets a page that explains, sending the
// browser nowhere; an unknown client too.
func TestUnregisteredRedirectURI(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	for _, tc := range []struct {
		name   string
		mutate func(q url.Values)
		want   string
		status int
	}{
		{"unregistered redirect URI", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, "has not registered", http.StatusBadRequest},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, "is not registered", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(c.authorization().url)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			tc.mutate(q)
			u.RawQuery = q.Encode()
			p := h.browser().get(u.String())
			if p.callback != nil || p.status != tc.status || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") ||
				!p.contains("This sign-in link does not work") || !p.contains(tc.want) || p.contains("evil.example") {
				t.Fatalf("got %d %q: %s", p.status, p.header.Get("Content-Type"), p.body)
			}
		})
	}
}

// TestAccountStepUpWithSentCode: the step-up page offers the user's other
// methods; choosing the text message sends a code, which proves the step.
func TestAccountStepUpWithSentCode(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	const phone = "+61412345678"
	bob := h.user("bob")
	secret, _ := h.enrollTOTP(bob)
	h.enrollSMS(bob, phone)
	b, p := h.signInToAccount(t, "bob", secret)
	h.clock.Add(10 * time.Minute)
	p = b.submit(p, "/account/remove", url.Values{"credential_id": {h.credentialID(t, bob, "totp")}})
	if !p.contains("To remove Authenticator app") || !p.contains("Use another method") || !p.contains(`value="sms"`) {
		t.Fatalf("step-up page: %d %s", p.status, p.body)
	}
	sent := h.sms.count()
	form := withFields(p, "factor", "sms", "send", "1")
	p = b.submit(p, "/account/verify", form)
	if h.sms.count() != sent+1 || !p.contains("We sent a code to") || strings.Contains(p.body, phone) {
		t.Fatalf("after choosing SMS: %d sent, page %s", h.sms.count()-sent, p.body)
	}
	p = b.submit(p, "/account/verify", withFields(p, "code", h.sms.lastCode(t, phone)))
	if !p.contains("The factor was removed.") || p.contains("<h3>Authenticator app</h3>") {
		t.Fatalf("after the step-up: %d %s", p.status, p.body)
	}
}
