package oauth_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// lockedBuffer collects log lines written from the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// warnings returns the messages of the warning lines written so far.
func (b *lockedBuffer) warnings(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var l map[string]any
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l["level"] == "WARN" {
			out = append(out, l)
		}
	}
	return out
}

// TestSecurityWarnings: a wrong password and the reuse of a refresh token
// each write a warning line that names no secret.
func TestSecurityWarnings(t *testing.T) {
	logs := &lockedBuffer{}
	h := sqliteHost(t, hostOptions{logs: logs})
	h.user("alice")
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	b := h.browser()
	a := c.authorization()
	p := b.get(a.url)
	if p = b.submit(p, "/login/password", url.Values{"username": {"alice"}, "password": {"not the password"}}); p.callback != nil {
		t.Fatal("a wrong password signed in")
	}
	p = b.signIn(p, "alice")
	tok, _ := c.exchange(t, a, codeFrom(t, p, a.state))
	if _, err := c.refresh(tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
		t.Fatalf("reuse: %v", err)
	}

	for _, tc := range []struct {
		name, msg string
		attr      string
		value     any
	}{
		{"wrong password", "signin: wrong password", "user", "id-alice"},
		{"refresh token reuse", "oauth: a refresh token was used again; every token of its grant is revoked", "client", "web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, l := range logs.warnings(t) {
				if l["msg"] == tc.msg && l[tc.attr] == tc.value {
					return
				}
			}
			t.Fatalf("no warning %q with %s=%v in %v", tc.msg, tc.attr, tc.value, logs.warnings(t))
		})
	}
	for _, s := range []string{"not the password", tok.RefreshToken, tok.AccessToken} {
		if strings.Contains(logs.String(), s) {
			t.Fatalf("a secret is in the log: %s", logs.String())
		}
	}
}
