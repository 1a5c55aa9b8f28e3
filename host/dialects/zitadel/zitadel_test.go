package zitadel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// zitadelClock is the test's time: the lifecycle, the plugin and the token
// checks all see only this.
type zitadelClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *zitadelClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *zitadelClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// zitadelEnv is one host: a database, the real TOTP plugin process, the
// lifecycle service and the dialect served over HTTP/1.1 and h2c.
type zitadelEnv struct {
	st     *store.SQLStore
	clock  *zitadelClock
	tokens *auth.Tokens
	org    store.Org
	mux    *http.ServeMux
	srv    *httptest.Server
}

type zitadelUser struct {
	id, token string
}

// zitadelBuildPlugins builds the factor plugins for a test. The package's
// other dialects share this package's tests, so each builds its own rather
// than claiming TestMain.
func zitadelBuildPlugins(t testing.TB) map[string]plugins.Binary {
	t.Helper()
	bins, err := testplugins.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bins["totp"]; !ok {
		t.Fatal("the totp plugin was not built")
	}
	return bins
}

func newZitadelEnv(t testing.TB, bins map[string]plugins.Binary, databaseURL string, maxBody int64) *zitadelEnv {
	t.Helper()
	ctx := context.Background()
	e := &zitadelEnv{clock: &zitadelClock{now: time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)}}
	st, err := store.Open(ctx, databaseURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	if e.org, err = st.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	if err := m.Load(ctx, []plugins.Binary{bins["totp"], bins["webauthn"]}, []plugins.InstanceConfig{
		{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
		{Name: "passkey", Plugin: "webauthn", Settings: json.RawMessage(zitadelPasskeySettings)},
		{Name: "webauthn", Plugin: "webauthn", Settings: json.RawMessage(zitadelU2FSettings)},
	}); err != nil {
		t.Fatal(err)
	}
	factors := mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	})
	svc := mfa.New(st, factors, sealer, mfa.Options{Now: e.clock.Now})
	e.tokens = auth.NewTokens(st, e.clock.Now, nil)
	mux := http.NewServeMux()
	Register(mux, dialects.Deps{
		MFA:          svc,
		Users:        st,
		Tokens:       e.tokens,
		Routes:       map[string]string{dialects.RouteZitadelTOTP: "totp", dialects.RouteZitadelPasskey: "passkey", dialects.RouteZitadelU2F: "webauthn"},
		MaxBodyBytes: maxBody,
		Now:          e.clock.Now,
	})
	e.mux = mux
	e.srv = httptest.NewUnstartedServer(mux)
	// Plain-HTTP gRPC clients speak HTTP/2 with prior knowledge (h2c).
	e.srv.Config.Protocols = new(http.Protocols)
	e.srv.Config.Protocols.SetHTTP1(true)
	e.srv.Config.Protocols.SetUnencryptedHTTP2(true)
	e.srv.EnableHTTP2 = true
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// user creates a user named name with a personal API token.
func (e *zitadelEnv) user(t testing.TB, name string, admin bool) zitadelUser {
	t.Helper()
	ctx := context.Background()
	u, err := e.st.CreateUser(ctx, store.User{ID: "u-" + name, OrgID: e.org.ID, Name: name, Admin: admin})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := e.tokens.Create(ctx, u.ID, "zitadel test", admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	return zitadelUser{id: u.ID, token: secret}
}

type zitadelResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends one REST request; an empty token sends no Authorization header.
func (e *zitadelEnv) do(t *testing.T, method, path, token, body string) zitadelResponse {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return zitadelResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *zitadelEnv) register(t *testing.T, u zitadelUser) zitadelResponse {
	t.Helper()
	return e.do(t, "POST", "/v2/users/"+u.id+"/totp", u.token, `{}`)
}

func (e *zitadelEnv) verify(t *testing.T, u zitadelUser, code string) zitadelResponse {
	t.Helper()
	return e.do(t, "POST", "/v2/users/"+u.id+"/totp/verify", u.token, `{"code":"`+code+`"}`)
}

func (e *zitadelEnv) remove(t *testing.T, u zitadelUser) zitadelResponse {
	t.Helper()
	return e.do(t, "DELETE", "/v2/users/"+u.id+"/totp", u.token, "")
}

// want checks the status and that the body is the golden file's, byte for
// byte.
func (r zitadelResponse) want(t *testing.T, status int, golden string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	zitadelGolden(t, golden, r.body)
}

func zitadelGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if want = bytes.TrimSuffix(want, []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("body differs from testdata/%s.json\n got: %s\nwant: %s", name, got, want)
	}
}

// registration is the body of a RegisterTOTP response.
type zitadelRegistration struct {
	Details zitadelDetails `json:"details"`
	URI     string         `json:"uri"`
	Secret  string         `json:"secret"`
}

type zitadelDetails struct {
	Sequence string `json:"sequence"`
}

// registered checks a successful registration against the golden file with
// its random secret masked, and returns the secret and sequence.
func (r zitadelResponse) registered(t *testing.T, golden string) (secret string, sequence uint64) {
	t.Helper()
	var reg zitadelRegistration
	if err := json.Unmarshal(r.body, &reg); err != nil {
		t.Fatalf("registration body %s: %v", r.body, err)
	}
	if len(reg.Secret) != 32 || strings.Trim(reg.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("secret %q is not 160 bits of base32", reg.Secret)
	}
	r.body = bytes.ReplaceAll(r.body, []byte(reg.Secret), []byte("SECRET"))
	r.want(t, http.StatusOK, golden)
	return reg.Secret, zitadelSequence(t, r.body)
}

func zitadelSequence(t *testing.T, body []byte) uint64 {
	t.Helper()
	var v struct {
		Details zitadelDetails `json:"details"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	n, err := strconv.ParseUint(v.Details.Sequence, 10, 64)
	if err != nil {
		t.Fatalf("sequence %q is not a decimal string: %v", v.Details.Sequence, err)
	}
	return n
}

func zitadelCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a well-formed code that is not the right one.
func zitadelWrongCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	if c := zitadelCode(t, secret, at); c != "000000" {
		return "000000"
	}
	return "111111"
}

// TestZitadel runs the dialect end to end with the real TOTP plugin, built
// once for all its parts.
func TestZitadel(t *testing.T) {
	bins := zitadelBuildPlugins(t)
	t.Run("flow", func(t *testing.T) { testZitadelFlow(t, bins) })
	t.Run("errors", func(t *testing.T) { testZitadelErrors(t, bins) })
	t.Run("admin", func(t *testing.T) { testZitadelAdmin(t, bins) })
	t.Run("grpc", func(t *testing.T) { testZitadelGRPC(t, bins) })
	t.Run("connect", func(t *testing.T) { testZitadelConnect(t, bins) })
	t.Run("passkey and u2f", func(t *testing.T) { testZitadelKeys(t, bins) })
}

// testZitadelFlow registers, verifies and removes a TOTP over REST on every
// database backend, comparing each documented body with its golden file (the
// same files for every backend).
func testZitadelFlow(t *testing.T, bins map[string]plugins.Binary) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newZitadelEnv(t, bins, newURL(t), 0)
		alice := e.user(t, "alice", false)
		var seqs []uint64
		step := func(seq uint64) { seqs = append(seqs, seq) }

		first, seq := e.register(t, alice).registered(t, "register")
		step(seq)
		e.verify(t, alice, zitadelWrongCode(t, first, e.clock.Now())).want(t, http.StatusBadRequest, "invalid_code")

		// Registering again while pending replaces the secret.
		e.clock.Add(30 * time.Second)
		second, seq := e.register(t, alice).registered(t, "register_again")
		step(seq)
		if second == first {
			t.Fatal("registering again kept the secret")
		}
		old := zitadelCode(t, first, e.clock.Now())
		if old == zitadelCode(t, second, e.clock.Now()) {
			old = zitadelWrongCode(t, second, e.clock.Now())
		}
		e.verify(t, alice, old).want(t, http.StatusBadRequest, "invalid_code")

		e.clock.Add(30 * time.Second)
		r := e.verify(t, alice, zitadelCode(t, second, e.clock.Now()))
		r.want(t, http.StatusOK, "verify")
		step(zitadelSequence(t, r.body))

		e.verify(t, alice, zitadelCode(t, second, e.clock.Now())).want(t, http.StatusBadRequest, "already_verified")
		e.register(t, alice).want(t, http.StatusConflict, "already_set_up")

		e.clock.Add(time.Minute)
		r = e.remove(t, alice)
		r.want(t, http.StatusOK, "remove")
		step(zitadelSequence(t, r.body))

		e.remove(t, alice).want(t, http.StatusNotFound, "not_existing_remove")
		e.verify(t, alice, "123456").want(t, http.StatusNotFound, "not_existing")

		// A pending registration is removed as well.
		_, seq = e.register(t, alice).registered(t, "register_after_remove")
		step(seq)
		r = e.remove(t, alice)
		if r.status != http.StatusOK {
			t.Fatalf("removing a pending registration: %d %s", r.status, r.body)
		}
		step(zitadelSequence(t, r.body))
		e.verify(t, alice, "123456").want(t, http.StatusNotFound, "not_existing")

		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("sequences %v do not grow", seqs)
			}
		}
		// Each sequence is the id of the audit event its change committed.
		events, err := e.st.ListAudit(context.Background(), alice.id, 100)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[uint64]string{}
		for _, ev := range events {
			byID[uint64(ev.ID)] = ev.Action + ":" + ev.Result
		}
		for i, want := range []string{"enroll.begin:ok", "enroll.begin:ok", "enroll.confirm:ok", "remove:ok", "enroll.begin:ok", "enroll.cancel:ok"} {
			if got := byID[seqs[i]]; got != want {
				t.Errorf("sequence %d names audit event %q, want %q", seqs[i], got, want)
			}
		}
	})
}

// testZitadelErrors covers every documented error and the choices made
// where the document is silent, over REST.
func testZitadelErrors(t *testing.T, bins map[string]plugins.Binary) {
	e := newZitadelEnv(t, bins, filepath.Join(t.TempDir(), "zitadel.db"), 1024)
	admin := e.user(t, "root", true)
	long := strings.Repeat("ü", 201)

	tests := []struct {
		name string
		// setup prepares the user the request acts on.
		setup  func(t *testing.T, u zitadelUser)
		method string
		// path is relative to /v2/users/{user}.
		path string
		// as is whose token is sent: "self", "other", "admin", "" for none, or
		// a raw Authorization header when it has a space.
		as     string
		user   string // user id in the path instead of the test's own
		body   string
		status int
		golden string
		header map[string]string
	}{
		{name: "no token", method: "POST", path: "/totp/verify", body: `{"code":"123456"}`, status: 401, golden: "no_token"},
		{name: "no token before validation", method: "POST", path: "/totp/verify", body: `{"code":""}`, status: 401, golden: "no_token"},
		{name: "basic auth", method: "POST", path: "/totp", as: "Basic YTpi", body: `{}`, status: 401, golden: "bad_auth_header"},
		{name: "unknown token", method: "POST", path: "/totp", as: "Bearer fgp_unknown", body: `{}`, status: 401, golden: "bad_token"},
		{name: "other user registers", method: "POST", path: "/totp", as: "other", body: `{}`, status: 403, golden: "forbidden"},
		{name: "other user verifies", method: "POST", path: "/totp/verify", as: "other", body: `{"code":"123456"}`, status: 403, golden: "forbidden"},
		{name: "other user removes", method: "DELETE", path: "/totp", as: "other", status: 403, golden: "forbidden"},
		{name: "other user, nonexistent target", method: "POST", path: "/totp", as: "other", user: "u-nobody", body: `{}`, status: 403, golden: "forbidden"},
		{name: "empty code", method: "POST", path: "/totp/verify", as: "self", body: `{"code":""}`, status: 400, golden: "code_length"},
		{name: "no code", method: "POST", path: "/totp/verify", as: "self", body: `{}`, status: 400, golden: "code_length"},
		{name: "no body", method: "POST", path: "/totp/verify", as: "self", status: 400, golden: "code_length"},
		{name: "code of 201 runes", method: "POST", path: "/totp/verify", as: "self", body: `{"code":"` + long + `"}`, status: 400, golden: "code_length"},
		{name: "user id of 201 runes", method: "POST", path: "/totp", as: "admin", user: long, body: `{}`, status: 400, golden: "user_id_length"},
		{name: "user id with a control character", method: "POST", path: "/totp", as: "admin", user: "u-\x01", body: `{}`, status: 400, golden: "user_id_invalid"},
		{name: "unknown user", method: "POST", path: "/totp", as: "admin", user: "u-nobody", body: `{}`, status: 404, golden: "user_not_found"},
		{name: "malformed JSON", method: "POST", path: "/totp/verify", as: "self", body: `{"code":`, status: 400, golden: "bad_json"},
		{name: "code is a number", method: "POST", path: "/totp/verify", as: "self", body: `{"code":123456}`, status: 400, golden: "bad_json"},
		{name: "a field twice", method: "POST", path: "/totp/verify", as: "self", body: `{"code":"000000","code":"123456"}`, status: 400, golden: "bad_json"},
		{name: "malformed JSON before authentication", method: "POST", path: "/totp/verify", body: `[`, status: 400, golden: "bad_json"},
		{name: "unknown fields are ignored", setup: zitadelRegistered(e), method: "POST", path: "/totp/verify", as: "self", body: `{"code":"abcdef","extra":{"a":[1]}}`, status: 400, golden: "invalid_code"},
		{name: "body over the limit", method: "POST", path: "/totp/verify", as: "self", body: `{"code":"` + strings.Repeat("1", 1100) + `"}`, status: 413, golden: "too_large"},
		{name: "DELETE body over the limit", method: "DELETE", path: "/totp", as: "self", body: strings.Repeat(" ", 1025), status: 413, golden: "too_large"},
		{name: "GET", method: "GET", path: "/totp", as: "self", status: 405, golden: "method_not_allowed", header: map[string]string{"Allow": "POST, DELETE"}},
		{name: "PUT verify", method: "PUT", path: "/totp/verify", as: "self", body: `{}`, status: 405, golden: "method_not_allowed", header: map[string]string{"Allow": "POST"}},
		{name: "verify with nothing registered", method: "POST", path: "/totp/verify", as: "self", body: `{"code":"123456"}`, status: 404, golden: "not_existing"},
		{name: "remove with nothing registered", method: "DELETE", path: "/totp", as: "self", status: 404, golden: "not_existing_remove"},
		{name: "locked after five wrong codes", setup: zitadelFailed(e, 5), method: "POST", path: "/totp/verify", as: "self", body: `{"code":"abcdef"}`, status: 429, golden: "locked", header: map[string]string{"Retry-After": "30"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			self := e.user(t, "user"+strconv.Itoa(i), false)
			if tt.setup != nil {
				tt.setup(t, self)
			}
			userID := self.id
			if tt.user != "" {
				userID = tt.user
			}
			req, err := http.NewRequest(tt.method, e.srv.URL+"/v2/users/"+url.PathEscape(userID)+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.as == "self":
				req.Header.Set("Authorization", "Bearer "+self.token)
			case tt.as == "other":
				req.Header.Set("Authorization", "Bearer "+e.user(t, "other"+strconv.Itoa(i), false).token)
			case tt.as == "admin":
				req.Header.Set("Authorization", "Bearer "+admin.token)
			case tt.as != "":
				req.Header.Set("Authorization", tt.as)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			zitadelResponse{status: resp.StatusCode, header: resp.Header, body: body}.want(t, tt.status, tt.golden)
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// zitadelRegistered registers a TOTP for the user.
func zitadelRegistered(e *zitadelEnv) func(t *testing.T, u zitadelUser) {
	return func(t *testing.T, u zitadelUser) {
		t.Helper()
		if r := e.register(t, u); r.status != http.StatusOK {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
	}
}

// zitadelFailed registers a TOTP and fails to verify it n times.
func zitadelFailed(e *zitadelEnv, n int) func(t *testing.T, u zitadelUser) {
	return func(t *testing.T, u zitadelUser) {
		t.Helper()
		var reg zitadelRegistration
		if err := json.Unmarshal(e.register(t, u).body, &reg); err != nil {
			t.Fatal(err)
		}
		for range n {
			e.verify(t, u, zitadelWrongCode(t, reg.Secret, e.clock.Now())).want(t, http.StatusBadRequest, "invalid_code")
		}
	}
}

// testZitadelAdmin acts on another user with an admin token.
func testZitadelAdmin(t *testing.T, bins map[string]plugins.Binary) {
	e := newZitadelEnv(t, bins, filepath.Join(t.TempDir(), "zitadel.db"), 0)
	admin := e.user(t, "root", true)
	bob := e.user(t, "bob", false)
	asAdmin := zitadelUser{id: bob.id, token: admin.token}

	var reg zitadelRegistration
	r := e.register(t, asAdmin)
	if r.status != http.StatusOK {
		t.Fatalf("admin registers for bob: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &reg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reg.URI, ":bob?secret="+reg.Secret+"&") {
		t.Errorf("uri %q is not bob's", reg.URI)
	}
	if r := e.verify(t, asAdmin, zitadelCode(t, reg.Secret, e.clock.Now())); r.status != http.StatusOK {
		t.Fatalf("admin verifies for bob: %d %s", r.status, r.body)
	}
	// Bob sees his own registration verified.
	e.verify(t, bob, zitadelCode(t, reg.Secret, e.clock.Now())).want(t, http.StatusBadRequest, "already_verified")
	events, err := e.st.ListAudit(context.Background(), bob.id, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Detail["via"] != via || !strings.HasPrefix(ev.Actor, "token:") {
			t.Errorf("audit event %+v does not name the dialect and the admin token", ev)
		}
	}
	if r := e.remove(t, asAdmin); r.status != http.StatusOK {
		t.Fatalf("admin removes bob's totp: %d %s", r.status, r.body)
	}
}

// testZitadelGRPC completes the flow with a gRPC client generated from the
// .proto, over h2c, and checks errors carry Zitadel's ErrorDetail.
func testZitadelGRPC(t *testing.T, bins map[string]plugins.Binary) {
	e := newZitadelEnv(t, bins, filepath.Join(t.TempDir(), "zitadel.db"), 0)
	alice := e.user(t, "alice", false)
	conn, err := grpc.NewClient("passthrough:///"+strings.TrimPrefix(e.srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	client := zitadelpb.NewUserServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+alice.token)

	reg, err := client.RegisterTOTP(ctx, &zitadelpb.RegisterTOTPRequest{UserId: alice.id})
	if err != nil {
		t.Fatal(err)
	}
	if reg.GetSecret() == "" || !strings.HasPrefix(reg.GetUri(), "otpauth://totp/") || reg.GetDetails().GetResourceOwner() != strconv.FormatInt(e.org.ID, 10) {
		t.Fatalf("registration %v", reg)
	}
	_, err = client.VerifyTOTPRegistration(ctx, &zitadelpb.VerifyTOTPRegistrationRequest{UserId: alice.id, Code: zitadelWrongCode(t, reg.GetSecret(), e.clock.Now())})
	zitadelWantStatus(t, err, codes.InvalidArgument, "Invalid code (EVENT-8isk2)", &zitadelpb.ErrorDetail{Id: "EVENT-8isk2", Message: "Invalid code"})

	ok, err := client.VerifyTOTPRegistration(ctx, &zitadelpb.VerifyTOTPRegistrationRequest{UserId: alice.id, Code: zitadelCode(t, reg.GetSecret(), e.clock.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ok.GetDetails().GetSequence(), reg.GetDetails().GetSequence(); got <= want {
		t.Errorf("sequence %d after %d", got, want)
	}
	if !ok.GetDetails().GetChangeDate().AsTime().Equal(e.clock.Now()) {
		t.Errorf("change date %v, want %v", ok.GetDetails().GetChangeDate().AsTime(), e.clock.Now())
	}

	_, err = client.VerifyTOTPRegistration(ctx, &zitadelpb.VerifyTOTPRegistrationRequest{UserId: alice.id, Code: "123456"})
	zitadelWantStatus(t, err, codes.FailedPrecondition, "Errors.Users.MFA.OTP.AlreadyReady (COMMAND-qx4ls)", &zitadelpb.ErrorDetail{Id: "COMMAND-qx4ls", Message: "Errors.Users.MFA.OTP.AlreadyReady"})
	_, err = client.RegisterTOTP(t.Context(), &zitadelpb.RegisterTOTPRequest{UserId: alice.id})
	zitadelWantStatus(t, err, codes.Unauthenticated, "auth header missing", nil)
	_, err = client.VerifyTOTPRegistration(ctx, &zitadelpb.VerifyTOTPRegistrationRequest{UserId: alice.id})
	zitadelWantStatus(t, err, codes.InvalidArgument, "invalid VerifyTOTPRegistrationRequest.Code: value length must be between 1 and 200 runes, inclusive", nil)
	_, err = client.RemoveTOTP(ctx, &zitadelpb.RemoveTOTPRequest{UserId: "u-someone-else"})
	zitadelWantStatus(t, err, codes.PermissionDenied, "Errors.PermissionDenied (AUTHZ-HKJD33)", &zitadelpb.ErrorDetail{Id: "AUTHZ-HKJD33", Message: "Errors.PermissionDenied"})
	if _, err := client.RemoveTOTP(ctx, &zitadelpb.RemoveTOTPRequest{UserId: alice.id}); err != nil {
		t.Fatal(err)
	}
}

func zitadelWantStatus(t *testing.T, err error, code codes.Code, msg string, detail *zitadelpb.ErrorDetail) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != code || st.Message() != msg {
		t.Fatalf("error %v, want %s %q", err, code, msg)
	}
	details := st.Details()
	if detail == nil {
		if len(details) != 0 {
			t.Errorf("details %v, want none", details)
		}
		return
	}
	if len(details) != 1 {
		t.Fatalf("details %v, want one ErrorDetail", details)
	}
	if got, ok := details[0].(*zitadelpb.ErrorDetail); !ok || !proto.Equal(got, detail) {
		t.Errorf("detail %v, want %v", details[0], detail)
	}
}

// testZitadelConnect completes the flow with the generated Connect client,
// over the Connect protocol and over gRPC-Web.
func testZitadelConnect(t *testing.T, bins map[string]plugins.Binary) {
	e := newZitadelEnv(t, bins, filepath.Join(t.TempDir(), "zitadel.db"), 0)
	tests := []struct {
		name string
		opts []connect.ClientOption
	}{
		{name: "connect", opts: nil},
		{name: "connect json", opts: []connect.ClientOption{connect.WithProtoJSON()}},
		{name: "grpc-web", opts: []connect.ClientOption{connect.WithGRPCWeb()}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := e.user(t, "user"+strconv.Itoa(i), false)
			client := zitadelpbconnect.NewUserServiceClient(e.srv.Client(), e.srv.URL, tt.opts...)
			reg, err := client.RegisterTOTP(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.RegisterTOTPRequest{UserId: u.id}), u))
			if err != nil {
				t.Fatal(err)
			}
			secret := reg.Msg.GetSecret()
			_, err = client.VerifyTOTPRegistration(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.VerifyTOTPRegistrationRequest{UserId: u.id, Code: zitadelWrongCode(t, secret, e.clock.Now())}), u))
			zitadelWantConnect(t, err, connect.CodeInvalidArgument, "Invalid code (EVENT-8isk2)", &zitadelpb.ErrorDetail{Id: "EVENT-8isk2", Message: "Invalid code"})
			ok, err := client.VerifyTOTPRegistration(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.VerifyTOTPRegistrationRequest{UserId: u.id, Code: zitadelCode(t, secret, e.clock.Now())}), u))
			if err != nil {
				t.Fatal(err)
			}
			if ok.Msg.GetDetails().GetSequence() <= reg.Msg.GetDetails().GetSequence() {
				t.Errorf("sequence %d after %d", ok.Msg.GetDetails().GetSequence(), reg.Msg.GetDetails().GetSequence())
			}
			_, err = client.RegisterTOTP(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.RegisterTOTPRequest{UserId: u.id}), u))
			zitadelWantConnect(t, err, connect.CodeAlreadyExists, "Multifactor OTP (OneTimePassword) is already set up (COMMAND-do9se)", &zitadelpb.ErrorDetail{Id: "COMMAND-do9se", Message: "Multifactor OTP (OneTimePassword) is already set up"})
			_, err = client.RemoveTOTP(t.Context(), connect.NewRequest(&zitadelpb.RemoveTOTPRequest{UserId: u.id}))
			zitadelWantConnect(t, err, connect.CodeUnauthenticated, "auth header missing", nil)
			if _, err := client.RemoveTOTP(t.Context(), zitadelAuthed(connect.NewRequest(&zitadelpb.RemoveTOTPRequest{UserId: u.id}), u)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func zitadelAuthed[T any](req *connect.Request[T], u zitadelUser) *connect.Request[T] {
	req.Header().Set("Authorization", "Bearer "+u.token)
	return req
}

func zitadelWantConnect(t *testing.T, err error, code connect.Code, msg string, detail *zitadelpb.ErrorDetail) {
	t.Helper()
	var cerr *connect.Error
	if !errors.As(err, &cerr) || cerr.Code() != code || cerr.Message() != msg {
		t.Fatalf("error %v, want %s %q", err, code, msg)
	}
	if detail == nil {
		if len(cerr.Details()) != 0 {
			t.Errorf("details %v, want none", cerr.Details())
		}
		return
	}
	if len(cerr.Details()) != 1 {
		t.Fatalf("details %v, want one ErrorDetail", cerr.Details())
	}
	got, err := cerr.Details()[0].Value()
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, detail) {
		t.Errorf("detail %v, want %v", got, detail)
	}
}

// TestZitadelErrorTable checks that every lifecycle failure is mapped exactly
// once, and that only the server's own failures are 5xx.
func TestZitadelErrorTable(t *testing.T) {
	serverSide := map[error]bool{mfa.ErrUnknownFactor: true, mfa.ErrUnavailable: true, mfa.ErrCredentialBroken: true, mfa.ErrFactorFailed: true}
	kinds := mfa.Kinds()
	z := &zitadel{d: dialects.Deps{}.WithDefaults(), factor: "totp"}
	table := errorTable()
	for _, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			n := 0
			for _, row := range table {
				if row.err == kind {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("mapped %d times", n)
			}
			e := z.translate(t.Context(), &mfa.Error{Kind: kind, RetryAfter: 1500 * time.Millisecond})
			if e.id == "" || e.id == "FACTORGATE-1nt3r" {
				t.Errorf("not mapped to its own report: %+v", e)
			}
			if got := e.httpStatus() >= 500; got != serverSide[kind] {
				t.Errorf("HTTP status %d", e.httpStatus())
			}
			if e.retryAfter != 1500*time.Millisecond || httpx.RetryAfter(e.retryAfter) != "2" {
				t.Errorf("retry after %v", e.retryAfter)
			}
		})
	}
	t.Run("unknown failure", func(t *testing.T) {
		e := z.translate(t.Context(), errors.New("database on fire"))
		if e.code != connect.CodeInternal || strings.Contains(e.text(), "fire") {
			t.Errorf("unknown failure reported as %+v", e)
		}
	})
}

// TestZitadelRegistration checks what Register serves.
func TestZitadelRegistration(t *testing.T) {
	t.Run("no route, nothing served", func(t *testing.T) {
		mux := http.NewServeMux()
		Register(mux, dialects.Deps{Routes: map[string]string{dialects.RouteScannerTOTP: "totp"}})
		for _, path := range []string{"/v2/users/u-1/totp", "/zitadel.user.v2.UserService/RegisterTOTP"} {
			if _, pattern := mux.Handler(httptest.NewRequest("POST", path, nil)); pattern != "" {
				t.Errorf("%s is served by %q", path, pattern)
			}
		}
	})
}

// FuzzZitadel sends arbitrary requests to every route, REST and Connect,
// with and without valid tokens. No input may panic or cause a 5xx, a body
// over the limit is refused with 413 on REST, and every REST error has the
// gateway's shape.
func FuzzZitadel(f *testing.F) {
	const limit = 512
	e := newZitadelEnv(f, zitadelBuildPlugins(f), filepath.Join(f.TempDir(), "fuzz.db"), limit)
	alice := e.user(f, "alice", false)
	admin := e.user(f, "root", true)
	tokens := []string{"", "Bearer " + admin.token, "Bearer fgp_unknown", "Basic YTpi", "Bearer " + alice.token}

	f.Add(uint8(0), "u-alice", uint8(4), []byte(`{}`))
	f.Add(uint8(1), "u-alice", uint8(4), []byte(`{"code":"123456"}`))
	f.Add(uint8(1), "u-alice", uint8(4), []byte(`{"code":""}`))
	f.Add(uint8(1), "u-bob", uint8(1), []byte(`{"code":"123456","userId":"x"}`))
	f.Add(uint8(2), "u-alice", uint8(4), []byte(nil))
	f.Add(uint8(3), "u-alice", uint8(0), []byte(`{`))
	f.Add(uint8(4), "u-alice", uint8(4), []byte(`{"userId":"u-alice","code":"1"}`))
	f.Add(uint8(5), "u-alice", uint8(4), []byte("\x0a\x07u-alice"))
	f.Add(uint8(1), "u-alice", uint8(4), bytes.Repeat([]byte("a"), limit+1))
	f.Add(uint8(3), "/", uint8(2), []byte("0"))
	f.Fuzz(func(t *testing.T, route uint8, userID string, who uint8, body []byte) {
		rest := true
		var req *http.Request
		path := "/v2/users/" + url.PathEscape(userID) + "/totp"
		switch route % 6 {
		case 0:
			req = httptest.NewRequest("POST", path, bytes.NewReader(body))
		case 1:
			req = httptest.NewRequest("POST", path+"/verify", bytes.NewReader(body))
		case 2:
			req = httptest.NewRequest("DELETE", path, bytes.NewReader(body))
		case 3:
			req = httptest.NewRequest("PATCH", path+"/verify", bytes.NewReader(body))
		case 4:
			rest = false
			req = httptest.NewRequest("POST", "/zitadel.user.v2.UserService/VerifyTOTPRegistration", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
		case 5:
			rest = false
			req = httptest.NewRequest("POST", "/zitadel.user.v2.UserService/RegisterTOTP", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/proto")
		}
		if tok := tokens[int(who)%len(tokens)]; tok != "" {
			req.Header.Set("Authorization", tok)
		}
		// A path the dialect's patterns do not match (a user id with a slash)
		// is the mux's to refuse, in its own format.
		_, pattern := e.mux.Handler(req)
		rec := httptest.NewRecorder()
		e.mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body)
		}
		if !rest || pattern == "" || rec.Code == http.StatusMovedPermanently {
			return
		}
		if len(body) > limit && rec.Code != http.StatusRequestEntityTooLarge && rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%d-byte body: %d, want 413", len(body), rec.Code)
		}
		if rec.Code >= 400 {
			var st struct {
				Code    *int    `json:"code"`
				Message *string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Code == nil || *st.Code == 0 || st.Message == nil {
				t.Fatalf("error body %q is not a status: %v", rec.Body, err)
			}
		}
	})
}
