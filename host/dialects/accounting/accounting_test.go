package accounting

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// ---- shared wiring: the real stack ----

// accountingClock is the test's time; the service, the tokens and every
// factor see only this.
type accountingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *accountingClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *accountingClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// accountingSMS is one message the SMS factor's webhook sender posted.
type accountingSMS struct {
	To          string `json:"to"`
	Body        string `json:"body"`
	ChallengeID string `json:"challenge_id"`
}

// accountingSMSRecorder is the webhook the SMS factor sends through.
type accountingSMSRecorder struct {
	mu   sync.Mutex
	msgs []accountingSMS
	fail atomic.Bool
}

func (rec *accountingSMSRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rec.fail.Load() {
		http.Error(w, "gateway down", http.StatusServiceUnavailable)
		return
	}
	var m accountingSMS
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec.mu.Lock()
	rec.msgs = append(rec.msgs, m)
	rec.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

var accountingCodeRE = regexp.MustCompile(`\b[0-9]{7}\b`)

// lastCode returns the 7-digit code of the last message sent to the number.
func (rec *accountingSMSRecorder) lastCode(t *testing.T, to string) string {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := len(rec.msgs) - 1; i >= 0; i-- {
		if rec.msgs[i].To == to {
			c := accountingCodeRE.FindString(rec.msgs[i].Body)
			if c == "" {
				t.Fatalf("message to %s holds no 7-digit code", to)
			}
			return c
		}
	}
	t.Fatalf("no message was sent to %s", to)
	return ""
}

func (rec *accountingSMSRecorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.msgs)
}

// accountingUser is a user with a personal API token.
type accountingUser struct {
	store.User
	token string
}

// accountingEnv is the real stack behind an httptest server: a store on a
// fresh database, the SMS plugin as instance sms-7, the lifecycle service,
// tokens and the dialect on a mux.
type accountingEnv struct {
	t     *testing.T
	srv   *httptest.Server
	st    *store.SQLStore
	svc   *mfa.Service
	clock *accountingClock
	sms   *accountingSMSRecorder
	org   store.Org
	alice accountingUser
	bob   accountingUser
}

// accountingBuildPlugins builds the factor plugins once for a test.
func accountingBuildPlugins(t *testing.T) map[string]plugins.Binary {
	t.Helper()
	bins, err := testplugins.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bins["sms"]; !ok {
		t.Fatal("the sms plugin was not built")
	}
	return bins
}

func newAccountingEnv(t *testing.T, bins map[string]plugins.Binary, databaseURL string, lockout mfa.LockoutPolicy) *accountingEnv {
	t.Helper()
	ctx := context.Background()
	e := &accountingEnv{t: t, clock: &accountingClock{now: time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)}, sms: &accountingSMSRecorder{}}
	smsSrv := httptest.NewServer(e.sms)
	t.Cleanup(smsSrv.Close)

	st, err := store.Open(ctx, databaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.st = st
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}

	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { _ = m.Close() })
	settings := fmt.Sprintf(`{"digits": 7, "sender": {"type": "webhook", "url": %q, "allow_insecure_http": true, "max_retries": 0}}`, smsSrv.URL+"/sms")
	if err := m.Load(ctx, []plugins.Binary{bins["sms"]}, []plugins.InstanceConfig{{Name: "sms-7", Plugin: "sms", Settings: json.RawMessage(settings)}}); err != nil {
		t.Fatal(err)
	}
	factors := mfa.FactorsFunc(func(name string) (mfa.Factor, bool) { return m.Instance(name) })
	// Deterministic ids make the ProviderUserIds, and so the bodies, exact.
	var ids atomic.Int64
	e.svc = mfa.New(st, factors, sealer, mfa.Options{
		Now:     e.clock.Now,
		NewID:   func() string { return fmt.Sprintf("acct-%d", ids.Add(1)) },
		Lockout: lockout,
	})

	tokens := auth.NewTokens(st, e.clock.Now, nil)
	if e.org, err = st.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	newUser := func(id, name string) accountingUser {
		u, err := st.CreateUser(ctx, store.User{ID: id, OrgID: e.org.ID, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		secret, _, err := tokens.Create(ctx, u.ID, "accounting", false, 0)
		if err != nil {
			t.Fatal(err)
		}
		return accountingUser{User: u, token: secret}
	}
	e.alice, e.bob = newUser("user-alice", "alice"), newUser("user-bob", "bob")

	mux := http.NewServeMux()
	Register(mux, dialects.Deps{
		MFA: e.svc, Users: st, Tokens: tokens,
		Routes: map[string]string{dialects.RouteAccountingSMS: "sms-7"},
		Now:    e.clock.Now,
	})
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// accountingResponse is what a test request got back.
type accountingResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to the server at base.
func accountingDo(t *testing.T, base, method, target string, header http.Header, body string) accountingResponse {
	t.Helper()
	req, err := http.NewRequest(method, base+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return accountingResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// jsonAs posts a JSON body with the user's bearer token.
func (e *accountingEnv) jsonAs(u accountingUser, path, body string) accountingResponse {
	e.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + u.token}, "Content-Type": {"application/json"}}
	return accountingDo(e.t, e.srv.URL, http.MethodPost, path+"?FileId="+strconv.FormatInt(e.org.ID, 10), h, body)
}

func (e *accountingEnv) optIn(u accountingUser, mobile string) accountingResponse {
	e.t.Helper()
	return e.jsonAs(u, optInPath, fmt.Sprintf(`{"MobileNumber":%q}`, mobile))
}

func (e *accountingEnv) verify(u accountingUser, providerUserID int32, otp string) accountingResponse {
	e.t.Helper()
	return e.jsonAs(u, verifyPath, fmt.Sprintf(`{"ProviderUserId":%d,"Otp":%q}`, providerUserID, otp))
}

// providerUserID reads the ProviderUserId of a successful JSON opt-in.
func (r accountingResponse) providerUserID(t *testing.T) int32 {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("opt-in: status %d, body %s", r.status, r.body)
	}
	var v struct{ ProviderUserId int32 }
	if err := json.Unmarshal(r.body, &v); err != nil || v.ProviderUserId <= 0 {
		t.Fatalf("opt-in body %s: %v", r.body, err)
	}
	return v.ProviderUserId
}

// want checks status, Content-Type and exact body.
func (r accountingResponse) want(t *testing.T, status int, contentType, body string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != contentType || string(r.body) != body {
		t.Fatalf("got %d %q %q\nwant %d %q %q", r.status, r.header.Get("Content-Type"), r.body, status, contentType, body)
	}
}

// wantMessage checks a JSON error.
func (r accountingResponse) wantMessage(t *testing.T, status int, message string) {
	t.Helper()
	b, _ := marshalJSON(struct{ Message string }{message}, "")
	r.want(t, status, "application/json; charset=utf-8", string(b))
}

// wantUnauthorized checks a 401: empty body, a Bearer challenge.
func (r accountingResponse) wantUnauthorized(t *testing.T) {
	t.Helper()
	if r.status != http.StatusUnauthorized || len(r.body) != 0 || r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("got %d %q (WWW-Authenticate %q), want 401 with an empty body", r.status, r.body, r.header.Get("WWW-Authenticate"))
	}
}

func accountingGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// accountingMessage returns the message the error table gives kind.
func accountingMessage(t *testing.T, kind error) string {
	t.Helper()
	for _, e := range lifecycleErrors {
		if e.kind == kind {
			return e.message
		}
	}
	t.Fatalf("no message for %v", kind)
	return ""
}

// ---- the full flow with real plugins ----

func TestAccountingFlow(t *testing.T) {
	bins := accountingBuildPlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		env := func(t *testing.T) *accountingEnv {
			return newAccountingEnv(t, bins, newURL(t), mfa.LockoutPolicy{})
		}
		t.Run("json", func(t *testing.T) {
			e := env(t)
			opt := e.optIn(e.alice, "0499999999")
			opt.want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "optin_response.json"))
			id := opt.providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			if _, err := e.svc.ActiveCredential(context.Background(), e.alice.ID, "sms-7"); !errors.Is(err, mfa.ErrNotEnrolled) {
				t.Fatalf("active before verification: %v", err)
			}
			e.verify(e.alice, id, code).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
			if _, err := e.svc.ActiveCredential(context.Background(), e.alice.ID, "sms-7"); err != nil {
				t.Fatalf("not active after verification: %v", err)
			}
			// The opt-in is done: verifying again or opting in again is refused.
			e.verify(e.alice, id, code).wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrNoEnrollment))
			e.optIn(e.alice, "0499999999").wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrAlreadyEnrolled))
		})
		t.Run("xml with legacy key and lowercase names", func(t *testing.T) {
			e := env(t)
			target := func(path string) string {
				return path + "?wsaccesskey=" + e.alice.token + "&fileid=" + strconv.FormatInt(e.org.ID, 10)
			}
			h := http.Header{"Content-Type": {"application/xml"}, "Accept": {"application/xml"}, "X-Api-Version": {"1.0"}}
			opt := accountingDo(t, e.srv.URL, http.MethodPost, target(optInPath), h,
				`<?xml version="1.0" encoding="utf-8"?><OptInTo2FARequest xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><MobileNumber>0499 999 999</MobileNumber></OptInTo2FARequest>`)
			opt.want(t, http.StatusOK, "application/xml; charset=utf-8", accountingGolden(t, "optin_response.xml"))
			var v struct {
				ProviderUserID int32 `xml:"ProviderUserId"`
			}
			if err := xml.Unmarshal(opt.body, &v); err != nil {
				t.Fatal(err)
			}
			code := e.sms.lastCode(t, "+61499999999")
			body := func(otp string) string {
				return fmt.Sprintf("<Verify2FAOptInRequest xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <ProviderUserId>%d</ProviderUserId>\n  <Otp>%s</Otp>\n</Verify2FAOptInRequest>", v.ProviderUserID, otp)
			}
			accountingDo(t, e.srv.URL, http.MethodPost, target(verifyPath), h, body(accountingWrongCode(t, code))).
				want(t, http.StatusBadRequest, "application/xml; charset=utf-8", accountingGolden(t, "error_invalid_code.xml"))
			accountingDo(t, e.srv.URL, http.MethodPost, target(verifyPath), h, body(code)).
				want(t, http.StatusOK, "application/xml; charset=utf-8", accountingGolden(t, "verify_response.xml"))
		})
		t.Run("wrong code then right code", func(t *testing.T) {
			e := env(t)
			id := e.optIn(e.alice, "+61 499 999 999").providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			e.verify(e.alice, id, accountingWrongCode(t, code)).want(t, http.StatusBadRequest, "application/json; charset=utf-8", accountingGolden(t, "error_invalid_code.json"))
			e.verify(e.alice, id, code).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("attempts spent", func(t *testing.T) {
			// The lockout stays out of the way of the factor's own limit.
			e := newAccountingEnv(t, bins, newURL(t), mfa.LockoutPolicy{MaxFailures: 10})
			id := e.optIn(e.alice, "0499999999").providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			wrong := accountingWrongCode(t, code)
			spent := accountingMessage(t, mfa.ErrChallengeSpent)
			var last accountingResponse
			for range 4 {
				if last = e.verify(e.alice, id, wrong); last.status != http.StatusBadRequest {
					t.Fatalf("wrong code: %d %s", last.status, last.body)
				}
			}
			last.wantMessage(t, http.StatusBadRequest, spent)
			// The right code no longer helps; a new opt-in does, once the
			// resend interval has passed.
			e.verify(e.alice, id, code).wantMessage(t, http.StatusBadRequest, spent)
			e.clock.Add(31 * time.Second)
			id = e.optIn(e.alice, "0499999999").providerUserID(t)
			e.verify(e.alice, id, e.sms.lastCode(t, "+61499999999")).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("replaced opt-in", func(t *testing.T) {
			e := env(t)
			first := e.optIn(e.alice, "0499999999").providerUserID(t)
			firstCode := e.sms.lastCode(t, "+61499999999")
			e.clock.Add(31 * time.Second) // a new opt-in sends again: past the resend interval
			second := e.optIn(e.alice, "0411111111").providerUserID(t)
			if first == second {
				t.Fatalf("two opt-ins share ProviderUserId %d", first)
			}
			e.verify(e.alice, first, firstCode).wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrNoEnrollment))
			e.verify(e.alice, second, e.sms.lastCode(t, "+61411111111")).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("another user's enrollment", func(t *testing.T) {
			e := env(t)
			id := e.optIn(e.alice, "0499999999").providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			noEnrollment := accountingMessage(t, mfa.ErrNoEnrollment)
			// Bob, with no opt-in of his own, then with one, cannot confirm Alice's.
			e.verify(e.bob, id, code).wantMessage(t, http.StatusBadRequest, noEnrollment)
			e.optIn(e.bob, "0422222222").providerUserID(t)
			e.verify(e.bob, id, code).wantMessage(t, http.StatusBadRequest, noEnrollment)
			if _, err := e.svc.ActiveCredential(context.Background(), e.bob.ID, "sms-7"); !errors.Is(err, mfa.ErrNotEnrolled) {
				t.Fatalf("bob enrolled: %v", err)
			}
			e.verify(e.alice, id, code).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("expired", func(t *testing.T) {
			e := env(t)
			id := e.optIn(e.alice, "0499999999").providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			e.clock.Add(6 * time.Minute)
			e.verify(e.alice, id, code).wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrNoEnrollment))
		})
		t.Run("locked", func(t *testing.T) {
			e := newAccountingEnv(t, bins, newURL(t), mfa.LockoutPolicy{MaxFailures: 2, BaseDelay: 90 * time.Second})
			id := e.optIn(e.alice, "0499999999").providerUserID(t)
			code := e.sms.lastCode(t, "+61499999999")
			wrong := accountingWrongCode(t, code)
			for range 2 {
				e.verify(e.alice, id, wrong).wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrInvalidCode))
			}
			r := e.verify(e.alice, id, code)
			r.wantMessage(t, http.StatusTooManyRequests, accountingMessage(t, mfa.ErrLocked))
			if got := r.header.Get("Retry-After"); got != "90" {
				t.Fatalf("Retry-After = %q, want 90", got)
			}
			e.clock.Add(91 * time.Second)
			e.verify(e.alice, id, code).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("numbers that cannot receive texts", func(t *testing.T) {
			e := env(t)
			for _, n := range []string{"0299999999", "+61299999999", "1800 123 456"} {
				e.optIn(e.alice, n).wantMessage(t, http.StatusBadRequest, accountingMessage(t, mfa.ErrInvalidParams))
			}
			if n := e.sms.count(); n != 0 {
				t.Fatalf("%d messages sent to refused numbers", n)
			}
		})
		t.Run("sms gateway down", func(t *testing.T) {
			e := env(t)
			e.sms.fail.Store(true)
			e.optIn(e.alice, "0499999999").wantMessage(t, http.StatusServiceUnavailable, accountingMessage(t, mfa.ErrUnavailable))
			e.sms.fail.Store(false)
			id := e.optIn(e.alice, "0499999999").providerUserID(t)
			e.verify(e.alice, id, e.sms.lastCode(t, "+61499999999")).want(t, http.StatusOK, "application/json; charset=utf-8", accountingGolden(t, "verify_response.json"))
		})
		t.Run("unauthorized", func(t *testing.T) {
			e := env(t)
			fileID := strconv.FormatInt(e.org.ID, 10)
			body := `{"MobileNumber":"0499999999"}`
			jsonCT := http.Header{"Content-Type": {"application/json"}}
			for name, tc := range map[string]struct {
				target string
				header http.Header
			}{
				"no credentials":         {"?FileId=" + fileID, jsonCT},
				"unknown token":          {"?FileId=" + fileID, http.Header{"Authorization": {"Bearer fgp_unknown"}}},
				"not a bearer token":     {"?FileId=" + fileID, http.Header{"Authorization": {"Basic " + e.alice.token}}},
				"unknown legacy key":     {"?FileId=" + fileID + "&WsAccessKey=fgp_unknown", jsonCT},
				"another organisation":   {"?FileId=" + strconv.FormatInt(e.org.ID+1, 10), http.Header{"Authorization": {"Bearer " + e.alice.token}, "Content-Type": {"application/json"}}},
				"legacy key, wrong file": {"?FileId=0&WsAccessKey=" + e.alice.token, jsonCT},
			} {
				t.Run(name, func(t *testing.T) {
					accountingDo(t, e.srv.URL, http.MethodPost, optInPath+tc.target, tc.header, body).wantUnauthorized(t)
				})
			}
			if n := e.sms.count(); n != 0 {
				t.Fatalf("%d messages sent for refused callers", n)
			}
		})
	})
}

// accountingWrongCode returns a 7-digit code other than code.
func accountingWrongCode(t *testing.T, code string) string {
	t.Helper()
	n, err := strconv.Atoi(code)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%07d", (n+1)%10_000_000)
}

// ---- request handling, against a fake lifecycle ----

// accountingFakeMFA is a lifecycle whose only code is 1234567 and whose
// pending enrollment of every user is "enr-<user>"; err, when set, is what
// every call returns.
type accountingFakeMFA struct {
	mu    sync.Mutex
	err   error
	begun []mfa.BeginRequest
}

var _ dialects.MFA = (*accountingFakeMFA)(nil)

const accountingFakeCode = "1234567"

func (f *accountingFakeMFA) BeginEnrollment(_ context.Context, _ mfa.Meta, req mfa.BeginRequest) (mfa.Enrollment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return mfa.Enrollment{}, f.err
	}
	f.begun = append(f.begun, req)
	return mfa.Enrollment{ID: "enr-" + req.UserID, Factor: req.Factor}, nil
}

func (f *accountingFakeMFA) ConfirmEnrollment(_ context.Context, _ mfa.Meta, req mfa.ConfirmRequest) (mfa.Confirmed, error) {
	if f.err != nil {
		return mfa.Confirmed{}, f.err
	}
	if req.EnrollmentID != "enr-"+req.UserID {
		return mfa.Confirmed{}, &mfa.Error{Kind: mfa.ErrNoEnrollment}
	}
	if req.Proof.Code != accountingFakeCode {
		return mfa.Confirmed{}, &mfa.Error{Kind: mfa.ErrInvalidCode}
	}
	return mfa.Confirmed{Credential: mfa.CredentialInfo{ID: req.EnrollmentID, Status: store.CredentialActive}}, nil
}

func (f *accountingFakeMFA) CancelEnrollment(context.Context, mfa.Meta, string, string) (mfa.Removed, error) {
	return mfa.Removed{}, &mfa.Error{Kind: mfa.ErrUnsupported}
}

func (f *accountingFakeMFA) PendingEnrollment(_ context.Context, userID, factor string) (mfa.CredentialInfo, error) {
	return mfa.CredentialInfo{ID: "enr-" + userID, Factor: factor, Status: store.CredentialPending}, nil
}

func (f *accountingFakeMFA) ActiveCredential(context.Context, string, string) (mfa.CredentialInfo, error) {
	return mfa.CredentialInfo{}, &mfa.Error{Kind: mfa.ErrNotEnrolled}
}

func (f *accountingFakeMFA) Challenge(context.Context, mfa.Meta, mfa.ChallengeRequest) (mfa.Challenge, error) {
	return mfa.Challenge{}, &mfa.Error{Kind: mfa.ErrUnsupported}
}

func (f *accountingFakeMFA) Verify(context.Context, mfa.Meta, mfa.VerifyRequest) (mfa.Verified, error) {
	return mfa.Verified{}, &mfa.Error{Kind: mfa.ErrUnsupported}
}

func (f *accountingFakeMFA) ListCredentials(context.Context, string) ([]mfa.CredentialInfo, error) {
	return nil, nil
}

func (f *accountingFakeMFA) RemoveCredential(context.Context, mfa.Meta, string, string) (mfa.Removed, error) {
	return mfa.Removed{}, &mfa.Error{Kind: mfa.ErrNotFound}
}

// accountingFakeTokens knows one token, of user "u1" in organisation 7.
type accountingFakeTokens struct{}

var _ dialects.Tokens = accountingFakeTokens{}

const accountingFakeToken = "fgp_test-token"

func (accountingFakeTokens) Authenticate(_ context.Context, secret string) (auth.Principal, error) {
	if secret == accountingFakeToken {
		return auth.Principal{User: store.User{ID: "u1", OrgID: 7}, TokenID: "t1"}, nil
	}
	return auth.Principal{}, auth.ErrBadToken
}

// accountingFakeHandler serves the dialect over the fakes.
func accountingFakeHandler(f *accountingFakeMFA, maxBody int64) http.Handler {
	mux := http.NewServeMux()
	Register(mux, dialects.Deps{MFA: f, Tokens: accountingFakeTokens{}, Routes: map[string]string{dialects.RouteAccountingSMS: "sms-7"}, MaxBodyBytes: maxBody})
	return mux
}

// accountingServe runs one request through h.
func accountingServe(h http.Handler, method, target string, header http.Header, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestAccountingRequests(t *testing.T) {
	fakeID := strconv.Itoa(int(providerUserID("enr-u1")))
	bearer := "Bearer " + accountingFakeToken
	jsonReq := http.Header{"Authorization": {bearer}, "Content-Type": {"application/json"}}
	xmlReq := http.Header{"Authorization": {bearer}, "Content-Type": {"application/xml"}}
	with := func(h http.Header, kv ...string) http.Header {
		out := h.Clone()
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	verifyOK := `{"ProviderUserId":` + fakeID + `,"Otp":"1234567"}`
	verifyXML := func(inner string) string {
		return `<Verify2FAOptInRequest xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + inner + `</Verify2FAOptInRequest>`
	}
	const (
		ctJSON = "application/json; charset=utf-8"
		ctXML  = "application/xml; charset=utf-8"
	)
	msg := func(m string) string {
		b, _ := marshalJSON(struct{ Message string }{m}, "")
		return string(b)
	}
	xmlMsg := func(m string) string { b, _ := marshalXMLError(m); return string(b) }
	verified := func(fileID string) string {
		return "{\n  \"StatusMessage\": \"" + verifiedMessage + "\",\n  \"_links\": [\n    {\n      \"rel\": \"self\",\n      \"href\": \"/User/verify-2fa-opt-in?FileId=" + fileID + "\",\n      \"method\": \"POST\",\n      \"title\": \"Verify 2FA opt-in\"\n    }\n  ]\n}"
	}
	optedIn := "{\n  \"ProviderUserId\": " + fakeID + "\n}"

	tests := []struct {
		name       string
		method     string
		target     string
		header     http.Header
		body       string
		wantStatus int
		wantCT     string
		wantBody   string
		wantPhone  string // the phone param the opt-in passed on
	}{
		{name: "opt-in national number", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"0499 999-999"}`, wantStatus: 200, wantCT: ctJSON, wantBody: optedIn, wantPhone: "0499999999/AU"},
		{name: "opt-in E.164 number", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"+61 (4) 9999 9999"}`, wantStatus: 200, wantCT: ctJSON, wantBody: optedIn, wantPhone: "+61499999999/"},
		{name: "opt-in member name in any case", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"mobilenumber":"0499999999"}`, wantStatus: 200, wantCT: ctJSON, wantBody: optedIn, wantPhone: "0499999999/AU"},
		{name: "verify", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: verifyOK, wantStatus: 200, wantCT: ctJSON, wantBody: verified("7")},
		{name: "verify text/json", target: "/User/verify-2fa-opt-in?FileId=7", header: with(jsonReq, "Content-Type", "text/json"), body: verifyOK, wantStatus: 200, wantCT: "text/json; charset=utf-8", wantBody: verified("7")},
		{name: "verify with BOM and version", target: "/User/verify-2fa-opt-in?fileid=7", header: with(jsonReq, "X-Api-Version", "1.0"), body: "\uFEFF" + verifyOK, wantStatus: 200, wantCT: ctJSON, wantBody: verified("7")},
		{name: "verify xml in, json out", target: "/User/verify-2fa-opt-in?FileId=7", header: with(xmlReq, "Accept", "application/json"), body: verifyXML("<ProviderUserId> " + fakeID + " </ProviderUserId><Otp>1234567</Otp>"), wantStatus: 200, wantCT: ctJSON, wantBody: verified("7")},
		{name: "verify xml negotiated from content type", target: "/User/verify-2fa-opt-in?FileId=7", header: with(xmlReq, "Accept", "*/*"), body: `<?xml version="1.0" encoding="UTF-8"?><!-- c --><Verify2FAOptInRequest><Otp>1234567</Otp><ProviderUserId>` + fakeID + `</ProviderUserId></Verify2FAOptInRequest>`, wantStatus: 200, wantCT: ctXML},
		{name: "accept quality decides", target: "/User/verify-2fa-opt-in?FileId=7", header: with(jsonReq, "Accept", "application/json;q=0.5, text/xml;q=0.9, text/html"), body: `{"ProviderUserId":1,"Otp":"1234567"}`, wantStatus: 400, wantCT: "text/xml; charset=utf-8", wantBody: xmlMsg(accountingMessage(t, mfa.ErrNoEnrollment))},
		{name: "accept unsupported only falls back to json", target: "/User/verify-2fa-opt-in?FileId=7", header: with(jsonReq, "Accept", "text/html"), body: verifyOK, wantStatus: 200, wantCT: ctJSON, wantBody: verified("7")},

		{name: "get", method: http.MethodGet, target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, wantStatus: 405, wantCT: ctJSON, wantBody: msg(errMethod.message)},
		{name: "unsupported version", target: "/User/opt-in-to-2fa?FileId=7", header: with(jsonReq, "X-Api-Version", "2.0"), body: `{"MobileNumber":"0499999999"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The X-Api-Version header must be 1.0.")},
		{name: "no credentials", target: "/User/opt-in-to-2fa?FileId=7", header: http.Header{"Content-Type": {"application/json"}}, body: `{"MobileNumber":"0499999999"}`, wantStatus: 401},
		{name: "credentials before file id", target: "/User/opt-in-to-2fa", header: http.Header{}, body: `{}`, wantStatus: 401},
		{name: "file id missing", target: "/User/opt-in-to-2fa", header: jsonReq, body: `{"MobileNumber":"0499999999"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The FileId parameter is required.")},
		{name: "file id not a number", target: "/User/opt-in-to-2fa?FileId=seven", header: jsonReq, body: `{"MobileNumber":"0499999999"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The FileId parameter must be an integer.")},
		{name: "file id twice", target: "/User/opt-in-to-2fa?FileId=7&fileid=7", header: jsonReq, body: `{"MobileNumber":"0499999999"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The FileId parameter must be given once.")},
		{name: "legacy key twice", target: "/User/opt-in-to-2fa?FileId=7&WsAccessKey=a&wsaccesskey=b", header: jsonReq, body: `{}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The WsAccessKey parameter must be given once.")},
		{name: "malformed query", target: "/User/opt-in-to-2fa?FileId=7;x=1", header: jsonReq, body: `{}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request URI query is malformed.")},
		{name: "another file", target: "/User/opt-in-to-2fa?FileId=8", header: jsonReq, body: `{"MobileNumber":"0499999999"}`, wantStatus: 401},
		{name: "legacy key", target: "/User/opt-in-to-2fa?FileId=7&WSACCESSKEY=" + accountingFakeToken, header: http.Header{"Content-Type": {"application/json"}}, body: `{"MobileNumber":"0499999999"}`, wantStatus: 200, wantCT: ctJSON, wantBody: optedIn, wantPhone: "0499999999/AU"},
		{name: "bearer wins over legacy key", target: "/User/opt-in-to-2fa?FileId=7&WsAccessKey=" + accountingFakeToken, header: http.Header{"Authorization": {"Bearer fgp_other"}, "Content-Type": {"application/json"}}, body: `{"MobileNumber":"0499999999"}`, wantStatus: 401},

		{name: "empty body", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request body is required.")},
		{name: "unsupported media type", target: "/User/opt-in-to-2fa?FileId=7", header: with(jsonReq, "Content-Type", "text/plain"), body: `{"MobileNumber":"0499999999"}`, wantStatus: 415, wantCT: ctJSON},
		{name: "no content type", target: "/User/opt-in-to-2fa?FileId=7", header: http.Header{"Authorization": {bearer}}, body: `{"MobileNumber":"0499999999"}`, wantStatus: 415, wantCT: ctJSON},
		{name: "charset not utf-8", target: "/User/opt-in-to-2fa?FileId=7", header: with(jsonReq, "Content-Type", "application/json; charset=utf-16"), body: `{"MobileNumber":"0499999999"}`, wantStatus: 415, wantCT: ctJSON},
		{name: "not an object", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `["0499999999"]`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request body must be a JSON object.")},
		{name: "malformed json", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request body is not valid JSON.")},
		{name: "trailing data", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"0499999999"} {}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request body has data after the JSON object.")},
		{name: "unknown member", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"0499999999","Country":"NZ"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The request body has a field that is not part of the request.")},
		{name: "member twice", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"0499999999","MOBILENUMBER":"0411111111"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The MobileNumber field must be given once.")},
		{name: "mobile missing", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The MobileNumber field is required.")},
		{name: "mobile null", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":null}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The MobileNumber field is required.")},
		{name: "mobile blank", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"  "}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The MobileNumber field is required.")},
		{name: "mobile a number", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":499999999}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The MobileNumber field must be a string.")},
		{name: "mobile with letters", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"0499 CALL ME"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg(errBadMobile.message)},
		{name: "mobile too long", target: "/User/opt-in-to-2fa?FileId=7", header: jsonReq, body: `{"MobileNumber":"` + strings.Repeat("0", 33) + `"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg(errBadMobile.message)},
		{name: "provider user id missing", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The ProviderUserId field is required.")},
		{name: "provider user id a string", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":"` + fakeID + `","Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The ProviderUserId field must be a positive integer.")},
		{name: "provider user id zero", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":0,"Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The ProviderUserId field must be a positive integer.")},
		{name: "provider user id fraction", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":1.5,"Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The ProviderUserId field must be a positive integer.")},
		{name: "provider user id past Int32", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":2147483648,"Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The ProviderUserId field must be a positive integer.")},
		{name: "otp missing", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":` + fakeID + `}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The Otp field is required.")},
		{name: "otp a number", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":` + fakeID + `,"Otp":1234567}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The Otp field must be a string.")},
		{name: "otp with control characters", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":` + fakeID + `,"Otp":"12\u000034567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The Otp field must be at most 64 printable characters.")},
		{name: "otp too long", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":` + fakeID + `,"Otp":"` + strings.Repeat("1", 65) + `"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg("The Otp field must be at most 64 printable characters.")},
		{name: "wrong otp", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":` + fakeID + `,"Otp":"7654321"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg(accountingMessage(t, mfa.ErrInvalidCode))},
		{name: "unknown provider user id", target: "/User/verify-2fa-opt-in?FileId=7", header: jsonReq, body: `{"ProviderUserId":1,"Otp":"1234567"}`, wantStatus: 400, wantCT: ctJSON, wantBody: msg(accountingMessage(t, mfa.ErrNoEnrollment))},

		{name: "xml dtd", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: `<?xml version="1.0"?><!DOCTYPE Verify2FAOptInRequest [<!ENTITY x "1234567">]>` + verifyXML(`<ProviderUserId>`+fakeID+`</ProviderUserId><Otp>&x;</Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("DTDs and entity declarations are not allowed in the request body.")},
		{name: "xml undefined entity", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<ProviderUserId>` + fakeID + `</ProviderUserId><Otp>&x;</Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body is not valid XML.")},
		{name: "xml other encoding", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: `<?xml version="1.0" encoding="iso-8859-1"?>` + verifyXML(`<Otp>1234567</Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body is not valid XML.")},
		{name: "xml wrong root", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: `<OptInTo2FARequest><MobileNumber>0499999999</MobileNumber></OptInTo2FARequest>`, wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body must be a Verify2FAOptInRequest element holding only its documented fields.")},
		{name: "xml default namespace", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: `<Verify2FAOptInRequest xmlns="http://example.com/"><Otp>1234567</Otp></Verify2FAOptInRequest>`, wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body must be a Verify2FAOptInRequest element holding only its documented fields.")},
		{name: "xml names are case-sensitive", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<otp>1234567</otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body has a field that is not part of the request.")},
		{name: "xml member twice", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<Otp>1</Otp><Otp>2</Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The Otp field must be given once.")},
		{name: "xml nested element", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<Otp><b>1234567</b></Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body must be a Verify2FAOptInRequest element holding only its documented fields.")},
		{name: "xml attribute", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<Otp xsi:nil="true"/>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body must be a Verify2FAOptInRequest element holding only its documented fields.")},
		{name: "xml second root", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<Otp>1</Otp>`) + `<x/>`, wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body must be a Verify2FAOptInRequest element holding only its documented fields.")},
		{name: "xml unclosed", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: `<Verify2FAOptInRequest><Otp>1</Otp>`, wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The request body is not valid XML.")},
		{name: "xml empty otp", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<ProviderUserId>` + fakeID + `</ProviderUserId><Otp/>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The Otp field is required.")},
		{name: "xml provider user id not a number", target: "/User/verify-2fa-opt-in?FileId=7", header: xmlReq, body: verifyXML(`<ProviderUserId>one</ProviderUserId><Otp>1</Otp>`), wantStatus: 400, wantCT: ctXML, wantBody: xmlMsg("The ProviderUserId field must be a positive integer.")},
		{name: "xml text/xml out", target: "/User/opt-in-to-2fa?FileId=7", header: with(xmlReq, "Accept", "text/xml"), body: `<OptInTo2FARequest><MobileNumber>0499999999</MobileNumber></OptInTo2FARequest>`, wantStatus: 200, wantCT: "text/xml; charset=utf-8", wantBody: "<OptInTo2FAResponse xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <ProviderUserId>" + fakeID + "</ProviderUserId>\n</OptInTo2FAResponse>", wantPhone: "0499999999/AU"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &accountingFakeMFA{}
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			rec := accountingServe(accountingFakeHandler(f, 0), method, tc.target, tc.header, []byte(tc.body))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.wantStatus, rec.Body)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				if rec.Body.Len() != 0 || rec.Header().Get("WWW-Authenticate") != "Bearer" || rec.Header().Get("Content-Type") != "" {
					t.Fatalf("401 with body %q, headers %v", rec.Body, rec.Header())
				}
				return
			}
			if got := rec.Header().Get("Content-Type"); got != tc.wantCT {
				t.Fatalf("Content-Type %q, want %q", got, tc.wantCT)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Fatalf("body\n%s\nwant\n%s", rec.Body, tc.wantBody)
			}
			if tc.wantStatus == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Fatalf("Allow = %q", rec.Header().Get("Allow"))
			}
			var phones []string
			for _, b := range f.begun {
				if b.UserID != "u1" || b.Factor != "sms-7" {
					t.Fatalf("began %+v", b)
				}
				phones = append(phones, b.Params["phone"]+"/"+b.Params["country"])
			}
			if want := tc.wantPhone; (want == "") != (len(phones) == 0) || (want != "" && (len(phones) != 1 || phones[0] != want)) {
				t.Fatalf("opt-ins %v, want %q", phones, want)
			}
		})
	}
}

// TestAccountingErrorTable checks that every lifecycle failure is mapped
// exactly once and renders in the dialect's shape.
func TestAccountingErrorTable(t *testing.T) {
	kinds := mfa.Kinds()
	if len(lifecycleErrors) != len(kinds) {
		t.Fatalf("the table has %d entries for %d kinds", len(lifecycleErrors), len(kinds))
	}
	for _, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			n := 0
			for _, e := range lifecycleErrors {
				if e.kind == kind {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("mapped %d times", n)
			}
			status, message := errorStatus(context.Background(), fmt.Errorf("wrapped: %w", &mfa.Error{Kind: kind, Reason: "factor words", RetryAfter: 1500 * time.Millisecond}))
			if status < 400 || (status != http.StatusUnauthorized && message == "") || strings.Contains(message, "factor words") {
				t.Fatalf("status %d, message %q", status, message)
			}
			f := &accountingFakeMFA{err: &mfa.Error{Kind: kind, RetryAfter: 1500 * time.Millisecond}}
			for _, accept := range []string{"application/json", "application/xml"} {
				rec := accountingServe(accountingFakeHandler(f, 0), http.MethodPost, "/User/opt-in-to-2fa?FileId=7",
					http.Header{"Authorization": {"Bearer " + accountingFakeToken}, "Content-Type": {"application/json"}, "Accept": {accept}},
					[]byte(`{"MobileNumber":"0499999999"}`))
				if rec.Code != status {
					t.Fatalf("%s: status %d, want %d", accept, rec.Code, status)
				}
				var want []byte
				switch {
				case status == http.StatusUnauthorized:
				case accept == "application/xml":
					want, _ = marshalXMLError(message)
				default:
					want, _ = marshalJSON(struct{ Message string }{message}, "")
				}
				if !bytes.Equal(rec.Body.Bytes(), want) {
					t.Fatalf("%s: body %q, want %q", accept, rec.Body, want)
				}
				if ra := rec.Header().Get("Retry-After"); (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) != (ra == "2") {
					t.Fatalf("%s: status %d with Retry-After %q", accept, status, ra)
				}
			}
		})
	}
	t.Run("unknown failure", func(t *testing.T) {
		status, message := errorStatus(context.Background(), errors.New("database on fire"))
		if status != http.StatusInternalServerError || message != internalMessage {
			t.Fatalf("status %d, message %q", status, message)
		}
	})
}

// TestAccountingDocumentedSamples renders and parses the document's own
// samples byte for byte.
func TestAccountingDocumentedSamples(t *testing.T) {
	sample := baseResponse{StatusMessage: "sample string 1", Links: []link{
		{Rel: "sample string 1", Href: "sample string 2", Method: "sample string 3", Title: "sample string 4"},
		{Rel: "sample string 1", Href: "sample string 2", Method: "sample string 3", Title: "sample string 4"},
	}}
	t.Run("BaseResponseModel json", func(t *testing.T) {
		got, err := marshalJSON(sample, "  ")
		if err != nil || string(got) != accountingGolden(t, "sample_base_response.json") {
			t.Fatalf("got %s, %v", got, err)
		}
	})
	t.Run("BaseResponseModel xml", func(t *testing.T) {
		got, err := marshalXML(sample.xmlValue())
		if err != nil || string(got) != accountingGolden(t, "sample_base_response.xml") {
			t.Fatalf("got %s, %v", got, err)
		}
	})
	for _, tc := range []struct {
		name  string
		file  string
		isXML bool
	}{{"Verify2FAOptInRequest json", "sample_verify_request.json", false}, {"Verify2FAOptInRequest xml", "sample_verify_request.xml", true}} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := parseVerify([]byte(accountingGolden(t, tc.file)), tc.isXML)
			if err != nil || req.providerUserID != 1 || req.otp != "sample string 2" {
				t.Fatalf("parsed %+v, %v", req, err)
			}
		})
	}
}

func TestAccountingProviderUserID(t *testing.T) {
	seen := map[int32]string{}
	for i := range 1000 {
		id := fmt.Sprintf("enrollment-%d", i)
		n := providerUserID(id)
		if n <= 0 {
			t.Fatalf("%s: ProviderUserId %d is not positive", id, n)
		}
		if n != providerUserID(id) {
			t.Fatalf("%s: not stable", id)
		}
		if other, dup := seen[n]; dup {
			t.Fatalf("%s and %s share %d", id, other, n)
		}
		seen[n] = id
	}
}

func TestAccountingRouteNotConfigured(t *testing.T) {
	mux := http.NewServeMux()
	Register(mux, dialects.Deps{MFA: &accountingFakeMFA{}, Tokens: accountingFakeTokens{}})
	rec := accountingServe(mux, http.MethodPost, "/User/opt-in-to-2fa?FileId=7", http.Header{"Authorization": {"Bearer " + accountingFakeToken}}, nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404 when the route table has no accounting.sms", rec.Code)
	}
}

// ---- fuzzing ----

// FuzzAccounting sends arbitrary requests through the dialect: none may
// panic or fail with a 5xx, errors keep the dialect's shape, and a body over
// the limit is a 413.
func FuzzAccounting(f *testing.F) {
	id := strconv.Itoa(int(providerUserID("enr-u1")))
	for _, s := range []struct {
		verify                  bool
		query, ct, accept, body string
	}{
		{false, "FileId=7", "application/json", "", `{"MobileNumber":"0499999999"}`},
		{true, "fileid=7", "application/json", "application/xml", `{"ProviderUserId":` + id + `,"Otp":"1234567"}`},
		{true, "FileId=7&WsAccessKey=x", "text/xml", "text/json", `<Verify2FAOptInRequest xmlns:xsd="http://www.w3.org/2001/XMLSchema"><ProviderUserId>` + id + `</ProviderUserId><Otp>1234567</Otp></Verify2FAOptInRequest>`},
		{false, "FileId=7", "application/xml", "*/*", `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><OptInTo2FARequest><MobileNumber>&b;</MobileNumber></OptInTo2FARequest>`},
		{true, "FileId=%zz", "application/json; charset=utf-16", "text/xml;q=0.1", "\xef\xbb\xbf{\"otp\":null}"},
		{false, "FileId=7&WsAccessKey=" + accountingFakeToken, "text/json", "", `{"MobileNumber":"+61499999999"}`},
	} {
		f.Add(s.verify, s.query, s.ct, s.accept, []byte(s.body))
	}
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, verify bool, query, contentType, accept string, body []byte) {
		h := accountingFakeHandler(&accountingFakeMFA{}, limit)
		path := optInPath
		if verify {
			path = verifyPath
		}
		withToken := http.Header{"Authorization": {"Bearer " + accountingFakeToken}, "Content-Type": {contentType}, "Accept": {accept}}
		legacy := http.Header{"Content-Type": {contentType}, "Accept": {accept}}
		for _, hdr := range []http.Header{withToken, legacy} {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.URL.RawQuery = query
			req.Header = hdr
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			accountingCheckResponse(t, rec)
		}
		// The same body padded past the limit, on a request that passes
		// every other check.
		big := append(append([]byte{}, body...), bytes.Repeat([]byte(" "), limit+1)...)
		rec := accountingServe(h, http.MethodPost, path+"?FileId=7", http.Header{"Authorization": {"Bearer " + accountingFakeToken}, "Content-Type": {"application/json"}}, big)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("a %d-byte body: status %d, want 413", len(big), rec.Code)
		}
		accountingCheckResponse(t, rec)
	})
}

// accountingCheckResponse checks what holds for every response: no 5xx,
// 401 empty, any other error a Message in the negotiated format.
func accountingCheckResponse(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch {
	case rec.Code >= 500:
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	case rec.Code == http.StatusUnauthorized:
		if rec.Body.Len() != 0 {
			t.Fatalf("401 with a body: %q", rec.Body)
		}
	case rec.Code >= 400:
		var m struct{ Message string }
		var err error
		if strings.Contains(rec.Header().Get("Content-Type"), "xml") {
			err = xml.Unmarshal(rec.Body.Bytes(), &m)
		} else {
			err = json.Unmarshal(rec.Body.Bytes(), &m)
		}
		if err != nil || m.Message == "" {
			t.Fatalf("status %d with body %q: %v", rec.Code, rec.Body, err)
		}
	case rec.Code != http.StatusOK:
		t.Fatalf("status %d", rec.Code)
	}
}
