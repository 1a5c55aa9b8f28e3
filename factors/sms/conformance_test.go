package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/factors/sms"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

const conformancePhone = "+61412345678"

// recorder is the SMS gateway of the conformance run: it keeps each
// message's code by challenge id, as the user's phone would show it. The
// plugin process posts to it over loopback.
type recorder struct {
	srv *httptest.Server

	mu    sync.Mutex
	codes map[string]string
}

var codeRE = regexp.MustCompile(`[0-9]{6}`)

func newRecorder(t testing.TB) *recorder {
	r := &recorder{codes: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct {
			To          string `json:"to"`
			Body        string `json:"body"`
			Instance    string `json:"instance"`
			ChallengeID string `json:"challenge_id"`
		}
		if req.Method != http.MethodPost || req.URL.Path != "/sms" || req.Header.Get("X-Gateway-Key") != "conformance-key" {
			t.Errorf("gateway: unexpected %s %s", req.Method, req.URL.Path)
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<16)).Decode(&m); err != nil {
			t.Errorf("gateway: body: %v", err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if m.To != conformancePhone || m.Instance != "conformance" || m.ChallengeID == "" {
			t.Errorf("gateway: message %+v", m)
		}
		r.mu.Lock()
		r.codes[m.ChallengeID] = codeRE.FindString(m.Body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// code returns the code sent for the challenge a Display names.
func (r *recorder) code(t testing.TB, d sdk.Display) sdk.Proof {
	t.Helper()
	id := d.Extra["challenge_id"]
	r.mu.Lock()
	code, ok := r.codes[id]
	r.mu.Unlock()
	if !ok || code == "" {
		t.Fatalf("the gateway received no code for challenge %q", id)
	}
	return sdk.Proof{Code: code}
}

func (r *recorder) prover() factortest.Prover {
	return factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, _ time.Time) sdk.Proof {
			return r.code(t, resp.Display)
		},
		Verify: func(t testing.TB, _ factortest.Enrollment, ch sdk.ChallengeResponse, _ time.Time) sdk.Proof {
			return r.code(t, ch.Display)
		},
	}
}

func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "factorgate-factor-sms")
	build := exec.Command("go", "build", "-o", bin, "./cmd/factorgate-factor-sms")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build plugin: %v", err)
	}
	rec := newRecorder(t)
	settings, err := json.Marshal(map[string]any{
		"sender": map[string]any{
			"type":                "webhook",
			"url":                 rec.srv.URL + "/sms",
			"allow_insecure_http": true,
			"header_name":         "X-Gateway-Key",
			"header_value":        "conformance-key",
			"instance":            "conformance",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	factortest.Run(t, sms.New(), rec.prover(),
		factortest.WithBinary(bin),
		factortest.WithSettings(settings),
		factortest.WithEnrollParams(map[string]string{"phone": conformancePhone}),
	)
}
