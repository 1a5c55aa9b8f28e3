package scanner

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

// signInRegister serves the dialect on a sign-in test host.
func signInRegister(mux *http.ServeMux, d dialects.Deps, keys *auth.APIKeys) {
	Register(mux, d, keys)
}

// TestSignIn signs in through the dialect on a host with a real OAuth
// provider, real plugin processes and the native API.
func TestSignIn(t *testing.T) {
	bins, err := testplugins.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T, e *testsignin.Env)
		}{
			{"scanner", testScannerSignIn},
			{"scanner lockout", testScannerSignInLockout},
			{"scanner sign-in race", testScannerSignInRace},
		} {
			t.Run(tc.name, func(t *testing.T) {
				lockout := mfa.LockoutPolicy{}
				if strings.Contains(tc.name, "lockout") {
					lockout = mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: time.Hour}
				}
				tc.run(t, testsignin.New(t, newURL(t), testsignin.PluginFactors(bins), lockout, 0, signInRegister))
			})
		}
	})
}

func scannerSignIn(t *testing.T, e *testsignin.Env, body string) testsignin.Response {
	t.Helper()
	return e.Do(t, http.MethodPost, pathSignIn, map[string]string{"X-Api-Key": e.APIKey, "Content-Type": "application/json"}, body)
}

func scannerCredentials(name, password string) string {
	return fmt.Sprintf(`{"username":%q,"password":%q}`, name, password)
}

func scannerSecondStep(state, code string) string {
	return fmt.Sprintf(`{"otp_attempt":%q,"otp_session_state":%q}`, code, state)
}

func testScannerSignIn(t *testing.T, e *testsignin.Env) {
	alice, bob, carol := e.User("alice"), e.User("bob"), e.User("carol")
	secret, _ := e.EnrollTOTP(t, bob)
	e.EnrollSMS(t, carol)
	const badState = `{"error":"invalid or expired otp_session_state; sign in again"}`

	t.Run("without a second factor", func(t *testing.T) {
		r := scannerSignIn(t, e, scannerCredentials("alice", testsignin.Password))
		r.Want(t, http.StatusOK, "")
		token := r.Field(t, "token")
		testsignin.WantClaims(t, token, alice.ID, "factorgate-scanner", oauth.ACRPassword, "pwd")
		// The token works on the scanner's own endpoints, with Bearer and
		// with Basic, and on the native API.
		e.Do(t, http.MethodPut, pathEnable+"?method=totp", map[string]string{"X-Api-Key": e.APIKey, "Authorization": "Bearer " + token}, "").Want(t, http.StatusOK, "")
		e.Do(t, http.MethodPut, pathEnable+"?method=totp", map[string]string{"X-Api-Key": e.APIKey, "Authorization": "Basic " + token}, "").Want(t, http.StatusOK, "")
		me := e.Do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "")
		me.Want(t, http.StatusOK, "")
		if me.Field(t, "id") != alice.ID {
			t.Fatalf("/v1/users/me = %s", me.Body)
		}
		// A revoked token is refused.
		e.Do(t, http.MethodPost, "/oauth2/revoke", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"token": {token}, "client_id": {"factorgate-scanner"}}.Encode()).Want(t, http.StatusOK, "")
		e.Do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").Want(t, http.StatusUnauthorized, "")
		e.Do(t, http.MethodPut, pathEnable+"?method=totp", map[string]string{"X-Api-Key": e.APIKey, "Authorization": "Bearer " + token}, "").
			Want(t, http.StatusUnauthorized, `{"error":"invalid or expired access token"}`)
	})

	t.Run("with TOTP", func(t *testing.T) {
		r := scannerSignIn(t, e, scannerCredentials("bob", testsignin.Password))
		r.Want(t, http.StatusOK, "")
		state := r.Field(t, "otp_session_state")
		if strings.Contains(r.Body, "token") {
			t.Fatalf("the password step issued a token: %s", r.Body)
		}
		scannerSignIn(t, e, scannerSecondStep(state, "000000")).Want(t, http.StatusUnprocessableEntity, `{"error":"invalid code"}`)
		r = scannerSignIn(t, e, scannerSecondStep(state, e.TOTP(t, secret)))
		r.Want(t, http.StatusOK, "")
		token := r.Field(t, "token")
		testsignin.WantClaims(t, token, bob.ID, "factorgate-scanner", oauth.ACRMFA, "pwd", "otp", "mfa")
		// The state is single-use.
		scannerSignIn(t, e, scannerSecondStep(state, e.TOTP(t, secret))).Want(t, http.StatusUnauthorized, badState)
		e.Do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").Want(t, http.StatusOK, "")
		// The token disables the user's TOTP through the scanner's endpoint.
		e.Do(t, http.MethodPut, pathDisable+"?method=totp&otp_attempt="+e.TOTP(t, secret), map[string]string{"X-Api-Key": e.APIKey, "Authorization": "Bearer " + token}, "").
			Want(t, http.StatusOK, `{"status":"disabled","method":"totp"}`)
	})

	t.Run("with SMS", func(t *testing.T) {
		before := e.Outbox.Count()
		r := scannerSignIn(t, e, scannerCredentials("carol", testsignin.Password))
		r.Want(t, http.StatusOK, "")
		if e.Outbox.Count() != before+1 {
			t.Fatalf("%d SMS sent on entering the step, want 1", e.Outbox.Count()-before)
		}
		_, code := e.Outbox.Last(t)
		r = scannerSignIn(t, e, scannerSecondStep(r.Field(t, "otp_session_state"), code))
		r.Want(t, http.StatusOK, "")
		testsignin.WantClaims(t, r.Field(t, "token"), carol.ID, "factorgate-scanner", oauth.ACRMFA, "pwd", "sms", "mfa")
	})

	t.Run("expired state", func(t *testing.T) {
		e.Clock.Add(time.Minute) // past the SMS factor's resend interval
		r := scannerSignIn(t, e, scannerCredentials("carol", testsignin.Password))
		r.Want(t, http.StatusOK, "")
		_, code := e.Outbox.Last(t)
		e.Clock.Add(5*time.Minute + time.Second)
		scannerSignIn(t, e, scannerSecondStep(r.Field(t, "otp_session_state"), code)).Want(t, http.StatusUnauthorized, badState)
	})

	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		status int
		want   string
	}{
		{"wrong password", nil, scannerCredentials("alice", "wrong password"), http.StatusUnauthorized, `{"error":"invalid username or password"}`},
		{"unknown user", nil, scannerCredentials("nobody", testsignin.Password), http.StatusUnauthorized, `{"error":"invalid username or password"}`},
		{"unknown state", nil, scannerSecondStep("fgsis_nope", "123456"), http.StatusUnauthorized, badState},
		{"no API key", map[string]string{"X-Api-Key": ""}, scannerCredentials("alice", testsignin.Password), http.StatusUnauthorized, `{"error":"send one x-api-key header"}`},
		{"missing password", nil, `{"username":"alice"}`, http.StatusUnprocessableEntity, `{"error":"username and password are required"}`},
		{"missing code", nil, `{"otp_session_state":"x"}`, http.StatusUnprocessableEntity, `{"error":"otp_attempt is required"}`},
		{"mixed steps", nil, `{"username":"alice","otp_session_state":"x","otp_attempt":"1"}`, http.StatusUnprocessableEntity, `{"error":"send either username and password, or otp_attempt and otp_session_state"}`},
		{"unknown member", nil, `{"user":"alice"}`, http.StatusUnprocessableEntity, `{"error":"the request body may hold only username, password, otp_attempt, otp_session_state"}`},
		{"not an object", nil, `[]`, http.StatusUnprocessableEntity, `{"error":"the request body must be a JSON object"}`},
		{"not a string", nil, `{"username":1}`, http.StatusUnprocessableEntity, `{"error":"username must be a string"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"X-Api-Key": e.APIKey, "Content-Type": "application/json"}
			for k, v := range tc.header {
				h[k] = v
			}
			e.Do(t, http.MethodPost, pathSignIn, h, tc.body).Want(t, tc.status, tc.want)
		})
	}
	t.Run("method", func(t *testing.T) {
		r := e.Do(t, http.MethodGet, pathSignIn, map[string]string{"X-Api-Key": e.APIKey}, "")
		r.Want(t, http.StatusMethodNotAllowed, `{"error":"method not allowed; use POST"}`)
		if r.Header.Get("Allow") != http.MethodPost {
			t.Fatalf("Allow: %q", r.Header.Get("Allow"))
		}
	})
}

// testScannerSignInLockout: wrong codes against a pending state count
// toward the user's lockout, which then refuses even the right code.
func testScannerSignInLockout(t *testing.T, e *testsignin.Env) {
	bob := e.User("bob")
	secret, _ := e.EnrollTOTP(t, bob)
	r := scannerSignIn(t, e, scannerCredentials("bob", testsignin.Password))
	r.Want(t, http.StatusOK, "")
	state := r.Field(t, "otp_session_state")
	// Three wrong codes use up the second factor's attempts.
	for _, code := range []string{"000000", "000001", "000002"} {
		scannerSignIn(t, e, scannerSecondStep(state, code)).Want(t, http.StatusUnprocessableEntity, `{"error":"invalid code"}`)
	}
	locked := scannerSignIn(t, e, scannerSecondStep(state, e.TOTP(t, secret)))
	locked.Want(t, http.StatusTooManyRequests, `{"error":"too many failed attempts; try again later"}`)
	if locked.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// The password counts on counters of its own, so it is still taken; the
	// second step of a new sign-in is locked as well.
	r = scannerSignIn(t, e, scannerCredentials("bob", testsignin.Password))
	r.Want(t, http.StatusOK, "")
	scannerSignIn(t, e, scannerSecondStep(r.Field(t, "otp_session_state"), e.TOTP(t, secret))).Want(t, http.StatusTooManyRequests, `{"error":"too many failed attempts; try again later"}`)
}

// FuzzSignIn fuzzes the sign-in endpoint: no panic, no 5xx, the dialect's
// error shape on any input, 413 past the body limit.
func FuzzSignIn(f *testing.F) {
	const limit = 1 << 10
	e := testsignin.New(f, filepath.Join(f.TempDir(), "fuzz.db"), testsignin.InProcessFactors, mfa.LockoutPolicy{}, limit, signInRegister)
	e.User("alice")
	e.FuzzSignIn(f, limit, []string{pathSignIn}, "",
		testsignin.FuzzSeed{Path: 0, ContentType: "application/json", Body: `{"username":"alice","password":"wrong password"}`},
		testsignin.FuzzSeed{Path: 0, ContentType: "application/json", Body: `{"otp_attempt":"123456","otp_session_state":"fgsis_x"}`},
		testsignin.FuzzSeed{Path: 0, ContentType: "application/json", Body: `{"username":1,"username":"a"}`},
	)
}

// TestSignInSendsAnyFactorsCode: a third party's factor that sends its code
// (the email example), routed behind scanner.totp, gets its code sent at
// /auth/sign_in, as the scanner's own SMS slot does.
func TestSignInSendsAnyFactorsCode(t *testing.T) {
	bins, err := testplugins.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mail := testsignin.NewMailbox(t)
	factors := func(t testing.TB, m *plugins.Manager, sms json.RawMessage) {
		err := m.Load(context.Background(), []plugins.Binary{bins["totp"], bins["sms"], bins["emailotp"]}, []plugins.InstanceConfig{
			{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
			{Name: "sms", Plugin: "sms", Settings: sms},
			{Name: "email", Plugin: "emailotp", Settings: mail.Settings()},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	emailBehindTOTP := func(mux *http.ServeMux, d dialects.Deps, keys *auth.APIKeys) {
		d.Routes = map[string]string{dialects.RouteScannerTOTP: "email", dialects.RouteScannerSMS: "sms"}
		Register(mux, d, keys)
	}
	e := testsignin.New(t, filepath.Join(t.TempDir(), "db"), factors, mfa.LockoutPolicy{}, 0, emailBehindTOTP)
	dora := e.User("dora")
	const addr = "dora@example.net"
	ctx, meta := context.Background(), mfa.Meta{Actor: dora.ID, Via: "test"}
	en, err := e.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: dora.ID, Factor: "email", Params: map[string]string{"email": addr}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: dora.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: mail.Last(t, addr)}}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(time.Minute)

	sent := mail.Count()
	r := scannerSignIn(t, e, scannerCredentials("dora", testsignin.Password))
	r.Want(t, http.StatusOK, "")
	state := r.Field(t, "otp_session_state")
	if mail.Count() != sent+1 {
		t.Fatalf("the sign-in mailed %d codes, want 1", mail.Count()-sent)
	}
	r = scannerSignIn(t, e, scannerSecondStep(state, mail.Last(t, addr)))
	r.Want(t, http.StatusOK, "")
	if r.Field(t, "token") == "" {
		t.Fatal("no token")
	}
}

// testScannerSignInRace: twenty sign-ins of an SMS user at once send one
// text; the others are refused with 429 and Retry-After (the send is
// reserved in the database before the factor is called, and the password
// throttle refuses some before any hash).
func testScannerSignInRace(t *testing.T, e *testsignin.Env) {
	erin := e.User("erin")
	e.EnrollSMS(t, erin)
	sent := e.Outbox.Count()
	statuses := e.Race(t, 20, pathSignIn, map[string]string{"X-Api-Key": e.APIKey, "Content-Type": "application/json"},
		scannerCredentials("erin", testsignin.Password))
	if texts := e.Outbox.Count() - sent; texts != 1 || statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 {
		t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, texts)
	}
}
