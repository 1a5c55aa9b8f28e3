// Package testsignin is the host that tests of the dialects' sign-ins run
// against: a store, the factor instances "totp", "sms" and "backup-codes",
// the MFA service, browser sessions, an operator API key and a real OAuth
// provider, serving the native API, the provider and the dialect routes a
// test registers over real HTTP. It takes what it registers as a parameter,
// so it imports no dialect.
package testsignin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	backupfactor "github.com/factorgate/factorgate/factors/backupcodes"
	smsfactor "github.com/factorgate/factorgate/factors/sms"
	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/api"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Password is every test user's password.
const Password = "correct horse battery staple"

// Clock is real time plus an offset a test moves forward: fosite
// reads the system clock for token lifetimes, so the host's clock must not
// drift far from it.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the host's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.offset += d; c.mu.Unlock() }

// Env is one host serving the registered dialects' sign-ins, the OAuth
// provider and the native API over real HTTP, on its own database.
type Env struct {
	t        testing.TB
	Store    *store.SQLStore
	MFA      *mfa.Service
	Sessions *auth.Sessions
	Clock    *Clock
	Outbox   *Outbox
	Server   *httptest.Server
	Mux      *http.ServeMux
	// APIKey is an operator-issued API key (the scanner's x-api-key).
	APIKey string
	Org    store.Org
}

// Factors loads the factor instances "totp", "sms" (7 digits) and
// "backup-codes".
type Factors func(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage)

// PluginFactors loads the factors from the real plugin binaries bins.
func PluginFactors(bins map[string]plugins.Binary) Factors {
	return func(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage) {
		err := m.Load(context.Background(), []plugins.Binary{bins["totp"], bins["sms"], bins["backup-codes"]}, []plugins.InstanceConfig{
			{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
			{Name: "sms", Plugin: "sms", Settings: smsSettings},
			{Name: "backup-codes", Plugin: "backup-codes", Settings: json.RawMessage(`{}`)},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// InProcessFactors runs the same factors in process, for fuzzing.
func InProcessFactors(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage) {
	ctx := context.Background()
	for _, f := range []struct {
		name     string
		factor   sdk.Factor
		settings json.RawMessage
	}{{"totp", totpfactor.New(), nil}, {"sms", smsfactor.New(), smsSettings}, {"backup-codes", backupfactor.New(), nil}} {
		if err := m.AddInProcess(ctx, f.name, f.factor, f.settings); err != nil {
			t.Fatal(err)
		}
	}
}

// Register serves a dialect on mux with the host's dependencies and the
// operator's API keys.
type Register func(mux *http.ServeMux, d dialects.Deps, keys *auth.APIKeys)

// Routes is the route table the host hands each dialect: every sign-in
// route names one of the host's factor instances.
func Routes() map[string]string {
	return map[string]string{
		dialects.RouteScannerTOTP: "totp", dialects.RouteScannerSMS: "sms", dialects.RouteAccountingSMS: "sms",
		dialects.RouteSlugBaseTOTP: "totp", dialects.RouteSlugBaseBackupCodes: "backup-codes",
	}
}

// New starts a host on the database at dbURL with factors, the lockout
// policy (a zero one is 5 failures, 30 s to an hour) and the body limit
// maxBody (0: the default), serving what each of register registers.
func New(t testing.TB, dbURL string, factors Factors, lockout mfa.LockoutPolicy, maxBody int64, register ...Register) *Env {
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
	e := &Env{t: t, Clock: &Clock{}, Outbox: NewOutbox(t)}
	if e.Store, err = store.Open(ctx, dbURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Store.Close() })
	if e.Org, err = e.Store.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	factors(t, m, json.RawMessage(fmt.Sprintf(`{"digits": 7, "sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, e.Outbox.URL()+"/sms")))
	if lockout.MaxFailures == 0 {
		lockout = mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}
	}
	e.MFA = mfa.New(e.Store, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	}), sealer, mfa.Options{Now: e.Clock.Now, Lockout: lockout})
	e.Sessions = auth.NewSessions(e.Store, 30*time.Minute, 12*time.Hour, nil)
	keys := auth.NewAPIKeys(e.Store, nil, nil)
	if e.APIKey, _, err = keys.Create(ctx, "scanner-app"); err != nil {
		t.Fatal(err)
	}

	// The issuer is the server's URL, so the provider is built between
	// listening and serving.
	e.Server = httptest.NewUnstartedServer(nil)
	t.Cleanup(e.Server.Close)
	provider, err := oauth.New(ctx, oauth.Deps{
		Store: e.Store, Sealer: sealer, MFA: e.MFA, Sessions: e.Sessions, Factors: m,
		PublicURL: "http://" + e.Server.Listener.Addr().String(), Now: e.Clock.Now, Lockout: lockout,
		SessionMaxAge: 12 * time.Hour, MaxBodyBytes: maxBody,
	})
	if err != nil {
		t.Fatal(err)
	}
	bearer := auth.Chain{auth.NewTokens(e.Store, nil, nil), auth.AuthenticatorFunc(provider.AuthenticateAccessToken)}
	e.Mux = http.NewServeMux()
	e.Mux.Handle("/", api.New(api.Deps{MFA: e.MFA, Users: e.Store, Auth: bearer, Factors: m}))
	d := dialects.Deps{
		MFA: e.MFA, Users: e.Store, Tokens: bearer, Sessions: e.Sessions, SignIn: provider.SignIn(),
		Routes: Routes(), MaxBodyBytes: maxBody,
	}
	for _, r := range register {
		r(e.Mux, d, keys)
	}
	provider.Register(e.Mux)
	e.Server.Config.Handler = e.Mux
	e.Server.Start()
	return e
}

// User creates a user with Password, hashed at bcrypt's minimum cost
// to keep tests fast.
func (e *Env) User(name string) store.User {
	e.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.Store.CreateUser(context.Background(), store.User{ID: "id-" + name, OrgID: e.Org.ID, Name: name, Email: name + "@example.com", PasswordHash: string(hash)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// EnrollTOTP gives u an active TOTP with backup codes and returns the secret
// and the codes.
func (e *Env) EnrollTOTP(t *testing.T, u store.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	meta := mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "totp"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{
		UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: e.TOTP(t, en.Display.Secret)}, AlsoEnroll: "backup-codes",
	})
	if err != nil {
		t.Fatal(err)
	}
	return en.Display.Secret, c.Also.Display.Codes
}

// EnrollSMS gives u an active SMS factor.
func (e *Env) EnrollSMS(t *testing.T, u store.User) {
	t.Helper()
	ctx := context.Background()
	meta := mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "sms", Params: map[string]string{"phone": "+61499999999"}})
	if err != nil {
		t.Fatal(err)
	}
	_, code := e.Outbox.Last(t)
	if _, err := e.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code}}); err != nil {
		t.Fatal(err)
	}
}

// TOTP returns a fresh code: the clock moves to the next step first, so a
// code is never one already used.
func (e *Env) TOTP(t *testing.T, secret string) string {
	t.Helper()
	e.Clock.Add(30 * time.Second)
	return TOTPCode(t, secret, e.Clock.Now())
}

// TOTPCode is the 6-digit, 30-second TOTP code of secret at the time at.
func TOTPCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Response is an answer with its body read.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a request to the host and reads the answer.
func (e *Env) Do(t *testing.T, method, path string, header map[string]string, body string, cookies ...*http.Cookie) Response {
	t.Helper()
	req, err := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Want checks the status and, unless body is empty, the body.
func (r Response) Want(t *testing.T, status int, body string) {
	t.Helper()
	if r.Status != status || (body != "" && r.Body != body) {
		t.Fatalf("answer %d %s, want %d %s", r.Status, r.Body, status, body)
	}
}

// Field returns a string member of a JSON object answer.
func (r Response) Field(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("answer %q: %v", r.Body, err)
	}
	s, ok := m[name].(string)
	if !ok || s == "" {
		t.Fatalf("answer %s has no %s", r.Body, name)
	}
	return s
}

// Cookie returns the cookie the answer set under name.
func (r Response) Cookie(t *testing.T, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, r.Header.Values("Set-Cookie"))
	return nil
}

// jwtClaims returns the payload of a JWT access token; its signature is
// checked by the endpoints that accept it.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%q is not a JWT", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// WantClaims checks the login a token says happened.
func WantClaims(t *testing.T, token, sub, client, acr string, amr ...string) {
	t.Helper()
	c := jwtClaims(t, token)
	var got []string
	list, _ := c["amr"].([]any)
	for _, m := range list {
		s, _ := m.(string)
		got = append(got, s)
	}
	if c["sub"] != sub || c["client_id"] != client || c["acr"] != acr || !slices.Equal(got, amr) {
		t.Fatalf("claims %v, want sub %s, client_id %s, acr %s, amr %v", c, sub, client, acr, amr)
	}
	if at, ok := c["auth_time"].(float64); !ok || at <= 0 {
		t.Fatalf("claims %v have no auth_time", c)
	}
}

// FuzzSeed is one seed of FuzzSignIn: an index into its paths, and the
// request's Content-Type, pending-login cookie and body.
type FuzzSeed struct {
	Path        uint8
	ContentType string
	Cookie      string
	Body        string
}

// FuzzSignIn fuzzes sign-in endpoints of a host whose body limit is limit:
// no panic, no 5xx, a JSON object with an "error" member on any failure, 413
// past the body limit. Requests carry the host's API key and, when cookieName
// is set and the input's cookie fits in a header, that cookie.
func (e *Env) FuzzSignIn(f *testing.F, limit int, paths []string, cookieName string, seeds ...FuzzSeed) {
	for _, s := range seeds {
		f.Add(s.Path, s.ContentType, s.Cookie, []byte(s.Body))
	}
	f.Fuzz(func(t *testing.T, path uint8, contentType, cookie string, body []byte) {
		p := paths[int(path)%len(paths)]
		for _, b := range [][]byte{body, append(bytes.Repeat([]byte(" "), limit+1), body...)} {
			req := httptest.NewRequest(http.MethodPost, p, bytes.NewReader(b))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("X-Api-Key", e.APIKey)
			if cookieName != "" && cookie != "" && printableASCII(cookie) && !strings.ContainsAny(cookie, "; ,\"") {
				req.Header.Set("Cookie", cookieName+"="+cookie)
			}
			rec := httptest.NewRecorder()
			e.Mux.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
			}
			if len(b) > limit && rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("%s with %d bytes: %d %s, want 413", p, len(b), rec.Code, rec.Body)
			}
			var shape map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &shape); err != nil {
				t.Fatalf("%s: %d, body is not a JSON object: %q", p, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				if _, ok := shape["error"].(string); !ok {
					t.Fatalf("%s: %d without an error: %s", p, rec.Code, rec.Body)
				}
			}
		}
	})
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
