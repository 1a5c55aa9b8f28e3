package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

var bins map[string]plugins.Binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "factorgate-oauth-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = testplugins.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// clock is real time, or a fixed start when it has one, plus an offset a
// test can move forward. The MFA service runs on a fixed one, moved 30 s at
// a time for fresh TOTP codes: on real time, a code computed just before a
// step boundary was checked a step later than the test meant, outside the
// skew. The provider runs on real time (moved to expire mfa_tokens).
type clock struct {
	mu     sync.Mutex
	start  time.Time // zero: real time
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.start.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.start.Add(c.offset)
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// smsOutbox records the messages the SMS plugin's webhook sender posts.
type smsOutbox struct {
	mu   sync.Mutex
	sent []map[string]string
	srv  *httptest.Server
}

func newSMSOutbox(t testing.TB) *smsOutbox {
	o := &smsOutbox{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]string
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		o.sent = append(o.sent, msg)
		o.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

var smsCode = regexp.MustCompile(`\b\d{6}\b`)

// lastCode returns the code of the last message sent to phone.
func (o *smsOutbox) lastCode(t testing.TB, phone string) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.sent) - 1; i >= 0; i-- {
		if o.sent[i]["to"] == phone {
			if c := smsCode.FindString(o.sent[i]["body"]); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no SMS code was sent to %s (outbox: %d messages)", phone, len(o.sent))
	return ""
}

func (o *smsOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

// host is a running Factorgate host: a real store, real factor plugins, the
// real MFA service and the provider behind an httptest server.
type host struct {
	t        testing.TB
	srv      *httptest.Server
	url      string
	st       *store.SQLStore
	mfa      *mfa.Service
	provider *oauth.Provider
	plugins  *plugins.Manager
	mfaClock *clock
	clock    *clock
	sms      *smsOutbox
	org      store.Org
}

type hostOptions struct {
	lockout mfa.LockoutPolicy
	// mail, when set, adds the email example factor (a third party's,
	// built on the SDK alone) as the instance "email", sending to mail.
	mail *testsignin.Mailbox
	// logs, when set, receives the provider's warnings as JSON lines
	// instead of the test's log.
	logs io.Writer
	// webauthn adds the WebAuthn factor as the instance "webauthn", for
	// the RP ID example.com at the origin webauthnOrigin.
	webauthn bool
	// localhost serves the host at http://localhost:<port> (a name a real
	// browser's WebAuthn accepts as RP ID) and makes the WebAuthn factor's
	// RP ID localhost with that origin.
	localhost bool
}

// webauthnOrigin is the origin the test's software authenticators claim.
const webauthnOrigin = "https://login.example.com"

func newHost(t testing.TB, databaseURL string, opts hostOptions) *host {
	t.Helper()
	ctx := context.Background()
	h := &host{t: t, mfaClock: &clock{start: time.Now()}, clock: &clock{}, sms: newSMSOutbox(t)}
	st, err := store.Open(ctx, databaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	if h.org, err = st.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	// The issuer is the server's URL, so the provider is built between
	// listening and serving.
	h.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(h.srv.Close)
	h.url = "http://" + h.srv.Listener.Addr().String()
	rpID, origin := "example.com", webauthnOrigin
	if opts.localhost {
		h.url = "http://localhost:" + portOf(t, h.srv.Listener.Addr().String())
		rpID, origin = "localhost", h.url
	}
	h.plugins = plugins.New(plugins.Options{})
	t.Cleanup(func() { h.plugins.Close() })
	smsSettings := fmt.Sprintf(`{"sender":{"type":"webhook","url":%q,"allow_insecure_http":true,"max_retries":0},"resend_interval":"10s"}`, h.sms.srv.URL+"/sms")
	binaries := []plugins.Binary{bins["totp"], bins["sms"], bins["backup-codes"]}
	instances := []plugins.InstanceConfig{
		{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
		{Name: "sms", Plugin: "sms", Settings: json.RawMessage(smsSettings)},
		{Name: "backup-codes", Plugin: "backup-codes", Settings: json.RawMessage(`{}`)},
	}
	if opts.mail != nil {
		binaries = append(binaries, bins["emailotp"])
		instances = append(instances, plugins.InstanceConfig{Name: "email", Plugin: "emailotp", Settings: opts.mail.Settings()})
	}
	if opts.webauthn {
		binaries = append(binaries, bins["webauthn"])
		instances = append(instances, plugins.InstanceConfig{Name: "webauthn", Plugin: "webauthn",
			Settings: json.RawMessage(`{"rp_id":"` + rpID + `","origins":["` + origin + `"],"resident_key":"preferred"}`)})
	}
	if err := h.plugins.Load(ctx, binaries, instances); err != nil {
		t.Fatal(err)
	}
	if opts.lockout.MaxFailures == 0 {
		opts.lockout = mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}
	}
	h.mfa = mfa.New(st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := h.plugins.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	}), sealer, mfa.Options{Now: h.mfaClock.Now, Lockout: opts.lockout})

	h.provider, err = oauth.New(ctx, oauth.Deps{
		Store: st, Sealer: sealer, MFA: h.mfa, Factors: h.plugins,
		Sessions:  auth.NewSessions(st, time.Hour, 12*time.Hour, nil),
		PublicURL: h.url, Now: h.clock.Now, Lockout: opts.lockout, Logger: testLogger(t, opts.logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = h.provider.Handler()
	h.srv.Start()
	return h
}

// portOf is the port of a listener's address.
func portOf(t testing.TB, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// testLogger sends the provider's warnings to logs as JSON, or to the
// test's log when logs is nil.
func testLogger(t testing.TB, logs io.Writer) *slog.Logger {
	if logs != nil {
		return slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// newHostEach runs fn on a fresh host per database backend.
func eachHost(t *testing.T, opts hostOptions, fn func(t *testing.T, h *host)) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		fn(t, newHost(t, newURL(t), opts))
	})
}

// sqliteHost returns a host on a fresh SQLite database.
func sqliteHost(t testing.TB, opts hostOptions) *host {
	return newHost(t, testdb.Backends()[0].NewURL(t), opts)
}

const (
	redirectURI = "https://app.example/callback"
	password    = "correct horse battery staple"
)

// clientSpec registers a client directly in the store, hashed at bcrypt's
// minimum cost to keep tests fast.
type clientSpec struct {
	id         string
	redirects  []string
	public     bool
	requireMFA bool
	jwt        bool
	firstParty bool
	grants     []string
	scopes     []string
	logouts    []string // post-logout redirect URIs
	idTokenAlg string   // id_token_signed_response_alg
}

func (h *host) client(c clientSpec) (id, secret string) {
	h.t.Helper()
	oc := store.OAuthClient{
		ID: c.id, Name: "App " + c.id, Public: c.public, RedirectURIs: c.redirects,
		GrantTypes: c.grants, ResponseTypes: []string{"code"}, Scopes: c.scopes,
		RequireMFA: c.requireMFA, JWTAccessTokens: c.jwt, FirstParty: c.firstParty,
		PostLogoutRedirectURIs: c.logouts, IDTokenSignedResponseAlg: c.idTokenAlg,
	}
	if oc.RedirectURIs == nil {
		oc.RedirectURIs = []string{redirectURI}
	}
	if oc.GrantTypes == nil {
		oc.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	if oc.Scopes == nil {
		oc.Scopes = []string{"openid", "offline_access", "profile", "email"}
	}
	if !c.public {
		secret = "secret-" + c.id
		hash, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
		if err != nil {
			h.t.Fatal(err)
		}
		oc.SecretHash = hash
	}
	if _, err := h.st.CreateOAuthClient(context.Background(), oc); err != nil {
		h.t.Fatal(err)
	}
	return c.id, secret
}

// user creates a user with the test password.
func (h *host) user(name string) store.User {
	h.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		h.t.Fatal(err)
	}
	u, err := h.st.CreateUser(context.Background(), store.User{ID: "id-" + name, OrgID: h.org.ID, Name: name, PasswordHash: string(hash), Email: name + "@example.org"})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

var meta = mfa.Meta{Actor: "test", Via: "test"}

// totpCode returns the code of secret at the MFA service's time.
func (h *host) totpCode(secret string) string {
	h.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, h.mfaClock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// nextStep moves the MFA service's clock to the next TOTP step, so the next
// code has not been used.
func (h *host) nextStep() { h.mfaClock.Add(30 * time.Second) }

// enrollTOTP enrolls TOTP (and backup codes) for the user through the MFA
// service and returns the secret and the backup codes.
func (h *host) enrollTOTP(u store.User) (string, []string) {
	h.t.Helper()
	ctx := context.Background()
	en, err := h.mfa.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "totp"})
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := h.mfa.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: h.totpCode(en.Display.Secret)}, AlsoEnroll: "backup-codes"})
	if err != nil {
		h.t.Fatal(err)
	}
	h.nextStep()
	return en.Display.Secret, c.Also.Display.Codes
}

// enrollSMS enrolls SMS for the user with the given phone number.
func (h *host) enrollSMS(u store.User, phone string) {
	h.t.Helper()
	ctx := context.Background()
	en, err := h.mfa.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "sms", Params: map[string]string{"phone": phone}})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.mfa.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: h.sms.lastCode(h.t, phone)}}); err != nil {
		h.t.Fatal(err)
	}
	// The factor throttles resends per number.
	h.mfaClock.Add(time.Minute)
}

// browser is a user agent with a cookie jar that follows redirects within
// the host and stops at the client's redirect URI.
type browser struct {
	t    testing.TB
	h    *host
	http *http.Client
}

func (h *host) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{t: h.t, h: h, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// page is a response of the login pages.
type page struct {
	status int
	body   string
	header http.Header
	// callback is set when the browser was sent back to the client.
	callback *url.URL
}

var (
	hiddenFlow = regexp.MustCompile(`name="flow" value="([^"]+)"`)
	hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func (p page) field(re *regexp.Regexp) string {
	m := re.FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// contains reports whether the page shows s.
func (p page) contains(s string) bool { return strings.Contains(html.UnescapeString(p.body), s) }

// do sends req and follows redirects inside the host.
func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	p, err := b.fetch(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// fetch is do for goroutines other than the test's: it returns its error
// instead of failing the test.
func (b *browser) fetch(req *http.Request) (page, error) {
	for range 10 {
		resp, err := b.http.Do(req)
		if err != nil {
			return page{}, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			return page{status: resp.StatusCode, body: string(body), header: resp.Header}, nil
		}
		loc, err := resp.Location()
		if err != nil {
			return page{}, err
		}
		if strings.HasPrefix(loc.String(), redirectURI) {
			return page{status: resp.StatusCode, callback: loc}, nil
		}
		if req, err = http.NewRequest(http.MethodGet, loc.String(), nil); err != nil {
			return page{}, err
		}
	}
	return page{}, errors.New("too many redirects")
}

func (b *browser) get(u string) page {
	b.t.Helper()
	p, err := b.fetchURL(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// fetchURL is get for goroutines other than the test's.
func (b *browser) fetchURL(u string) (page, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return page{}, err
	}
	return b.fetch(req)
}

// submit posts a form of the page to path with the page's flow id and CSRF
// token added.
func (b *browser) submit(p page, path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("flow") == "" {
		form.Set("flow", p.field(hiddenFlow))
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", p.field(hiddenCSRF))
	}
	req, err := http.NewRequest(http.MethodPost, b.h.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn posts the password form of a login page.
func (b *browser) signIn(p page, username string) page {
	b.t.Helper()
	if !p.contains(`name="password"`) {
		b.t.Fatalf("expected the password step, got %d: %s", p.status, p.body)
	}
	return b.submit(p, "/login/password", url.Values{"username": {username}, "password": {password}})
}

// enterCode posts the code form of the verify step.
func (b *browser) enterCode(p page, code string) page {
	b.t.Helper()
	return b.submit(p, "/login/verify", url.Values{"code": {code}})
}

// jwtHeader decodes the header of a JWT without checking it.
func jwtHeader(raw string) (map[string]any, error) {
	part, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return nil, err
	}
	var h map[string]any
	return h, json.Unmarshal(b, &h)
}

// codeFrom returns the authorization code of a callback, checking the state.
func codeFrom(t testing.TB, p page, state string) string {
	t.Helper()
	code, err := callbackCode(p, state)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// callbackCode is codeFrom for goroutines other than the test's.
func callbackCode(p page, state string) (string, error) {
	if p.callback == nil {
		return "", fmt.Errorf("expected a redirect to the client, got %d: %s", p.status, p.body)
	}
	q := p.callback.Query()
	if e := q.Get("error"); e != "" {
		return "", fmt.Errorf("authorization error %s: %s", e, q.Get("error_description"))
	}
	if q.Get("state") != state {
		return "", fmt.Errorf("state = %q, want %q", q.Get("state"), state)
	}
	return q.Get("code"), nil
}
