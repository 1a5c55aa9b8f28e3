package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// testNow is the host's clock in tests.
var testNow = time.Date(2030, time.January, 2, 3, 4, 0, 0, time.UTC)

// testPhone is an Australian mobile number, and testMasked how it is shown.
const (
	testPhone  = "+61412345678"
	testMasked = "+61 4** *** 678"
)

// codeRE finds the code in a message rendered from the default template.
var codeRE = regexp.MustCompile(`[0-9]{6,10}`)

// gatewayRequest is one request a gateway received.
type gatewayRequest struct {
	method string
	path   string
	query  string
	header http.Header
	body   []byte
}

// gateway is a local SMS gateway: an HTTP server that records every request
// and answers with the scripted statuses, then 200.
type gateway struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []gatewayRequest
	script   []func(w http.ResponseWriter)
}

func newGateway(t testing.TB) *gateway {
	t.Helper()
	g := &gateway{}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.requests = append(g.requests, gatewayRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: body})
	var answer func(http.ResponseWriter)
	if len(g.script) > 0 {
		answer, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	if answer != nil {
		answer(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// answer scripts the next answers.
func (g *gateway) answer(answers ...func(http.ResponseWriter)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script = append(g.script, answers...)
}

// status is an answer with a status and headers ("Name: value").
func status(code int, headers ...string) func(http.ResponseWriter) {
	return answerWith(code, "", headers...)
}

// answerWith is an answer with a status, a body and headers ("Name: value").
func answerWith(code int, body string, headers ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func (g *gateway) received() []gatewayRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]gatewayRequest(nil), g.requests...)
}

// messages decodes every webhook body received.
func (g *gateway) messages(t testing.TB) []webhookBody {
	t.Helper()
	var out []webhookBody
	for _, r := range g.received() {
		var m webhookBody
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatalf("webhook body %q: %v", r.body, err)
		}
		out = append(out, m)
	}
	return out
}

// last is the last webhook message received.
func (g *gateway) last(t testing.TB) webhookBody {
	t.Helper()
	msgs := g.messages(t)
	if len(msgs) == 0 {
		t.Fatal("the gateway received no message")
	}
	return msgs[len(msgs)-1]
}

// code returns the code in the message for challenge id.
func (g *gateway) code(t testing.TB, id string) string {
	t.Helper()
	for _, m := range g.messages(t) {
		if m.ChallengeID == id {
			c := codeRE.FindString(m.Body)
			if c == "" {
				t.Fatalf("message %q has no code", m.Body)
			}
			return c
		}
	}
	t.Fatalf("no message for challenge %s", id)
	return ""
}

// senderJSON is the webhook sender pointed at the gateway.
func (g *gateway) senderJSON() string {
	return `{"type":"webhook","url":"` + g.srv.URL + `/sms","allow_insecure_http":true}`
}

// configure returns base configured with settings (a JSON object), with the
// webhook sender pointed at g unless the settings name a sender.
func configure(t testing.TB, base *Factor, g *gateway, settings string) *Factor {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(settings), &m); err != nil {
		t.Fatalf("settings %s: %v", settings, err)
	}
	if _, ok := m["sender"]; !ok && g != nil {
		m["sender"] = json.RawMessage(g.senderJSON())
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := base.Configure(context.Background(), raw)
	if err != nil {
		t.Fatalf("Configure(%s): %v", raw, err)
	}
	return f.(*Factor)
}

// quiet is a logger that drops everything.
func quiet() Option { return WithLogger(slog.New(slog.DiscardHandler)) }

// noSleep records back-off waits instead of waiting.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *noSleep) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestFactor is a factor with the webhook sender pointed at a new
// gateway, configured with settings.
func newTestFactor(t testing.TB, settings string, opts ...Option) (*Factor, *gateway) {
	t.Helper()
	g := newGateway(t)
	opts = append([]Option{quiet(), WithSleep((&noSleep{}).sleep)}, opts...)
	return configure(t, New(opts...), g, settings), g
}

// begin begins an enrollment of testPhone at now and returns the response
// and the code sent.
func begin(t testing.TB, f *Factor, g *gateway, now time.Time) (sdk.BeginEnrollmentResponse, string) {
	t.Helper()
	resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{
		User:   sdk.User{ID: "u-1"},
		Params: map[string]string{"phone": testPhone},
		Now:    now,
	})
	if err != nil {
		t.Fatalf("BeginEnrollment: %v", err)
	}
	return resp, g.code(t, resp.Display.Extra["challenge_id"])
}

// enroll enrolls testPhone, beginning at now, and returns the credential state.
func enroll(t testing.TB, f *Factor, g *gateway, now time.Time) []byte {
	t.Helper()
	b, code := begin(t, f, g, now)
	resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		User:         sdk.User{ID: "u-1"},
		PendingState: b.PendingState,
		Proof:        sdk.Proof{Code: code},
		Now:          now.Add(time.Second),
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment = %v (%s), %v", resp.Result, resp.Reason, err)
	}
	return resp.CredentialState
}

// challenge challenges cred at now and returns the response and the code sent.
func challenge(t testing.TB, f *Factor, g *gateway, cred []byte, now time.Time) (sdk.ChallengeResponse, string) {
	t.Helper()
	resp, err := f.Challenge(context.Background(), sdk.ChallengeRequest{User: sdk.User{ID: "u-1"}, CredentialState: cred, Now: now})
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	if resp.Result != sdk.ResultOK {
		t.Fatalf("Challenge = %v (%s)", resp.Result, resp.Reason)
	}
	return resp, g.code(t, resp.Display.Extra["challenge_id"])
}

// wrongCode is a code of the same length that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

// seal encodes a legacy (version 1) state as the factor wrote it before it
// used sdk.StateCodec, without validating it, so tests can make states whose
// checksum is right and whose values are not.
func seal(t testing.TB, s legacyState) []byte {
	t.Helper()
	*s.sum() = ""
	body, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	*s.sum() = checksum(body)
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func legacyPendingOf(phone string, sent time.Time, c sdk.OneTimeCode) *legacyPending {
	return &legacyPending{Version: legacyVersion, Kind: kindPending, Phone: phone, Sent: sent.UTC(), Code: c}
}

func legacyChallengeOf(c sdk.OneTimeCode) *legacyChallenge {
	return &legacyChallenge{Version: legacyVersion, Kind: kindChallenge, Code: c}
}

func legacyCredentialOf(phone string, lastSent time.Time, latest string, used bool) *legacyCredential {
	return &legacyCredential{Version: legacyVersion, Kind: kindCredential, Phone: phone, LastSent: lastSent.UTC(), LatestChallenge: latest, LatestUsed: used}
}

// readTestdata returns a file of testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealJSON re-sums a state given as a JSON object, so tests can add or drop
// fields and still pass the checksum.
func sealJSON(t testing.TB, m map[string]any) []byte {
	t.Helper()
	m["sum"] = ""
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	m["sum"] = checksum(body)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// stateMap returns a state as a JSON object.
func stateMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// sequenceReader is a deterministic source of randomness: 0, 1, 2, ...
type sequenceReader struct{ next byte }

func (r *sequenceReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}
