package emailotp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/examples/emailotp"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

// mailbox is the webhook of the tests: it keeps each message's code by
// challenge id, as the user's mailbox would show it.
type mailbox struct {
	srv *httptest.Server

	mu    sync.Mutex
	codes map[string]string
	to    []string
}

func newMailbox(t *testing.T) *mailbox {
	m := &mailbox{codes: map[string]string{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			To          string `json:"to"`
			Text        string `json:"text"`
			ChallengeID string `json:"challenge_id"`
		}
		if r.Header.Get("Authorization") != "Bearer test-token" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook: headers %v", r.Header)
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook: body: %v", err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.codes[msg.ChallengeID] = regexp.MustCompile(`[0-9]{6,10}$`).FindString(msg.Text)
		m.to = append(m.to, msg.To)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mailbox) code(t testing.TB, d sdk.Display) sdk.Proof {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	code, ok := m.codes[d.Extra["challenge_id"]]
	if !ok {
		t.Fatalf("no email carried challenge %q", d.Extra["challenge_id"])
	}
	return sdk.Proof{Code: code}
}

func (m *mailbox) settings(t *testing.T) json.RawMessage {
	b, err := json.Marshal(map[string]any{"webhook_url": m.srv.URL + "/mail", "webhook_token": "test-token"})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "factorgate-factor-emailotp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/factorgate-factor-emailotp")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build plugin: %v", err)
	}
	m := newMailbox(t)
	factortest.Run(t, emailotp.New(), factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, _ time.Time) sdk.Proof {
			return m.code(t, resp.Display)
		},
		Verify: func(t testing.TB, _ factortest.Enrollment, ch sdk.ChallengeResponse, _ time.Time) sdk.Proof {
			return m.code(t, ch.Display)
		},
	}, factortest.WithBinary(bin), factortest.WithSettings(m.settings(t)))
}

func TestEnrollmentAddress(t *testing.T) {
	m := newMailbox(t)
	f, err := emailotp.New().Configure(context.Background(), m.settings(t))
	if err != nil {
		t.Fatal(err)
	}
	enroller := f.(sdk.Enroller)
	tests := []struct {
		name    string
		user    string
		params  map[string]string
		wantTo  string
		wantErr error
		masked  string
	}{
		{"the user's address", "ann@example.com", nil, "ann@example.com", nil, "a***@example.com"},
		{"the address given", "ann@example.com", map[string]string{"email": "bob@example.org"}, "bob@example.org", nil, "b***@example.org"},
		{"no address", "", nil, "", sdk.ErrInvalidParams, ""},
		{"a name with the address", "", map[string]string{"email": "Ann <ann@example.com>"}, "", sdk.ErrInvalidParams, ""},
		{"not an address", "", map[string]string{"email": "ann"}, "", sdk.ErrInvalidParams, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := enroller.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{
				User: sdk.User{ID: "u", Email: tc.user}, Params: tc.params, Now: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC),
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			m.mu.Lock()
			to := m.to[len(m.to)-1]
			m.mu.Unlock()
			if to != tc.wantTo || resp.Display.MaskedDestination != tc.masked || strings.Contains(resp.Display.Message, tc.wantTo) {
				t.Errorf("sent to %q, shown %+v; want %q shown masked as %q", to, resp.Display, tc.wantTo, tc.masked)
			}
		})
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     string
	}{
		{"no webhook", `{}`, `"webhook_url" must be an http or https URL`},
		{"not http", `{"webhook_url":"ftp://x.example","webhook_token":"t"}`, `"webhook_url" must be`},
		{"no token", `{"webhook_url":"https://x.example"}`, `"webhook_token" is required`},
		{"unknown key", `{"webhook_url":"https://x.example","webhook_token":"t","sender":"x"}`, `unknown setting "sender"`},
		{"five digits", `{"webhook_url":"https://x.example","webhook_token":"t","digits":5}`, "code digits must be between 6 and 10"},
		{"an hour", `{"webhook_url":"https://x.example","webhook_token":"t","code_ttl":"1h"}`, "code lifetime must be positive and at most 10m0s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := emailotp.New().Configure(context.Background(), json.RawMessage(tc.settings))
			if !errors.Is(err, sdk.ErrInvalidSettings) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want ErrInvalidSettings saying %q", err, tc.want)
			}
		})
	}
	f, err := emailotp.New().Configure(context.Background(), json.RawMessage(`{"webhook_url":"https://x.example","webhook_token":"t","digits":8,"code_ttl":"2m"}`))
	if err != nil {
		t.Fatalf("valid settings: %v", err)
	}
	if d := f.Describe(); d.EnrollmentTTL != 2*time.Minute || d.ProofKind != sdk.ProofSentCode {
		t.Errorf("configured description %+v", d)
	}
}
