package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/api"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// smsRecorder stands in for an SMS gateway: it records what the webhook
// sender posts.
type smsRecorder struct {
	mu       sync.Mutex
	messages []struct{ To, Body string }
}

func (r *smsRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var m struct {
		To   string `json:"to"`
		Body string `json:"body"`
	}
	if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.messages = append(r.messages, struct{ To, Body string }{m.To, m.Body})
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

var smsCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// last returns the newest message's recipient and code, and how many were sent.
func (r *smsRecorder) last(t *testing.T) (to, code string, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.messages) == 0 {
		t.Fatal("no text message was sent")
	}
	m := r.messages[len(r.messages)-1]
	return m.To, smsCode.FindString(m.Body), len(r.messages)
}

// apiHost is the native API in this process over a real store and real
// plugin processes, with the host's clock under the test's control.
type apiHost struct {
	base  string
	token string
	now   atomic.Int64
	logs  *syncBuffer
}

func (h *apiHost) advance(d time.Duration) { h.now.Add(int64(d)) }

func newAPIHost(t *testing.T, instances []plugins.InstanceConfig) *apiHost {
	t.Helper()
	bins, err := testplugins.Build(filepath.Join(t.TempDir(), "plugins"))
	if err != nil {
		t.Fatal(err)
	}
	h := &apiHost{logs: &syncBuffer{}}
	h.now.Store(time.Date(2033, 4, 5, 6, 7, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, h.now.Load()).UTC() }
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, _ := seal.GenerateKey("k", nil)
	sealer, _ := seal.New(key)
	// The tests check outcomes, not speed: a call may take as long as a busy
	// machine needs (fifty argon2id checks at once under the race detector).
	m := plugins.New(plugins.Options{Logger: log, CallTimeout: 10 * time.Minute})
	t.Cleanup(func() { m.Close() })
	var binaries []plugins.Binary
	for _, b := range bins {
		binaries = append(binaries, b)
	}
	if err := m.Load(ctx, binaries, instances); err != nil {
		t.Fatal(err)
	}
	svc := mfa.New(st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		return in, ok
	}), sealer, mfa.Options{Logger: log, Now: clock, Lockout: mfa.LockoutPolicy{MaxFailures: 100, BaseDelay: time.Minute, MaxDelay: time.Hour}})
	tokens := auth.NewTokens(st, nil, nil)
	srv := httptest.NewServer(api.New(api.Deps{MFA: svc, Users: st, Auth: tokens, Factors: m, Logger: log}))
	t.Cleanup(srv.Close)
	org, err := st.EnsureDefaultOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.User{ID: "u-1", OrgID: org.ID, Name: "frank"})
	if err != nil {
		t.Fatal(err)
	}
	if h.token, _, err = tokens.Create(ctx, u.ID, "test", false, 0); err != nil {
		t.Fatal(err)
	}
	h.base = srv.URL
	return h
}

func problemType(body map[string]any) string {
	typ, _ := body["type"].(string)
	return typ[strings.LastIndex(typ, "/")+1:]
}

func TestSMSThroughTheNativeAPI(t *testing.T) {
	rec := &smsRecorder{}
	gateway := httptest.NewServer(rec)
	defer gateway.Close()
	settings := fmt.Sprintf(`{"sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, gateway.URL+"/sms")
	h := newAPIHost(t, []plugins.InstanceConfig{{Name: "sms", Plugin: "sms", Settings: json.RawMessage(settings)}})
	const phone = "+61412345678"
	path := h.base + "/v1/users/me/factors/sms"
	var codes []string

	status, body, _ := call(t, "POST", path+"/enrollments", h.token, map[string]any{"params": map[string]string{"phone": phone}})
	if status != 201 {
		t.Fatalf("enroll: %d %v", status, body)
	}
	masked := body["display"].(map[string]any)["masked_destination"].(string)
	if strings.Contains(masked, "412345678") || !strings.Contains(masked, "*") {
		t.Fatalf("display shows %q: only a masked number may be shown", masked)
	}
	to, code, _ := rec.last(t)
	if to != phone || code == "" {
		t.Fatalf("gateway got %q %q", to, code)
	}
	codes = append(codes, code)
	enrollment := body["id"].(string)
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1000000)
	if status, body, _ := call(t, "POST", path+"/enrollments/"+enrollment+"/confirm", h.token, map[string]string{"code": wrong}); status != 422 || problemType(body) != "invalid-code" {
		t.Fatalf("confirm with a wrong code: %d %v", status, body)
	}
	if status, body, _ := call(t, "POST", path+"/enrollments/"+enrollment+"/confirm", h.token, map[string]string{"code": code}); status != 200 {
		t.Fatalf("confirm: %d %v", status, body)
	}

	// The enrollment's code was used, so a challenge right after it sends
	// at once; a new code right after that one is throttled.
	if status, body, _ := call(t, "POST", path+"/challenge", h.token, nil); status != 200 {
		t.Fatalf("challenge right after the enrollment: %d %v", status, body)
	}
	_, first, _ := rec.last(t)
	codes = append(codes, first)
	status, body, hdr := call(t, "POST", path+"/challenge", h.token, nil)
	if status != 429 || problemType(body) != "throttled" || hdr.Get("Retry-After") == "" {
		t.Fatalf("immediate resend: %d %v", status, body)
	}

	challenge := func() string {
		t.Helper()
		h.advance(31 * time.Second)
		status, body, _ := call(t, "POST", path+"/challenge", h.token, nil)
		if status != 200 {
			t.Fatalf("challenge: %d %v", status, body)
		}
		_, code, _ := rec.last(t)
		codes = append(codes, code)
		return code
	}
	verify := func(code string) (int, string) {
		t.Helper()
		status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]string{"code": code})
		return status, problemType(body)
	}

	code = challenge()
	if status, typ := verify(code); status != 200 {
		t.Fatalf("verify: %d %s", status, typ)
	}
	if status, typ := verify(code); status != 422 || typ != "replayed" {
		t.Fatalf("reused code: %d %s", status, typ)
	}

	code = challenge()
	wrong = fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1000000)
	for i := range 3 {
		if status, typ := verify(wrong); status != 422 || (typ != "invalid-code" && !(i == 2 && typ == "challenge-spent")) {
			t.Fatalf("wrong code %d: %d %s", i+1, status, typ)
		}
	}
	if status, typ := verify(code); status != 422 || typ != "challenge-spent" {
		t.Fatalf("right code after three wrong ones: %d %s", status, typ)
	}

	code = challenge()
	h.advance(6 * time.Minute)
	if status, typ := verify(code); status != 422 || typ != "expired" {
		t.Fatalf("expired code: %d %s", status, typ)
	}

	logs := h.logs.String()
	for _, secret := range append(codes, phone, strings.TrimPrefix(phone, "+"), "412345678") {
		if strings.Contains(logs, secret) {
			t.Fatalf("the log contains %q", secret)
		}
	}
}

func TestBackupCodesThroughTheNativeAPI(t *testing.T) {
	h := newAPIHost(t, []plugins.InstanceConfig{{Name: "backup-codes", Plugin: "backup-codes"}})
	path := h.base + "/v1/users/me/factors/backup-codes"
	enroll := func(replace bool) []string {
		t.Helper()
		status, body, _ := call(t, "POST", path+"/enrollments", h.token, map[string]any{"replace": replace})
		if status != 201 || body["status"] != "active" {
			t.Fatalf("enroll: %d %v", status, body)
		}
		var codes []string
		for _, c := range body["display"].(map[string]any)["codes"].([]any) {
			codes = append(codes, c.(string))
		}
		if len(codes) != 10 {
			t.Fatalf("%d codes shown, want 10", len(codes))
		}
		return codes
	}
	verify := func(code string) (int, string) {
		status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]string{"code": code})
		return status, problemType(body)
	}
	codes := enroll(false)
	if status, typ := verify(codes[0]); status != 200 {
		t.Fatalf("first use: %d %s", status, typ)
	}
	if status, typ := verify(codes[0]); status != 422 || typ != "replayed" {
		t.Fatalf("second use: %d %s", status, typ)
	}
	// Fifty submissions of one code at once: one acceptance.
	var ok, replayed atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch status, typ := verify(codes[1]); {
			case status == 200:
				ok.Add(1)
			case status == 422 && typ == "replayed":
				replayed.Add(1)
			default:
				t.Errorf("unexpected %d %s", status, typ)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 49 {
		t.Fatalf("accepted %d times, replayed %d; want exactly one acceptance", ok.Load(), replayed.Load())
	}
	// Enrolling again needs replace; the new set replaces every old code.
	if status, body, _ := call(t, "POST", path+"/enrollments", h.token, map[string]any{}); status != 409 {
		t.Fatalf("enroll while active without replace: %d %v", status, body)
	}
	fresh := enroll(true)
	if status, typ := verify(codes[2]); status != 422 || typ != "invalid-code" {
		t.Fatalf("old code after regeneration: %d %s", status, typ)
	}
	if status, typ := verify(fresh[0]); status != 200 {
		t.Fatalf("new code: %d %s", status, typ)
	}
	logs := h.logs.String()
	for _, c := range append(codes, fresh...) {
		if strings.Contains(logs, c) || strings.Contains(logs, strings.ReplaceAll(c, "-", "")) {
			t.Fatalf("the log contains a backup code")
		}
	}
}
