package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

var adminListening = regexp.MustCompile(`Admin listener \(profiles\) on (http://\S+)`)

// TestAdminListener: with admin_listen set, the host serves Go's profiles
// there and not on the listener clients reach.
func TestAdminListener(t *testing.T) {
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
	d.env = append(d.env, "FACTORGATE_ADMIN_LISTEN=127.0.0.1:0")
	h := d.start()
	m := adminListening.FindStringSubmatch(d.logs.String())
	if m == nil {
		t.Fatalf("no admin listener announced:\n%s", d.logs.String())
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(m[1] + "goroutine?debug=1"); status != 200 || !strings.Contains(body, "goroutine profile") {
		t.Fatalf("admin profile: %d %.200s", status, body)
	}
	if status, _ := get(h.base + "/debug/pprof/"); status == 200 {
		t.Fatal("the main listener serves profiles")
	}
}
