package httpx

import (
	"strings"
	"testing"
)

func TestSummarizeUserAgent(t *testing.T) {
	for _, tc := range []struct {
		name, ua, want string
	}{
		{"empty", "", ""},
		{"Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"headless Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome on Linux"},
		{"Firefox on Android", "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "Firefox on Android"},
		{"Safari on iOS", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari on iOS"},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"},
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"},
		{"Go", "Go-http-client/1.1", "Go HTTP client"},
		{"curl", "curl/8.5.0", "curl"},
		{"unknown product", "MyApp/2.3 (build 77)", "MyApp"},
		{"markup dropped", "<script>alert(1)</script>", "scriptalert1"},
		{"long product cut", strings.Repeat("x", 200), strings.Repeat("x", maxAgentSummary)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SummarizeUserAgent(tc.ua); got != tc.want {
				t.Fatalf("SummarizeUserAgent(%q) = %q, want %q", tc.ua, got, tc.want)
			}
		})
	}
}
