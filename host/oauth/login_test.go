package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
)

var (
	shownSecret = regexp.MustCompile(`class="secret">([A-Z2-7 ]+)<`)
	shownQR     = regexp.MustCompile(`src="(data:image/png;base64,[^"]+)"`)
	shownCode   = regexp.MustCompile(`<li>([^<]+)</li>`)
)

// TestEnrollmentAtLogin: a client that requires MFA and a user without a
// factor. The login shows the enrollment (QR code and secret), the first
// code counts as the second factor, the backup codes are shown once, and the
// login completes. The next login asks for the new factor.
func TestEnrollmentAtLogin(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		h.user("bob")
		id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
		c := h.rp(t, id, secret)
		b := h.browser()
		start := time.Now().Add(-time.Second)
		a := c.authorization()
		p := b.signIn(b.get(a.url), "bob")
		if !p.contains("Set up a second factor") || !p.contains(`value="totp"`) || !p.contains(`value="sms"`) || p.contains(`value="backup-codes"`) {
			t.Fatalf("enrollment choice: %d %s", p.status, p.body)
		}
		p = b.submit(p, "/login/enroll", url.Values{"factor": {"totp"}})
		secretText := shownKey(p)
		if secretText == "" || p.field(shownQR) == "" {
			t.Fatalf("confirm page lacks the secret or the QR code: %s", p.body)
		}

		// A wrong first code keeps the enrollment pending.
		p = b.submit(p, "/login/enroll/confirm", url.Values{"code": {"000000"}})
		if p.status != http.StatusUnauthorized || !p.contains("That code is not right") || shownKey(p) != secretText {
			t.Fatalf("wrong confirmation code: %d %s", p.status, p.body)
		}
		code, err := totp.GenerateCodeCustom(secretText, h.mfaClock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		p = b.submit(p, "/login/enroll/confirm", url.Values{"code": {code}})
		codes := shownCode.FindAllStringSubmatch(p.body, -1)
		if p.status != http.StatusOK || len(codes) < 5 || !p.contains("shown only this once") {
			t.Fatalf("backup codes page: %d %s", p.status, p.body)
		}
		// Reloading the step does not show the codes again.
		if again := b.get(h.url + "/login?flow=" + url.QueryEscape(p.field(hiddenFlow))); len(shownCode.FindAllString(again.body, -1)) != 0 {
			t.Fatalf("backup codes shown twice: %s", again.body)
		}
		p = b.submit(p, "/login/continue", nil)
		_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
		checkAuth(t, "ID token", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)

		// The next login (a fresh browser) asks for the factor, and a backup
		// code shown at enrollment works once.
		backup := strings.TrimSpace(codes[0][1])
		for i, want := range []string{"", "already used"} {
			b2 := h.browser()
			a2 := c.authorization()
			p = b2.signIn(b2.get(a2.url), "bob")
			if !p.contains("Enter the code from your Authenticator app") || !p.contains(`value="backup-codes"`) {
				t.Fatalf("login %d: %s", i, p.body)
			}
			p = b2.submit(p, "/login/factor", url.Values{"factor": {"backup-codes"}})
			if !p.contains("Enter one of your backup codes") {
				t.Fatalf("backup code step: %s", p.body)
			}
			p = b2.enterCode(p, backup)
			if want != "" {
				if !p.contains(want) {
					t.Fatalf("reused backup code: %d %s", p.status, p.body)
				}
				continue
			}
			_, claims := c.exchange(t, a2, codeFrom(t, p, a2.state))
			checkAuth(t, "backup code login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)
		}
	})
}

// TestSMSLogin: the code is sent when the user reaches the SMS step, and a
// resend replaces it.
func TestSMSLogin(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	const phone = "+61412345678"
	carol := h.user("carol")
	h.enrollSMS(carol, phone)
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	b := h.browser()
	a := c.authorization()
	before := h.sms.count()
	p := b.signIn(b.get(a.url), "carol")
	if h.sms.count() != before+1 || !p.contains("We sent a code to") || strings.Contains(p.body, phone) {
		t.Fatalf("SMS step: %d messages sent, page %s", h.sms.count()-before, p.body)
	}
	first := h.sms.lastCode(t, phone)
	h.mfaClock.Add(time.Minute) // past the resend throttle
	p = b.submit(p, "/login/resend", nil)
	if h.sms.count() != before+2 {
		t.Fatalf("resend sent %d messages", h.sms.count()-before-1)
	}
	second := h.sms.lastCode(t, phone)
	if first != second {
		if p = b.enterCode(p, first); p.status != http.StatusUnauthorized {
			t.Fatalf("the replaced code was accepted: %d %s", p.status, p.body)
		}
	}
	p = b.enterCode(p, second)
	_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
	checkAuth(t, "SMS login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "sms", "mfa"}, oauth.ACRMFA, time.Now().Add(-time.Minute))
}

// TestSessionPolicy: with a session, a new authorization is answered at
// once, unless prompt=login or max_age asks for a fresh login; prompt=none
// without a session is login_required.
func TestSessionPolicy(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("frank")
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	b := h.browser()
	a := c.authorization()
	_, first := c.exchange(t, a, codeFrom(t, b.signIn(b.get(a.url), "frank"), a.state))
	checkAuth(t, "password login", first.AMR, first.ACR, first.AuthTime, []string{"pwd"}, oauth.ACRPassword, time.Now().Add(-time.Minute))

	for _, tc := range []struct {
		name      string
		opts      []oauth2.AuthCodeOption
		browser   *browser
		wantLogin bool
		wantError string
	}{
		{name: "session reused", browser: b},
		{name: "max_age satisfied", browser: b, opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "3600")}},
		{name: "prompt=none with a session", browser: b, opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "none")}},
		{name: "prompt=login", browser: b, opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login")}, wantLogin: true},
		{name: "max_age=0", browser: b, opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "0")}, wantLogin: true},
		{name: "prompt=none without a session", browser: h.browser(), opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "none")}, wantError: "login_required"},
		{name: "malformed max_age", browser: b, opts: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("max_age", "soon")}, wantError: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := c.authorization(tc.opts...)
			requested := time.Now().Truncate(time.Second)
			p := tc.browser.get(a.url)
			if tc.wantError != "" {
				if p.callback == nil || p.callback.Query().Get("error") != tc.wantError {
					t.Fatalf("got %d %v, want error %s", p.status, p.callback, tc.wantError)
				}
				return
			}
			if tc.wantLogin {
				p = tc.browser.signIn(p, "frank")
			}
			_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
			if tc.wantLogin && claims.AuthTime < requested.Unix() {
				t.Fatalf("auth_time %d is before the request at %d: no fresh login", claims.AuthTime, requested.Unix())
			}
			if !tc.wantLogin && claims.AuthTime != first.AuthTime {
				t.Fatalf("a reused session changed auth_time from %d to %d", first.AuthTime, claims.AuthTime)
			}
		})
	}
}

// TestLoginRefusals covers wrong passwords, the lockout they share with
// second factors, CSRF and flows bound to another browser.
func TestLoginRefusals(t *testing.T) {
	h := sqliteHost(t, hostOptions{lockout: mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: time.Hour}})
	gina := h.user("gina")
	secret, _ := h.enrollTOTP(gina)
	id, clientSecret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, clientSecret)

	t.Run("csrf", func(t *testing.T) {
		b := h.browser()
		p := b.get(c.authorization().url)
		for _, tok := range []string{"", "forged"} {
			got := b.submit(p, "/login/password", url.Values{"username": {"gina"}, "password": {password}, "csrf": {tok}})
			if got.status != http.StatusForbidden {
				t.Fatalf("csrf %q: %d %s", tok, got.status, got.body)
			}
		}
	})
	t.Run("another browser", func(t *testing.T) {
		p := h.browser().get(c.authorization().url)
		other := h.browser()
		other.get(c.authorization().url) // has a binding cookie of its own
		got := other.submit(p, "/login/password", url.Values{"username": {"gina"}, "password": {password}})
		if got.status != http.StatusNotFound {
			t.Fatalf("a flow posted from another browser: %d %s", got.status, got.body)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		b := h.browser()
		got := b.submit(b.get(c.authorization().url), "/login/password", url.Values{"username": {"nobody"}, "password": {password}})
		if got.status != http.StatusUnauthorized || !got.contains("Wrong username or password.") {
			t.Fatalf("unknown user: %d %s", got.status, got.body)
		}
	})
	t.Run("second-factor lockout", func(t *testing.T) {
		b := h.browser()
		p := b.get(c.authorization().url)
		// Wrong codes count until a login completes: three are allowed, so
		// even the right code is then refused.
		p = b.signIn(p, "gina")
		for i := range 3 {
			p = b.enterCode(p, "000000")
			if p.status != http.StatusUnauthorized {
				t.Fatalf("wrong code %d: %d %s", i, p.status, p.body)
			}
		}
		p = b.enterCode(p, h.totpCode(secret))
		if p.status != http.StatusTooManyRequests || !p.contains("Too many failed attempts") || p.header.Get("Retry-After") == "" {
			t.Fatalf("fourth attempt: %d %v %s", p.status, p.header, p.body)
		}
		l, err := h.st.GetLockout(context.Background(), gina.ID)
		if err != nil || !l.LockedUntil.After(time.Now()) {
			t.Fatalf("lockout = %+v, %v", l, err)
		}
	})
	t.Run("password lockout leaves the second factor alone", func(t *testing.T) {
		hal := h.user("hal")
		b := h.browser()
		p := b.get(c.authorization().url)
		for i := range 3 {
			p = b.submit(p, "/login/password", url.Values{"username": {"hal"}, "password": {"wrong password"}})
			if p.status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i, p.status)
			}
		}
		p = b.submit(p, "/login/password", url.Values{"username": {"hal"}, "password": {password}})
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Fatalf("password while locked: %d %v %s", p.status, p.header, p.body)
		}
		if l, err := h.st.GetLockout(context.Background(), hal.ID); err != nil || l.Failures != 0 || !l.LockedUntil.IsZero() {
			t.Fatalf("wrong passwords touched the second factor's counter: %+v, %v", l, err)
		}
		// An unknown user name is locked the same way.
		for range 3 {
			p = b.submit(p, "/login/password", url.Values{"username": {"nobody-at-all"}, "password": {"x"}})
		}
		p = b.submit(p, "/login/password", url.Values{"username": {"nobody-at-all"}, "password": {"x"}})
		if p.status != http.StatusTooManyRequests {
			t.Fatalf("unknown name after three failures: %d %s", p.status, p.body)
		}
	})
}

// TestChooseFactor: a user with two factors (besides backup codes) chooses
// one, and can switch to the other from the code step.
func TestChooseFactor(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	const phone = "+61412345670"
	una := h.user("una")
	secret, _ := h.enrollTOTP(una)
	h.enrollSMS(una, phone)
	id, clientSecret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, clientSecret)
	b := h.browser()
	a := c.authorization()
	p := b.signIn(b.get(a.url), "una")
	if !p.contains("Choose how to prove it's you") || !p.contains(`value="totp"`) || !p.contains(`value="sms"`) || !p.contains("Use a backup code") {
		t.Fatalf("choice page: %s", p.body)
	}
	before := h.sms.count()
	p = b.submit(p, "/login/factor", url.Values{"factor": {"sms"}})
	if h.sms.count() != before+1 || !p.contains("We sent a code to") {
		t.Fatalf("choosing SMS sent %d messages: %s", h.sms.count()-before, p.body)
	}
	// Changing one's mind: the authenticator app instead.
	p = b.submit(p, "/login/factor", url.Values{"factor": {"totp"}})
	p = b.enterCode(p, h.totpCode(secret))
	_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
	if strings.Join(claims.AMR, " ") != "pwd otp mfa" {
		t.Fatalf("amr = %v", claims.AMR)
	}
	if p := b.submit(page{body: `name="flow" value="unknown"`}, "/login/factor", url.Values{"factor": {"totp"}}); p.status != http.StatusNotFound && p.status != http.StatusForbidden {
		t.Fatalf("a finished flow: %d", p.status)
	}
}

// shownKey is the authenticator key a page shows, without the spaces that
// group it.
func shownKey(p page) string { return strings.ReplaceAll(p.field(shownSecret), " ", "") }
