package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

const totpBase = "/v1/users/me/factors/totp"

func TestAuthentication(t *testing.T) {
	tests := []struct {
		name      string
		req       req
		status    int
		challenge string // expected WWW-Authenticate, when 401
	}{
		{name: "no token", req: req{method: "GET", path: "/v1/users/me"}, status: 401, challenge: `Bearer realm="factorgate"`},
		{name: "unknown token", req: req{method: "GET", path: "/v1/users/me", token: "fgp_nope"}, status: 401, challenge: `Bearer realm="factorgate", error="invalid_token"`},
		{name: "basic auth", req: req{method: "GET", path: "/v1/factors", header: map[string]string{"Authorization": "Basic YTpi"}}, status: 401, challenge: `Bearer realm="factorgate", error="invalid_token"`},
		{name: "empty bearer", req: req{method: "GET", path: "/v1/factors", header: map[string]string{"Authorization": "Bearer "}}, status: 401, challenge: `Bearer realm="factorgate", error="invalid_token"`},
		{name: "verify needs a token", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456"}`}, status: 401, challenge: `Bearer realm="factorgate"`},
		{name: "token store down", req: req{method: "GET", path: "/v1/users/me", token: brokenToken}, status: 500},
		{name: "valid token", req: req{method: "GET", path: "/v1/users/me", token: userToken}, status: 200},
		{name: "openapi is public", req: req{method: "GET", path: "/v1/openapi.json"}, status: 200},
		{name: "healthz is public", req: req{method: "GET", path: "/healthz"}, status: 200},
		{name: "readyz is public", req: req{method: "GET", path: "/readyz"}, status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.challenge)
			}
			switch tt.status {
			case 401:
				if p := problemOf(t, w); p.Code != "unauthorized" {
					t.Errorf("code %q", p.Code)
				}
			case 500:
				p := problemOf(t, w)
				if p.Code != "internal_error" || strings.Contains(w.Body.String(), "database") {
					t.Errorf("internal error leaks or is mistyped: %+v", p)
				}
			}
			if n := f.mfa.count(); tt.status == 401 && n != 0 {
				t.Errorf("%d lifecycle calls for an unauthenticated request", n)
			}
		})
	}
}

func TestActingOnOtherUsers(t *testing.T) {
	other := "/v1/users/u-bob"
	routes := []req{
		{method: "GET", path: other + "/factors"},
		{method: "DELETE", path: other + "/factors/cred-1"},
		{method: "POST", path: other + "/factors/totp/enrollments", body: `{}`},
		{method: "POST", path: other + "/factors/totp/enrollments/enr-1/confirm", body: `{"code":"123456"}`},
		{method: "DELETE", path: other + "/factors/totp/enrollments/pending"},
		{method: "POST", path: other + "/factors/totp/challenge"},
		{method: "POST", path: other + "/factors/totp/verify", body: `{"code":"123456"}`},
	}
	for _, rq := range routes {
		t.Run("user "+rq.method+" "+rq.path, func(t *testing.T) {
			f := newFixture(t)
			rq.token = userToken
			w := f.do(t, rq)
			if w.Code != 403 {
				t.Fatalf("status %d, want 403: %s", w.Code, w.Body)
			}
			if p := problemOf(t, w); p.Code != "forbidden" {
				t.Errorf("code %q", p.Code)
			}
			if f.mfa.count() != 0 {
				t.Error("lifecycle called for a forbidden request")
			}
		})
		t.Run("admin "+rq.method+" "+rq.path, func(t *testing.T) {
			f := newFixture(t)
			rq.token = adminToken
			w := f.do(t, rq)
			if w.Code >= 300 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := userIDOf(f.mfa.last(t).req); got != "u-bob" {
				t.Errorf("acted on %q, want u-bob", got)
			}
		})
	}
	t.Run("me is the caller", func(t *testing.T) {
		f := newFixture(t)
		w := f.do(t, req{method: "GET", path: "/v1/users/me/factors", token: userToken})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if got := userIDOf(f.mfa.last(t).req); got != alice.ID {
			t.Errorf("acted on %q, want %q", got, alice.ID)
		}
	})
	t.Run("own id works like me", func(t *testing.T) {
		f := newFixture(t)
		w := f.do(t, req{method: "GET", path: "/v1/users/" + alice.ID + "/factors", token: userToken})
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
	t.Run("unknown user for admin is 404", func(t *testing.T) {
		f := newFixture(t)
		f.mfa.err = &mfa.Error{Kind: mfa.ErrUserNotFound}
		w := f.do(t, req{method: "GET", path: "/v1/users/u-ghost/factors", token: adminToken})
		if w.Code != 404 || problemOf(t, w).Code != "user_not_found" {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}

// userIDOf extracts the user a recorded lifecycle request was about.
func userIDOf(req any) string {
	switch r := req.(type) {
	case string:
		return r
	case [2]string:
		return r[0]
	}
	v := reflect.ValueOf(req)
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("UserID"); f.IsValid() {
			return f.String()
		}
	}
	return ""
}

// TestLifecycleProblems pins the documented status of every lifecycle failure.
func TestLifecycleProblems(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"invalid code", &mfa.Error{Kind: mfa.ErrInvalidCode}, 422, "invalid_code", ""},
		{"expired", &mfa.Error{Kind: mfa.ErrExpired, Reason: "the code expired; request a new one"}, 422, "expired", ""},
		{"replayed", &mfa.Error{Kind: mfa.ErrReplayed}, 422, "replayed", ""},
		{"challenge spent", &mfa.Error{Kind: mfa.ErrChallengeSpent}, 422, "challenge_spent", ""},
		{"no challenge", &mfa.Error{Kind: mfa.ErrNoChallenge}, 409, "no_challenge", ""},
		{"locked", &mfa.Error{Kind: mfa.ErrLocked, RetryAfter: 90 * time.Second}, 429, "locked", "90"},
		{"locked rounds up", &mfa.Error{Kind: mfa.ErrLocked, RetryAfter: 1500 * time.Millisecond}, 429, "locked", "2"},
		{"throttled", &mfa.Error{Kind: mfa.ErrThrottled, RetryAfter: 30 * time.Second}, 429, "throttled", "30"},
		{"throttled without a wait", &mfa.Error{Kind: mfa.ErrThrottled}, 429, "throttled", "1"},
		{"not enrolled", &mfa.Error{Kind: mfa.ErrNotEnrolled}, 404, "not_enrolled", ""},
		{"unknown factor", &mfa.Error{Kind: mfa.ErrUnknownFactor, Reason: `no factor "totp" is installed`}, 404, "unknown_factor", ""},
		{"unsupported", &mfa.Error{Kind: mfa.ErrUnsupported}, 400, "unsupported", ""},
		{"invalid params", &mfa.Error{Kind: mfa.ErrInvalidParams, Reason: "phone: not a mobile number"}, 400, "invalid_params", ""},
		{"unavailable", &mfa.Error{Kind: mfa.ErrUnavailable, RetryAfter: 1500 * time.Millisecond}, 503, "unavailable", "2"},
		{"unavailable without an estimate", &mfa.Error{Kind: mfa.ErrUnavailable}, 503, "unavailable", "1"},
		{"factor error", &mfa.Error{Kind: mfa.ErrFactorFailed}, 502, "factor_error", ""},
		{"busy", &mfa.Error{Kind: mfa.ErrBusy}, 409, "busy", ""},
		{"already enrolled", &mfa.Error{Kind: mfa.ErrAlreadyEnrolled}, 409, "already_enrolled", ""},
		{"no enrollment", &mfa.Error{Kind: mfa.ErrNoEnrollment}, 404, "no_enrollment", ""},
		{"user not found", &mfa.Error{Kind: mfa.ErrUserNotFound}, 404, "user_not_found", ""},
		{"credential not found", &mfa.Error{Kind: mfa.ErrNotFound}, 404, "credential_not_found", ""},
		{"credential broken", &mfa.Error{Kind: mfa.ErrCredentialBroken}, 500, "credential_broken", ""},
		{"wrapped sentinel", fmt.Errorf("verify: %w", mfa.ErrInvalidCode), 422, "invalid_code", ""},
		{"unknown error", errors.New("commit verification: disk I/O error"), 500, "internal_error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.mfa.err = tt.err
			w := f.do(t, req{method: "POST", path: totpBase + "/verify", token: userToken, body: `{"code":"123456"}`})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			p := problemOf(t, w)
			if p.Code != tt.code || p.Type != ProblemBase+strings.ReplaceAll(tt.code, "_", "-") {
				t.Errorf("problem %+v, want code %s", p, tt.code)
			}
			if want := fmt.Sprint(p.RetryAfter); tt.retryAfter != "" && want != tt.retryAfter {
				t.Errorf("retry_after = %d, want %s", p.RetryAfter, tt.retryAfter)
			}
			if r := mfa.Reason(tt.err); r != "" && p.Detail != r {
				t.Errorf("detail %q, want the factor's reason %q", p.Detail, r)
			}
			if strings.Contains(w.Body.String(), "disk I/O") {
				t.Error("internal error text reached the client")
			}
		})
	}
}

// TestEveryLifecycleErrorMappedOnce checks the table covers each mfa.ErrX
// exactly once and that problem types are unique.
func TestEveryLifecycleErrorMappedOnce(t *testing.T) {
	all := mfa.Kinds()
	if len(lifecycleProblems) != len(all) {
		t.Errorf("table has %d entries for %d lifecycle errors", len(lifecycleProblems), len(all))
	}
	for _, e := range all {
		n := 0
		for _, lp := range lifecycleProblems {
			if lp.err == e {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v is mapped %d times", e, n)
		}
	}
	slugs := map[string]bool{}
	kinds := []*kind{kindInvalidRequest, kindUnauthorized, kindForbidden, kindNotFound, kindMethodNotAllowed,
		kindUserExists, kindBodyTooLarge, kindUnsupportedMediaType, kindInternal, kindNotReady, kindTimeout}
	for _, lp := range lifecycleProblems {
		kinds = append(kinds, lp.kind)
	}
	for _, k := range kinds {
		if slugs[k.slug] {
			t.Errorf("problem type %q is used twice", k.slug)
		}
		slugs[k.slug] = true
		if k.retry != (k.status == 429 || k.slug == "unavailable") {
			t.Errorf("%s: Retry-After only and always on 429 and on an unavailable factor", k.slug)
		}
	}
}

func TestRequestBodies(t *testing.T) {
	long := strings.Repeat("1", 65)
	tests := []struct {
		name   string
		req    req
		status int
		code   string
		field  string
	}{
		{name: "too large", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"` + strings.Repeat("1", 2000) + `"}`}, status: 413, code: "body_too_large"},
		{name: "not json", req: req{method: "POST", path: totpBase + "/verify", body: `code=123456`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, status: 415, code: "unsupported_media_type"},
		{name: "no content type", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456"}`, header: map[string]string{"Content-Type": ""}}, status: 415, code: "unsupported_media_type"},
		{name: "json with charset", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456"}`, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, status: 200},
		{name: "unknown field", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456","otp":"1"}`}, status: 400, code: "invalid_request", field: "otp"},
		{name: "trailing data", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456"} {}`}, status: 400, code: "invalid_request"},
		{name: "a member twice", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"000000","code":"123456"}`}, status: 400, code: "invalid_request"},
		{name: "trailing garbage", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456"}x`}, status: 400, code: "invalid_request"},
		{name: "array body", req: req{method: "POST", path: totpBase + "/verify", body: `["123456"]`}, status: 400, code: "invalid_request"},
		{name: "null body", req: req{method: "POST", path: totpBase + "/verify", body: `null`}, status: 400, code: "invalid_request"},
		{name: "malformed", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":`}, status: 400, code: "invalid_request"},
		{name: "syntax error", req: req{method: "POST", path: totpBase + "/verify", body: `{"code" "1"}`}, status: 400, code: "invalid_request"},
		{name: "code wrong type", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":123456}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "code missing", req: req{method: "POST", path: totpBase + "/verify", body: `{}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "no body for verify", req: req{method: "POST", path: totpBase + "/verify"}, status: 400, code: "invalid_request", field: "code"},
		{name: "code too long", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"` + long + `"}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "code with control char", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"12\n456"}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "code not ascii", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"12３456"}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "code with space", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123 456"}`}, status: 200},
		{name: "payload proof", req: req{method: "POST", path: totpBase + "/verify", body: `{"payload":{"id":"x"}}`}, status: 200},
		{name: "payload not object", req: req{method: "POST", path: totpBase + "/verify", body: `{"payload":"x"}`}, status: 400, code: "invalid_request", field: "payload"},
		{name: "credential proof", req: req{method: "POST", path: totpBase + "/verify", body: `{"credential":{"id":"x"}}`}, status: 200},
		{name: "credential proof to confirm", req: req{method: "POST", path: totpBase + "/enrollments/enr-1/confirm", body: `{"credential":{"id":"x"}}`}, status: 200},
		{name: "credential not object", req: req{method: "POST", path: totpBase + "/verify", body: `{"credential":["x"]}`}, status: 400, code: "invalid_request", field: "credential"},
		{name: "credential and payload", req: req{method: "POST", path: totpBase + "/verify", body: `{"credential":{"id":"x"},"payload":{"id":"x"}}`}, status: 400, code: "invalid_request", field: "credential"},
		{name: "challenge id with space", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456","challenge_id":"a b"}`}, status: 400, code: "invalid_request", field: "challenge_id"},
		{name: "challenge id ok", req: req{method: "POST", path: totpBase + "/verify", body: `{"code":"123456","challenge_id":"ch-1"}`}, status: 200},
		{name: "enroll without body", req: req{method: "POST", path: totpBase + "/enrollments"}, status: 201},
		{name: "enroll with empty object", req: req{method: "POST", path: totpBase + "/enrollments", body: `{}`}, status: 201},
		{name: "enroll with params", req: req{method: "POST", path: "/v1/users/me/factors/sms/enrollments", body: `{"params":{"phone":"+61412345678"}}`}, status: 201},
		{name: "param value not string", req: req{method: "POST", path: totpBase + "/enrollments", body: `{"params":{"phone":61412345678}}`}, status: 400, code: "invalid_request", field: "params"},
		{name: "param name invalid", req: req{method: "POST", path: totpBase + "/enrollments", body: `{"params":{"Phone":"+61"}}`}, status: 400, code: "invalid_request", field: "params"},
		{name: "param value control char", req: req{method: "POST", path: totpBase + "/enrollments", body: `{"params":{"phone":"+61\u0000"}}`}, status: 400, code: "invalid_request", field: "params.phone"},
		{name: "params not object", req: req{method: "POST", path: totpBase + "/enrollments", body: `{"params":["phone"]}`}, status: 400, code: "invalid_request", field: "params"},
		{name: "challenge without body", req: req{method: "POST", path: totpBase + "/challenge"}, status: 200},
		{name: "challenge unknown field", req: req{method: "POST", path: totpBase + "/challenge", body: `{"code":"1"}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "confirm without code", req: req{method: "POST", path: totpBase + "/enrollments/enr-1/confirm", body: `{}`}, status: 400, code: "invalid_request", field: "code"},
		{name: "factor name uppercase", req: req{method: "POST", path: "/v1/users/me/factors/TOTP/verify", body: `{"code":"1"}`}, status: 400, code: "invalid_request", field: "factor"},
		{name: "factor name too long", req: req{method: "POST", path: "/v1/users/me/factors/t" + strings.Repeat("x", 63) + "/verify", body: `{"code":"1"}`}, status: 400, code: "invalid_request", field: "factor"},
		{name: "factor name starts with digit", req: req{method: "DELETE", path: "/v1/users/me/factors/7sms/enrollments/pending"}, status: 400, code: "invalid_request", field: "factor"},
		{name: "user id too long", req: req{method: "GET", path: "/v1/users/" + strings.Repeat("u", 129) + "/factors"}, status: 400, code: "invalid_request", field: "user"},
		{name: "credential id with space", req: req{method: "DELETE", path: "/v1/users/me/factors/a%20b"}, status: 400, code: "invalid_request", field: "credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.req.token = userToken
			w := f.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status < 300 {
				return
			}
			p := problemOf(t, w)
			if p.Code != tt.code || p.Field != tt.field {
				t.Errorf("problem %+v, want code %q field %q", p, tt.code, tt.field)
			}
			if f.mfa.count() != 0 {
				t.Error("lifecycle called for a rejected request")
			}
		})
	}
}

func TestEnrollmentFlow(t *testing.T) {
	f := newFixture(t)
	f.mfa.display = sdk.Display{
		Secret: "JBSWY3DPEHPK3PXP", URI: "otpauth://totp/Factorgate:alice?secret=JBSWY3DPEHPK3PXP",
		QRPNG: []byte{0x89, 'P', 'N', 'G'}, OptionsJSON: []byte(`{"challenge":"abc"}`),
		Extra: map[string]string{"issuer": "Factorgate"},
	}

	w := f.do(t, req{method: "POST", path: totpBase + "/enrollments", token: userToken, body: `{"params":{"label":"phone"},"replace":true}`})
	if w.Code != 201 {
		t.Fatalf("begin: %d %s", w.Code, w.Body)
	}
	got := jsonOf(t, w)
	want := map[string]any{
		"id": "enr-1", "factor": "totp", "status": "pending", "expires_at": "2030-01-02T03:14:05Z",
		"display": map[string]any{
			"secret":      "JBSWY3DPEHPK3PXP",
			"otpauth_uri": "otpauth://totp/Factorgate:alice?secret=JBSWY3DPEHPK3PXP",
			"qr_png":      base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G'}),
			"options":     map[string]any{"challenge": "abc"},
			"extra":       map[string]any{"issuer": "Factorgate"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("begin body\n got %v\nwant %v", got, want)
	}
	call := f.mfa.last(t)
	begin := call.req.(mfa.BeginRequest)
	if begin.UserID != alice.ID || begin.Factor != "totp" || begin.Params["label"] != "phone" || !begin.Replace {
		t.Errorf("begin request %+v", begin)
	}
	if call.meta != (mfa.Meta{Actor: "token:tok-alice", RemoteAddr: "192.0.2.10", Via: "api"}) {
		t.Errorf("meta %+v", call.meta)
	}

	f.mfa.display = sdk.Display{Codes: []string{"aaaa-bbbb", "cccc-dddd"}}
	w = f.do(t, req{method: "POST", path: totpBase + "/enrollments/enr-1/confirm", token: userToken, body: `{"code":"123456"}`})
	if w.Code != 200 {
		t.Fatalf("confirm: %d %s", w.Code, w.Body)
	}
	got = jsonOf(t, w)
	want = map[string]any{
		"credential": map[string]any{
			"id": "enr-1", "factor": "totp", "status": "active", "display_name": "Authenticator app",
			"amr": []any{"otp"}, "created_at": "2030-01-02T02:04:05Z",
		},
		"display": map[string]any{"codes": []any{"aaaa-bbbb", "cccc-dddd"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("confirm body\n got %v\nwant %v", got, want)
	}
	confirm := f.mfa.last(t).req.(mfa.ConfirmRequest)
	if confirm.EnrollmentID != "enr-1" || confirm.Factor != "totp" || confirm.Proof.Code != "123456" || confirm.UserID != alice.ID {
		t.Errorf("confirm request %+v", confirm)
	}

	w = f.do(t, req{method: "DELETE", path: totpBase + "/enrollments/pending", token: userToken})
	if w.Code != 204 || w.Body.Len() != 0 {
		t.Fatalf("cancel: %d %q", w.Code, w.Body)
	}
	if got := f.mfa.last(t); got.op != "cancel" || got.req != [2]string{alice.ID, "totp"} {
		t.Errorf("cancel call %+v", got)
	}
}

func TestChallengeAndVerify(t *testing.T) {
	f := newFixture(t)
	f.mfa.display = sdk.Display{MaskedDestination: "+61 4** *** 678", ExpiresAt: testNow.Add(5 * time.Minute)}
	w := f.do(t, req{method: "POST", path: "/v1/users/me/factors/sms/challenge", token: userToken})
	if w.Code != 200 {
		t.Fatalf("challenge: %d %s", w.Code, w.Body)
	}
	want := map[string]any{
		"id": "ch-1", "factor": "sms", "expires_at": "2030-01-02T03:09:05Z",
		"display": map[string]any{"masked_destination": "+61 4** *** 678", "expires_at": "2030-01-02T03:09:05Z"},
	}
	if got := jsonOf(t, w); !reflect.DeepEqual(got, want) {
		t.Errorf("challenge body\n got %v\nwant %v", got, want)
	}

	f.mfa.display = sdk.Display{}
	w = f.do(t, req{method: "POST", path: "/v1/users/me/factors/sms/verify", token: userToken, body: `{"code":"123456","challenge_id":"ch-1"}`})
	if w.Code != 200 {
		t.Fatalf("verify: %d %s", w.Code, w.Body)
	}
	want = map[string]any{"result": "ok", "credential_id": "cred-1", "factor": "sms", "amr": []any{"otp"}, "verified_at": "2030-01-02T03:04:05Z"}
	if got := jsonOf(t, w); !reflect.DeepEqual(got, want) {
		t.Errorf("verify body\n got %v\nwant %v", got, want)
	}
	v := f.mfa.last(t).req.(mfa.VerifyRequest)
	if v.Proof.Code != "123456" || v.ChallengeID != "ch-1" || v.Factor != "sms" || v.UserID != alice.ID {
		t.Errorf("verify request %+v", v)
	}

	f.mfa.display = sdk.Display{Remaining: 9}
	w = f.do(t, req{method: "POST", path: "/v1/users/me/factors/backup/verify", token: userToken, body: `{"code":"aaaa-bbbb"}`})
	if got := jsonOf(t, w)["display"]; !reflect.DeepEqual(got, map[string]any{"remaining": float64(9)}) {
		t.Errorf("verify display %v", got)
	}
}

func TestCredentials(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, req{method: "GET", path: "/v1/users/me/factors", token: userToken})
	if w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	want := map[string]any{"factors": []any{
		map[string]any{"id": "cred-1", "factor": "totp", "status": "active", "display_name": "Authenticator app",
			"amr": []any{"otp"}, "created_at": "2030-01-02T02:04:05Z", "last_used_at": "2030-01-02T03:04:05Z"},
		map[string]any{"id": "cred-2", "factor": "sms", "status": "pending", "display_name": "",
			"amr": []any{}, "created_at": "2030-01-02T03:04:05Z", "expires_at": "2030-01-02T03:05:05Z"},
	}}
	if got := jsonOf(t, w); !reflect.DeepEqual(got, want) {
		t.Errorf("list body\n got %v\nwant %v", got, want)
	}

	w = f.do(t, req{method: "DELETE", path: "/v1/users/me/factors/cred-1", token: userToken})
	if w.Code != 204 {
		t.Fatalf("remove: %d %s", w.Code, w.Body)
	}
	if got := f.mfa.last(t); got.op != "remove" || got.req != [2]string{alice.ID, "cred-1"} {
		t.Errorf("remove call %+v", got)
	}
	f.mfa.err = &mfa.Error{Kind: mfa.ErrNotFound}
	w = f.do(t, req{method: "DELETE", path: "/v1/users/me/factors/cred-9", token: userToken})
	if w.Code != 404 || problemOf(t, w).Code != "credential_not_found" {
		t.Fatalf("remove missing: %d %s", w.Code, w.Body)
	}
}

func TestListFactors(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, req{method: "GET", path: "/v1/factors", token: userToken})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	want := map[string]any{"factors": []any{
		map[string]any{"name": "totp", "plugin": "totp", "display_name": "Authenticator app", "version": "1.2.3",
			"amr": []any{"otp"}, "capabilities": []any{"enroll"}, "health": "healthy", "in_process": false,
			"proof_kind": "typed_code", "enroll_params": []any{}, "multiple_credentials": false},
		map[string]any{"name": "sms-7", "plugin": "sms", "display_name": "Text message", "version": "0.1.0",
			"amr": []any{}, "capabilities": []any{}, "health": "unhealthy", "in_process": true,
			"proof_kind": "typed_code", "enroll_params": []any{}, "multiple_credentials": false},
	}}
	if got := jsonOf(t, w); !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got %v\nwant %v", got, want)
	}
}

func TestUsers(t *testing.T) {
	t.Run("me", func(t *testing.T) {
		f := newFixture(t)
		w := f.do(t, req{method: "GET", path: "/v1/users/me", token: userToken})
		want := map[string]any{"id": alice.ID, "name": "alice", "org_id": float64(7), "email": "alice@example.com", "admin": false}
		if got := jsonOf(t, w); !reflect.DeepEqual(got, want) {
			t.Errorf("body\n got %v\nwant %v", got, want)
		}
	})

	tests := []struct {
		name   string
		token  string
		body   string
		status int
		code   string
		field  string
	}{
		{name: "created", token: adminToken, body: `{"name":"bob.smith@corp","password":"correct horse","email":"bob@example.com"}`, status: 201},
		{name: "name only", token: adminToken, body: `{"name":"carol"}`, status: 201},
		{name: "not admin", token: userToken, body: `{"name":"bob"}`, status: 403, code: "forbidden"},
		{name: "no body", token: adminToken, status: 400, code: "invalid_request", field: "name"},
		{name: "name with space", token: adminToken, body: `{"name":"bob smith"}`, status: 400, code: "invalid_request", field: "name"},
		{name: "name too long", token: adminToken, body: `{"name":"` + strings.Repeat("b", 65) + `"}`, status: 400, code: "invalid_request", field: "name"},
		{name: "name not ascii", token: adminToken, body: `{"name":"björn"}`, status: 400, code: "invalid_request", field: "name"},
		{name: "short password", token: adminToken, body: `{"name":"bob","password":"short"}`, status: 400, code: "invalid_request", field: "password"},
		{name: "bad email", token: adminToken, body: `{"name":"bob","email":"Bob <bob@example.com>"}`, status: 400, code: "invalid_request", field: "email"},
		{name: "phone is not kept", token: adminToken, body: `{"name":"bob","phone":"+61412345678"}`, status: 400, code: "invalid_request", field: "phone"},
		{name: "admin field refused", token: adminToken, body: `{"name":"bob","admin":true}`, status: 400, code: "invalid_request", field: "admin"},
		{name: "duplicate name", token: adminToken, body: `{"name":"dup"}`, status: 409, code: "user_exists", field: "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.users.created = []store.User{{ID: "u-dup", Name: "dup"}}
			w := f.do(t, req{method: "POST", path: "/v1/users", token: tt.token, body: tt.body})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status >= 300 {
				if p := problemOf(t, w); p.Code != tt.code || p.Field != tt.field {
					t.Errorf("problem %+v, want code %q field %q", p, tt.code, tt.field)
				}
				if len(f.users.created) != 1 {
					t.Error("a user was created")
				}
				return
			}
			got := jsonOf(t, w)
			if got["id"] != "u-new" || got["org_id"] != float64(root.OrgID) || got["admin"] != false {
				t.Errorf("body %v", got)
			}
			if strings.Contains(w.Body.String(), "hash") || strings.Contains(w.Body.String(), "horse") {
				t.Errorf("password material in response: %s", w.Body)
			}
			u := f.users.created[len(f.users.created)-1]
			if strings.Contains(tt.body, "password") && u.PasswordHash != "hashed:"+strings.Repeat("x", len("correct horse")) {
				t.Errorf("password hash %q", u.PasswordHash)
			}
			if !u.CreatedAt.Equal(testNow) {
				t.Errorf("created at %v", u.CreatedAt)
			}
		})
	}

	t.Run("password refused without a hasher", func(t *testing.T) {
		f := newFixture(t, func(d *Deps) { d.Passwords = nil })
		w := f.do(t, req{method: "POST", path: "/v1/users", token: adminToken, body: `{"name":"bob","password":"correct horse"}`})
		if w.Code != 400 || problemOf(t, w).Field != "password" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name    string
		ready   Readiness
		status  int
		failing []string
	}{
		{name: "no checks", status: 200},
		{name: "all pass", ready: ReadyChecks{{Name: "database", Check: func(context.Context) error { return nil }}}, status: 200},
		{name: "database down", status: 503, failing: []string{"database"}, ready: ReadyChecks{
			{Name: "database", Check: func(context.Context) error { return errors.New("dial tcp 10.1.2.3:5432: connection refused") }},
			{Name: "plugins", Check: func(context.Context) error { return nil }},
		}},
		{name: "both down", status: 503, failing: []string{"database", "plugins"}, ready: ReadyChecks{
			{Name: "database", Check: func(context.Context) error { return errors.New("ping failed") }},
			{Name: "plugins", Check: func(context.Context) error { return errors.New("factor instance sms (plugin sms): unhealthy") }},
		}},
		{name: "plain error", status: 503, ready: readyFunc(func(context.Context) error { return errors.New("secret internals") })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(d *Deps) { d.Ready = tt.ready })
			w := f.do(t, req{method: "GET", path: "/healthz"})
			if w.Code != 200 || !reflect.DeepEqual(jsonOf(t, w), map[string]any{"status": "ok"}) {
				t.Errorf("healthz %d %s", w.Code, w.Body)
			}
			w = f.do(t, req{method: "GET", path: "/readyz"})
			if w.Code != tt.status {
				t.Fatalf("readyz %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 200 {
				return
			}
			p := problemOf(t, w)
			if p.Code != "not_ready" || !reflect.DeepEqual(p.Failing, tt.failing) {
				t.Errorf("problem %+v", p)
			}
			for _, leak := range []string{"10.1.2.3", "ping failed", "secret internals"} {
				if strings.Contains(w.Body.String(), leak) {
					t.Errorf("readyz shows %q", leak)
				}
			}
			for _, name := range tt.failing {
				if !strings.Contains(p.Detail, name) {
					t.Errorf("detail %q does not name %s", p.Detail, name)
				}
			}
		})
	}
}

func TestRoutingProblems(t *testing.T) {
	tests := []struct {
		name   string
		req    req
		status int
		code   string
		allow  string
	}{
		{name: "unknown path", req: req{method: "GET", path: "/v1/nope", token: userToken}, status: 404, code: "not_found"},
		{name: "unknown path without token", req: req{method: "GET", path: "/v2/users/me"}, status: 404, code: "not_found"},
		{name: "trailing slash", req: req{method: "GET", path: "/v1/users/me/factors/", token: userToken}, status: 404, code: "not_found"},
		{name: "wrong method", req: req{method: "PUT", path: "/v1/users/me", token: userToken}, status: 405, code: "method_not_allowed", allow: "DELETE, GET, HEAD"},
		{name: "wrong method on verify", req: req{method: "GET", path: totpBase + "/verify", token: userToken}, status: 405, code: "method_not_allowed", allow: "POST"},
		{name: "wrong method on pending", req: req{method: "GET", path: totpBase + "/enrollments/pending", token: userToken}, status: 405, code: "method_not_allowed", allow: "DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			w := f.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if p := problemOf(t, w); p.Code != tt.code {
				t.Errorf("code %q", p.Code)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	for _, rq := range []req{
		{method: "GET", path: "/healthz"},
		{method: "GET", path: "/v1/openapi.json"},
		{method: "GET", path: "/v1/users/me", token: userToken},
		{method: "GET", path: "/v1/users/me"},
		{method: "GET", path: "/nowhere"},
		{method: "POST", path: totpBase + "/enrollments", token: userToken},
		{method: "POST", path: totpBase + "/verify", token: userToken, body: `{"bad":1}`},
	} {
		w := f.do(t, rq)
		for k, v := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", rq.method, rq.path, k, got, v)
			}
		}
	}
}

func TestLogging(t *testing.T) {
	f := newFixture(t)
	f.mfa.err = errors.New("commit verification: database is locked")
	f.do(t, req{method: "POST", path: totpBase + "/verify", token: userToken, body: `{"code":"987654"}`})
	f.mfa.err = nil
	f.do(t, req{method: "POST", path: totpBase + "/verify", token: userToken, body: `{"code":"987654"}`})
	f.mfa.display = sdk.Display{Secret: "JBSWY3DPEHPK3PXP"}
	f.do(t, req{method: "POST", path: totpBase + "/enrollments", token: userToken})
	f.do(t, req{method: "GET", path: "/v1/users/me", token: "fgp_wrong-secret"})

	logs := f.logs.String()
	for _, secret := range []string{"987654", userToken, "fgp_wrong-secret", "JBSWY3DPEHPK3PXP"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	if n := strings.Count(logs, `msg="api request"`); n != 4 {
		t.Errorf("%d request lines, want 4:\n%s", n, logs)
	}
	for _, want := range []string{
		`msg="api request" method=POST route="POST /v1/users/{user}/factors/{factor}/verify" status=500`,
		`msg="api request" method=POST route="POST /v1/users/{user}/factors/{factor}/verify" status=200`,
		`status=201`, `status=401`, `level=ERROR msg="api: request failed"`, "database is locked",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	f := newFixture(t, func(d *Deps) {
		d.Factors = panicFactors{}
	})
	w := f.do(t, req{method: "GET", path: "/v1/factors", token: userToken})
	if w.Code != 500 || problemOf(t, w).Code != "internal_error" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

type panicFactors struct{}

func (panicFactors) Instances() []plugins.InstanceInfo { panic("boom") }

func TestNewRequiresDeps(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Deps.MFA") {
			t.Errorf("recovered %v", r)
		}
	}()
	New(Deps{Users: &fakeUsers{}, Auth: fakeAuth{}, Factors: fakeFactors{}})
}

func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, req{method: "GET", path: "/v1/openapi.json"})
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", w.Code, w.Header())
	}
	var doc map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Fatalf("document: %v %v", err, doc["openapi"])
	}
}
