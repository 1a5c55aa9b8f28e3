package accounting

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
)

// signInRegister serves the dialect on a sign-in test host.
func signInRegister(mux *http.ServeMux, d dialects.Deps, _ *auth.APIKeys) {
	Register(mux, d)
}

// TestSignIn signs in through the dialect's password grant on a host with a
// real OAuth provider, real plugin processes and the native API.
func TestSignIn(t *testing.T) {
	bins := accountingBuildPlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		testAccountingSignIn(t, testsignin.New(t, newURL(t), testsignin.PluginFactors(bins), mfa.LockoutPolicy{}, 0, signInRegister))
		t.Run("race", func(t *testing.T) {
			testAccountingSignInRace(t, testsignin.New(t, newURL(t), testsignin.PluginFactors(bins), mfa.LockoutPolicy{}, 0, signInRegister))
		})
	})
}

// testAccountingSignInRace: twenty password grants of an SMS user without a
// code at once send one text; the others are refused with 429 and
// Retry-After.
func testAccountingSignInRace(t *testing.T, e *testsignin.Env) {
	erin := e.User("erin")
	e.EnrollSMS(t, erin)
	sent := e.Outbox.Count()
	body := fmt.Sprintf(`{"grant_type":"password","username":"erin","password":%q,"scope":"full"}`, testsignin.Password)
	statuses := e.Race(t, 20, tokenPath, map[string]string{"Content-Type": "application/json"}, body)
	if texts := e.Outbox.Count() - sent; texts != 1 || statuses[http.StatusUnauthorized] != 1 || statuses[http.StatusTooManyRequests] != 19 {
		t.Fatalf("answers %v and %d texts; want one 401 2fa_code_required, nineteen 429 and one text", statuses, texts)
	}
}

func postGrant(t *testing.T, e *testsignin.Env, path, username, password, code string) testsignin.Response {
	t.Helper()
	body := fmt.Sprintf(`{"grant_type":"password","username":%q,"password":%q,"scope":"full","verification_code":null}`, username, password)
	if code != "" {
		body = fmt.Sprintf(`{"grant_type":"password","username":%q,"password":%q,"scope":"full","verification_code":%q}`, username, password, code)
	}
	return e.Do(t, http.MethodPost, path, map[string]string{"Content-Type": "application/json"}, body)
}

func testAccountingSignIn(t *testing.T, e *testsignin.Env) {
	alice, carol := e.User("alice"), e.User("carol")
	e.EnrollSMS(t, carol)
	fileID := strconv.FormatInt(e.Org.ID, 10)

	t.Run("without a second factor, and refresh", func(t *testing.T) {
		r := postGrant(t, e, tokenPath, "alice", testsignin.Password, "")
		r.Want(t, http.StatusOK, "")
		var tok struct {
			AccessToken  string `json:"access_token"`
			TokenType    string `json:"token_type"`
			ExpiresIn    int64  `json:"expires_in"`
			RefreshToken string `json:"refresh_token"`
			Scope        string `json:"scope"`
		}
		if err := json.Unmarshal([]byte(r.Body), &tok); err != nil {
			t.Fatal(err)
		}
		if tok.TokenType != "Bearer" || tok.ExpiresIn < 800 || tok.ExpiresIn > 900 || tok.RefreshToken == "" || tok.Scope != fileID {
			t.Fatalf("token answer %s", r.Body)
		}
		testsignin.WantClaims(t, tok.AccessToken, alice.ID, "factorgate-accounting", oauth.ACRPassword, "pwd")
		// The access token works on the accounting endpoints.
		e.Do(t, http.MethodPost, optInPath+"?FileId="+fileID, map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Content-Type": "application/json"},
			`{"MobileNumber":"0499999999"}`).Want(t, http.StatusOK, "")
		// The refresh token is no access token.
		e.Do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + tok.RefreshToken}, "").Want(t, http.StatusUnauthorized, "")
		// The refresh token works at the provider's token endpoint with the
		// dialect's client, and the new access token keeps the claims.
		rr := e.Do(t, http.MethodPost, "/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"factorgate-accounting"}}.Encode())
		rr.Want(t, http.StatusOK, "")
		fresh := rr.Field(t, "access_token")
		testsignin.WantClaims(t, fresh, alice.ID, "factorgate-accounting", oauth.ACRPassword, "pwd")
		e.Clock.Add(time.Minute) // a new opt-in sends again: past the resend interval
		e.Do(t, http.MethodPost, optInPath+"?FileId="+fileID, map[string]string{"Authorization": "Bearer " + fresh, "Content-Type": "application/json"},
			`{"MobileNumber":"0499999999"}`).Want(t, http.StatusOK, "")
		// The refresh token was rotated: the old one is spent.
		e.Do(t, http.MethodPost, "/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {"factorgate-accounting"}}.Encode()).Want(t, http.StatusBadRequest, "")
	})

	t.Run("with SMS", func(t *testing.T) {
		e.Clock.Add(time.Minute) // past the SMS factor's resend interval
		before := e.Outbox.Count()
		postGrant(t, e, token2FAPath, "carol", testsignin.Password, "").Want(t, http.StatusUnauthorized,
			`{"error":"2fa_code_required","error_description":"Two-factor authentication is on for this user. A code was sent by SMS; post the request again with it as verification_code."}`)
		if e.Outbox.Count() != before+1 {
			t.Fatalf("%d SMS sent, want 1", e.Outbox.Count()-before)
		}
		_, code := e.Outbox.Last(t)
		postGrant(t, e, token2FAPath, "carol", testsignin.Password, accountingWrongCode(t, code)).
			Want(t, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"The 2FA code is incorrect."}`)
		r := postGrant(t, e, token2FAPath, "carol", testsignin.Password, code)
		r.Want(t, http.StatusOK, "")
		token := r.Field(t, "access_token")
		testsignin.WantClaims(t, token, carol.ID, "factorgate-accounting", oauth.ACRMFA, "pwd", "sms", "mfa")
		// The code is single-use.
		postGrant(t, e, tokenPath, "carol", testsignin.Password, code).
			Want(t, http.StatusBadRequest, `{"error":"invalid_grant","error_description":"The 2FA code has already been used."}`)
		e.Do(t, http.MethodGet, "/v1/users/me", map[string]string{"Authorization": "Bearer " + token}, "").Want(t, http.StatusOK, "")
	})

	t.Run("XML and form requests", func(t *testing.T) {
		xmlBody := `<OAuthPasswordCredentialsGrantRequest xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><grant_type>password</grant_type><username>alice</username><password>` + testsignin.Password + `</password><scope>full</scope></OAuthPasswordCredentialsGrantRequest>`
		e.Do(t, http.MethodPost, tokenPath, map[string]string{"Content-Type": "text/xml"}, xmlBody).Want(t, http.StatusOK, "")
		form := url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {testsignin.Password}}.Encode()
		e.Do(t, http.MethodPost, tokenPath, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form).Want(t, http.StatusOK, "")
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
			e.Do(t, http.MethodPost, tokenPath, map[string]string{"Content-Type": tc.contentType}, tc.body).Want(t, tc.status, tc.want)
		})
	}
}

// FuzzSignIn fuzzes the password-grant endpoints: no panic, no 5xx, the
// dialect's error shape on any input, 413 past the body limit.
func FuzzSignIn(f *testing.F) {
	const limit = 1 << 10
	e := testsignin.New(f, filepath.Join(f.TempDir(), "fuzz.db"), testsignin.InProcessFactors, mfa.LockoutPolicy{}, limit, signInRegister)
	e.User("alice")
	e.FuzzSignIn(f, limit, []string{tokenPath, token2FAPath}, "",
		testsignin.FuzzSeed{Path: 0, ContentType: "application/json", Body: `{"grant_type":"password","username":"alice","password":"wrong","verification_code":null}`},
		testsignin.FuzzSeed{Path: 1, ContentType: "text/xml", Body: `<OAuthPasswordCredentialsGrantRequest><grant_type>password</grant_type></OAuthPasswordCredentialsGrantRequest>`},
		testsignin.FuzzSeed{Path: 1, ContentType: "application/x-www-form-urlencoded", Body: `grant_type=password&username=%zz`},
	)
}
