package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// TestMetricsAndLogs: a verification through the native API is counted on
// the admin listener's /metrics (with its HTTP request under the route
// template and its plugin call), every request writes an info access line
// with its request id, and a lockout writes a warning.
func TestMetricsAndLogs(t *testing.T) {
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "lockout: {max_failures: 1, base_delay: 1m, max_delay: 1h}\n")
	d.env = append(d.env, "FACTORGATE_ADMIN_LISTEN=127.0.0.1:0")
	token := d.user("alice")
	h := d.start()
	m := adminListening.FindStringSubmatch(d.logs.String())
	if m == nil {
		t.Fatalf("no admin listener announced:\n%s", d.logs.String())
	}
	metricsURL := strings.TrimSuffix(m[1], "/debug/pprof/") + "/metrics"

	secret, _ := enroll(t, h.base, token)
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	if status, body, hdr := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": code}); status != 200 || hdr.Get("X-Request-Id") == "" {
		t.Fatalf("verify: %d %v %v", status, body, hdr)
	}
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+500000)%1000000)
	for _, want := range []int{422, 429} {
		if status, body, _ := call(t, "POST", h.base+"/v1/users/me/factors/totp/verify", token, map[string]string{"code": wrong}); status != want {
			t.Fatalf("wrong code: %d, want %d: %v", status, want, body)
		}
	}

	metrics := get(t, metricsURL)
	for _, want := range []string{
		`factorgate_verifications_total{door="api",factor="totp",result="ok"} 1`,
		`factorgate_verifications_total{door="api",factor="totp",result="invalid"} 1`,
		`factorgate_verifications_total{door="api",factor="totp",result="locked"} 1`,
		`factorgate_http_requests_total{method="POST",route="/v1/users/{user}/factors/{factor}/verify",status="200"} 1`,
		`factorgate_plugin_calls_total{method="Verify",outcome="ok",plugin="totp"}`,
		`factorgate_lockouts_total{kind="second_factor"} 1`,
		`factorgate_plugin_call_duration_seconds_count{method="Verify",plugin="totp"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Without TLS, SIGHUP reloads nothing and does not end the host.
	if err := h.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !d.logs.waitFor("SIGHUP: no TLS certificate to reload", 20*time.Second) {
		t.Fatal("SIGHUP was not handled")
	}
	if status, _, _ := call(t, "GET", h.base+"/healthz", "", nil); status != 200 {
		t.Fatalf("after SIGHUP: %d", status)
	}
	h.stop(syscall.SIGTERM)
	lines := jsonLines(t, d.logs.String())
	if !hasLine(lines, func(l map[string]any) bool {
		return l["level"] == "WARN" && l["msg"] == "too many failed attempts: locked" && l["kind"] == "second_factor" && l["user"] != ""
	}) {
		t.Error("no warning line for the lockout")
	}
	if !hasLine(lines, func(l map[string]any) bool {
		return l["level"] == "INFO" && l["msg"] == "http request" && l["route"] == "/v1/users/{user}/factors/{factor}/verify" &&
			l["status"] == float64(200) && l["request_id"] != "" && l["user"] != nil
	}) {
		t.Error("no access line for the verification")
	}
	assertNoSecretsInLogs(t, d.logs.String(), secret, code, wrong, token)
}

// get returns the body of a GET that must answer 200.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// jsonLines decodes the JSON log lines among a process's output.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, raw := range strings.Split(out, "\n") {
		var l map[string]any
		if strings.HasPrefix(raw, "{") && json.Unmarshal([]byte(raw), &l) == nil {
			lines = append(lines, l)
		}
	}
	return lines
}

func hasLine(lines []map[string]any, match func(map[string]any) bool) bool {
	for _, l := range lines {
		if match(l) {
			return true
		}
	}
	return false
}
