package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// Tokens the fake authenticator knows.
const (
	userToken   = "fgp_user-token-secret"
	adminToken  = "fgp_admin-token-secret"
	brokenToken = "fgp_store-down"
)

var (
	alice = store.User{ID: "u-alice", OrgID: 7, Name: "alice", Email: "alice@example.com"}
	root  = store.User{ID: "u-root", OrgID: 7, Name: "root", Admin: true}
)

type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, secret string) (auth.Principal, error) {
	switch secret {
	case userToken:
		return auth.Principal{User: alice, TokenID: "tok-alice"}, nil
	case adminToken:
		return auth.Principal{User: root, TokenID: "tok-root", Admin: true}, nil
	case brokenToken:
		return auth.Principal{}, errors.New("look up token: database is locked")
	}
	return auth.Principal{}, auth.ErrBadToken
}

// mfaCall records one lifecycle call.
type mfaCall struct {
	op   string
	meta mfa.Meta
	req  any
}

// fakeMFA returns err when set, canned results otherwise, and records calls.
type fakeMFA struct {
	mu    sync.Mutex
	err   error
	calls []mfaCall
	// display is returned by enrollment, confirmation, challenge and verification.
	display sdk.Display
}

func (f *fakeMFA) record(op string, m mfa.Meta, req any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, mfaCall{op: op, meta: m, req: req})
	return f.err
}

func (f *fakeMFA) last(t *testing.T) mfaCall {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) == 0 {
		t.Fatal("no lifecycle call")
	}
	return f.calls[len(f.calls)-1]
}

func (f *fakeMFA) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

var testCredential = mfa.CredentialInfo{
	ID: "cred-1", Factor: "totp", Status: store.CredentialActive, DisplayName: "Authenticator app",
	AMR: []string{"otp"}, CreatedAt: testNow.Add(-time.Hour),
}

func (f *fakeMFA) BeginEnrollment(_ context.Context, m mfa.Meta, req mfa.BeginRequest) (mfa.Enrollment, error) {
	if err := f.record("begin", m, req); err != nil {
		return mfa.Enrollment{}, err
	}
	return mfa.Enrollment{ID: "enr-1", Factor: req.Factor, Display: f.display, ExpiresAt: testNow.Add(10 * time.Minute)}, nil
}

func (f *fakeMFA) ConfirmEnrollment(_ context.Context, m mfa.Meta, req mfa.ConfirmRequest) (mfa.Confirmed, error) {
	if err := f.record("confirm", m, req); err != nil {
		return mfa.Confirmed{}, err
	}
	c := testCredential
	c.ID, c.Factor = req.EnrollmentID, req.Factor
	return mfa.Confirmed{Credential: c, Display: f.display}, nil
}

func (f *fakeMFA) CancelEnrollment(_ context.Context, m mfa.Meta, userID, factor string) (mfa.Removed, error) {
	return mfa.Removed{Factor: factor}, f.record("cancel", m, [2]string{userID, factor})
}

func (f *fakeMFA) Challenge(_ context.Context, m mfa.Meta, req mfa.ChallengeRequest) (mfa.Challenge, error) {
	if err := f.record("challenge", m, req); err != nil {
		return mfa.Challenge{}, err
	}
	return mfa.Challenge{ID: "ch-1", Factor: req.Factor, Display: f.display, ExpiresAt: testNow.Add(5 * time.Minute)}, nil
}

func (f *fakeMFA) Verify(_ context.Context, m mfa.Meta, req mfa.VerifyRequest) (mfa.Verified, error) {
	if err := f.record("verify", m, req); err != nil {
		return mfa.Verified{}, err
	}
	return mfa.Verified{Credential: testCredential, AMR: []string{"otp"}, At: testNow, Display: f.display}, nil
}

func (f *fakeMFA) ListCredentials(_ context.Context, userID string) ([]mfa.CredentialInfo, error) {
	if err := f.record("list", mfa.Meta{}, userID); err != nil {
		return nil, err
	}
	pending := mfa.CredentialInfo{ID: "cred-2", Factor: "sms", Status: store.CredentialPending, CreatedAt: testNow, ExpiresAt: testNow.Add(time.Minute)}
	used := testCredential
	used.LastUsedAt = testNow
	return []mfa.CredentialInfo{used, pending}, nil
}

func (f *fakeMFA) RemoveCredential(_ context.Context, m mfa.Meta, userID, credentialID string) (mfa.Removed, error) {
	return mfa.Removed{CredentialID: credentialID}, f.record("remove", m, [2]string{userID, credentialID})
}

// fakeUsers stores created users by name.
type fakeUsers struct {
	mu      sync.Mutex
	created []store.User
	err     error
}

func (u *fakeUsers) CreateUser(_ context.Context, nu store.User) (store.User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return store.User{}, u.err
	}
	for _, c := range u.created {
		if c.Name == nu.Name {
			return store.User{}, store.ErrAlreadyExists
		}
	}
	u.created = append(u.created, nu)
	return nu, nil
}

func (u *fakeUsers) EnsureDefaultOrg(context.Context) (store.Org, error) {
	return store.Org{ID: 1, Name: store.DefaultOrgName}, nil
}

type fakeFactors []plugins.InstanceInfo

func (f fakeFactors) Instances() []plugins.InstanceInfo { return f }

type readyFunc func(context.Context) error

func (f readyFunc) Ready(ctx context.Context) error { return f(ctx) }

// fixture is a server over fakes.
type fixture struct {
	h     http.Handler
	mfa   *fakeMFA
	users *fakeUsers
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t *testing.T, edit ...func(*Deps)) *fixture {
	t.Helper()
	f := &fixture{mfa: &fakeMFA{}, users: &fakeUsers{}, logs: &syncBuffer{}}
	deps := Deps{
		MFA: f.mfa, Users: f.users, Auth: fakeAuth{},
		Factors: fakeFactors{{
			Name: "totp", Plugin: "totp", Health: plugins.HealthHealthy,
			Description: sdk.Description{Name: "totp", DisplayName: "Authenticator app", Version: "1.2.3", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll}},
		}, {
			Name: "sms-7", Plugin: "sms", Health: plugins.HealthUnhealthy, InProcess: true,
			Description: sdk.Description{Name: "sms", DisplayName: "Text message", Version: "0.1.0"},
		}},
		Ready:          readyFunc(func(context.Context) error { return nil }),
		Passwords:      PasswordHasherFunc(func(pw string) (string, error) { return "hashed:" + strings.Repeat("x", len(pw)), nil }),
		Logger:         slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBodyBytes:   1024,
		Now:            func() time.Time { return testNow },
		NewID:          func() string { return "u-new" },
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}
	for _, e := range edit {
		e(&deps)
	}
	f.h = New(deps)
	return f
}

// req describes a test request.
type req struct {
	method, path, token, body string
	header                    map[string]string
}

func (f *fixture) do(t *testing.T, rq req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.path, body)
	r.RemoteAddr = "192.0.2.10:4711"
	if rq.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if rq.token != "" {
		r.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		if v == "" {
			r.Header.Del(k)
		} else {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

// problemOf decodes a problem response, checking its media type and shape.
func problemOf(t *testing.T, w *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (body %s)", ct, w.Body)
	}
	var p Problem
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v", err)
	}
	if p.Status != w.Code {
		t.Errorf("problem status %d, response status %d", p.Status, w.Code)
	}
	if !strings.HasPrefix(p.Type, ProblemBase) || p.Title == "" || p.Code == "" || p.Detail == "" {
		t.Errorf("incomplete problem %+v", p)
	}
	if want := strings.ReplaceAll(strings.TrimPrefix(p.Type, ProblemBase), "-", "_"); p.Code != want {
		t.Errorf("code %q does not match type %q", p.Code, p.Type)
	}
	return p
}

// jsonOf decodes a JSON response into a generic map.
func jsonOf(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json (status %d, body %s)", ct, w.Code, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("decode body %s: %v", w.Body, err)
	}
	return m
}
