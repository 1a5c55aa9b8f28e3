package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

var bins map[string]plugins.Binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "factorgate-mfa-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = testplugins.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// clock is the test's time; the service and every factor see only this.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// countingFactor counts Verify calls reaching the factor.
type countingFactor struct {
	mfa.Factor
	verifies *atomic.Int64
}

func (c countingFactor) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	c.verifies.Add(1)
	return c.Factor.Verify(ctx, req)
}

type host struct {
	svc      *mfa.Service
	st       *store.SQLStore
	verifies *atomic.Int64
}

type env struct {
	t      *testing.T
	url    string
	clock  *clock
	key    seal.Key
	sealer *seal.Sealer
	user   store.User
}

func newEnv(t *testing.T, newURL func(testing.TB) string) *env {
	t.Helper()
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, url: newURL(t), clock: &clock{now: time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)}, key: key, sealer: sealer}
	st := e.openStore()
	org, err := st.EnsureDefaultOrg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.user, err = st.CreateUser(context.Background(), store.User{ID: "user-1", OrgID: org.ID, Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) openStore() *store.SQLStore {
	st, err := store.Open(context.Background(), e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// host builds one host: its own database connection pool and its own
// factors, in process or as a real plugin process.
func (e *env) host(viaPlugin bool, opts mfa.Options) *host {
	t := e.t
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	instances := []plugins.InstanceConfig{{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)}}
	if viaPlugin {
		if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, instances); err != nil {
			t.Fatal(err)
		}
	} else if err := m.AddInProcess(context.Background(), "totp", totpfactor.New(), nil); err != nil {
		t.Fatal(err)
	}
	h := &host{st: e.openStore(), verifies: &atomic.Int64{}}
	factors := mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		if !ok {
			return nil, false
		}
		return countingFactor{Factor: in, verifies: h.verifies}, true
	})
	opts.Now = e.clock.Now
	h.svc = mfa.New(h.st, factors, e.sealer, opts)
	return h
}

var meta = mfa.Meta{Actor: "user-1", RemoteAddr: "192.0.2.7", Via: "test"}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll enrolls TOTP for the env's user and returns the secret.
func (e *env) enroll(h *host) string {
	t := e.t
	t.Helper()
	ctx := context.Background()
	en, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "totp"})
	if err != nil {
		t.Fatal(err)
	}
	if en.Display.Secret == "" || !strings.HasPrefix(en.Display.URI, "otpauth://totp/") || len(en.Display.QRPNG) == 0 {
		t.Fatalf("enrollment display incomplete: %+v", en.Display)
	}
	if _, err := h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: e.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code(t, en.Display.Secret, e.clock.Now())}}); err != nil {
		t.Fatal(err)
	}
	return en.Display.Secret
}

func (e *env) verify(h *host, c string) error {
	_, err := h.svc.Verify(context.Background(), meta, mfa.VerifyRequest{UserID: e.user.ID, Factor: "totp", Proof: sdk.Proof{Code: c}})
	return err
}

func TestLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, viaPlugin := range []bool{false, true} {
			name := map[bool]string{false: "in-process", true: "plugin-rpc"}[viaPlugin]
			t.Run(name, func(t *testing.T) {
				e := newEnv(t, newURL)
				h := e.host(viaPlugin, mfa.Options{})
				ctx := context.Background()

				// Begin twice: the second pending enrollment replaces the first.
				first, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "totp"})
				if err != nil {
					t.Fatal(err)
				}
				second, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "totp"})
				if err != nil {
					t.Fatal(err)
				}
				_, err = h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: e.user.ID, EnrollmentID: first.ID, Proof: sdk.Proof{Code: code(t, first.Display.Secret, e.clock.Now())}})
				if !errors.Is(err, mfa.ErrNoEnrollment) {
					t.Fatalf("confirming the replaced enrollment: %v, want ErrNoEnrollment", err)
				}
				// A wrong code does not confirm.
				_, err = h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: e.user.ID, Factor: "totp", Proof: sdk.Proof{Code: "000000"}})
				if !errors.Is(err, mfa.ErrInvalidCode) && code(t, second.Display.Secret, e.clock.Now()) != "000000" {
					t.Fatalf("wrong confirmation code: %v", err)
				}
				secret := second.Display.Secret
				conf, err := h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: e.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, e.clock.Now())}})
				if err != nil {
					t.Fatal(err)
				}
				if conf.Credential.Status != store.CredentialActive || conf.Credential.Factor != "totp" {
					t.Fatalf("confirmed credential: %+v", conf.Credential)
				}
				// Enrolling again while active is refused.
				if _, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "totp"}); !errors.Is(err, mfa.ErrAlreadyEnrolled) {
					t.Fatalf("second enrollment: %v, want ErrAlreadyEnrolled", err)
				}

				// The confirming code consumed its step.
				if err := e.verify(h, code(t, secret, e.clock.Now())); !errors.Is(err, mfa.ErrReplayed) {
					t.Fatalf("confirming code reused: %v, want ErrReplayed", err)
				}
				e.clock.Add(30 * time.Second)
				now := e.clock.Now()
				v, err := h.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: e.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, now)}})
				if err != nil {
					t.Fatal(err)
				}
				if !v.At.Equal(now) || len(v.AMR) != 1 || v.AMR[0] != "otp" {
					t.Fatalf("verified: %+v", v)
				}
				if err := e.verify(h, code(t, secret, now)); !errors.Is(err, mfa.ErrReplayed) {
					t.Fatalf("same code twice: %v, want ErrReplayed", err)
				}
				if err := e.verify(h, "12345a"); !errors.Is(err, mfa.ErrInvalidCode) {
					t.Fatalf("malformed code: %v, want ErrInvalidCode", err)
				}

				list, err := h.svc.ListCredentials(ctx, e.user.ID)
				if err != nil || len(list) != 1 || list[0].LastUsedAt.IsZero() {
					t.Fatalf("ListCredentials = %+v, %v", list, err)
				}
				if _, err := h.svc.RemoveCredential(ctx, meta, e.user.ID, list[0].ID); err != nil {
					t.Fatal(err)
				}
				if err := e.verify(h, code(t, secret, now.Add(30*time.Second))); !errors.Is(err, mfa.ErrNotEnrolled) {
					t.Fatalf("verify after removal: %v, want ErrNotEnrolled", err)
				}

				// Both outcomes are audited, and no audit record holds a code or secret.
				events, err := h.st.ListAudit(ctx, e.user.ID, 100)
				if err != nil {
					t.Fatal(err)
				}
				results := map[string]int{}
				for _, ev := range events {
					results[ev.Action+":"+ev.Result]++
					raw := fmt.Sprintf("%+v", ev)
					if strings.Contains(raw, secret) || strings.Contains(raw, code(t, secret, now)) {
						t.Fatalf("audit event leaks a secret or code: %s", raw)
					}
					if ev.RemoteAddr != "192.0.2.7" || ev.Detail["via"] != "test" {
						t.Fatalf("audit event lacks who/where: %+v", ev)
					}
				}
				for _, want := range []string{"enroll.begin:ok", "enroll.confirm:ok", "verify:ok", "verify:replayed", "verify:invalid", "remove:ok"} {
					if results[want] == 0 {
						t.Errorf("no audit event %s in %v", want, results)
					}
				}
			})
		}
	})
}

func TestExpiredEnrollment(t *testing.T) {
	e := newEnv(t, testdb.Backends()[0].NewURL)
	h := e.host(false, mfa.Options{EnrollmentTTL: 5 * time.Minute})
	ctx := context.Background()
	en, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "totp"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(5 * time.Minute)
	_, err = h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: e.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code(t, en.Display.Secret, e.clock.Now())}})
	if !errors.Is(err, mfa.ErrExpired) {
		t.Fatalf("confirm after TTL: %v, want ErrExpired", err)
	}
}

func TestLockout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newEnv(t, newURL)
		h := e.host(false, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: time.Hour}})
		secret := e.enroll(h)
		wrong := func() string {
			c := code(t, secret, e.clock.Now())
			return fmt.Sprintf("%06d", (atoiOrZero(c)+1)%1000000)
		}
		e.clock.Add(30 * time.Second)
		for i := range 3 {
			if err := e.verify(h, wrong()); !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		// Locked now: even the right code is refused, with a retry time.
		err := e.verify(h, code(t, secret, e.clock.Now()))
		if !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("right code while locked: %v, want ErrLocked", err)
		}
		if d, ok := mfa.RetryAfter(err); !ok || d != time.Minute {
			t.Fatalf("RetryAfter = %v %v, want 1m", d, ok)
		}
		// The lock holds for a fresh host on the same database.
		h2 := e.host(false, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: time.Hour}})
		if err := e.verify(h2, code(t, secret, e.clock.Now())); !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("other host while locked: %v, want ErrLocked", err)
		}
		e.clock.Add(time.Minute)
		if err := e.verify(h, code(t, secret, e.clock.Now())); err != nil {
			t.Fatalf("right code after the lock: %v", err)
		}
		// Success reset the count: three more failures are allowed before the next lock.
		e.clock.Add(30 * time.Second)
		for i := range 3 {
			if err := e.verify(h, wrong()); !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("after reset, wrong code %d: %v", i, err)
			}
		}
		if err := e.verify(h, wrong()); !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("fourth failure after reset: %v, want ErrLocked", err)
		}
	})
}

func atoiOrZero(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// 100 concurrent wrong guesses with a limit of 5 reach the factor at most 5 times.
func TestConcurrentGuessesAreCountedBeforeComparing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newEnv(t, newURL)
		h := e.host(true, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: time.Minute, MaxDelay: time.Hour}})
		secret := e.enroll(h)
		e.clock.Add(30 * time.Second)
		h.verifies.Store(0)
		bad := fmt.Sprintf("%06d", (atoiOrZero(code(t, secret, e.clock.Now()))+7)%1000000)
		var wg sync.WaitGroup
		var invalid, locked atomic.Int64
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := e.verify(h, bad); {
				case errors.Is(err, mfa.ErrInvalidCode):
					invalid.Add(1)
				case errors.Is(err, mfa.ErrLocked):
					locked.Add(1)
				default:
					t.Errorf("unexpected: %v", err)
				}
			}()
		}
		wg.Wait()
		if n := h.verifies.Load(); n > 5 {
			t.Fatalf("%d comparisons reached the factor, want at most 5", n)
		}
		if invalid.Load() > 5 || invalid.Load()+locked.Load() != 100 {
			t.Fatalf("invalid %d locked %d", invalid.Load(), locked.Load())
		}
	})
}

// The same valid code from 100 goroutines across two hosts (each with its own
// plugin process and connection pool) on one database is accepted once.
func TestSameCodeAcceptedOnceAcrossHosts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newEnv(t, newURL)
		lock := mfa.LockoutPolicy{MaxFailures: 1000, BaseDelay: time.Minute, MaxDelay: time.Hour}
		hosts := []*host{e.host(true, mfa.Options{Lockout: lock}), e.host(true, mfa.Options{Lockout: lock})}
		secret := e.enroll(hosts[0])
		e.clock.Add(30 * time.Second)
		c := code(t, secret, e.clock.Now())
		var wg sync.WaitGroup
		var ok, replayed atomic.Int64
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch err := e.verify(hosts[i%2], c); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, mfa.ErrReplayed):
					replayed.Add(1)
				default:
					t.Errorf("unexpected: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 1 || replayed.Load() != 99 {
			t.Fatalf("accepted %d times, replayed %d; want exactly once", ok.Load(), replayed.Load())
		}
	})
}

func TestSealedStateHasNoPlaintextSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newEnv(t, newURL)
		h := e.host(false, mfa.Options{})
		secret := e.enroll(h)
		raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := h.st.ListCredentials(context.Background(), e.user.ID)
		if err != nil || len(creds) != 1 {
			t.Fatalf("%v %v", creds, err)
		}
		state := creds[0].State
		for _, needle := range [][]byte{[]byte(secret), raw, []byte("totp-credential"), []byte(`"secret"`)} {
			if bytes.Contains(state, needle) {
				t.Fatalf("stored state contains %q in plaintext", needle)
			}
		}
		// A sealed blob copied into another user's credential does not open.
		other, err := h.st.CreateUser(context.Background(), store.User{ID: "user-2", OrgID: e.user.OrgID, Name: "mallory"})
		if err != nil {
			t.Fatal(err)
		}
		stolen := store.Credential{ID: "stolen", UserID: other.ID, Factor: "totp", State: state}
		p, err := h.st.PutPendingCredential(context.Background(), stolen)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.st.ActivateCredential(context.Background(), p.ID, p.Version, state, e.clock.Now(), false); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(30 * time.Second)
		_, err = h.svc.Verify(context.Background(), meta, mfa.VerifyRequest{UserID: other.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, e.clock.Now())}})
		if !errors.Is(err, mfa.ErrCredentialBroken) {
			t.Fatalf("verify with a copied blob: %v, want ErrCredentialBroken", err)
		}
	})
}

func TestKeyRotationKeepsCredentialsUsable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newEnv(t, newURL)
		h := e.host(false, mfa.Options{})
		secret := e.enroll(h)

		newKey, err := seal.GenerateKey("k2", nil)
		if err != nil {
			t.Fatal(err)
		}
		both, err := seal.New(newKey, e.key)
		if err != nil {
			t.Fatal(err)
		}
		e.sealer = both
		rotating := e.host(false, mfa.Options{})
		rep, err := rotating.svc.ResealCredentials(context.Background(), 1)
		if err != nil || rep.Resealed != 1 || len(rep.Failed) != 0 {
			t.Fatalf("reseal: %+v %v", rep, err)
		}
		// With the old key gone, the credential still verifies.
		onlyNew, err := seal.New(newKey)
		if err != nil {
			t.Fatal(err)
		}
		e.sealer = onlyNew
		after := e.host(false, mfa.Options{})
		e.clock.Add(30 * time.Second)
		if err := e.verify(after, code(t, secret, e.clock.Now())); err != nil {
			t.Fatalf("verify after rotation: %v", err)
		}
		if rep, err := after.svc.ResealCredentials(context.Background(), 10); err != nil || rep.Resealed != 0 {
			t.Fatalf("second pass should find nothing to do: %+v %v", rep, err)
		}
	})
}

func TestDatabaseDownFailsClosed(t *testing.T) {
	e := newEnv(t, testdb.Backends()[0].NewURL)
	h := e.host(false, mfa.Options{})
	secret := e.enroll(h)
	e.clock.Add(30 * time.Second)
	h.st.Close()
	if err := e.verify(h, code(t, secret, e.clock.Now())); err == nil {
		t.Fatal("verification succeeded without its commit")
	}
}

// A factor that sends a code on every enrollment begin (SMS) cannot be made
// to send without limit: a new begin waits out the resend interval.
func TestEnrollmentBeginsOfASendingFactorAreThrottled(t *testing.T) {
	rec := &smsGateway{}
	gateway := httptest.NewServer(rec)
	defer gateway.Close()
	e := newEnv(t, testdb.Backends()[0].NewURL)
	m := plugins.New(plugins.Options{})
	t.Cleanup(func() { m.Close() })
	settings := fmt.Sprintf(`{"sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, gateway.URL)
	if err := m.Load(context.Background(), []plugins.Binary{bins["sms"]}, []plugins.InstanceConfig{{Name: "sms", Plugin: "sms", Settings: json.RawMessage(settings)}}); err != nil {
		t.Fatal(err)
	}
	st := e.openStore()
	svc := mfa.New(st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := m.Instance(name)
		return in, ok
	}), e.sealer, mfa.Options{Now: e.clock.Now})
	begin := func() error {
		_, err := svc.BeginEnrollment(context.Background(), meta, mfa.BeginRequest{UserID: e.user.ID, Factor: "sms", Params: map[string]string{"phone": "+61412345678"}})
		return err
	}
	if err := begin(); err != nil {
		t.Fatal(err)
	}
	err := begin()
	if d, ok := mfa.RetryAfter(err); !errors.Is(err, mfa.ErrThrottled) || !ok || d <= 0 || d > 31*time.Second {
		t.Fatalf("second begin at once: %v (retry after %v)", err, d)
	}
	if n := rec.count(); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}
	e.clock.Add(31 * time.Second)
	if err := begin(); err != nil {
		t.Fatalf("begin after the interval: %v", err)
	}
	if n := rec.count(); n != 2 {
		t.Fatalf("%d messages sent, want 2", n)
	}
}

// smsGateway counts the messages the webhook sender posts.
type smsGateway struct {
	mu sync.Mutex
	n  int
}

func (g *smsGateway) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	g.mu.Lock()
	g.n++
	g.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (g *smsGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}
