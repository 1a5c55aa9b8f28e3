package dialects

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	backupfactor "github.com/factorgate/factorgate/factors/backupcodes"
	smsfactor "github.com/factorgate/factorgate/factors/sms"
	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/api"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// signInPassword is every test user's password.
const signInPassword = "correct horse battery staple"

// signInClock is real time plus an offset a test moves forward: fosite
// reads the system clock for token lifetimes, so the host's clock must not
// drift far from it.
type signInClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *signInClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *signInClock) Add(d time.Duration) { c.mu.Lock(); c.offset += d; c.mu.Unlock() }

// signInEnv is one host serving the three dialects' sign-ins, the OAuth
// provider and the native API over real HTTP, on its own database.
type signInEnv struct {
	t        testing.TB
	st       *store.SQLStore
	svc      *mfa.Service
	sessions *auth.Sessions
	clock    *signInClock
	outbox   *scannerOutbox
	srv      *httptest.Server
	mux      *http.ServeMux
	apiKey   string
	org      store.Org
}

// signInFactors loads the factor instances "totp", "sms" (7 digits) and
// "backup-codes".
type signInFactors func(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage)

func signInPluginFactors(bins map[string]plugins.Binary) signInFactors {
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

func signInInProcessFactors(t testing.TB, m *plugins.Manager, smsSettings json.RawMessage) {
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

func newSignInEnv(t testing.TB, dbURL string, factors signInFactors, lockout mfa.LockoutPolicy, maxBody int64) *signInEnv {
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
	e := &signInEnv{t: t, clock: &signInClock{}, outbox: newScannerOutbox(t)}
	if e.st, err = store.Open(ctx, dbURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if e.org, err = e.st.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	factors(t, m, json.RawMessage(fmt.Sprintf(`{"digits": 7, "sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, e.outbox.srv.URL+"/sms")))
	if lockout.MaxFailures == 0 {
		lockout = mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}
	}
	e.svc = mfa.New(e.st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	}), sealer, mfa.Options{Now: e.clock.Now, Lockout: lockout})
	e.sessions = auth.NewSessions(e.st, 30*time.Minute, 12*time.Hour, nil)
	keys := auth.NewAPIKeys(e.st, nil, nil)
	if e.apiKey, _, err = keys.Create(ctx, "scanner-app"); err != nil {
		t.Fatal(err)
	}

	// The issuer is the server's URL, so the provider is built between
	// listening and serving.
	e.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(e.srv.Close)
	provider, err := oauth.New(ctx, oauth.Deps{
		Store: e.st, Sealer: sealer, MFA: e.svc, Sessions: e.sessions, Factors: m,
		PublicURL: "http://" + e.srv.Listener.Addr().String(), Now: e.clock.Now, Lockout: lockout,
		SessionMaxAge: 12 * time.Hour, MaxBodyBytes: maxBody,
	})
	if err != nil {
		t.Fatal(err)
	}
	bearer := auth.Chain{auth.NewTokens(e.st, nil, nil), auth.AuthenticatorFunc(provider.AuthenticateAccessToken)}
	e.mux = http.NewServeMux()
	e.mux.Handle("/", api.New(api.Deps{MFA: e.svc, Users: e.st, Auth: bearer, Factors: m}))
	Register(e.mux, Deps{
		MFA: e.svc, Users: e.st, Tokens: bearer, Sessions: e.sessions, SignIn: provider,
		Routes: map[string]string{
			RouteScannerTOTP: "totp", RouteScannerSMS: "sms", RouteAccountingSMS: "sms",
			RouteSlugBaseTOTP: "totp", RouteSlugBaseBackupCodes: "backup-codes",
		},
		MaxBodyBytes: maxBody,
	}, keys)
	provider.Register(e.mux)
	e.srv.Config.Handler = e.mux
	e.srv.Start()
	return e
}

// user creates a user with signInPassword, hashed at bcrypt's minimum cost
// to keep tests fast.
func (e *signInEnv) user(name string) store.User {
	e.t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(signInPassword), bcrypt.MinCost)
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.st.CreateUser(context.Background(), store.User{ID: "id-" + name, OrgID: e.org.ID, Name: name, Email: name + "@example.com", PasswordHash: string(hash)})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// enrollTOTP gives u an active TOTP with backup codes and returns the secret
// and the codes.
func (e *signInEnv) enrollTOTP(t *testing.T, u store.User) (string, []string) {
	t.Helper()
	ctx := context.Background()
	meta := mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "totp"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{
		UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: e.totp(t, en.Display.Secret)}, AlsoEnroll: "backup-codes",
	})
	if err != nil {
		t.Fatal(err)
	}
	return en.Display.Secret, c.Also.Display.Codes
}

// enrollSMS gives u an active SMS factor.
func (e *signInEnv) enrollSMS(t *testing.T, u store.User) {
	t.Helper()
	ctx := context.Background()
	meta := mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "sms", Params: map[string]string{"phone": "+61499999999"}})
	if err != nil {
		t.Fatal(err)
	}
	_, code := e.outbox.last(t)
	if _, err := e.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code}}); err != nil {
		t.Fatal(err)
	}
}

// totp returns a fresh code: the clock moves to the next step first, so a
// code is never one already used.
func (e *signInEnv) totp(t *testing.T, secret string) string {
	t.Helper()
	e.clock.Add(30 * time.Second)
	return scannerTOTPCode(t, secret, e.clock.Now())
}

// signInResponse is an answer with its body read.
type signInResponse struct {
	status int
	header http.Header
	body   string
}

func (e *signInEnv) do(t *testing.T, method, path string, header map[string]string, body string, cookies ...*http.Cookie) signInResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
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
	return signInResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (r signInResponse) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || (body != "" && r.body != body) {
		t.Fatalf("answer %d %s, want %d %s", r.status, r.body, status, body)
	}
}

// field returns a string member of a JSON object answer.
func (r signInResponse) field(t *testing.T, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer %q: %v", r.body, err)
	}
	s, ok := m[name].(string)
	if !ok || s == "" {
		t.Fatalf("answer %s has no %s", r.body, name)
	}
	return s
}

func (r signInResponse) cookie(t *testing.T, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, r.header.Values("Set-Cookie"))
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

// wantClaims checks the login a token says happened.
func wantClaims(t *testing.T, token, sub, client, acr string, amr ...string) {
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

func TestSignIn(t *testing.T) {
	bins := slugBasePlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T, e *signInEnv)
		}{
			{"scanner", testScannerSignIn},
			{"scanner lockout", testScannerSignInLockout},
			{"accounting", testAccountingSignIn},
			{"slugbase", testSlugBaseSignIn},
		} {
			t.Run(tc.name, func(t *testing.T) {
				lockout := mfa.LockoutPolicy{}
				if strings.Contains(tc.name, "lockout") {
					lockout = mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: time.Hour}
				}
				tc.run(t, newSignInEnv(t, newURL(t), signInPluginFactors(bins), lockout, 0))
			})
		}
	})
}

// --- the scanner ---

func (e *signInEnv) scannerSignIn(t *testing.T, body string) signInResponse {
	t.Helper()
	return e.do(t, http.MethodPost, scannerPathSignIn, map[string]string{"X-Api-Key": e.apiKey, "Content-Type": "application/json"}, body)
}

func scannerCredentials(name, password string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q}`, name, password)
}

func scannerSecondStep(state, code string) string {
	return fmt.Sprintf(`{"otp_attempt":%q,"otp_session_state":%q}`, code, state)
}

func testScannerSignIn(t *testing.T, e *signInEnv) {
	alice, bob, carol := e.user("alice"), e.user("bob"), e.user("carol")
	secret, _ := e.enrollTOTP(t, bob)
	e.enrollSMS(t, carol)
	const badState = `{"error":"invalid or expired otp_session_state; sign in again"}`

	t.Run("without a second factor", func(t *testing.T) {
		r := e.scannerSignIn(t, scannerCredentials("alice", signInPassword))
		r.want(t, http.StatusOK, "")
		token := r.field(t, "token")
		wantClaims(t, token, alice.ID, "factorgate-scanner", oauth.ACRPassword, "pwd")
		// The token works on the scanner's own endpoints, with Bearer and
		// with Basic, and on the native API.
		e.do(t, http.MethodPut, scannerPathEnable+"?method=totp", map[string]string{"X-Api-Key": e.apiKey, "Authorization": "Bearer " + token}, "").want(t, http.StatusOK, "")
		e.do(t, http.MethodPut, scannerPathEnable+"?method=totp", map[string]string{"X-Api-Key": e.apiKey, "Authorization": "Basic " + token}, "").want(t, http.StatusOK, "")
		me := e.do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "")
		me.want(t, http.StatusOK, "")
		if me.field(t, "id") != alice.ID {
			t.Fatalf("/v1/users/me = %s", me.body)
		}
		// A revoked token is refused.
		e.do(t, http.MethodPost, "/oauth2/revoke", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"token": {token}, "client_id": {"factorgate-scanner"}}.Encode()).want(t, http.StatusOK, "")
		e.do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").want(t, http.StatusUnauthorized, "")
		e.do(t, http.MethodPut, scannerPathEnable+"?method=totp", map[string]string{"X-Api-Key": e.apiKey, "Authorization": "Bearer " + token}, "").
			want(t, http.StatusUnauthorized, `{"error":"invalid or expired access token"}`)
	})

	t.Run("with TOTP", func(t *testing.T) {
		r := e.scannerSignIn(t, scannerCredentials("bob", signInPassword))
		r.want(t, http.StatusOK, "")
		state := r.field(t, "otp_session_state")
		if strings.Contains(r.body, "token") {
			t.Fatalf("the password step issued a token: %s", r.body)
		}
		e.scannerSignIn(t, scannerSecondStep(state, "000000")).want(t, http.StatusUnprocessableEntity, `{"error":"invalid code"}`)
		r = e.scannerSignIn(t, scannerSecondStep(state, e.totp(t, secret)))
		r.want(t, http.StatusOK, "")
		token := r.field(t, "token")
		wantClaims(t, token, bob.ID, "factorgate-scanner", oauth.ACRMFA, "pwd", "otp", "mfa")
		// The state is single-use.
		e.scannerSignIn(t, scannerSecondStep(state, e.totp(t, secret))).want(t, http.StatusUnauthorized, badState)
		e.do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").want(t, http.StatusOK, "")
		// The token disables the user's TOTP through the scanner's endpoint.
		e.do(t, http.MethodPut, scannerPathDisable+"?method=totp&otp_attempt="+e.totp(t, secret), map[string]string{"X-Api-Key": e.apiKey, "Authorization": "Bearer " + token}, "").
			want(t, http.StatusOK, `{"status":"disabled","method":"totp"}`)
	})

	t.Run("with SMS", func(t *testing.T) {
		before := e.outbox.count()
		r := e.scannerSignIn(t, scannerCredentials("carol", signInPassword))
		r.want(t, http.StatusOK, "")
		if e.outbox.count() != before+1 {
			t.Fatalf("%d SMS sent on entering the step, want 1", e.outbox.count()-before)
		}
		_, code := e.outbox.last(t)
		r = e.scannerSignIn(t, scannerSecondStep(r.field(t, "otp_session_state"), code))
		r.want(t, http.StatusOK, "")
		wantClaims(t, r.field(t, "token"), carol.ID, "factorgate-scanner", oauth.ACRMFA, "pwd", "sms", "mfa")
	})

	t.Run("expired state", func(t *testing.T) {
		e.clock.Add(time.Minute) // past the SMS factor's resend interval
		r := e.scannerSignIn(t, scannerCredentials("carol", signInPassword))
		r.want(t, http.StatusOK, "")
		_, code := e.outbox.last(t)
		e.clock.Add(5*time.Minute + time.Second)
		e.scannerSignIn(t, scannerSecondStep(r.field(t, "otp_session_state"), code)).want(t, http.StatusUnauthorized, badState)
	})

	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		status int
		want   string
	}{
		{"wrong password", nil, scannerCredentials("alice", "wrong password"), http.StatusUnauthorized, `{"error":"invalid username or password"}`},
		{"unknown user", nil, scannerCredentials("nobody", signInPassword), http.StatusUnauthorized, `{"error":"invalid username or password"}`},
		{"unknown state", nil, scannerSecondStep("fgsis_nope", "123456"), http.StatusUnauthorized, badState},
		{"no API key", map[string]string{"X-Api-Key": ""}, scannerCredentials("alice", signInPassword), http.StatusUnauthorized, `{"error":"send one x-api-key header"}`},
		{"missing password", nil, `{"username":"alice"}`, http.StatusUnprocessableEntity, `{"error":"username and password are required"}`},
		{"missing code", nil, `{"otp_session_state":"x"}`, http.StatusUnprocessableEntity, `{"error":"otp_attempt is required"}`},
		{"mixed steps", nil, `{"username":"alice","otp_session_state":"x","otp_attempt":"1"}`, http.StatusUnprocessableEntity, `{"error":"send either username and password, or otp_attempt and otp_session_state"}`},
		{"unknown member", nil, `{"user":"alice"}`, http.StatusUnprocessableEntity, `{"error":"the request body may hold only username, password, otp_attempt, otp_session_state"}`},
		{"not an object", nil, `[]`, http.StatusUnprocessableEntity, `{"error":"the request body must be a JSON object"}`},
		{"not a string", nil, `{"username":1}`, http.StatusUnprocessableEntity, `{"error":"username must be a string"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"X-Api-Key": e.apiKey, "Content-Type": "application/json"}
			for k, v := range tc.header {
				h[k] = v
			}
			e.do(t, http.MethodPost, scannerPathSignIn, h, tc.body).want(t, tc.status, tc.want)
		})
	}
	t.Run("method", func(t *testing.T) {
		r := e.do(t, http.MethodGet, scannerPathSignIn, map[string]string{"X-Api-Key": e.apiKey}, "")
		r.want(t, http.StatusMethodNotAllowed, `{"error":"method not allowed; use POST"}`)
		if r.header.Get("Allow") != http.MethodPost {
			t.Fatalf("Allow: %q", r.header.Get("Allow"))
		}
	})
}

// testScannerSignInLockout: wrong codes against a pending state count
// toward the user's lockout, which then refuses even the right code.
func testScannerSignInLockout(t *testing.T, e *signInEnv) {
	bob := e.user("bob")
	secret, _ := e.enrollTOTP(t, bob)
	r := e.scannerSignIn(t, scannerCredentials("bob", signInPassword)) // attempt 1
	r.want(t, http.StatusOK, "")
	state := r.field(t, "otp_session_state")
	e.scannerSignIn(t, scannerSecondStep(state, "000000")).want(t, http.StatusUnprocessableEntity, `{"error":"invalid code"}`) // 2
	e.scannerSignIn(t, scannerSecondStep(state, "000001")).want(t, http.StatusUnprocessableEntity, `{"error":"invalid code"}`) // 3
	locked := e.scannerSignIn(t, scannerSecondStep(state, e.totp(t, secret)))
	locked.want(t, http.StatusTooManyRequests, `{"error":"too many failed attempts; try again later"}`)
	if locked.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// The password step is locked too.
	e.scannerSignIn(t, scannerCredentials("bob", signInPassword)).want(t, http.StatusTooManyRequests, "")
}

// --- the accounting service ---

func (e *signInEnv) accountingGrant(t *testing.T, path, username, password, code string) signInResponse {
	t.Helper()
	body := fmt.Sprintf(`{"grant_type":"password","username":%q,"password":%q,"scope":"full","verification_code":null}`, username, password)
	if code != "" {
		body = fmt.Sprintf(`{"grant_type":"password","username":%q,"password":%q,"scope":"full","verification_code":%q}`, username, password, code)
	}
	return e.do(t, http.MethodPost, path, map[string]string{"Content-Type": "application/json"}, body)
}

func testAccountingSignIn(t *testing.T, e *signInEnv) {
	alice, carol := e.user("alice"), e.user("carol")
	e.enrollSMS(t, carol)
	fileID := strconv.FormatInt(e.org.ID, 10)

	t.Run("without a second factor, and refresh", func(t *testing.T) {
		r := e.accountingGrant(t, accountingTokenPath, "alice", signInPassword, "")
		r.want(t, http.StatusOK, "")
		var tok struct {
			AccessToken  string `json:"access_token"`
			TokenType    string `json:"token_type"`
			ExpiresIn    int64  `json:"expires_in"`
			RefreshToken string `json:"refresh_token"`
			Scope        string `json:"scope"`
		}
		if err := json.Unmarshal([]byte(r.body), &tok); err != nil {
			t.Fatal(err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn < 800 || tok.ExpiresIn > 900 || tok.RefreshToken == "" || tok.Scope != fileID {
			t.Fatalf("token answer %s", r.body)
		}
		wantClaims(t, tok.AccessToken, alice.ID, "factorgate-accounting", oauth.ACRPassword, "pwd")
		// The access token works on the accounting endpoints.
		e.do(t, http.MethodPost, accountingOptInPath+"?FileId="+fileID, map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Content-Type": "application/json"},
			`{"MobileNumber":"0499999999"}`).want(t, http.StatusOK, "")
		// The refresh token is no access token.
		e.do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + tok.RefreshToken}, "").want(t, http.StatusUnauthorized, "")
		// The refresh token works at the provider's token endpoint with the
		// dialect's client, and the new access token keeps the claims.
		rr := e.do(t, http.MethodPost, "/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"factorgate-accounting"}}.Encode())
		rr.want(t, http.StatusOK, "")
		fresh := rr.field(t, "access_token")
		wantClaims(t, fresh, alice.ID, "factorgate-accounting", oauth.ACRPassword, "pwd")
		e.clock.Add(time.Minute) // a new opt-in sends again: past the resend interval
		e.do(t, http.MethodPost, accountingOptInPath+"?FileId="+fileID, map[string]string{"Authorization": "Bearer " + fresh, "Content-Type": "application/json"},
			`{"MobileNumber":"0499999999"}`).want(t, http.StatusOK, "")
		// The refresh token was rotated: the old one is spent.
		e.do(t, http.MethodPost, "/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"factorgate-accounting"}}.Encode()).want(t, http.StatusBadRequest, "")
	})

	t.Run("with SMS", func(t *testing.T) {
		e.clock.Add(time.Minute) // past the SMS factor's resend interval
		before := e.outbox.count()
		e.accountingGrant(t, accountingToken2FAPath, "carol", signInPassword, "").want(t, http.StatusUnauthorized,
			`{"error":"2fa_code_required","error_description":"Two-factor authentication is on for this user. A code was sent by SMS; post the request again with it as verification_code."}`)
		if e.outbox.count() != before+1 {
			t.Fatalf("%d SMS sent, want 1", e.outbox.count()-before)
		}
		_, code := e.outbox.last(t)
		e.accountingGrant(t, accountingToken2FAPath, "carol", signInPassword, accountingWrongCode(t, code)).
			want(t, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"The 2FA code is incorrect."}`)
		r := e.accountingGrant(t, accountingToken2FAPath, "carol", signInPassword, code)
		r.want(t, http.StatusOK, "")
		token := r.field(t, "access_token")
		wantClaims(t, token, carol.ID, "factorgate-accounting", oauth.ACRMFA, "pwd", "sms", "mfa")
		// The code is single-use.
		e.accountingGrant(t, accountingTokenPath, "carol", signInPassword, code).
			want(t, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"The 2FA code has already been used."}`)
		e.do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").want(t, http.StatusOK, "")
	})

	t.Run("XML and form requests", func(t *testing.T) {
		xmlBody := `<OAuthPasswordCredentialsGrantRequest xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><grant_type>password</grant_type><username>alice</username><password>` + signInPassword + `</password><scope>full</scope></OAuthPasswordCredentialsGrantRequest>`
		e.do(t, http.MethodPost, accountingTokenPath, map[string]string{"Content-Type": "text/xml"}, xmlBody).want(t, http.StatusOK, "")
		form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {signInPassword}}.Encode()
		e.do(t, http.MethodPost, accountingTokenPath, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form).want(t, http.StatusOK, "")
	})

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"wrong password", "application/json", `{"grant_type":"password","username":"alice","password":"nope"}`, http.StatusBadRequest,
			`{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`},
		{"unknown user", "application/json", `{"grant_type":"password","username":"nobody","password":"nope"}`, http.StatusBadRequest,
			`{"error":"invalid_grant","error_description":"The user name or password is incorrect."}`},
		{"other grant", "application/json", `{"grant_type":"client_credentials"}`, http.StatusBadRequest,
			`{"error":"unsupported_grant_type","error_description":"The grant_type must be password."}`},
		{"no password", "application/json", `{"grant_type":"password","username":"alice"}`, http.StatusBadRequest,
			`{"error":"invalid_request","error_description":"The username and password fields are required."}`},
		{"unknown member", "application/json", `{"grant_type":"password","user":"alice"}`, http.StatusBadRequest,
			`{"error":"invalid_request","error_description":"The request body has a field that is not part of the request."}`},
		{"media type", "text/plain", `grant_type=password`, http.StatusUnsupportedMediaType,
			`{"error":"invalid_request","error_description":"Send the request as application/json, text/json, application/xml, text/xml or application/x-www-form-urlencoded."}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do(t, http.MethodPost, accountingTokenPath, map[string]string{"Content-Type": tc.contentType}, tc.body).want(t, tc.status, tc.want)
		})
	}
}

// --- SlugBase ---

func (e *signInEnv) slugBaseLogin(t *testing.T, email, password string) signInResponse {
	t.Helper()
	return e.do(t, http.MethodPost, slugBaseLoginPath, map[string]string{"Content-Type": "application/json"}, fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
}

func (e *signInEnv) slugBaseVerify(t *testing.T, pending *http.Cookie, code string) signInResponse {
	t.Helper()
	return e.do(t, http.MethodPost, slugBaseMFAVerifyPath, map[string]string{"Content-Type": "application/json"}, fmt.Sprintf(`{"code":%q}`, code), pending)
}

func testSlugBaseSignIn(t *testing.T, e *signInEnv) {
	e.user("alice")
	bob := e.user("bob")
	secret, backupCodes := e.enrollTOTP(t, bob)
	const (
		pendingInvalid = `{"error":"Unauthorized","message":"MFA session expired. Please sign in again.","code":401,"details":"MFA_PENDING_INVALID"}`
		wrongCode      = `{"error":"Unauthorized","message":"Invalid code","code":401,"details":"INVALID_CODE"}`
	)
	status := func(t *testing.T, session *http.Cookie) string {
		t.Helper()
		r := e.do(t, http.MethodGet, slugBaseStatusPath, nil, "", session)
		r.want(t, http.StatusOK, "")
		return r.body
	}
	sessionAMR := func(t *testing.T, session *http.Cookie) []string {
		t.Helper()
		se, err := e.sessions.Authenticate(context.Background(), session.Value)
		if err != nil {
			t.Fatal(err)
		}
		return se.AMR
	}

	t.Run("without a second factor", func(t *testing.T) {
		r := e.slugBaseLogin(t, "alice", signInPassword)
		r.want(t, http.StatusOK, `{"id":"id-alice","email":"alice@example.com","name":"alice","is_admin":false}`)
		session := r.cookie(t, SlugBaseSessionCookie)
		if !session.HttpOnly || session.MaxAge <= 0 {
			t.Fatalf("session cookie %+v", session)
		}
		if got := status(t, session); got != `{"enabled":false,"enrolled_at":null}` {
			t.Fatalf("status %s", got)
		}
		if amr := sessionAMR(t, session); !slices.Equal(amr, []string{"pwd"}) {
			t.Fatalf("session amr %v", amr)
		}
	})

	t.Run("with TOTP", func(t *testing.T) {
		r := e.slugBaseLogin(t, "bob", signInPassword)
		r.want(t, http.StatusOK, `{"mfa_required":true}`)
		pending := r.cookie(t, SlugBaseMFAPendingCookie)
		if pending.MaxAge != 300 || !pending.HttpOnly || pending.Path != slugBasePendingPath {
			t.Fatalf("pending cookie %+v", pending)
		}
		for _, c := range (&http.Response{Header: r.header}).Cookies() {
			if c.Name == SlugBaseSessionCookie {
				t.Fatal("the password step set the session cookie")
			}
		}
		e.slugBaseVerify(t, pending, "000000").want(t, http.StatusUnauthorized, wrongCode)
		r = e.slugBaseVerify(t, pending, e.totp(t, secret))
		r.want(t, http.StatusOK, `{"id":"id-bob","email":"bob@example.com","name":"bob","is_admin":false}`)
		session := r.cookie(t, SlugBaseSessionCookie)
		if !strings.Contains(status(t, session), `"enabled":true`) {
			t.Fatal("MFA is not shown enabled to the new session")
		}
		if amr := sessionAMR(t, session); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("session amr %v", amr)
		}
		// The pending cookie is single-use.
		e.slugBaseVerify(t, pending, e.totp(t, secret)).want(t, http.StatusUnauthorized, pendingInvalid)
	})

	t.Run("with a backup code", func(t *testing.T) {
		r := e.slugBaseLogin(t, "bob", signInPassword)
		r.want(t, http.StatusOK, `{"mfa_required":true}`)
		r = e.slugBaseVerify(t, r.cookie(t, SlugBaseMFAPendingCookie), backupCodes[0])
		r.want(t, http.StatusOK, "")
		if amr := sessionAMR(t, r.cookie(t, SlugBaseSessionCookie)); !slices.Contains(amr, "mfa") {
			t.Fatalf("session amr %v", amr)
		}
	})

	t.Run("expired pending cookie", func(t *testing.T) {
		r := e.slugBaseLogin(t, "bob", signInPassword)
		r.want(t, http.StatusOK, `{"mfa_required":true}`)
		e.clock.Add(5*time.Minute + time.Second)
		e.slugBaseVerify(t, r.cookie(t, SlugBaseMFAPendingCookie), scannerTOTPCode(t, secret, e.clock.Now())).want(t, http.StatusUnauthorized, pendingInvalid)
	})

	for _, tc := range []struct {
		name, path, body string
		cookie           *http.Cookie
		status           int
		want             string
	}{
		{"wrong password", slugBaseLoginPath, `{"email":"alice","password":"nope"}`, nil, http.StatusUnauthorized,
			`{"error":"Unauthorized","message":"Invalid email or password","code":401,"details":"INVALID_CREDENTIALS"}`},
		{"unknown user", slugBaseLoginPath, `{"email":"nobody","password":"nope"}`, nil, http.StatusUnauthorized,
			`{"error":"Unauthorized","message":"Invalid email or password","code":401,"details":"INVALID_CREDENTIALS"}`},
		{"missing password", slugBaseLoginPath, `{"email":"alice"}`, nil, http.StatusBadRequest,
			`{"error":"Bad Request","message":"Email and password are required","code":400,"details":"VALIDATION_ERROR"}`},
		{"no pending cookie", slugBaseMFAVerifyPath, `{"code":"123456"}`, nil, http.StatusUnauthorized, pendingInvalid},
		{"unknown pending cookie", slugBaseMFAVerifyPath, `{"code":"123456"}`, &http.Cookie{Name: SlugBaseMFAPendingCookie, Value: "fgsis_nope"}, http.StatusUnauthorized, pendingInvalid},
		{"missing code", slugBaseMFAVerifyPath, `{}`, &http.Cookie{Name: SlugBaseMFAPendingCookie, Value: "fgsis_nope"}, http.StatusBadRequest,
			`{"error":"Bad Request","message":"Code is required","code":400,"details":"CODE_REQUIRED"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			e.do(t, http.MethodPost, tc.path, map[string]string{"Content-Type": "application/json"}, tc.body, cookies...).want(t, tc.status, tc.want)
		})
	}
}

// FuzzSignIn fuzzes the three dialects' sign-in endpoints: no panic, no
// 5xx, the dialect's error shape on any input, 413 past the body limit.
func FuzzSignIn(f *testing.F) {
	const limit = 1 << 10
	e := newSignInEnv(f, filepath.Join(f.TempDir(), "fuzz.db"), signInInProcessFactors, mfa.LockoutPolicy{}, limit)
	e.user("alice")
	paths := []string{scannerPathSignIn, accountingTokenPath, accountingToken2FAPath, slugBaseLoginPath, slugBaseMFAVerifyPath}
	for _, s := range []struct {
		path        uint8
		contentType string
		cookie      string
		body        string
	}{
		{0, "application/json", "", `{"username":"alice","password":"wrong password"}`},
		{0, "application/json", "", `{"otp_attempt":"123456","otp_session_state":"fgsis_x"}`},
		{0, "application/json", "", `{"username":1,"username":"a"}`},
		{1, "application/json", "", `{"grant_type":"password","username":"alice","password":"wrong","verification_code":null}`},
		{2, "text/xml", "", `<OAuthPasswordCredentialsGrantRequest><grant_type>password</grant_type></OAuthPasswordCredentialsGrantRequest>`},
		{2, "application/x-www-form-urlencoded", "", `grant_type=password&username=%zz`},
		{3, "application/json", "", `{"email":"alice","password":"wrong"}`},
		{4, "application/json", "fgsis_x", `{"code":"123456"}`},
		{4, "application/json", "", `{"code":null}`},
	} {
		f.Add(s.path, s.contentType, s.cookie, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, path uint8, contentType, cookie string, body []byte) {
		p := paths[int(path)%len(paths)]
		for _, b := range [][]byte{body, append(bytes.Repeat([]byte(" "), limit+1), body...)} {
			req := httptest.NewRequest(http.MethodPost, p, bytes.NewReader(b))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("X-Api-Key", e.apiKey)
			if cookie != "" && scannerPrintableASCII(cookie) && !strings.ContainsAny(cookie, "; ,\"") {
				req.Header.Set("Cookie", SlugBaseMFAPendingCookie+"="+cookie)
			}
			rec := httptest.NewRecorder()
			e.mux.ServeHTTP(rec, req)
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
