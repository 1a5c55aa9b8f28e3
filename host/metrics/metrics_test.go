package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMetrics: every observation shows up in the exposition under its
// factorgate_ name and labels, beside the Go runtime's metrics; two
// registries never share a count.
func TestMetrics(t *testing.T) {
	m, other := New(), New()
	m.HTTPRequest("GET", "/v1/users/{user}", 200, 3*time.Millisecond)
	m.Verification("totp", "api", "ok")
	m.TextSent("sms")
	m.PluginCall("totp", "Verify", "ok", 200*time.Microsecond)
	m.PluginRestart("totp")
	m.Lockout("password")
	m.TokenIssued("authorization_code")
	other.Verification("totp", "api", "invalid")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, tc := range []struct{ name, want string }{
		{"http requests", `factorgate_http_requests_total{method="GET",route="/v1/users/{user}",status="200"} 1`},
		{"http duration", `factorgate_http_request_duration_seconds_count{method="GET",route="/v1/users/{user}"} 1`},
		{"verifications", `factorgate_verifications_total{door="api",factor="totp",result="ok"} 1`},
		{"texts", `factorgate_texts_sent_total{factor="sms"} 1`},
		{"plugin calls", `factorgate_plugin_calls_total{method="Verify",outcome="ok",plugin="totp"} 1`},
		{"plugin latency", `factorgate_plugin_call_duration_seconds_sum{method="Verify",plugin="totp"} 0.0002`},
		{"restarts", `factorgate_plugin_restarts_total{plugin="totp"} 1`},
		{"lockouts", `factorgate_lockouts_total{kind="password"} 1`},
		{"tokens", `factorgate_oauth_tokens_issued_total{grant="authorization_code"} 1`},
		{"go runtime", `go_goroutines `},
		{"process", `factorgate_process_`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(body), tc.want) {
				t.Errorf("exposition lacks %s", tc.want)
			}
		})
	}
	if strings.Contains(string(body), `result="invalid"`) {
		t.Error("another registry's count leaked into this one")
	}
}
