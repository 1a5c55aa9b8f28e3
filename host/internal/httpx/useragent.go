package httpx

import (
	"net/http"
	"strings"
)

// maxAgentSummary bounds what UserAgentSummary returns.
const maxAgentSummary = 48

// uaRule names a browser or program when its marker is in the User-Agent.
// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
type uaRule struct{ marker, name string }

var (
	browserRules = [...]uaRule{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
		{"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"}, {"Safari/", "Safari"},
		{"curl/", "curl"}, {"Go-http-client/", "Go HTTP client"}, {"python-requests/", "Python requests"},
	}
	systemRules = [...]uaRule{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"CrOS", "ChromeOS"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	}
)

// UserAgentSummary returns a short, readable summary of the request's
// User-Agent ("Firefox on Android"), for audit records a person reads. It
// never returns the whole header: versions and details are dropped, and an
// unknown agent is named by its first product token, cut short.
func UserAgentSummary(r *http.Request) string {
	return SummarizeUserAgent(r.UserAgent())
}

// SummarizeUserAgent is UserAgentSummary of a User-Agent value.
func SummarizeUserAgent(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	browser := match(ua, browserRules[:])
	system := match(ua, systemRules[:])
	if browser == "" {
		product, _, _ := strings.Cut(ua, " ")
		product, _, _ = strings.Cut(product, "/")
		browser = printable(product)
	}
	out := browser
	if system != "" {
		out += " on " + system
	}
	if len(out) > maxAgentSummary {
		out = out[:maxAgentSummary]
	}
	return out
}

func match(ua string, rules []uaRule) string {
	for _, r := range rules {
		if strings.Contains(ua, r.marker) {
			return r.name
		}
	}
	return ""
}

// printable keeps the ASCII letters, digits and a little punctuation of s.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return -1
	}, s)
}
