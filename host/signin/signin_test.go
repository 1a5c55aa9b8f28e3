package signin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	smsfactor "github.com/factorgate/factorgate/factors/sms"
	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

const password = "correct horse battery staple"

// env is the sign-in service on a real store, lifecycle service, factors
// and OAuth provider (its token issuer).
type env struct {
	st     *store.SQLStore
	mfa    *mfa.Service
	signin *signin.Service
	offset atomic.Int64
	texts  atomic.Int64
	hashes atomic.Int64
	org    store.Org

	mu       sync.Mutex
	lastText string
}

// now is real time plus an offset: fosite reads the system clock for token
// lifetimes, so the host's clock may only run ahead of it.
func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// envOptions: the throttle's limits, and a hook run in every password hash.
type envOptions struct {
	throttle  signin.ThrottleOptions
	whileHash func()
}

func newEnv(t *testing.T, dbURL string, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{}
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Body string `json:"body"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.mu.Lock()
		e.lastText = msg.Body
		e.mu.Unlock()
		e.texts.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(gateway.Close)
	var err error
	if e.st, err = store.Open(ctx, dbURL, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.st.Close() })
	if e.org, err = e.st.EnsureDefaultOrg(ctx); err != nil {
		t.Fatal(err)
	}
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	sms, _ := json.Marshal(map[string]any{"sender": map[string]any{"type": "webhook", "url": gateway.URL, "allow_insecure_http": true}})
	if err := m.AddInProcess(ctx, "totp", totpfactor.New(), nil); err != nil {
		t.Fatal(err)
	}
	if err := m.AddInProcess(ctx, "sms", smsfactor.New(), sms); err != nil {
		t.Fatal(err)
	}
	key, _ := seal.GenerateKey("k1", nil)
	sealer, _ := seal.New(key)
	lockout := mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: time.Minute, MaxDelay: time.Hour}
	e.mfa = mfa.New(e.st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		return in, ok
	}), sealer, mfa.Options{Now: e.now, Lockout: lockout})
	sessions := auth.NewSessions(e.st, time.Hour, time.Hour, nil)
	provider, err := oauth.New(ctx, oauth.Deps{
		Store: e.st, Sealer: sealer, MFA: e.mfa, Sessions: sessions, Factors: m,
		PublicURL: "http://127.0.0.1:1", Now: e.now, Lockout: lockout,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.signin, err = signin.New(signin.Deps{
		Store: e.st, MFA: e.mfa, Sessions: sessions, Issuer: provider, Lockout: lockout, Now: e.now, Throttle: o.throttle,
		Factors: signin.DescribeFunc(func(name string) (sdk.Description, bool) {
			in, ok := m.Instance(name)
			if !ok {
				return sdk.Description{}, false
			}
			return in.Description(), true
		}),
		ComparePassword: func(hash, pw string) bool {
			e.hashes.Add(1)
			if o.whileHash != nil {
				o.whileHash()
			}
			return auth.CheckPassword(hash, pw)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) user(t *testing.T, name string) store.User {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	u, err := e.st.CreateUser(context.Background(), store.User{ID: "id-" + name, OrgID: e.org.ID, Name: name, PasswordHash: string(hash)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// enrollTOTP gives u an active TOTP and returns its secret.
func (e *env) enrollTOTP(t *testing.T, u store.User) string {
	t.Helper()
	ctx, meta := context.Background(), mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.mfa.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: u.ID, Factor: "totp"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mfa.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: e.code(t, en.Display.Secret)}}); err != nil {
		t.Fatal(err)
	}
	e.offset.Add(int64(30 * time.Second)) // the next code is a fresh one
	return en.Display.Secret
}

func (e *env) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, e.now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	tokenClient   = signin.Client{ID: "test-tokens", Name: "Test sign-in", Refresh: true}
	sessionClient = signin.Client{ID: "test-session", Name: "Test session sign-in", Session: true}
	meta          = signin.Meta{RemoteAddr: "127.0.0.1", Via: "test"}
)

func start(c signin.Client, name, pw string, factors ...string) signin.Start {
	return signin.Start{Client: c, Meta: meta, Username: name, Password: pw, Factors: factors}
}

func TestSignIn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, tc := range []struct {
			name string
			run  func(t *testing.T, e *env)
		}{
			{"password only", testPasswordOnly},
			{"unknown user like wrong password", testUnknownUser},
			{"lockout", testLockout},
			{"second step", testSecondStep},
			{"step bound to its client and lifetime", testStepBinding},
			{"one step, two provers", testStepRace},
			{"code sent at begin", testCodeSent},
			{"password and code in one request", testWithCode},
			{"no usable factor", testNoUsableFactor},
			{"wrong passwords from one address", testPasswordFailuresPerAddress},
			{"unknown and known users alike", testUnknownLikeKnown},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, newEnv(t, newURL(t), envOptions{})) })
		}
	})
}

func testPasswordOnly(t *testing.T, e *env) {
	u := e.user(t, "ada")
	got, err := e.signin.Begin(context.Background(), start(tokenClient, "ada", password))
	if err != nil || got.Done == nil || got.State != "" {
		t.Fatalf("Begin = %+v, %v; want a completed sign-in", got, err)
	}
	if got.Done.User.ID != u.ID || got.Done.Tokens == nil || got.Done.Tokens.AccessToken == "" || got.Done.Tokens.RefreshToken == "" {
		t.Fatalf("signed in: %+v", got.Done)
	}
	if len(got.Done.AMR) != 1 || got.Done.AMR[0] != "pwd" {
		t.Fatalf("amr %v, want [pwd]", got.Done.AMR)
	}
	s, err := e.signin.Begin(context.Background(), start(sessionClient, "ada", password))
	if err != nil || s.Done == nil || s.Done.Session == nil || s.Done.Tokens != nil || s.Done.SessionMaxAge <= 0 {
		t.Fatalf("session client: %+v, %v", s, err)
	}
}

func testUnknownUser(t *testing.T, e *env) {
	e.user(t, "ada")
	for _, tc := range []struct{ name, user, pw string }{
		{"unknown", "nobody", password}, {"wrong password", "ada", "nope"}, {"empty name", " ", password},
	} {
		if _, err := e.signin.Begin(context.Background(), start(tokenClient, tc.user, tc.pw)); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("%s: %v, want ErrBadCredentials", tc.name, err)
		}
	}
}

func testLockout(t *testing.T, e *env) {
	e.user(t, "ada")
	ctx := context.Background()
	for i := range 5 {
		if _, err := e.signin.CheckPassword(ctx, meta, "ada", "wrong"); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err := e.signin.CheckPassword(ctx, meta, "ada", password)
	if !errors.Is(err, mfa.ErrLocked) {
		t.Fatalf("right password while locked: %v, want ErrLocked", err)
	}
	if d, ok := mfa.RetryAfter(err); !ok || d < time.Second {
		t.Fatalf("retry after %v %v", d, ok)
	}
	e.offset.Add(int64(2 * time.Minute))
	if _, err := e.signin.CheckPassword(ctx, meta, "ada", password); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func testSecondStep(t *testing.T, e *env) {
	u := e.user(t, "ada")
	secret := e.enrollTOTP(t, u)
	ctx := context.Background()
	got, err := e.signin.Begin(ctx, start(tokenClient, "ada", password, "totp"))
	if err != nil || got.Done != nil || got.State == "" || got.Step.Factor != "totp" || got.Step.ChallengeID != "" {
		t.Fatalf("Begin = %+v, %v; want a pending TOTP step", got, err)
	}
	if _, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: "000000"}); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	done, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: e.code(t, secret)})
	if err != nil {
		t.Fatalf("right code after a wrong one: %v", err)
	}
	want := []string{"pwd", "otp", "mfa"}
	if done.Tokens == nil || done.Tokens.AccessToken == "" || len(done.AMR) != 3 || done.AMR[0] != want[0] || done.AMR[1] != want[1] || done.AMR[2] != want[2] {
		t.Fatalf("signed in: %+v", done)
	}
	if _, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: e.code(t, secret)}); !errors.Is(err, signin.ErrStepInvalid) {
		t.Fatalf("step used twice: %v", err)
	}
	// The completed sign-in reset the failure count.
	if l, err := e.st.GetLockout(ctx, u.ID); err != nil || l.Failures != 0 {
		t.Fatalf("lockout after sign-in: %+v %v", l, err)
	}
}

func testStepBinding(t *testing.T, e *env) {
	u := e.user(t, "ada")
	secret := e.enrollTOTP(t, u)
	ctx := context.Background()
	got, err := e.signin.Begin(ctx, start(tokenClient, "ada", password))
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"", "fgsis_unknown", string(make([]byte, 300))} {
		if _, err := e.signin.Complete(ctx, tokenClient, meta, state, signin.Proof{Code: e.code(t, secret)}); !errors.Is(err, signin.ErrStepInvalid) {
			t.Fatalf("state %q: %v", state, err)
		}
	}
	if _, err := e.signin.Begin(ctx, start(sessionClient, "nobody", password)); !errors.Is(err, signin.ErrBadCredentials) {
		t.Fatal(err) // registers the other client
	}
	if _, err := e.signin.Complete(ctx, sessionClient, meta, got.State, signin.Proof{Code: e.code(t, secret)}); !errors.Is(err, signin.ErrStepInvalid) {
		t.Fatalf("another client's step: %v", err)
	}
	e.offset.Add(int64(6 * time.Minute))
	if _, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: e.code(t, secret)}); !errors.Is(err, signin.ErrStepInvalid) {
		t.Fatalf("expired step: %v", err)
	}
}

// testStepRace: of several requests proving one step with valid proofs at
// once, exactly one signs in.
func testStepRace(t *testing.T, e *env) {
	u := e.user(t, "ada")
	secret := e.enrollTOTP(t, u)
	ctx := context.Background()
	got, err := e.signin.Begin(ctx, start(tokenClient, "ada", password))
	if err != nil {
		t.Fatal(err)
	}
	code := e.code(t, secret)
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	// The lockout's limit: more would be locked, not refused. A replay
	// counts as a failure and is written before its attempt leaves the
	// count in flight, so an attempt entering in between sees it twice and
	// is refused for a second: a refusal too, never a second success.
	for range 5 {
		wg.Go(func() {
			_, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: code})
			d, _ := mfa.RetryAfter(err)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, mfa.ErrReplayed), errors.Is(err, signin.ErrStepInvalid),
				errors.Is(err, mfa.ErrLocked) && d == time.Second:
				refused.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 4 {
		t.Fatalf("%d signed in, %d refused; want exactly one", ok.Load(), refused.Load())
	}
}

// enrollSMS gives u an active SMS factor, confirmed with the code the
// gateway received.
func enrollSMS(t *testing.T, e *env, u store.User) {
	t.Helper()
	ctx, m := context.Background(), mfa.Meta{Actor: u.ID, Via: "test"}
	en, err := e.mfa.BeginEnrollment(ctx, m, mfa.BeginRequest{UserID: u.ID, Factor: "sms", Params: map[string]string{"phone": "+14155550100"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.mfa.ConfirmEnrollment(ctx, m, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: e.lastCode(t)}}); err != nil {
		t.Fatal(err)
	}
}

// lastCode is the code in the newest text the gateway received.
func (e *env) lastCode(t *testing.T) string {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lastText == "" {
		t.Fatal("no text was sent")
	}
	code := codePattern.FindString(e.lastText)
	if code == "" {
		t.Fatalf("no code in %q", e.lastText)
	}
	return code
}

var codePattern = regexp.MustCompile(`\d{6,8}`)

func testCodeSent(t *testing.T, e *env) {
	u := e.user(t, "ada")
	e.enrollTOTP(t, u)
	ctx := context.Background()
	// A factor that sends its code sends it when the step begins; TOTP does not.
	if !e.signin.SendsCode("sms") || e.signin.SendsCode("totp") || e.signin.SendsCode("missing") {
		t.Fatal("SendsCode does not follow the factors' descriptions")
	}
	before := e.texts.Load()
	got, err := e.signin.Begin(ctx, start(tokenClient, "ada", password, "totp"))
	if err != nil || got.Step.ChallengeID != "" || e.texts.Load() != before {
		t.Fatalf("TOTP step: %+v %v, %d texts", got, err, e.texts.Load()-before)
	}
	enrollSMS(t, e, u)
	e.offset.Add(int64(time.Minute)) // past the resend interval of the enrollment text
	before = e.texts.Load()
	got, err = e.signin.Begin(ctx, start(tokenClient, "ada", password, "sms", "totp"))
	if err != nil || got.Step.Factor != "sms" || got.Step.ChallengeID == "" || got.Step.Masked == "" || e.texts.Load() != before+1 {
		t.Fatalf("SMS step: %+v %v, %d texts", got, err, e.texts.Load()-before)
	}
	if _, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: e.lastCode(t)}); err != nil {
		t.Fatalf("the code sent: %v", err)
	}
	// With the password and the code in one request, no code yet: one is sent.
	e.offset.Add(int64(time.Minute))
	before = e.texts.Load()
	if _, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "sms"), ""); !errors.Is(err, signin.ErrCodeSent) || e.texts.Load() != before+1 {
		t.Fatalf("one-request sign-in without a code: %v, %d texts", err, e.texts.Load()-before)
	}
	if done, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "sms"), e.lastCode(t)); err != nil || done.Tokens == nil {
		t.Fatalf("one-request sign-in with the code: %v", err)
	}
}

func testWithCode(t *testing.T, e *env) {
	u := e.user(t, "ada")
	ctx := context.Background()
	if done, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "totp"), ""); err != nil || done.Tokens == nil {
		t.Fatalf("no factor: %+v %v", done, err)
	}
	secret := e.enrollTOTP(t, u)
	if _, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "totp"), ""); !errors.Is(err, signin.ErrCodeRequired) {
		t.Fatalf("no code for TOTP: %v", err)
	}
	if _, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "totp"), "000000"); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("wrong code: %v", err)
	}
	done, err := e.signin.SignInWithCode(ctx, start(tokenClient, "ada", password, "totp"), e.code(t, secret))
	if err != nil || done.Tokens == nil || len(done.AMR) != 3 {
		t.Fatalf("right code: %+v %v", done, err)
	}
}

func testNoUsableFactor(t *testing.T, e *env) {
	u := e.user(t, "ada")
	e.enrollTOTP(t, u)
	if _, err := e.signin.Begin(context.Background(), start(tokenClient, "ada", password, "sms", "")); !errors.Is(err, signin.ErrNoUsableFactor) {
		t.Fatalf("only another factor: %v", err)
	}
}

// TestThrottle: password attempts over the per-address, per-name or
// concurrent-hash budgets are refused at once, before a hash is computed.
func TestThrottle(t *testing.T) {
	ctx := context.Background()
	t.Run("one address", func(t *testing.T) {
		e := newEnv(t, filepath.Join(t.TempDir(), "db"), envOptions{throttle: signin.ThrottleOptions{PerAddressBurst: 3, PerAddressMinute: 1, ConcurrentHashes: 64}})
		var bad, throttled atomic.Int64
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				_, err := e.signin.CheckPassword(ctx, meta, fmt.Sprintf("nobody-%d", i), password)
				switch d, _ := mfa.RetryAfter(err); {
				case errors.Is(err, signin.ErrBadCredentials):
					bad.Add(1)
				case errors.Is(err, mfa.ErrThrottled) && d >= time.Second:
					throttled.Add(1)
				default:
					t.Errorf("unexpected %v", err)
				}
			})
		}
		wg.Wait()
		if bad.Load() != 3 || throttled.Load() != 17 || e.hashes.Load() != 3 {
			t.Fatalf("%d answered, %d throttled, %d hashes; want 3, 17, 3", bad.Load(), throttled.Load(), e.hashes.Load())
		}
		// Another address is not held back by this one.
		if _, err := e.signin.CheckPassword(ctx, signin.Meta{RemoteAddr: "127.0.0.2"}, "nobody", password); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("another address: %v", err)
		}
		// Time refills the budget.
		e.offset.Add(int64(time.Minute))
		if _, err := e.signin.CheckPassword(ctx, meta, "nobody", password); !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("a minute later: %v", err)
		}
	})
	t.Run("one name from many addresses", func(t *testing.T) {
		e := newEnv(t, filepath.Join(t.TempDir(), "db"), envOptions{throttle: signin.ThrottleOptions{PerNameBurst: 2, PerNameMinute: 1}})
		e.user(t, "ada")
		for i := range 5 {
			m := signin.Meta{RemoteAddr: fmt.Sprintf("192.0.2.%d", i)}
			_, err := e.signin.CheckPassword(ctx, m, "ADA", "wrong")
			if want := i < 2; errors.Is(err, signin.ErrBadCredentials) != want {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if e.hashes.Load() != 2 {
			t.Fatalf("%d hashes, want 2", e.hashes.Load())
		}
	})
	t.Run("hashes at once", func(t *testing.T) {
		release, entered := make(chan struct{}), make(chan struct{})
		var once sync.Once
		e := newEnv(t, filepath.Join(t.TempDir(), "db"), envOptions{
			throttle:  signin.ThrottleOptions{ConcurrentHashes: 1},
			whileHash: func() { once.Do(func() { close(entered); <-release }) },
		})
		e2 := e.signin
		done := make(chan error, 1)
		go func() {
			_, err := e2.CheckPassword(ctx, meta, "nobody", password)
			done <- err
		}()
		<-entered
		_, err := e2.CheckPassword(ctx, meta, "someone", password)
		if !errors.Is(err, mfa.ErrThrottled) {
			t.Fatalf("second sign-in while the hash slot is busy: %v", err)
		}
		close(release)
		if err := <-done; !errors.Is(err, signin.ErrBadCredentials) {
			t.Fatalf("the first sign-in: %v", err)
		}
	})
}

// testPasswordFailuresPerAddress: wrong passwords from one address lock
// that address out of the user name, not the user: a correct sign-in with
// the second factor from another address succeeds.
func testPasswordFailuresPerAddress(t *testing.T, e *env) {
	u := e.user(t, "ada")
	secret := e.enrollTOTP(t, u)
	ctx := context.Background()
	attacker := signin.Meta{RemoteAddr: "127.0.0.2", Via: "test"}
	for i := range 10 {
		_, err := e.signin.CheckPassword(ctx, attacker, "ada", "guess")
		if want := signin.ErrBadCredentials; i >= 5 {
			if !errors.Is(err, mfa.ErrLocked) {
				t.Fatalf("guess %d: %v, want locked", i, err)
			}
		} else if !errors.Is(err, want) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if l, err := e.st.GetLockout(ctx, u.ID); err != nil || l.Failures != 0 || !l.LockedUntil.IsZero() {
		t.Fatalf("wrong passwords counted on the second factor: %+v %v", l, err)
	}
	got, err := e.signin.Begin(ctx, start(tokenClient, "ada", password, "totp"))
	if err != nil {
		t.Fatalf("the user from 127.0.0.1: %v", err)
	}
	if _, err := e.signin.Complete(ctx, tokenClient, meta, got.State, signin.Proof{Code: e.code(t, secret)}); err != nil {
		t.Fatalf("second factor from 127.0.0.1: %v", err)
	}
}

// testUnknownLikeKnown: an unknown user name answers exactly as a known
// user with a wrong password, lockout included.
func testUnknownLikeKnown(t *testing.T, e *env) {
	e.user(t, "ada")
	ctx := context.Background()
	outcome := func(name, addr string) []string {
		var out []string
		for range 7 {
			_, err := e.signin.CheckPassword(ctx, signin.Meta{RemoteAddr: addr}, name, "guess")
			d, _ := mfa.RetryAfter(err)
			out = append(out, fmt.Sprintf("%v/%v", err, d))
		}
		return out
	}
	known, unknown := outcome("ada", "192.0.2.1"), outcome("nobody", "192.0.2.2")
	if !slices.Equal(known, unknown) {
		t.Fatalf("known user: %v\nunknown user: %v", known, unknown)
	}
}

// TestPasskeyBeginIsThrottled: challenges for a sign-in without a user name
// draw on the address's sign-in budget, so one address cannot fill the
// store with them; another address is not held back.
func TestPasskeyBeginIsThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, filepath.Join(t.TempDir(), "db"), envOptions{throttle: signin.ThrottleOptions{PerAddressBurst: 3, PerAddressMinute: 1}})
	for i := range 5 {
		// No factor here issues passkey challenges, so an admitted begin
		// fails in the lifecycle; a refused one never reaches it.
		_, err := e.signin.BeginPasskey(ctx, meta, "no-such-factor")
		d, _ := mfa.RetryAfter(err)
		if throttled := errors.Is(err, mfa.ErrThrottled) && d >= time.Second; throttled != (i >= 3) {
			t.Fatalf("begin %d: %v (retry after %v)", i, err, d)
		}
	}
	if _, err := e.signin.BeginPasskey(ctx, signin.Meta{RemoteAddr: "127.0.0.2"}, "no-such-factor"); errors.Is(err, mfa.ErrThrottled) {
		t.Fatalf("another address: %v", err)
	}
}
