package scanner

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	smsfactor "github.com/factorgate/factorgate/factors/sms"
	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

var scannerUpdate = flag.Bool("scanner.update", false, "rewrite the scanner dialect's golden files in testdata")

// scannerDocSample is the 200 example of verify_installation in the vendor's
// documentation, as printed there.
const scannerDocSample = "{\n\"status\": \"verified\"\n}"

// scannerTestStart is the test clock's start, at the beginning of a TOTP step.
var scannerTestStart = time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)

// scannerClock is the time the lifecycle and every factor see.
type scannerClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *scannerClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *scannerClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// scannerEnv is one host serving the dialect: its own database, real plugin
// processes (or in-process factors for fuzzing), a user with a personal token
// and an operator API key.
type scannerEnv struct {
	st      *store.SQLStore
	svc     *mfa.Service
	clock   *scannerClock
	outbox  *testsignin.Outbox
	handler http.Handler
	user    store.User
	apiKey  string
	token   string
	tokenID string
	// revokedKey is an API key that was revoked.
	revokedKey string
}

// scannerFactors says how the env gets its factor instances "totp" and "sms".
type scannerFactors func(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage)

// scannerPluginFactors loads the real plugin binaries.
func scannerPluginFactors(bins map[string]plugins.Binary) scannerFactors {
	return func(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage) {
		for _, name := range []string{"totp", "sms"} {
			if _, ok := bins[name]; !ok {
				t.Fatalf("no %s plugin was built", name)
			}
		}
		err := m.Load(context.Background(), []plugins.Binary{bins["totp"], bins["sms"]}, []plugins.InstanceConfig{
			{Name: "sms", Plugin: "sms", Settings: smsSettings},
			{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// scannerInProcessFactors runs the same factors in process, for fuzzing,
// where a plugin build per fuzz worker would cost more than it tells.
func scannerInProcessFactors(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage) {
	ctx := context.Background()
	if err := m.AddInProcess(ctx, "totp", totpfactor.New(), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.AddInProcess(ctx, "sms", smsfactor.New(), smsSettings); err != nil {
		t.Fatal(err)
	}
}

func scannerAllRoutes() map[string]string {
	return map[string]string{dialects.RouteScannerTOTP: "totp", dialects.RouteScannerSMS: "sms"}
}

func newScannerEnv(t testing.TB, databaseURL string, factors scannerFactors, routes map[string]string, maxBody int64) *scannerEnv {
	t.Helper()
	ctx := context.Background()
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &scannerEnv{clock: &scannerClock{now: scannerTestStart}, outbox: testsignin.NewOutbox(t)}
	if e.st, err = store.Open(ctx, databaseURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	org, err := e.st.EnsureDefaultOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.user, err = e.st.CreateUser(ctx, store.User{ID: "user-1", OrgID: org.ID, Name: "alice"}); err != nil {
		t.Fatal(err)
	}

	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	smsSettings := json.RawMessage(fmt.Sprintf(`{"digits": 7, "sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, e.outbox.URL()+"/sms"))
	factors(t, m, smsSettings)
	e.svc = mfa.New(e.st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	}), sealer, mfa.Options{Now: e.clock.Now})

	tokens := auth.NewTokens(e.st, nil, nil)
	var tok store.APIToken
	if e.token, tok, err = tokens.Create(ctx, e.user.ID, "scanner", false, 0); err != nil {
		t.Fatal(err)
	}
	e.tokenID = tok.ID
	keys := auth.NewAPIKeys(e.st, nil, nil)
	if e.apiKey, _, err = keys.Create(ctx, "scanner"); err != nil {
		t.Fatal(err)
	}
	if e.revokedKey, _, err = keys.Create(ctx, "retired"); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Revoke(ctx, "retired"); err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	Register(mux, dialects.Deps{MFA: e.svc, Users: e.st, Tokens: tokens, Routes: routes, MaxBodyBytes: maxBody}, keys)
	e.handler = mux
	return e
}

// scannerResponse is what the dialect answered.
type scannerResponse struct {
	status int
	header http.Header
	body   []byte
}

// scannerServer serves an env over real HTTP.
type scannerServer struct {
	env *scannerEnv
	srv *httptest.Server
}

func newScannerServer(t *testing.T, e *scannerEnv) *scannerServer {
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	return &scannerServer{env: e, srv: srv}
}

// put sends PUT path?query with the env's API key and bearer token, after mod
// changed the request.
func (s *scannerServer) put(t *testing.T, path, query string, mod func(r *http.Request)) scannerResponse {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, s.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = query
	r.Header.Set("x-api-key", s.env.apiKey)
	r.Header.Set("Authorization", "Bearer "+s.env.token)
	if mod != nil {
		mod(r)
	}
	resp, err := s.srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return scannerResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

// want checks the status and compares the body with the golden file name.
func (r scannerResponse) want(t *testing.T, status int, golden string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	scannerGolden(t, golden, r.body)
}

func scannerGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	if *scannerUpdate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -scanner.update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("body\n%s\nwant (%s)\n%s", got, path, want)
	}
}

// enableTOTP enables TOTP and returns the secret from the answer.
func (s *scannerServer) enableTOTP(t *testing.T) string {
	t.Helper()
	r := s.put(t, pathEnable, "method=totp", nil)
	if r.status != http.StatusOK {
		t.Fatalf("enable totp: %d %s", r.status, r.body)
	}
	var got map[string]string
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	secret := got["secret"]
	if len(got) != 3 || got["status"] != "queued" || secret == "" ||
		!strings.HasPrefix(got["otpauth_url"], "otpauth://totp/") || !strings.Contains(got["otpauth_url"], "secret="+secret) {
		t.Fatalf("enable totp answered %s", r.body)
	}
	return secret
}

func TestScanner(t *testing.T) {
	bins, err := testplugins.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		env := func(t *testing.T, routes map[string]string) *scannerServer {
			return newScannerServer(t, newScannerEnv(t, newURL(t), scannerPluginFactors(bins), routes, 0))
		}
		t.Run("TOTP", func(t *testing.T) { testScannerTOTP(t, env(t, scannerAllRoutes())) })
		t.Run("SMS", func(t *testing.T) { testScannerSMS(t, env(t, scannerAllRoutes())) })
		t.Run("SMSRace", func(t *testing.T) { testScannerSMSRace(t, env(t, scannerAllRoutes())) })
		t.Run("ExpiredEnrollment", func(t *testing.T) { testScannerExpired(t, env(t, scannerAllRoutes())) })
		t.Run("Lockout", func(t *testing.T) { testScannerLockout(t, env(t, scannerAllRoutes())) })
		t.Run("Requests", func(t *testing.T) { testScannerRequests(t, env(t, scannerAllRoutes())) })
		t.Run("Routes", func(t *testing.T) { testScannerRoutes(t, env) })
	})
}

func testScannerTOTP(t *testing.T, s *scannerServer) {
	e := s.env
	// A second enable replaces the pending key: only the newest confirms.
	first := s.enableTOTP(t)
	secret := s.enableTOTP(t)
	now := e.clock.Now()
	code := testsignin.TOTPCode(t, secret, now)
	if stale := testsignin.TOTPCode(t, first, now); stale != code {
		s.put(t, pathVerify, "method=totp&otp_attempt="+stale, nil).want(t, http.StatusUnprocessableEntity, "invalid_code")
	}

	verified := s.put(t, pathVerify, "method=totp&otp_attempt="+code, nil)
	verified.want(t, http.StatusOK, "verified")
	var doc bytes.Buffer
	if err := json.Compact(&doc, []byte(scannerDocSample)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(verified.body, doc.Bytes()) {
		t.Fatalf("verified body %s, documented %s", verified.body, doc.Bytes())
	}

	s.put(t, pathVerify, "method=totp&otp_attempt="+code, nil).want(t, http.StatusUnprocessableEntity, "no_installation")
	s.put(t, pathEnable, "method=totp", nil).want(t, http.StatusUnprocessableEntity, "already_enabled")
	// The code that confirmed the installation cannot also disable it.
	s.put(t, pathDisable, "method=totp&otp_attempt="+code, nil).want(t, http.StatusUnprocessableEntity, "replayed")
	if wrong := testsignin.TOTPCode(t, secret, now.Add(time.Hour)); wrong != code {
		s.put(t, pathDisable, "method=totp&otp_attempt="+wrong, nil).want(t, http.StatusUnprocessableEntity, "invalid_code")
	}
	if _, err := e.svc.ActiveCredential(context.Background(), e.user.ID, "totp"); err != nil {
		t.Fatalf("failed disables removed the credential: %v", err)
	}

	e.clock.Add(30 * time.Second)
	next := testsignin.TOTPCode(t, secret, e.clock.Now())
	s.put(t, pathDisable, "method=totp&otp_attempt="+next, nil).want(t, http.StatusOK, "disabled_totp")
	if _, err := e.svc.ActiveCredential(context.Background(), e.user.ID, "totp"); !errors.Is(err, mfa.ErrNotEnrolled) {
		t.Fatalf("after disable: %v, want not enrolled", err)
	}
	s.put(t, pathDisable, "method=totp&otp_attempt="+next, nil).want(t, http.StatusUnprocessableEntity, "not_enabled")

	// Everything went through the lifecycle, audited as the token through
	// this dialect, and no audit record holds the secret or a code.
	events, err := e.st.ListAudit(context.Background(), e.user.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, ev := range events {
		actions[ev.Action+":"+ev.Result]++
		if ev.Actor != "token:"+e.tokenID || ev.Detail["via"] != via || ev.RemoteAddr != "127.0.0.1" {
			t.Errorf("audit event %+v: want actor token:%s via %s from 127.0.0.1", ev, e.tokenID, via)
		}
		if raw := fmt.Sprint(ev); strings.Contains(raw, secret) || strings.Contains(raw, code) || strings.Contains(raw, next) {
			t.Errorf("audit event holds a secret or code: %+v", ev)
		}
	}
	for _, want := range []string{"enroll.begin:ok", "enroll.confirm:ok", "verify:replayed", "verify:ok", "remove:ok"} {
		if actions[want] == 0 {
			t.Errorf("no %s audit event in %v", want, actions)
		}
	}
}

func testScannerSMS(t *testing.T, s *scannerServer) {
	e := s.env
	ctx := context.Background()
	s.put(t, pathEnable, "method=sms&phone_number=0499%20999%20999&country_code=AU", nil).want(t, http.StatusOK, "queued")
	msg, code := e.outbox.Last(t)
	if msg.To != "+61499999999" {
		t.Fatalf("SMS sent to %q, want +61499999999", msg.To)
	}
	wrong := "1234567"
	if wrong == code {
		wrong = "7654321"
	}
	s.put(t, pathVerify, "method=sms&otp_attempt="+wrong, nil).want(t, http.StatusUnprocessableEntity, "invalid_code")
	s.put(t, pathVerify, "method=sms&otp_attempt="+code, nil).want(t, http.StatusOK, "verified")

	// Disabling needs a code of a live challenge; without one the client is
	// told to request it.
	s.put(t, pathDisable, "method=sms&otp_attempt="+code, nil).want(t, http.StatusUnprocessableEntity, "no_code_sent")
	sent := e.outbox.Count()
	e.clock.Add(31 * time.Second) // past the factor's resend interval
	if _, err := e.svc.Challenge(ctx, mfa.Meta{Actor: e.user.ID, Via: "test"}, mfa.ChallengeRequest{UserID: e.user.ID, Factor: "sms"}); err != nil {
		t.Fatal(err)
	}
	if e.outbox.Count() != sent+1 {
		t.Fatal("the challenge sent no SMS")
	}
	_, challengeCode := e.outbox.Last(t)
	s.put(t, pathDisable, "method=sms&otp_attempt="+challengeCode, nil).want(t, http.StatusOK, "disabled_sms")
	if _, err := e.svc.ActiveCredential(ctx, e.user.ID, "sms"); !errors.Is(err, mfa.ErrNotEnrolled) {
		t.Fatalf("after disable: %v, want not enrolled", err)
	}

	// Every accepted way of writing the number reaches the same phone.
	for _, tc := range []struct{ name, query string }{
		{"calling code", "phone_number=0499999999&country_code=61"},
		{"escaped plus calling code", "phone_number=0499999999&country_code=%2B61"},
		{"unescaped plus calling code", "phone_number=0499999999&country_code=+61"},
		{"international", "phone_number=%2B61499999999"},
		{"unescaped international", "phone_number=+61+499+999+999"},
		{"international with its calling code", "phone_number=%2B61%20(499)%20999-999&country_code=61"},
		{"lower-case region", "phone_number=0499.999.999&country_code=au"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Add(time.Minute)
			before := e.outbox.Count()
			s.put(t, pathEnable, "method=sms&"+tc.query, nil).want(t, http.StatusOK, "queued")
			if e.outbox.Count() != before+1 {
				t.Fatal("no SMS was sent")
			}
			if msg, _ := e.outbox.Last(t); msg.To != "+61499999999" {
				t.Fatalf("SMS sent to %q, want +61499999999", msg.To)
			}
		})
	}
}

func testScannerExpired(t *testing.T, s *scannerServer) {
	secret := s.enableTOTP(t)
	s.env.clock.Add(11 * time.Minute)
	code := testsignin.TOTPCode(t, secret, s.env.clock.Now())
	s.put(t, pathVerify, "method=totp&otp_attempt="+code, nil).want(t, http.StatusUnprocessableEntity, "enrollment_expired")
}

func testScannerLockout(t *testing.T, s *scannerServer) {
	secret := s.enableTOTP(t)
	code := testsignin.TOTPCode(t, secret, s.env.clock.Now())
	wrong := testsignin.TOTPCode(t, secret, s.env.clock.Now().Add(time.Hour))
	if wrong == code {
		t.Skip("the wrong code happens to be right")
	}
	for range 5 {
		s.put(t, pathVerify, "method=totp&otp_attempt="+wrong, nil).want(t, http.StatusUnprocessableEntity, "invalid_code")
	}
	r := s.put(t, pathVerify, "method=totp&otp_attempt="+code, nil)
	r.want(t, http.StatusTooManyRequests, "locked")
	if got := r.header.Get("Retry-After"); got != "30" {
		t.Fatalf("Retry-After %q, want 30", got)
	}
	s.env.clock.Add(31 * time.Second)
	s.put(t, pathVerify, "method=totp&otp_attempt="+testsignin.TOTPCode(t, secret, s.env.clock.Now()), nil).want(t, http.StatusOK, "verified")
}

// testScannerRequests covers every way a request can be refused before or
// without a factor deciding, for a user with nothing enabled.
func testScannerRequests(t *testing.T, s *scannerServer) {
	e := s.env
	setHeader := func(name, value string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set(name, value) }
	}
	delHeader := func(name string) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Del(name) }
	}
	body := func(n int, chunked bool) func(r *http.Request) {
		return func(r *http.Request) {
			b := bytes.Repeat([]byte("x"), n)
			if chunked {
				r.Body, r.ContentLength = io.NopCloser(io.MultiReader(bytes.NewReader(b))), 0
			} else {
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(n)
			}
		}
	}
	const verifyQuery = "method=totp&otp_attempt=123456"
	for _, tc := range []struct {
		name   string
		path   string
		query  string
		mod    func(r *http.Request)
		status int
		golden string
	}{
		{"missing api key", pathVerify, verifyQuery, delHeader("x-api-key"), 401, "missing_api_key"},
		{"unknown api key", pathVerify, verifyQuery, setHeader("x-api-key", auth.APIKeyPrefix+"nope"), 401, "invalid_api_key"},
		{"revoked api key", pathVerify, verifyQuery, setHeader("x-api-key", e.revokedKey), 401, "invalid_api_key"},
		{"personal token as api key", pathVerify, verifyQuery, setHeader("x-api-key", e.token), 401, "invalid_api_key"},
		{"two api keys", pathVerify, verifyQuery, func(r *http.Request) { r.Header.Add("x-api-key", e.apiKey) }, 401, "two_api_keys"},
		{"missing authorization", pathVerify, verifyQuery, delHeader("Authorization"), 401, "missing_authorization"},
		{"other scheme", pathVerify, verifyQuery, setHeader("Authorization", "Token "+e.token), 401, "bad_authorization"},
		{"empty bearer", pathVerify, verifyQuery, setHeader("Authorization", "Bearer "), 401, "bad_authorization"},
		{"unknown token", pathVerify, verifyQuery, setHeader("Authorization", "Bearer "+auth.TokenPrefix+"nope"), 401, "invalid_token"},
		{"base64 basic credentials", pathVerify, verifyQuery, setHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(e.token+":"))), 401, "invalid_token"},
		{"api key as token", pathVerify, verifyQuery, setHeader("Authorization", "Bearer "+e.apiKey), 401, "invalid_token"},
		{"raw token with basic", pathVerify, verifyQuery, setHeader("Authorization", "Basic "+e.token), 422, "no_installation"},
		{"lower-case bearer", pathVerify, verifyQuery, setHeader("Authorization", "bearer "+e.token), 422, "no_installation"},
		{"GET", pathVerify, verifyQuery, func(r *http.Request) { r.Method = http.MethodGet }, 405, "method_not_allowed"},
		{"POST", pathEnable, "method=totp", func(r *http.Request) { r.Method = http.MethodPost }, 405, "method_not_allowed"},
		{"small body ignored", pathVerify, verifyQuery, body(2, false), 422, "no_installation"},
		{"oversized body", pathVerify, verifyQuery, body(64<<10+1, false), 413, "body_too_large"},
		{"oversized chunked body", pathEnable, "method=totp", body(64<<10+1, true), 413, "body_too_large"},
		{"oversized body without credentials", pathDisable, "", func(r *http.Request) { r.Header = http.Header{}; body(64<<10+1, false)(r) }, 413, "body_too_large"},
		{"documented sample query", pathVerify, "method&otp_attempt", nil, 422, "method_required"},
		{"no query", pathVerify, "", nil, 422, "method_required"},
		{"unknown method", pathVerify, "method=email&otp_attempt=123456", nil, 422, "unknown_method"},
		{"upper-case method", pathDisable, "method=TOTP&otp_attempt=123456", nil, 422, "unknown_method"},
		{"missing otp_attempt", pathVerify, "method=totp", nil, 422, "code_required"},
		{"empty otp_attempt", pathDisable, "method=sms&otp_attempt=", nil, 422, "code_required"},
		{"long otp_attempt", pathVerify, "method=totp&otp_attempt=" + strings.Repeat("1", 65), nil, 422, "code_invalid"},
		{"control character in otp_attempt", pathVerify, "method=totp&otp_attempt=123%0A456", nil, 422, "code_invalid"},
		{"unknown parameter", pathVerify, verifyQuery + "&foo=1", nil, 422, "unknown_param_foo"},
		{"enable parameter on verify", pathVerify, verifyQuery + "&phone_number=1", nil, 422, "unknown_param_phone_number"},
		{"odd unknown parameter", pathVerify, verifyQuery + "&%C3%A9=1", nil, 422, "unknown_param"},
		{"method twice", pathVerify, "method=totp&method=sms&otp_attempt=123456", nil, 422, "duplicate_method"},
		{"malformed escape", pathVerify, "method=%zz", nil, 422, "malformed_query"},
		{"nothing pending", pathVerify, "method=sms&otp_attempt=1234567", nil, 422, "no_installation"},
		{"disable totp not enabled", pathDisable, verifyQuery, nil, 422, "not_enabled"},
		{"disable sms not enabled", pathDisable, "method=sms&otp_attempt=1234567", nil, 422, "not_enabled"},
		{"phone number for totp", pathEnable, "method=totp&phone_number=%2B61499999999", nil, 422, "phone_only_sms"},
		{"country code for totp", pathEnable, "method=totp&country_code=AU", nil, 422, "country_only_sms"},
		{"sms without phone number", pathEnable, "method=sms&country_code=AU", nil, 422, "phone_required"},
		{"letters in phone number", pathEnable, "method=sms&phone_number=0499abc", nil, 422, "phone_chars"},
		{"slash in phone number", pathEnable, "method=sms&phone_number=0499%2F999", nil, 422, "phone_chars"},
		{"too many digits", pathEnable, "method=sms&phone_number=%2B6149999999999999", nil, 422, "phone_digits"},
		{"phone number too long", pathEnable, "method=sms&phone_number=" + strings.Repeat("1-", 17), nil, 422, "phone_too_long"},
		{"bad country code", pathEnable, "method=sms&phone_number=0499999999&country_code=Australia", nil, 422, "bad_country"},
		{"national number without country", pathEnable, "method=sms&phone_number=0499999999", nil, 422, "factor_national_number"},
		{"landline", pathEnable, "method=sms&phone_number=0298765432&country_code=AU", nil, 422, "factor_landline"},
		{"country code disagrees", pathEnable, "method=sms&phone_number=%2B447700900123&country_code=61", nil, 422, "country_mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.put(t, tc.path, tc.query, tc.mod)
			r.want(t, tc.status, tc.golden)
			switch tc.status {
			case http.StatusUnauthorized:
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			case http.StatusMethodNotAllowed:
				if r.header.Get("Allow") != http.MethodPut {
					t.Errorf("Allow %q, want PUT", r.header.Get("Allow"))
				}
			}
		})
	}
	if n := e.outbox.Count(); n != 0 {
		t.Fatalf("refused requests sent %d SMS", n)
	}
}

func testScannerRoutes(t *testing.T, env func(t *testing.T, routes map[string]string) *scannerServer) {
	t.Run("one method routed", func(t *testing.T) {
		s := env(t, map[string]string{dialects.RouteScannerTOTP: "totp"})
		s.put(t, pathEnable, "method=sms&phone_number=%2B61499999999", nil).want(t, http.StatusUnprocessableEntity, "unknown_method_totp_only")
		s.enableTOTP(t)
	})
	t.Run("another factor behind a method", func(t *testing.T) {
		// The route table, not the method's name, picks the factor, and the
		// answer shows what that factor displays.
		s := env(t, map[string]string{dialects.RouteScannerSMS: "totp"})
		r := s.put(t, pathEnable, "method=sms&phone_number=%2B61499999999", nil)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"otpauth_url":"otpauth://totp/`)) {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		if _, err := s.env.svc.PendingEnrollment(context.Background(), s.env.user.ID, "totp"); err != nil {
			t.Fatalf("method sms routed to totp: %v", err)
		}
	})
	t.Run("nothing routed", func(t *testing.T) {
		s := env(t, nil)
		if r := s.put(t, pathVerify, "method=totp&otp_attempt=123456", nil); r.status != http.StatusNotFound {
			t.Fatalf("status %d, want 404 (not served)", r.status)
		}
	})
}

func TestScannerLifecycleErrors(t *testing.T) {
	kinds := mfa.Kinds()
	table := lifecycleErrors()
	if len(table) != len(kinds) {
		t.Fatalf("%d entries for %d kinds", len(table), len(kinds))
	}
	for _, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			n := 0
			for _, le := range table {
				if le.kind == kind {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("mapped %d times, want once", n)
			}
			got := errorFor(context.Background(), &mfa.Error{Kind: kind, RetryAfter: 1500 * time.Millisecond})
			if got.status < 400 || got.message == "" {
				t.Fatalf("answer %+v", got)
			}
			if got.status == http.StatusTooManyRequests && httpx.RetryAfterSeconds(got.retryAfter) != 2 {
				t.Fatalf("Retry-After of 1.5s: %v", got.retryAfter)
			}
		})
	}
	t.Run("reason", func(t *testing.T) {
		got := errorFor(context.Background(), &mfa.Error{Kind: mfa.ErrInvalidParams, Reason: "the number is not a mobile number"})
		if got.status != 422 || got.message != "the number is not a mobile number" {
			t.Fatalf("answer %+v", got)
		}
	})
	t.Run("unexpected", func(t *testing.T) {
		got := errorFor(context.Background(), errors.New("db: connection refused to 10.0.0.1"))
		if got.status != 500 || got.message != "internal error" {
			t.Fatalf("answer %+v", got)
		}
	})
	t.Run("throttled without a wait", func(t *testing.T) {
		got := errorFor(context.Background(), &mfa.Error{Kind: mfa.ErrThrottled})
		if got.retryAfter != time.Second {
			t.Fatalf("Retry-After %v, want at least a second", got.retryAfter)
		}
	})
}

func TestScannerPhone(t *testing.T) {
	for _, tc := range []struct {
		name, number, country string
		want                  map[string]string
		wantErr               string
	}{
		{"international", "+61499999999", "", map[string]string{"phone": "+61499999999"}, ""},
		{"international with separators", "+61 (499) 999-999", "", map[string]string{"phone": "+61499999999"}, ""},
		{"spaces sent as plus", "+61+499+999+999", "", map[string]string{"phone": "+61499999999"}, ""},
		{"national without country", "0499999999", "", map[string]string{"phone": "0499999999"}, ""},
		{"national with region", "0499 999 999", "AU", map[string]string{"phone": "0499999999", "country": "AU"}, ""},
		{"international with region", "+61499999999", "au", map[string]string{"phone": "+61499999999", "country": "AU"}, ""},
		{"national with calling code", "0499999999", "61", map[string]string{"phone": "+61499999999"}, ""},
		{"national without trunk prefix", "499999999", "+61", map[string]string{"phone": "+61499999999"}, ""},
		{"calling code sent with a space", "499999999", " 61", map[string]string{"phone": "+61499999999"}, ""},
		{"one-digit calling code", "(202) 555-0143", "1", map[string]string{"phone": "+12025550143"}, ""},
		{"international matching calling code", "+61499999999", "61", map[string]string{"phone": "+61499999999"}, ""},
		{"international other calling code", "+447700900123", "61", nil, "does not start with country_code"},
		{"empty", "", "AU", nil, "required"},
		{"only separators", "+ - .", "", nil, "1 to 15 digits"},
		{"sixteen digits", "1234567890123456", "", nil, "1 to 15 digits"},
		{"too long with the calling code", "0123456789012345", "61", nil, "1 to 15 digits"},
		{"national too long for the calling code", "01234567890123", "612", nil, "at most 15 digits"},
		{"only a trunk prefix", "0", "61", nil, "at most 15 digits"},
		{"letters", "04ninety", "AU", nil, "only digits"},
		{"invalid UTF-8", "04\xff99", "AU", nil, "only digits"},
		{"calling code zero", "0499999999", "0", nil, "country_code must be"},
		{"calling code too long", "0499999999", "6123", nil, "country_code must be"},
		{"three-letter region", "0499999999", "AUS", nil, "country_code must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := phoneParams(tc.number, tc.country)
			if tc.wantErr != "" {
				se, ok := errors.AsType[*statusError](err)
				if !ok || se.status != 422 || !strings.Contains(se.message, tc.wantErr) {
					t.Fatalf("phoneParams = %v, %v; want a 422 containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("phoneParams = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// FuzzScanner throws arbitrary requests at the dialect: whatever the method,
// query, credentials and body, it never panics or fails with a 5xx, and a
// body over the limit is always 413.
func FuzzScanner(f *testing.F) {
	const limit = 1 << 10
	e := newScannerEnv(f, filepath.Join(f.TempDir(), "fuzz.db"), scannerInProcessFactors, scannerAllRoutes(), limit)
	for _, seed := range []struct {
		method string
		path   uint8
		query  string
		creds  uint8
		auth   string
		key    string
		body   uint16
	}{
		{http.MethodPut, 0, "method=totp&otp_attempt=123456", 3, "", "", 0},
		{http.MethodPut, 0, "method&otp_attempt", 3, "", "", 0},
		{http.MethodPut, 1, "method=totp", 3, "", "", 0},
		{http.MethodPut, 1, "method=sms&phone_number=0499%20999%20999&country_code=AU", 7, "", "", 10},
		{http.MethodPut, 1, "method=sms&phone_number=+61499999999&country_code=+61", 3, "", "", 0},
		{http.MethodPut, 2, "method=sms&otp_attempt=1234567", 3, "", "", limit + 1},
		{http.MethodPut, 2, "method=%zz&&=&otp_attempt=%00", 3, "", "", 0},
		{http.MethodGet, 0, "", 0, "Basic x", "fgk_x", 0},
		{http.MethodPut, 0, "method=totp&otp_attempt=1", 0, "Bearer fgp_x", "fgk_nope", limit},
		{"", 2, "\xff=\xff", 1, "\x00", "", 0},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.creds, seed.auth, seed.key, seed.body)
	}
	paths := []string{pathVerify, pathEnable, pathDisable}
	f.Fuzz(func(t *testing.T, method string, path uint8, query string, creds uint8, authorization, key string, bodyLen uint16) {
		r := &http.Request{
			Method: method, URL: &url.URL{Path: paths[int(path)%len(paths)], RawQuery: query},
			Header: http.Header{}, Host: "example.test", RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(bytes.NewReader(make([]byte, bodyLen))), ContentLength: int64(bodyLen),
		}
		if creds&4 != 0 {
			r.ContentLength = -1 // unknown length, as a chunked body
		}
		r = r.WithContext(context.Background())
		if creds&1 != 0 {
			r.Header.Set("X-Api-Key", e.apiKey)
		} else if key != "" {
			r.Header["X-Api-Key"] = []string{key}
		}
		switch {
		case creds&2 != 0 && creds&8 != 0:
			r.Header.Set("Authorization", "Basic "+e.token)
		case creds&2 != 0:
			r.Header.Set("Authorization", "Bearer "+e.token)
		case authorization != "":
			r.Header["Authorization"] = []string{authorization}
		}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%q: %d %s", method, r.URL.Path, query, w.Code, w.Body)
		}
		if bodyLen > limit && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a %d-byte body: %d %s, want 413", bodyLen, w.Code, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("the answer is not JSON: %q", w.Body)
		}
	})
}
