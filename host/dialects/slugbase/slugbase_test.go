package slugbase

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// The SlugBase endpoints.
const (
	slugBaseCSRFPath    = "/api/csrf-token"
	slugBaseStatusPath  = "/api/auth/mfa/status"
	slugBaseBeginPath   = "/api/auth/mfa/enroll/begin"
	slugBaseConfirmPath = "/api/auth/mfa/enroll/confirm"
	slugBaseCancelPath  = "/api/auth/mfa/enroll/cancel"

	// slugBaseTokenPlaceholder and slugBaseURLPlaceholder are what a reader of
	// the documented samples replaces with their token and base URL.
	slugBaseTokenPlaceholder = "YOUR_API_TOKEN (API token)"
	slugBaseURLPlaceholder   = `"//api/`
)

var slugBasePaths = []string{slugBaseCSRFPath, slugBaseStatusPath, slugBaseBeginPath, slugBaseConfirmPath, slugBaseCancelPath}

// slugBasePlugins builds the real factor plugins once per test binary run
// that needs them. It is called from the one top-level test and the fuzz
// target, so the package needs no TestMain and no package-level state.
func slugBasePlugins(tb testing.TB) map[string]plugins.Binary {
	tb.Helper()
	bins, err := testplugins.Build(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"totp", "backup-codes"} {
		if _, ok := bins[name]; !ok {
			tb.Fatalf("plugin %q was not built", name)
		}
	}
	return bins
}

// slugBaseClock is the time the lifecycle and the factors see.
type slugBaseClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *slugBaseClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *slugBaseClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// slugBaseLog collects every log line of a test host.
type slugBaseLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *slugBaseLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *slugBaseLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// slugBaseSeen is a request as the server received it.
type slugBaseSeen struct {
	method, path string
	header       http.Header
	body         []byte
}

// slugBaseRecorder remembers the requests that pass through it.
type slugBaseRecorder struct {
	mu   sync.Mutex
	seen []slugBaseSeen
}

func (rec *slugBaseRecorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec.mu.Lock()
		rec.seen = append(rec.seen, slugBaseSeen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
		rec.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func (rec *slugBaseRecorder) take() []slugBaseSeen {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.seen
	rec.seen = nil
	return out
}

type slugBaseEnvOptions struct {
	// routes replaces the default SlugBase routes.
	routes map[string]string
	// backupSettings configure the backup-codes instance (default {}).
	backupSettings string
	maxBody        int64
	lockout        mfa.LockoutPolicy
}

// slugBaseEnv is one host serving the SlugBase dialect over real HTTP, with
// real plugin processes, a real store and one user holding an API token and
// a browser session.
type slugBaseEnv struct {
	tb       testing.TB
	st       *store.SQLStore
	svc      *mfa.Service
	clock    *slugBaseClock
	log      *slugBaseLog
	rec      *slugBaseRecorder
	mux      *http.ServeMux
	srv      *httptest.Server
	user     store.User
	token    string
	tokenID  string
	sessions *auth.Sessions
	session  auth.Session
}

func newSlugBaseEnv(tb testing.TB, bins map[string]plugins.Binary, dbURL string, o slugBaseEnvOptions) *slugBaseEnv {
	tb.Helper()
	ctx := context.Background()
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(ctx, dbURL, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	org, err := st.EnsureDefaultOrg(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	user, err := st.CreateUser(ctx, store.User{ID: "user-1", OrgID: org.ID, Name: "alice@example.com"})
	if err != nil {
		tb.Fatal(err)
	}

	e := &slugBaseEnv{tb: tb, st: st, user: user, log: &slugBaseLog{}, rec: &slugBaseRecorder{},
		clock: &slugBaseClock{now: time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)}}
	logger := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))

	m := plugins.New(plugins.Options{Logger: logger})
	tb.Cleanup(func() { m.Close() })
	backupSettings := o.backupSettings
	if backupSettings == "" {
		backupSettings = `{}`
	}
	err = m.Load(ctx, []plugins.Binary{bins["totp"], bins["backup-codes"]}, []plugins.InstanceConfig{
		{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
		{Name: "backup-codes", Plugin: "backup-codes", Settings: json.RawMessage(backupSettings)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	factors := mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	})
	e.svc = mfa.New(st, factors, sealer, mfa.Options{Logger: logger, Now: e.clock.Now, Lockout: o.lockout})

	tokens := auth.NewTokens(st, nil, nil)
	secret, tok, err := tokens.Create(ctx, user.ID, "slugbase test", false, 0)
	if err != nil {
		tb.Fatal(err)
	}
	e.token, e.tokenID = secret, tok.ID
	e.sessions = auth.NewSessions(st, 30*time.Minute, 12*time.Hour, nil)
	if e.session, err = e.sessions.Create(ctx, user, []string{"pwd"}, time.Time{}); err != nil {
		tb.Fatal(err)
	}

	routes := o.routes
	if routes == nil {
		routes = map[string]string{dialects.RouteSlugBaseTOTP: "totp", dialects.RouteSlugBaseBackupCodes: "backup-codes"}
	}
	e.mux = http.NewServeMux()
	Register(e.mux, dialects.Deps{
		MFA: e.svc, Users: st, Tokens: tokens, Sessions: e.sessions, Routes: routes,
		Logger: logger, MaxBodyBytes: o.maxBody,
	})
	e.srv = httptest.NewServer(e.rec.wrap(e.mux))
	tb.Cleanup(e.srv.Close)
	return e
}

// slugBaseAuth is how a test request authenticates.
type slugBaseAuth int

const (
	slugBaseNoAuth slugBaseAuth = iota
	slugBaseBearer
	// slugBaseCookie sends the session cookie without its CSRF token.
	slugBaseCookie
	// slugBaseCookieCSRF sends the session cookie with its CSRF token.
	slugBaseCookieCSRF
)

// request builds a request; body, when set, is sent as JSON unless header
// says otherwise (an empty header value removes the header).
func (e *slugBaseEnv) request(method, path string, a slugBaseAuth, body string, header map[string]string) *http.Request {
	e.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch a {
	case slugBaseBearer:
		req.Header.Set("Authorization", "Bearer "+e.token)
	case slugBaseCookie:
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.session.Secret})
	case slugBaseCookieCSRF:
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.session.Secret})
		req.Header.Set(CSRFHeader, e.session.CSRFToken())
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// do sends a request and returns the response with its body read.
func (e *slugBaseEnv) do(method, path string, a slugBaseAuth, body string, header map[string]string) (*http.Response, []byte) {
	e.tb.Helper()
	return slugBaseSend(e.tb, e.request(method, path, a, body, header))
}

func slugBaseSend(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, body
}

// begin starts a TOTP enrollment over HTTP and returns its secret.
func (e *slugBaseEnv) begin(a slugBaseAuth) string {
	e.tb.Helper()
	resp, body := e.do("POST", slugBaseBeginPath, a, "", nil)
	if resp.StatusCode != http.StatusOK {
		e.tb.Fatalf("begin: %d %s", resp.StatusCode, body)
	}
	slugBaseKeys(e.tb, body, "otpauth_url", "secret")
	var out struct {
		OTPAuthURL string `json:"otpauth_url"`
		Secret     string `json:"secret"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		e.tb.Fatal(err)
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(out.Secret); err != nil || len(out.Secret) < 16 {
		e.tb.Fatalf("secret %q is not a base32 TOTP secret", out.Secret)
	}
	if !strings.HasPrefix(out.OTPAuthURL, "otpauth://totp/") || !strings.Contains(out.OTPAuthURL, "secret="+out.Secret) {
		e.tb.Fatalf("otpauth_url %q does not carry the secret", out.OTPAuthURL)
	}
	return out.Secret
}

// confirm confirms the enrollment with a code over HTTP and returns the backup codes.
func (e *slugBaseEnv) confirm(a slugBaseAuth, code string) []string {
	e.tb.Helper()
	resp, body := e.do("POST", slugBaseConfirmPath, a, `{"code":"`+code+`"}`, nil)
	if resp.StatusCode != http.StatusOK {
		e.tb.Fatalf("confirm: %d %s", resp.StatusCode, body)
	}
	slugBaseKeys(e.tb, body, "backup_codes")
	var out struct {
		BackupCodes []string `json:"backup_codes"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		e.tb.Fatal(err)
	}
	return out.BackupCodes
}

// code is the TOTP code of secret at the lifecycle's current time.
func (e *slugBaseEnv) code(secret string) string {
	e.tb.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// slugBaseWrong returns a six-digit code other than code.
func slugBaseWrong(code string) string {
	n, _ := strconv.Atoi(code)
	return fmt.Sprintf("%06d", (n+1)%1000000)
}

// checkNoSecrets fails when a token, secret or code reached the logs.
func (e *slugBaseEnv) checkNoSecrets(secrets ...string) {
	e.tb.Helper()
	logs := e.log.String()
	for _, s := range append(secrets, e.token, e.session.Secret, e.session.CSRFToken()) {
		if s != "" && strings.Contains(logs, s) {
			e.tb.Errorf("the logs contain a secret or code (%d characters)", len(s))
		}
	}
}

// slugBaseGolden compares got with testdata/name byte for byte.
func slugBaseGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("body differs from %s\n got: %s\nwant: %s", name, got, want)
	}
}

// slugBaseExpect checks the status, the JSON content type and the golden body.
func slugBaseExpect(tb testing.TB, resp *http.Response, body []byte, status int, golden string) {
	tb.Helper()
	if resp.StatusCode != status {
		tb.Errorf("status %d, want %d (body %s)", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		tb.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		tb.Errorf("Cache-Control %q", cc)
	}
	if golden != "" {
		slugBaseGolden(tb, golden, body)
	}
}

// slugBaseKeys checks that body is a JSON object with exactly these keys, in order.
func slugBaseKeys(tb testing.TB, body []byte, want ...string) {
	tb.Helper()
	if got := slugBaseObjectKeys(tb, body); !slices.Equal(got, want) {
		tb.Errorf("keys %q, want %q in %s", got, want, body)
	}
}

// slugBaseObjectKeys returns the top-level keys of a JSON object in order.
func slugBaseObjectKeys(tb testing.TB, body []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		tb.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			tb.Fatal(err)
		}
	}
	return keys
}

var slugBaseBackupCode = regexp.MustCompile(`^[0-9a-f]{16}$`)

func checkSlugBaseBackupCodes(tb testing.TB, codes []string) {
	tb.Helper()
	if len(codes) != 10 {
		tb.Fatalf("%d backup codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !slugBaseBackupCode.MatchString(c) {
			tb.Errorf("backup code %q is not 16 lowercase hex digits", c)
		}
		if seen[c] {
			tb.Errorf("backup code repeated")
		}
		seen[c] = true
	}
}

func (e *slugBaseEnv) verify(factor, code string) error {
	_, err := e.svc.Verify(context.Background(), mfa.Meta{Actor: e.user.ID, Via: "test"}, mfa.VerifyRequest{UserID: e.user.ID, Factor: factor, Proof: sdk.Proof{Code: code}})
	return err
}

func TestSlugBase(t *testing.T) {
	bins := slugBasePlugins(t)
	sqlite := func(t *testing.T) string { return filepath.Join(t.TempDir(), "factorgate.db") }

	t.Run("enroll and verify", func(t *testing.T) {
		testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
			testSlugBaseFlow(t, newSlugBaseEnv(t, bins, newURL(t), slugBaseEnvOptions{}))
		})
	})
	t.Run("session cookie and CSRF", func(t *testing.T) {
		testSlugBaseCookie(t, newSlugBaseEnv(t, bins, sqlite(t), slugBaseEnvOptions{}))
	})
	t.Run("errors", func(t *testing.T) { testSlugBaseErrors(t, bins, sqlite) })
	t.Run("lockout", func(t *testing.T) {
		testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
			testSlugBaseLockout(t, newSlugBaseEnv(t, bins, newURL(t), slugBaseEnvOptions{}))
		})
	})
	t.Run("concurrent confirmations", func(t *testing.T) {
		testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
			testSlugBaseConcurrentConfirm(t, newSlugBaseEnv(t, bins, newURL(t), slugBaseEnvOptions{}))
		})
	})
	t.Run("routes", func(t *testing.T) { testSlugBaseRoutes(t, bins, sqlite) })
	t.Run("documented samples", func(t *testing.T) {
		testSlugBaseSamples(t, newSlugBaseEnv(t, bins, sqlite(t), slugBaseEnvOptions{lockout: mfa.LockoutPolicy{MaxFailures: 1000}}))
	})
}

// testSlugBaseFlow walks status → begin → confirm → status with an API
// token, then checks that the TOTP and the backup codes really verify, and
// that enrolling again replaces the old set of codes.
func testSlugBaseFlow(t *testing.T, e *slugBaseEnv) {
	ctx := context.Background()
	started := e.clock.Now()

	resp, body := e.do("GET", slugBaseStatusPath, slugBaseBearer, "", nil)
	slugBaseExpect(t, resp, body, 200, "status_disabled.json")
	resp, body = e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"123456"}`, nil)
	slugBaseExpect(t, resp, body, 400, "no_pending.json")
	resp, body = e.do("POST", slugBaseCancelPath, slugBaseBearer, "", nil)
	slugBaseExpect(t, resp, body, 200, "ok.json")

	// A second begin replaces the first, as SlugBase draws a new secret.
	first := e.begin(slugBaseBearer)
	secret := e.begin(slugBaseBearer)
	if secret == first {
		t.Fatal("a second begin kept the first secret")
	}
	resp, body = e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"`+e.code(first)+`"}`, nil)
	slugBaseExpect(t, resp, body, 400, "invalid_code.json")
	resp, body = e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"`+slugBaseWrong(e.code(secret))+`"}`, nil)
	slugBaseExpect(t, resp, body, 400, "invalid_code.json")
	resp, body = e.do("GET", slugBaseStatusPath, slugBaseBearer, "", nil)
	slugBaseExpect(t, resp, body, 200, "status_disabled.json")

	// Whitespace inside the code is ignored, as SlugBase does.
	c := e.code(secret)
	codes := e.confirm(slugBaseBearer, c[:3]+" "+c[3:])
	checkSlugBaseBackupCodes(t, codes)

	resp, body = e.do("GET", slugBaseStatusPath, slugBaseBearer, "", nil)
	slugBaseExpect(t, resp, body, 200, "")
	slugBaseKeys(t, body, "enabled", "enrolled_at")
	var status struct {
		Enabled    bool    `json:"enabled"`
		EnrolledAt *string `json:"enrolled_at"`
	}
	if err := json.Unmarshal(body, &status); err != nil {
		t.Fatal(err)
	}
	if !status.Enabled || status.EnrolledAt == nil {
		t.Fatalf("status after confirming: %s", body)
	}
	at, err := time.Parse(time.RFC3339, *status.EnrolledAt)
	if err != nil || !strings.HasSuffix(*status.EnrolledAt, "Z") {
		t.Fatalf("enrolled_at %q is not RFC 3339 UTC: %v", *status.EnrolledAt, err)
	}
	if at.Before(started.Add(-time.Minute)) || at.After(e.clock.Now().Add(time.Minute)) {
		t.Errorf("enrolled_at %s is not the time of the enrollment", at)
	}

	for _, path := range []string{slugBaseBeginPath, slugBaseCancelPath} {
		resp, body = e.do("POST", path, slugBaseBearer, "", nil)
		slugBaseExpect(t, resp, body, 409, "already_enabled.json")
	}
	resp, body = e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"`+e.code(secret)+`"}`, nil)
	slugBaseExpect(t, resp, body, 409, "already_enabled.json")

	// The enrolled factors verify: TOTP at the next step, each backup code once.
	e.clock.Add(30 * time.Second)
	if err := e.verify("totp", e.code(secret)); err != nil {
		t.Fatalf("verify TOTP: %v", err)
	}
	if err := e.verify("backup-codes", codes[0]); err != nil {
		t.Fatalf("verify backup code: %v", err)
	}
	if err := e.verify("backup-codes", codes[0]); err == nil {
		t.Fatal("a backup code was accepted twice")
	}

	// Enrolling TOTP again gives a new set that replaces the old one.
	creds, err := e.svc.ListCredentials(ctx, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cr := range creds {
		if cr.Factor == "totp" {
			if _, err := e.svc.RemoveCredential(ctx, mfa.Meta{Actor: e.user.ID, Via: "test"}, e.user.ID, cr.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	resp, body = e.do("GET", slugBaseStatusPath, slugBaseBearer, "", nil)
	slugBaseExpect(t, resp, body, 200, "status_disabled.json")
	secret2 := e.begin(slugBaseBearer)
	e.clock.Add(30 * time.Second)
	codes2 := e.confirm(slugBaseBearer, e.code(secret2))
	checkSlugBaseBackupCodes(t, codes2)
	if err := e.verify("backup-codes", codes[1]); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Errorf("a code of the replaced set: %v, want %v", err, mfa.ErrInvalidCode)
	}
	if err := e.verify("backup-codes", codes2[1]); err != nil {
		t.Errorf("a code of the new set: %v", err)
	}
	creds, err = e.svc.ListCredentials(ctx, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	var factors []string
	for _, cr := range creds {
		if cr.Status != store.CredentialActive {
			t.Errorf("credential %s of %s is %s", cr.ID, cr.Factor, cr.Status)
		}
		factors = append(factors, cr.Factor)
	}
	sort.Strings(factors)
	if !slices.Equal(factors, []string{"backup-codes", "totp"}) {
		t.Errorf("credentials %v, want one of each factor", factors)
	}

	// Both outcomes of a confirmation are audited, attributed to the token.
	events, err := e.st.ListAudit(ctx, e.user.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, ev := range events {
		if ev.Action != "enroll.confirm" || ev.Factor != "totp" {
			continue
		}
		if ev.Detail["via"] != "slugbase" || ev.Actor != "token:"+e.tokenID || ev.RemoteAddr != "127.0.0.1" {
			t.Errorf("audit event %+v is not attributed to the SlugBase request", ev)
		}
		results[ev.Result]++
	}
	if results["ok"] != 2 || len(results) < 2 {
		t.Errorf("confirmation audit results %v, want 2 ok and the failures", results)
	}
	e.checkNoSecrets(append(append([]string{first, secret, secret2}, codes...), codes2...)...)
}

// testSlugBaseCookie drives the browser's way in: the session cookie, the
// CSRF token from /api/csrf-token on every state-changing request.
func testSlugBaseCookie(t *testing.T, e *slugBaseEnv) {
	resp, body := e.do("GET", slugBaseCSRFPath, slugBaseCookie, "", nil)
	slugBaseExpect(t, resp, body, 200, "")
	want, _ := json.Marshal(map[string]string{"csrfToken": e.session.CSRFToken()})
	if !bytes.Equal(body, want) {
		t.Fatalf("csrf token body %s, want %s", body, want)
	}
	var tok struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}

	other, err := e.sessions.Create(context.Background(), e.user, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{slugBaseBeginPath, slugBaseConfirmPath, slugBaseCancelPath} {
		for name, csrf := range map[string]string{"none": "", "another session's": other.CSRFToken(), "garbage": "x"} {
			t.Run(path+" "+name, func(t *testing.T) {
				resp, body := e.do("POST", path, slugBaseCookie, `{"code":"123456"}`, map[string]string{CSRFHeader: csrf})
				slugBaseExpect(t, resp, body, 403, "csrf_invalid.json")
			})
		}
	}

	// Reading needs no CSRF token; changing state with the token works.
	resp, body = e.do("GET", slugBaseStatusPath, slugBaseCookie, "", nil)
	slugBaseExpect(t, resp, body, 200, "status_disabled.json")
	secret := e.begin(slugBaseCookieCSRF)
	resp, body = e.do("POST", slugBaseCancelPath, slugBaseCookie, "", map[string]string{CSRFHeader: tok.CSRFToken})
	slugBaseExpect(t, resp, body, 200, "ok.json")
	resp, body = e.do("POST", slugBaseConfirmPath, slugBaseCookieCSRF, `{"code":"`+e.code(secret)+`"}`, nil)
	slugBaseExpect(t, resp, body, 400, "no_pending.json")
	secret = e.begin(slugBaseCookieCSRF)
	checkSlugBaseBackupCodes(t, e.confirm(slugBaseCookieCSRF, e.code(secret)))
	resp, body = e.do("GET", slugBaseStatusPath, slugBaseCookie, "", nil)
	if resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte(`{"enabled":true,"enrolled_at":"`)) {
		t.Errorf("status with the cookie: %d %s", resp.StatusCode, body)
	}
	e.checkNoSecrets(secret)
}

// testSlugBaseErrors checks every documented and chosen error over HTTP, in
// each state it can happen in.
func testSlugBaseErrors(t *testing.T, bins map[string]plugins.Binary, dbURL func(*testing.T) string) {
	opts := slugBaseEnvOptions{lockout: mfa.LockoutPolicy{MaxFailures: 1000}}
	fresh := newSlugBaseEnv(t, bins, dbURL(t), opts)
	pending := newSlugBaseEnv(t, bins, dbURL(t), opts)
	pending.begin(slugBaseBearer)
	enabled := newSlugBaseEnv(t, bins, dbURL(t), opts)
	enabled.confirm(slugBaseBearer, enabled.code(enabled.begin(slugBaseBearer)))
	// scratch takes the cases that change its state.
	scratch := newSlugBaseEnv(t, bins, dbURL(t), opts)
	envs := map[string]*slugBaseEnv{"fresh": fresh, "pending": pending, "enabled": enabled, "scratch": scratch}

	tooLarge := `{"code":"` + strings.Repeat("1", 64<<10) + `"}`
	type tc struct {
		name   string
		env    string
		method string
		path   string
		auth   slugBaseAuth
		body   string
		header map[string]string
		status int
		golden string
		allow  string
	}
	tests := []tc{
		{name: "begin with an empty object", env: "pending", method: "POST", path: slugBaseBeginPath, auth: slugBaseBearer, body: `{}`, status: 200},
		{name: "cancel with an empty object", env: "scratch", method: "POST", path: slugBaseCancelPath, auth: slugBaseBearer, body: ` {} `, status: 200, golden: "ok.json"},
		{name: "JSON with a charset", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{}`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, status: 400, golden: "code_required.json"},

		{name: "Bearer of another scheme", env: "fresh", method: "GET", path: slugBaseStatusPath, header: map[string]string{"Authorization": "Basic dXNlcjpwdw=="}, status: 401, golden: "unauthorized.json"},
		{name: "Bearer without a token", env: "fresh", method: "GET", path: slugBaseStatusPath, header: map[string]string{"Authorization": "Bearer "}, status: 401, golden: "unauthorized.json"},
		{name: "unknown token", env: "fresh", method: "POST", path: slugBaseBeginPath, header: map[string]string{"Authorization": "Bearer fgp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, status: 401, golden: "unauthorized.json"},
		{name: "unknown session cookie", env: "fresh", method: "GET", path: slugBaseStatusPath, header: map[string]string{"Cookie": SessionCookie + "=nope"}, status: 401, golden: "unauthorized.json"},
		{name: "a bad token is not rescued by a cookie", env: "fresh", method: "GET", path: slugBaseStatusPath, auth: slugBaseCookie, header: map[string]string{"Authorization": "Bearer nope"}, status: 401, golden: "unauthorized.json"},
		{name: "csrf token without a session", env: "fresh", method: "GET", path: slugBaseCSRFPath, auth: slugBaseBearer, status: 401, golden: "unauthorized.json"},

		{name: "GET on begin", env: "fresh", method: "GET", path: slugBaseBeginPath, auth: slugBaseBearer, status: 405, golden: "method_not_allowed.json", allow: "POST"},
		{name: "PUT on confirm", env: "fresh", method: "PUT", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"123456"}`, status: 405, golden: "method_not_allowed.json", allow: "POST"},
		{name: "DELETE on status", env: "fresh", method: "DELETE", path: slugBaseStatusPath, auth: slugBaseBearer, status: 405, golden: "method_not_allowed.json", allow: "GET, HEAD"},
		{name: "POST on csrf token", env: "fresh", method: "POST", path: slugBaseCSRFPath, auth: slugBaseCookieCSRF, status: 405, golden: "method_not_allowed.json", allow: "GET, HEAD"},

		{name: "malformed JSON", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":`, status: 400, golden: "invalid_json.json"},
		{name: "array body", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `["123456"]`, status: 400, golden: "invalid_json.json"},
		{name: "string body", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `"123456"`, status: 400, golden: "invalid_json.json"},
		{name: "null body", env: "pending", method: "POST", path: slugBaseBeginPath, auth: slugBaseBearer, body: `null`, status: 400, golden: "invalid_json.json"},
		{name: "a field twice", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"000000","code":"123456"}`, status: 400, golden: "invalid_json.json"},
		{name: "data after the object", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"123456"} {}`, status: 400, golden: "invalid_json.json"},
		{name: "form body", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `code=123456`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 400, golden: "invalid_content_type.json"},
		{name: "body without a content type", env: "pending", method: "POST", path: slugBaseCancelPath, auth: slugBaseBearer, body: `{}`, header: map[string]string{"Content-Type": ""}, status: 400, golden: "invalid_content_type.json"},
		{name: "unknown field", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"123456","remember":true}`, status: 400, golden: "unknown_field_code.json"},
		{name: "field name in another case", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"Code":"123456"}`, status: 400, golden: "unknown_field_code.json"},
		{name: "field on begin", env: "pending", method: "POST", path: slugBaseBeginPath, auth: slugBaseBearer, body: `{"factor":"totp"}`, status: 400, golden: "unknown_field_empty.json"},
		{name: "field on cancel", env: "pending", method: "POST", path: slugBaseCancelPath, auth: slugBaseBearer, body: `{"code":"123456"}`, status: 400, golden: "unknown_field_empty.json"},

		{name: "no body", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, status: 400, golden: "code_required.json"},
		{name: "no code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{}`, status: 400, golden: "code_required.json"},
		{name: "null code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":null}`, status: 400, golden: "code_required.json"},
		{name: "empty code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":""}`, status: 400, golden: "code_required.json"},
		{name: "numeric code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":123456}`, status: 400, golden: "code_required.json"},
		{name: "array code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":["123456"]}`, status: 400, golden: "code_required.json"},
		{name: "code required before state", env: "enabled", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{}`, status: 400, golden: "code_required.json"},

		{name: "no enrollment", env: "fresh", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"123456"}`, status: 400, golden: "no_pending.json"},
		{name: "no enrollment before a malformed code", env: "fresh", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"example_string"}`, status: 400, golden: "no_pending.json"},
		{name: "letters", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"example_string"}`, status: 400, golden: "invalid_code.json"},
		{name: "five digits", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"12345"}`, status: 400, golden: "invalid_code.json"},
		{name: "blank code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":" \t "}`, status: 400, golden: "invalid_code.json"},
		{name: "control character", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"123\u0000456"}`, status: 400, golden: "invalid_code.json"},
		{name: "overlong code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"` + strings.Repeat("1", 65) + `"}`, status: 400, golden: "invalid_code.json"},
		{name: "non-ASCII code", env: "pending", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"１２３４５６"}`, status: 400, golden: "invalid_code.json"},

		{name: "begin when enabled", env: "enabled", method: "POST", path: slugBaseBeginPath, auth: slugBaseBearer, status: 409, golden: "already_enabled.json"},
		{name: "confirm when enabled", env: "enabled", method: "POST", path: slugBaseConfirmPath, auth: slugBaseBearer, body: `{"code":"example_string"}`, status: 409, golden: "already_enabled.json"},
		{name: "cancel when enabled", env: "enabled", method: "POST", path: slugBaseCancelPath, auth: slugBaseBearer, status: 409, golden: "already_enabled.json"},
	}
	for _, path := range slugBasePaths {
		tests = append(tests,
			tc{name: "no credentials on " + path, env: "fresh", method: slugBaseMethod(path), path: path, status: 401, golden: "unauthorized.json"},
			tc{name: "documented token placeholder left in on " + path, env: "fresh", method: slugBaseMethod(path), path: path,
				header: map[string]string{"Authorization": "Bearer " + fresh.token + " (API token)"}, status: 401, golden: "unauthorized.json"},
			// The limit applies before authentication, as SlugBase's body parser does.
			tc{name: "body over the limit on " + path, env: "fresh", method: slugBaseMethod(path), path: path, body: tooLarge, status: 413, golden: "payload_too_large.json"},
			tc{name: "body over the limit with a wrong method on " + path, env: "fresh", method: "PATCH", path: path, body: tooLarge, status: 413, golden: "payload_too_large.json"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := envs[tt.env]
			resp, body := e.do(tt.method, tt.path, tt.auth, tt.body, tt.header)
			slugBaseExpect(t, resp, body, tt.status, tt.golden)
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
	for _, e := range envs {
		e.checkNoSecrets()
	}
}

func slugBaseMethod(path string) string {
	if path == slugBaseStatusPath || path == slugBaseCSRFPath {
		return "GET"
	}
	return "POST"
}

// testSlugBaseLockout checks that wrong codes count toward the user's
// lockout, which SlugBase's clients see as 429 with Retry-After.
func testSlugBaseLockout(t *testing.T, e *slugBaseEnv) {
	secret := e.begin(slugBaseBearer)
	wrong := `{"code":"` + slugBaseWrong(e.code(secret)) + `"}`
	for i := range 5 {
		resp, body := e.do("POST", slugBaseConfirmPath, slugBaseBearer, wrong, nil)
		if resp.StatusCode != 400 {
			t.Fatalf("attempt %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	for _, body := range []string{wrong, `{"code":"` + e.code(secret) + `"}`} {
		resp, got := e.do("POST", slugBaseConfirmPath, slugBaseBearer, body, nil)
		slugBaseExpect(t, resp, got, 429, "too_many_attempts.json")
		if ra := resp.Header.Get("Retry-After"); ra != "30" {
			t.Errorf("Retry-After %q, want 30", ra)
		}
	}
	e.clock.Add(31 * time.Second)
	checkSlugBaseBackupCodes(t, e.confirm(slugBaseBearer, e.code(secret)))
}

// testSlugBaseConcurrentConfirm sends the same right code several times at
// once: one confirmation wins and the others see MFA already enabled.
func testSlugBaseConcurrentConfirm(t *testing.T, e *slugBaseEnv) {
	secret := e.begin(slugBaseBearer)
	body := `{"code":"` + e.code(secret) + `"}`
	const n = 4
	type result struct {
		status int
		body   []byte
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := http.DefaultClient.Do(e.request("POST", slugBaseConfirmPath, slugBaseBearer, body, nil))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i] = result{resp.StatusCode, b}
		})
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		switch r.status {
		case 200:
			won++
		case 409:
			slugBaseGolden(t, "already_enabled.json", r.body)
		default:
			t.Errorf("concurrent confirmation: %d %s", r.status, r.body)
		}
	}
	if won != 1 {
		t.Errorf("%d confirmations won, want 1", won)
	}
}

// testSlugBaseRoutes checks that the route table decides what is served.
func testSlugBaseRoutes(t *testing.T, bins map[string]plugins.Binary, dbURL func(*testing.T) string) {
	t.Run("no TOTP route serves nothing", func(t *testing.T) {
		e := newSlugBaseEnv(t, bins, dbURL(t), slugBaseEnvOptions{routes: map[string]string{dialects.RouteSlugBaseBackupCodes: "backup-codes"}})
		for _, path := range slugBasePaths {
			if resp, body := e.do(slugBaseMethod(path), path, slugBaseBearer, "", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d %s, want 404", path, resp.StatusCode, body)
			}
		}
	})
	t.Run("no backup-code route confirms without codes", func(t *testing.T) {
		e := newSlugBaseEnv(t, bins, dbURL(t), slugBaseEnvOptions{routes: map[string]string{dialects.RouteSlugBaseTOTP: "totp"}})
		secret := e.begin(slugBaseBearer)
		resp, body := e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"`+e.code(secret)+`"}`, nil)
		slugBaseExpect(t, resp, body, 200, "")
		if string(body) != `{"backup_codes":[]}` {
			t.Errorf("body %s", body)
		}
	})
	t.Run("ungrouped codes from a factor that groups them", func(t *testing.T) {
		e := newSlugBaseEnv(t, bins, dbURL(t), slugBaseEnvOptions{backupSettings: `{"group":2}`})
		codes := e.confirm(slugBaseBearer, e.code(e.begin(slugBaseBearer)))
		checkSlugBaseBackupCodes(t, codes)
		if err := e.verify("backup-codes", codes[3]); err != nil {
			t.Errorf("verify an ungrouped code: %v", err)
		}
	})
	t.Run("backup-code route to a missing factor", func(t *testing.T) {
		e := newSlugBaseEnv(t, bins, dbURL(t), slugBaseEnvOptions{routes: map[string]string{dialects.RouteSlugBaseTOTP: "totp", dialects.RouteSlugBaseBackupCodes: "no-such-factor"}})
		secret := e.begin(slugBaseBearer)
		resp, body := e.do("POST", slugBaseConfirmPath, slugBaseBearer, `{"code":"`+e.code(secret)+`"}`, nil)
		slugBaseExpect(t, resp, body, 500, "internal_error.json")
		if !strings.Contains(e.log.String(), "slugbase: request failed") {
			t.Error("the server failure was not logged")
		}
		resp, body = e.do("GET", slugBaseStatusPath, slugBaseBearer, "", nil)
		slugBaseExpect(t, resp, body, 200, "status_disabled.json")
		e.checkNoSecrets(secret)
	})
}

// slugBaseSample is one documented client sample, as a file holding it
// verbatim in testdata/samples.
type slugBaseSample struct {
	name string
	file string
	// tool runs the sample; the test skips when it is not installed.
	tool string
	// run runs the sample file at path.
	run func(ctx context.Context, path string) *exec.Cmd
	// body is what the sample sends.
	body string
	// want checks the sample's output.
	want func(t *testing.T, out string)
}

// testSlugBaseSamples runs the documented client samples, unchanged but for
// the base URL and the token, against a pending enrollment. They send the
// placeholder code, so SlugBase answers INVALID_CODE; the same requests with
// the user's code go through in the flow test.
func testSlugBaseSamples(t *testing.T, e *slugBaseEnv) {
	e.begin(slugBaseBearer)
	invalid, err := os.ReadFile(filepath.Join("testdata", "invalid_code.json"))
	if err != nil {
		t.Fatal(err)
	}
	curlBody := "{\n\"code\": \"example_string\"\n}"
	e.rec.take()

	// The same method, headers and body bytes as each sample sends, over net/http.
	t.Run("requests", func(t *testing.T) {
		for _, tt := range []struct{ name, body string }{
			{"curl, Go and Ruby", curlBody},
			{"Python requests", `{"code": "example_string"}`},
			{"JavaScript fetch", `{"code":"example_string"}`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req := e.request("POST", slugBaseConfirmPath, slugBaseNoAuth, tt.body, map[string]string{
					"Content-Type": "application/json", "Authorization": "Bearer " + e.token,
				})
				resp, body := slugBaseSend(t, req)
				slugBaseExpect(t, resp, body, 400, "invalid_code.json")
			})
		}
		e.rec.take()
	})

	// The Go sample, as code: the documented program imports encoding/json
	// without using it, so it cannot be compiled verbatim.
	t.Run("Go net/http", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join("testdata", "samples", "confirm.go.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "`"+curlBody+"`") {
			t.Fatal("the reproduction's body is not the documented Go sample's")
		}
		var out bytes.Buffer
		if err := slugBaseGoSample(&out, e.srv.URL, e.token); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != "Response Status: 400 Bad Request\n" {
			t.Errorf("output %q", got)
		}
		slugBaseCheckSeen(t, e, curlBody)
	})

	samples := []slugBaseSample{
		{
			name: "curl", file: "confirm.sh", tool: "curl", body: curlBody,
			run: func(ctx context.Context, path string) *exec.Cmd { return exec.CommandContext(ctx, "sh", path) },
			want: func(t *testing.T, out string) {
				if out != string(invalid) {
					t.Errorf("output %q, want %q", out, invalid)
				}
			},
		},
		{
			name: "Python requests", file: "confirm.py", tool: "python3", body: `{"code": "example_string"}`,
			run: func(ctx context.Context, path string) *exec.Cmd { return exec.CommandContext(ctx, "python3", path) },
			want: func(t *testing.T, out string) {
				if want := "{'error': 'Bad Request', 'message': 'Invalid code', 'code': 400, 'details': [{'field': 'code', 'message': 'Invalid code'}]}\n"; out != want {
					t.Errorf("output %q, want %q", out, want)
				}
			},
		},
		{
			name: "JavaScript fetch", file: "confirm.mjs", tool: "node", body: `{"code":"example_string"}`,
			run: func(ctx context.Context, path string) *exec.Cmd { return exec.CommandContext(ctx, "node", path) },
			want: func(t *testing.T, out string) {
				// Node prints the object literally; only its line breaking varies.
				got := strings.Join(strings.Fields(out), "")
				if want := "{error:'BadRequest',message:'Invalidcode',code:400,details:[{field:'code',message:'Invalidcode'}]}"; got != want {
					t.Errorf("output %q, want the object %s", out, want)
				}
			},
		},
	}
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			if _, err := exec.LookPath(s.tool); err != nil {
				t.Skipf("%s is not installed", s.tool)
			}
			if s.tool == "python3" {
				if out, err := exec.Command("python3", "-c", "import requests").CombinedOutput(); err != nil {
					t.Skipf("the Python sample needs the requests package: %s", bytes.TrimSpace(out))
				}
			}
			doc, err := os.ReadFile(filepath.Join("testdata", "samples", s.file))
			if err != nil {
				t.Fatal(err)
			}
			src := string(doc)
			if !strings.Contains(src, slugBaseURLPlaceholder) || !strings.Contains(src, slugBaseTokenPlaceholder) {
				t.Fatalf("%s lacks the documented placeholders", s.file)
			}
			src = strings.ReplaceAll(src, slugBaseURLPlaceholder, `"`+e.srv.URL+`/api/`)
			src = strings.ReplaceAll(src, slugBaseTokenPlaceholder, e.token)
			path := filepath.Join(t.TempDir(), s.file)
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := s.run(ctx, path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v: %s", s.name, err, stderr.Bytes())
			}
			s.want(t, stdout.String())
			slugBaseCheckSeen(t, e, s.body)
		})
	}
	e.checkNoSecrets()
}

// slugBaseCheckSeen checks that the server received exactly one request, the
// documented one: POST to confirm with the token, declared JSON, and body.
func slugBaseCheckSeen(t *testing.T, e *slugBaseEnv, body string) {
	t.Helper()
	seen := e.rec.take()
	if len(seen) != 1 {
		t.Fatalf("the server saw %d requests, want 1", len(seen))
	}
	r := seen[0]
	if r.method != "POST" || r.path != slugBaseConfirmPath || r.header.Get("Content-Type") != "application/json" ||
		r.header.Get("Authorization") != "Bearer "+e.token || string(r.body) != body {
		t.Errorf("the server saw %s %s Content-Type %q, body %q", r.method, r.path, r.header.Get("Content-Type"), r.body)
	}
}

// slugBaseGoSample is the documented Go net/http sample, with the base URL
// and token as parameters and its output written to out.
func slugBaseGoSample(out io.Writer, baseURL, token string) error {
	data := []byte(`{
"code": "example_string"
}`)
	req, err := http.NewRequest("POST", baseURL+"/api/auth/mfa/enroll/confirm", bytes.NewBuffer(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	client := &http.Client{}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = fmt.Fprintln(out, "Response Status:", resp.Status)
	return err
}

// TestSlugBaseDocumentedShapes compares the bodies with the samples in the
// SlugBase document: the 401 byte for byte (SlugBase sends compact JSON),
// the others key for key, with SlugBase's reason phrases.
func TestSlugBaseDocumentedShapes(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, read("doc_error_401.json")); err != nil {
		t.Fatal(err)
	}
	if got := read("unauthorized.json"); !bytes.Equal(got, compact.Bytes()) {
		t.Errorf("401 body %s, documented %s", got, compact.Bytes())
	}
	tests := []struct {
		name, doc string
		ours      []string
	}{
		{"400", "doc_error_400.json", []string{"code_required.json", "invalid_code.json", "no_pending.json", "invalid_json.json", "invalid_content_type.json", "unknown_field_code.json", "unknown_field_empty.json"}},
		{"409", "doc_error_409.json", []string{"already_enabled.json"}},
		{"200", "doc_confirm_200.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := read(tt.doc)
			var docBody map[string]any
			if err := json.Unmarshal(doc, &docBody); err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.ours {
				ours := read(name)
				slugBaseKeys(t, ours, slugBaseObjectKeys(t, doc)...)
				var body errorBody
				if err := json.Unmarshal(ours, &body); err != nil {
					t.Fatal(err)
				}
				if body.Error != docBody["error"] || float64(body.Code) != docBody["code"] || body.Details == nil || body.Message == "" ||
					fmt.Sprintf("%T", body.Details) != fmt.Sprintf("%T", docBody["details"]) {
					t.Errorf("%s: %s does not fit the documented %s", name, ours, doc)
				}
				// A 400's details are {field, message} objects, as documented.
				entries, _ := body.Details.([]any)
				for _, e := range entries {
					entry, _ := e.(map[string]any)
					if msg, _ := entry["message"].(string); msg == "" || len(entry) > 2 || (len(entry) == 2 && entry["field"] == nil) {
						t.Errorf("%s: details entry %v is not {field, message}", name, e)
					}
				}
			}
		})
	}
	// The confirmation body is the documented one with real codes.
	codes := []string{"0123456789abcdef"}
	ours, err := json.Marshal(confirmResponse{BackupCodes: codes})
	if err != nil {
		t.Fatal(err)
	}
	slugBaseKeys(t, ours, slugBaseObjectKeys(t, read("doc_confirm_200.json"))...)
}

// TestSlugBaseLifecycleTable checks that every lifecycle error kind declared
// in host/mfa is mapped exactly once, and that the table is consistent.
func TestSlugBaseLifecycleTable(t *testing.T) {
	kinds := mfa.Kinds()
	if len(lifecycleFailures) != len(kinds) {
		t.Errorf("the table has %d rows for %d error kinds", len(lifecycleFailures), len(kinds))
	}
	for _, kind := range kinds {
		n := 0
		for _, l := range lifecycleFailures {
			if l.kind == kind {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v is mapped %d times", kind, n)
		}
	}
	reason := regexp.MustCompile(`^[A-Z][A-Z_]*$`)
	byReason := map[string]*statusError{}
	failures := []*statusError{errUnauthorized, errBadCSRF, errInvalidJSON, errContentType,
		errCodeRequired, errInvalidCode, errNoPending, errAlreadyEnabled, errTooManyAttempts,
		errMethodNotAllowed, errInternal}
	for _, l := range lifecycleFailures {
		failures = append(failures, l.failure)
	}
	for _, f := range failures {
		switch {
		case http.StatusText(f.status) == "" || f.status < 400:
			t.Errorf("%+v: not an error status", f)
		case f.status == http.StatusUnauthorized && f.reason != "":
			t.Errorf("%+v: the documented 401 has no details", f)
		case f.status != http.StatusUnauthorized && !reason.MatchString(f.reason):
			t.Errorf("%+v: reason is not a machine name", f)
		case f.message == "":
			t.Errorf("%+v: no message", f)
		}
		if prev, ok := byReason[f.reason]; ok && prev != f && (prev.status != f.status || prev.message != f.message) {
			t.Errorf("reason %q means %+v and %+v", f.reason, prev, f)
		}
		byReason[f.reason] = f
	}
}

// FuzzSlugBase sends arbitrary requests to every endpoint: no input may
// cause a panic or a server error, a body over the limit is always 413, and
// every answer is JSON in SlugBase's shape.
func FuzzSlugBase(f *testing.F) {
	const limit = 512
	bins := slugBasePlugins(f)
	e := newSlugBaseEnv(f, bins, filepath.Join(f.TempDir(), "fuzz.db"), slugBaseEnvOptions{maxBody: limit})
	// A pending enrollment, so that confirmations reach the factor.
	e.begin(slugBaseBearer)
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}

	f.Add(uint8(3), uint8(1), uint8(1), "application/json", "", []byte("{\n\"code\": \"example_string\"\n}"))
	f.Add(uint8(3), uint8(1), uint8(1), "application/json", "", []byte(`{"code": "123456"}`))
	f.Add(uint8(3), uint8(1), uint8(2), "application/json", "", []byte(`{"code":"12 34 56"}`))
	f.Add(uint8(2), uint8(1), uint8(3), "application/json; charset=utf-8", "x", []byte(`{}`))
	f.Add(uint8(4), uint8(1), uint8(1), "text/plain", "", []byte(`code=1`))
	f.Add(uint8(1), uint8(0), uint8(0), "", "", []byte(nil))
	f.Add(uint8(0), uint8(0), uint8(2), "", "", []byte(nil))
	f.Add(uint8(3), uint8(1), uint8(4), "application/json", "Bearer fgp_x", []byte(`{"code":null}`))
	f.Add(uint8(3), uint8(1), uint8(1), "application/json", "", []byte(`{"code":"`+strings.Repeat("9", 600)+`"}`))
	f.Add(uint8(3), uint8(1), uint8(1), "application/json", "", []byte(`{"code":"1"}{`))
	f.Add(uint8(1), uint8(2), uint8(1), "application/vnd.api+json", "", []byte(`{"code":{"a":[1,2,{}]}}`))

	f.Fuzz(func(t *testing.T, route, method, authMode uint8, contentType, extra string, body []byte) {
		path := slugBasePaths[int(route)%len(slugBasePaths)]
		m := methods[int(method)%len(methods)]
		req := httptest.NewRequest(m, path, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		switch authMode % 5 {
		case 1:
			req.Header.Set("Authorization", "Bearer "+e.token)
		case 2:
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.session.Secret})
			req.Header.Set(CSRFHeader, e.session.CSRFToken())
		case 3:
			req.AddCookie(&http.Cookie{Name: SessionCookie, Value: e.session.Secret})
			req.Header.Set(CSRFHeader, extra)
		case 4:
			req.Header.Set("Authorization", extra)
		}
		rec := httptest.NewRecorder()
		e.mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", m, path, rec.Code, rec.Body.Bytes())
		}
		if len(body) > limit && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%s %s with %d bytes: %d, want 413", m, path, len(body), rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: %d, body is not JSON: %q", m, path, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			var eb errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code != rec.Code || eb.Error != http.StatusText(rec.Code) || eb.Message == "" {
				t.Fatalf("%s %s: %d, body not in SlugBase's error shape: %s", m, path, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
