package admin

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("factorgate_up 1\n")) })
	srv := httptest.NewServer(Handler(metrics))
	defer srv.Close()
	for _, tc := range []struct {
		method, path string
		status       int
		contains     string
	}{
		{"GET", "/debug/pprof/", 200, "goroutine"},
		{"GET", "/debug/pprof/goroutine?debug=1", 200, "goroutine profile"},
		{"GET", "/debug/pprof/heap?debug=1", 200, "heap profile"},
		{"GET", "/debug/pprof/cmdline", 200, ""},
		{"GET", "/metrics", 200, "factorgate_up 1"},
		{"POST", "/metrics", 405, ""},
		{"DELETE", "/debug/pprof/", 405, ""},
		{"GET", "/", 404, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("%d, want %d with %q: %.200s", resp.StatusCode, tc.status, tc.contains, body)
			}
		})
	}
}
