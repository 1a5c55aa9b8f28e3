package slugbase

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/mfa"
)

// signInRegister serves the dialect on a sign-in test host.
func signInRegister(mux *http.ServeMux, d dialects.Deps, _ *auth.APIKeys) {
	Register(mux, d)
}

// TestSignIn signs in through the dialect on a host with a real OAuth
// provider, real plugin processes and the native API.
func TestSignIn(t *testing.T) {
	bins := slugBasePlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		testSlugBaseSignIn(t, testsignin.New(t, newURL(t), testsignin.PluginFactors(bins), mfa.LockoutPolicy{}, 0, signInRegister))
	})
}

func slugBaseLogin(t *testing.T, e *testsignin.Env, email, password string) testsignin.Response {
	t.Helper()
	return e.Do(t, http.MethodPost, loginPath, map[string]string{"Content-Type": "application/json"}, fmt.Sprintf(`{"email":%q,"password":%q}`, email, password))
}

func slugBaseVerify(t *testing.T, e *testsignin.Env, pending *http.Cookie, code string) testsignin.Response {
	t.Helper()
	return e.Do(t, http.MethodPost, mfaVerifyPath, map[string]string{"Content-Type": "application/json"}, fmt.Sprintf(`{"code":%q}`, code), pending)
}

func testSlugBaseSignIn(t *testing.T, e *testsignin.Env) {
	e.User("alice")
	bob := e.User("bob")
	secret, backupCodes := e.EnrollTOTP(t, bob)
	const (
		pendingInvalid = `{"error":"Unauthorized","message":"MFA session expired. Please sign in again.","code":401,"details":"MFA_PENDING_INVALID"}`
		wrongCode      = `{"error":"Unauthorized","message":"Invalid code","code":401,"details":"INVALID_CODE"}`
	)
	status := func(t *testing.T, session *http.Cookie) string {
		t.Helper()
		r := e.Do(t, http.MethodGet, slugBaseStatusPath, nil, "", session)
		r.Want(t, http.StatusOK, "")
		return r.Body
	}
	sessionAMR := func(t *testing.T, session *http.Cookie) []string {
		t.Helper()
		se, err := e.Sessions.Authenticate(context.Background(), session.Value)
		if err != nil {
			t.Fatal(err)
		}
		return se.AMR
	}

	t.Run("without a second factor", func(t *testing.T) {
		r := slugBaseLogin(t, e, "alice", testsignin.Password)
		r.Want(t, http.StatusOK, `{"id":"id-alice","email":"alice@example.com","name":"alice","is_admin":false}`)
		session := r.Cookie(t, SessionCookie)
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
		r := slugBaseLogin(t, e, "bob", testsignin.Password)
		r.Want(t, http.StatusOK, `{"mfa_required":true}`)
		pending := r.Cookie(t, MFAPendingCookie)
		if pending.MaxAge != 300 || !pending.HttpOnly || pending.Path != pendingPath {
			t.Fatalf("pending cookie %+v", pending)
		}
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			if c.Name == SessionCookie {
				t.Fatal("the password step set the session cookie")
			}
		}
		slugBaseVerify(t, e, pending, "000000").Want(t, http.StatusUnauthorized, wrongCode)
		r = slugBaseVerify(t, e, pending, e.TOTP(t, secret))
		r.Want(t, http.StatusOK, `{"id":"id-bob","email":"bob@example.com","name":"bob","is_admin":false}`)
		session := r.Cookie(t, SessionCookie)
		if !strings.Contains(status(t, session), `"enabled":true`) {
			t.Fatal("MFA is not shown enabled to the new session")
		}
		if amr := sessionAMR(t, session); !slices.Equal(amr, []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("session amr %v", amr)
		}
		// The pending cookie is single-use.
		slugBaseVerify(t, e, pending, e.TOTP(t, secret)).Want(t, http.StatusUnauthorized, pendingInvalid)
	})

	t.Run("with a backup code", func(t *testing.T) {
		r := slugBaseLogin(t, e, "bob", testsignin.Password)
		r.Want(t, http.StatusOK, `{"mfa_required":true}`)
		r = slugBaseVerify(t, e, r.Cookie(t, MFAPendingCookie), backupCodes[0])
		r.Want(t, http.StatusOK, "")
		if amr := sessionAMR(t, r.Cookie(t, SessionCookie)); !slices.Contains(amr, "mfa") {
			t.Fatalf("session amr %v", amr)
		}
	})

	t.Run("expired pending cookie", func(t *testing.T) {
		r := slugBaseLogin(t, e, "bob", testsignin.Password)
		r.Want(t, http.StatusOK, `{"mfa_required":true}`)
		e.Clock.Add(5*time.Minute + time.Second)
		slugBaseVerify(t, e, r.Cookie(t, MFAPendingCookie), testsignin.TOTPCode(t, secret, e.Clock.Now())).Want(t, http.StatusUnauthorized, pendingInvalid)
	})

	for _, tc := range []struct {
		name, path, body string
		cookie           *http.Cookie
		status           int
		want             string
	}{
		{"wrong password", loginPath, `{"email":"alice","password":"nope"}`, nil, http.StatusUnauthorized,
			`{"error":"Unauthorized","message":"Invalid email or password","code":401,"details":"INVALID_CREDENTIALS"}`},
		{"unknown user", loginPath, `{"email":"nobody","password":"nope"}`, nil, http.StatusUnauthorized,
			`{"error":"Unauthorized","message":"Invalid email or password","code":401,"details":"INVALID_CREDENTIALS"}`},
		{"missing password", loginPath, `{"email":"alice"}`, nil, http.StatusBadRequest,
			`{"error":"Bad Request","message":"Email and password are required","code":400,"details":[{"field":"email","message":"Email and password are required"}]}`},
		{"no pending cookie", mfaVerifyPath, `{"code":"123456"}`, nil, http.StatusUnauthorized, pendingInvalid},
		{"unknown pending cookie", mfaVerifyPath, `{"code":"123456"}`, &http.Cookie{Name: MFAPendingCookie, Value: "fgsis_nope"}, http.StatusUnauthorized, pendingInvalid},
		{"missing code", mfaVerifyPath, `{}`, &http.Cookie{Name: MFAPendingCookie, Value: "fgsis_nope"}, http.StatusBadRequest,
			`{"error":"Bad Request","message":"Code is required","code":400,"details":[{"field":"code","message":"Code is required"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			e.Do(t, http.MethodPost, tc.path, map[string]string{"Content-Type": "application/json"}, tc.body, cookies...).Want(t, tc.status, tc.want)
		})
	}
}

// FuzzSignIn fuzzes the login and second-step endpoints: no panic, no 5xx,
// the dialect's error shape on any input, 413 past the body limit.
func FuzzSignIn(f *testing.F) {
	const limit = 1 << 10
	e := testsignin.New(f, filepath.Join(f.TempDir(), "fuzz.db"), testsignin.InProcessFactors, mfa.LockoutPolicy{}, limit, signInRegister)
	e.User("alice")
	e.FuzzSignIn(f, limit, []string{loginPath, mfaVerifyPath}, MFAPendingCookie,
		testsignin.FuzzSeed{Path: 0, ContentType: "application/json", Body: `{"email":"alice","password":"wrong"}`},
		testsignin.FuzzSeed{Path: 1, ContentType: "application/json", Cookie: "fgsis_x", Body: `{"code":"123456"}`},
		testsignin.FuzzSeed{Path: 1, ContentType: "application/json", Body: `{"code":null}`},
	)
}
