package factortest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/plugin"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest/internal/testfactor"
)

// panickyPlugin is the name under which the test binary, launched as a
// plugin, serves a factor that panics on unreadable state.
const panickyPlugin = "panicky-plugin"

// TestMain doubles as the test factor's plugin binary: launched by the kit's
// subprocess mode (which passes the handshake cookie), it serves the
// challenge test factor instead of running tests.
func TestMain(m *testing.M) {
	if os.Getenv(proverModeEnv) != "" {
		os.Exit(runProverMode())
	}
	if os.Getenv(plugin.Handshake.MagicCookieKey) == plugin.Handshake.MagicCookieValue {
		var flaws testfactor.Flaws
		if strings.HasPrefix(filepath.Base(os.Args[0]), panickyPlugin) {
			flaws.PanicOnBadState = true
		}
		sdk.Serve(testfactor.NewChallenge(flaws))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// prover plays the user of the test factors.
var prover = ProverFuncs{
	Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof {
		t.Helper()
		code, err := testfactor.EnrollmentCode(resp, now)
		if err != nil {
			t.Fatalf("enrollment code: %v", err)
		}
		return sdk.Proof{Code: code}
	},
	Verify: func(t testing.TB, enrolled Enrollment, ch sdk.ChallengeResponse, now time.Time) sdk.Proof {
		t.Helper()
		code, err := testfactor.VerificationCode(enrolled.Finish, ch, now)
		if err != nil {
			t.Fatalf("verification code: %v", err)
		}
		return sdk.Proof{Code: code}
	},
}

func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("test binary: %v", err)
	}
	return exe
}

func TestRunChallengeFactor(t *testing.T) {
	Run(t, testfactor.NewChallenge(testfactor.Flaws{}), prover,
		WithBinary(testBinary(t)),
		WithSettings([]byte(`{"digits":7}`)),
		WithInstance("challenge-7"),
		WithEnrollParams(map[string]string{"label": "laptop"}),
	)
}

func TestRunStepFactor(t *testing.T) {
	Run(t, testfactor.NewStep(testfactor.Flaws{}), prover,
		WithTimeStep(testfactor.StepLength),
		WithStart(time.Date(2031, time.June, 30, 23, 59, 30, 0, time.UTC)),
		WithExpiryJump(testfactor.EnrollmentTTL+time.Second),
		WithUser(sdk.User{ID: "u-1", Name: "step@example.com"}),
	)
}

func TestRunBinary(t *testing.T) {
	RunBinary(t, testBinary(t), prover)
}

// fakeTB stands in for a test so the kit's checks can be seen to fail: it
// records failures instead of failing the real test.
type fakeTB struct {
	testing.TB // the real test, for Context, Name and TempDir

	mu       sync.Mutex
	failed   bool
	skipped  bool
	errors   []string
	logs     []string
	cleanups []func()
}

func (f *fakeTB) fail(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = true
	if msg != "" {
		f.errors = append(f.errors, msg)
	}
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Error(args ...any)                 { f.fail(fmt.Sprint(args...)) }
func (f *fakeTB) Errorf(format string, args ...any) { f.fail(fmt.Sprintf(format, args...)) }
func (f *fakeTB) Fail()                             { f.fail("") }
func (f *fakeTB) FailNow()                          { f.fail(""); runtime.Goexit() }
func (f *fakeTB) Fatal(args ...any)                 { f.Error(args...); runtime.Goexit() }
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...); runtime.Goexit() }
func (f *fakeTB) SkipNow()                          { f.skip(""); runtime.Goexit() }
func (f *fakeTB) Skip(args ...any)                  { f.skip(fmt.Sprint(args...)); runtime.Goexit() }
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skip(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (f *fakeTB) skip(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.skipped = true
	f.logs = append(f.logs, msg)
}

func (f *fakeTB) Log(args ...any) { f.Logf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

func (f *fakeTB) Failed() bool  { f.mu.Lock(); defer f.mu.Unlock(); return f.failed }
func (f *fakeTB) Skipped() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.skipped }

// runFake runs fn against a fakeTB in its own goroutine, as the testing
// package runs a test, and then its cleanups.
func runFake(t *testing.T, fn func(testing.TB)) *fakeTB {
	t.Helper()
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}

// checkByName returns the kit's check named name.
func checkByName(t *testing.T, name string) func(testing.TB, *harness) {
	t.Helper()
	for _, c := range checks {
		if c.name == name {
			return c.run
		}
	}
	t.Fatalf("no check %q", name)
	return nil
}

type harnessFunc func(testing.TB, sdk.Factor, Prover, *config) *harness

var harnesses = map[string]harnessFunc{
	"in-process": newLocalHarness,
	"grpc":       newGRPCHarness,
}

// TestKitFailsFlawedFactors shows that each check fails a factor with the
// flaw it exists to catch, and passes the same factor without it.
func TestKitFailsFlawedFactors(t *testing.T) {
	tests := []struct {
		name  string
		check string
		flaws testfactor.Flaws
		step  bool
		want  []string
	}{
		{"accepts replays", "verify", testfactor.Flaws{AcceptReplays: true}, false, []string{"accepted the same proof twice"}},
		{"step factor accepts replays", "verify", testfactor.Flaws{AcceptReplays: true}, true, []string{"accepted the same proof twice"}},
		{"concurrent users and replays", "concurrency", testfactor.Flaws{AcceptReplays: true}, false, []string{"user 31: Verify accepted the same proof twice"}},
		{"panics on garbage", "garbage-state", testfactor.Flaws{PanicOnBadState: true}, false, []string{"Verify with nil credential state: the factor panicked", "Challenge with empty credential state: the factor panicked"}},
		{"step factor panics on garbage", "garbage-state", testfactor.Flaws{PanicOnBadState: true}, true, []string{"FinishEnrollment with bit-flipped (middle byte) pending state: the factor panicked"}},
		{"ignores expiry", "expired-enrollment", testfactor.Flaws{IgnoreExpiry: true}, false, []string{"ok, want expired", "returned a credential state"}},
		{"bad description", "describe", testfactor.Flaws{BadDescription: true}, true, []string{`Name "Test Factor"`, `AMR value "code" is not in the RFC 8176 registry`, "ProofKind is not declared"}},
		{"unlimited attempts", "code-attempts", testfactor.Flaws{UnlimitedAttempts: true}, false, []string{"the code survived 10 wrong proofs"}},
		{"accepts superseded codes", "superseded-challenge", testfactor.Flaws{AcceptSuperseded: true}, false, []string{"challenge superseded by a newer one"}},
		{"accepts expired codes", "expired-code", testfactor.Flaws{IgnoreExpiry: true}, false, []string{"ok, want expired"}},
		{"names an unstable destination", "destination", testfactor.Flaws{UnstableDestination: true}, false, []string{"Destination for the same parameters named"}},
		{"panics on unreadable state", "unreadable-state", testfactor.Flaws{PanicOnBadState: true}, false, []string{"Verify with nil credential state: the factor panicked", "FinishEnrollment with bit-flipped (first byte) pending state: the factor panicked"}},
	}
	for _, tt := range tests {
		for mode, newHarness := range harnesses {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				check := checkByName(t, tt.check)
				factor := func(flaws testfactor.Flaws) sdk.Factor {
					if tt.step {
						return testfactor.NewStep(flaws)
					}
					return testfactor.NewChallenge(flaws)
				}

				good := runFake(t, func(tb testing.TB) { check(tb, newHarness(tb, factor(testfactor.Flaws{}), prover, newConfig(nil))) })
				if good.Failed() || good.Skipped() {
					t.Fatalf("%s failed the correct factor: %q", tt.check, good.errors)
				}

				bad := runFake(t, func(tb testing.TB) { check(tb, newHarness(tb, factor(tt.flaws), prover, newConfig(nil))) })
				if !bad.Failed() {
					t.Fatalf("%s passed a factor that %s", tt.check, tt.name)
				}
				all := strings.Join(bad.errors, "\n")
				for _, w := range tt.want {
					if !strings.Contains(all, w) {
						t.Errorf("%s: no failure mentions %q; failures:\n%s", tt.check, w, all)
					}
				}
			})
		}
	}
}

// TestGRPCPanicIsReported shows that a panic inside the plugin server is
// seen both in the error and in the server's log.
func TestGRPCPanicIsReported(t *testing.T) {
	var h *harness
	f := runFake(t, func(tb testing.TB) {
		h = newGRPCHarness(tb, testfactor.NewChallenge(testfactor.Flaws{PanicOnBadState: true}), prover, newConfig(nil))
		ctx, cancel := h.ctx(tb)
		defer cancel()
		_, err := h.client.Verify(ctx, sdk.VerifyRequest{CredentialState: []byte("junk"), Now: h.at(0)})
		if !isPanic(err) {
			tb.Errorf("Verify of a panicking factor over gRPC: err %v, want a panic report", err)
		}
		if n := h.panics(); n != 1 {
			tb.Errorf("the server logged %d panics, want 1", n)
		}
	})
	if f.Failed() {
		t.Fatal(f.errors)
	}
}

// TestProverFatalInGoroutine shows that a Prover failing from the
// concurrency check's goroutines fails the check without hanging it.
func TestProverFatalInGoroutine(t *testing.T) {
	p := ProverFuncs{Enroll: prover.Enroll} // no Verify
	f := runFake(t, func(tb testing.TB) {
		checkConcurrency(tb, newLocalHarness(tb, testfactor.NewChallenge(testfactor.Flaws{}), p, newConfig(nil)))
	})
	if !f.Failed() {
		t.Fatal("the concurrency check passed with a Prover that cannot verify")
	}
	if n := len(f.errors); n != Concurrency {
		t.Errorf("%d failures, want one per goroutine (%d): %q", n, Concurrency, f.errors)
	}
}

// verifyOnly is a factor provisioned elsewhere: it neither enrolls nor
// challenges.
type verifyOnly struct{}

func (verifyOnly) Describe() sdk.Description {
	return sdk.Description{Name: "verify-only", DisplayName: "Verify only", Version: "v0.1.0", AMR: []string{"hwk"}, ProofKind: sdk.ProofTypedCode}
}

func (verifyOnly) Verify(context.Context, sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	return sdk.VerifyResponse{Result: sdk.ResultInvalid}, nil
}

func TestFactorWithoutEnrollment(t *testing.T) {
	for mode, newHarness := range harnesses {
		t.Run(mode, func(t *testing.T) {
			for _, c := range checks {
				f := runFake(t, func(tb testing.TB) { c.run(tb, newHarness(tb, verifyOnly{}, prover, newConfig(nil))) })
				needsEnrollment := c.name != "describe" && c.name != "unreadable-state"
				switch {
				case f.Failed():
					t.Errorf("%s failed: %q", c.name, f.errors)
				case !needsEnrollment && f.Skipped():
					t.Errorf("%s skipped", c.name)
				case needsEnrollment && !f.Skipped():
					t.Errorf("%s ran without an enrollment", c.name)
				}
			}
		})
	}
}

func TestWrongCode(t *testing.T) {
	for code, want := range map[string]string{
		"123456":    "123457",
		"000009":    "000000",
		"abcz":      "abca",
		"ABC-DEF":   "ABC-DEG",
		"12 34 5-":  "12 34 6-",
		"XZ12-9Z":   "XZ12-9A",
		"ñandú-199": "ñandú-190",
	} {
		got, ok := wrongCode(code)
		if !ok || got != want {
			t.Errorf("wrongCode(%q) = %q, %v; want %q", code, got, ok, want)
		}
	}
	for _, code := range []string{"", "--", "é"} {
		if got, ok := wrongCode(code); ok {
			t.Errorf("wrongCode(%q) = %q, want no wrong code", code, got)
		}
	}
}

func TestWithWrongProof(t *testing.T) {
	h := &harness{cfg: newConfig([]Option{WithWrongProof(func(p sdk.Proof) sdk.Proof { return p })})}
	f := runFake(t, func(tb testing.TB) { h.wrong(tb, sdk.Proof{Payload: []byte(`{"sig":"x"}`)}) })
	if !f.Failed() {
		t.Error("a wrong proof equal to the valid one was accepted")
	}
	h = &harness{cfg: newConfig(nil)}
	f = runFake(t, func(tb testing.TB) { h.wrong(tb, sdk.Proof{Payload: []byte(`{"sig":"x"}`)}) })
	if !f.Failed() || !strings.Contains(strings.Join(f.errors, ""), "WithWrongProof") {
		t.Errorf("a payload proof without WithWrongProof: failures %q, want a hint at WithWrongProof", f.errors)
	}
}

func TestGarbageStates(t *testing.T) {
	valid := []byte("a valid state")
	a, b := garbageStates(valid), garbageStates(valid)
	if !slices.EqualFunc(a, b, func(x, y garbage) bool { return x.name == y.name && string(x.state) == string(y.state) }) {
		t.Error("garbage states differ between runs")
	}
	names := map[string]bool{}
	for _, g := range a {
		names[g.name] = true
		if string(g.state) == string(valid) {
			t.Errorf("%s equals the valid state", g.name)
		}
	}
	for _, want := range []string{"nil", "empty", "random 16-byte", "truncated (half)", "bit-flipped (first byte)", "bit-flipped (middle byte)", "bit-flipped (last byte)"} {
		if !names[want] {
			t.Errorf("no %s state", want)
		}
	}
	if a[0].state != nil || a[1].state == nil || len(a[1].state) != 0 {
		t.Error("the nil and empty states must be nil and non-nil empty")
	}
	if got := garbageStates(nil); len(got) != 5 {
		t.Errorf("%d garbage states for an empty valid state, want the 5 not derived from it", len(got))
	}
}

func TestDiffExchange(t *testing.T) {
	now := defaultStart
	base := verifyExchange(
		sdk.VerifyRequest{User: defaultUser, CredentialState: []byte("cred"), Proof: sdk.Proof{Code: "123456"}, Now: now},
		sdk.VerifyResponse{Result: sdk.ResultOK, CredentialState: []byte("cred2"), Display: sdk.Display{QRPNG: []byte{1, 2}, Codes: []string{"a"}, ExpiresAt: now}},
		nil)
	if d := diffExchange(base, base, "factor"); len(d) != 0 {
		t.Errorf("an exchange differs from itself: %q", d)
	}

	tests := []struct {
		name   string
		change func(*exchange)
		want   string // "" when the difference is allowed
	}{
		{"same instant in another zone", func(e *exchange) { e.now = now.In(time.FixedZone("x", 3600)) }, ""},
		{"request nil sent as empty", func(e *exchange) { e.in[1].value = []byte{} }, "request challenge_state: sent none, the factor received an empty state"},
		{"request state changed", func(e *exchange) { e.in[0].value = []byte("crex") }, "request credential_state"},
		{"optional state lost", func(e *exchange) { e.out[0].value = nil }, "response credential_state"},
		{"absent optional arrives empty", func(e *exchange) { e.out[1].value = []byte{} }, "an absent optional state must stay absent"},
		{"QR bytes changed", func(e *exchange) { e.display.QRPNG = []byte{1} }, "display QRPNG"},
		{"codes lost", func(e *exchange) { e.display.Codes = nil }, "display Codes"},
		{"expiry moved", func(e *exchange) { e.display.ExpiresAt = now.Add(time.Nanosecond) }, "display ExpiresAt"},
		{"result changed", func(e *exchange) { e.result = sdk.ResultInvalid }, "outcome"},
		{"error lost", func(e *exchange) { e.failed = true }, "returned an error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			far := base
			far.in, far.out = slices.Clone(base.in), slices.Clone(base.out)
			tt.change(&far)
			d := diffExchange(base, far, "factor")
			switch {
			case tt.want == "" && len(d) != 0:
				t.Errorf("reported %q", d)
			case tt.want != "" && !strings.Contains(strings.Join(d, "\n"), tt.want):
				t.Errorf("differences %q, want one about %q", d, tt.want)
			}
		})
	}

	// A non-optional state may arrive empty where it was sent nil: the wire
	// has no way to tell them apart.
	c := beginExchange(sdk.BeginEnrollmentRequest{Now: now}, sdk.BeginEnrollmentResponse{}, nil)
	far := c
	far.out = []stateField{{name: "pending_state", value: []byte{}}}
	if d := diffExchange(c, far, "factor"); len(d) != 0 {
		t.Errorf("nil and empty non-optional states reported: %q", d)
	}
}

// TestSubprocessPanicIsReported runs the garbage check against a plugin
// process whose factor panics: the test binary, launched under another name.
func TestSubprocessPanicIsReported(t *testing.T) {
	link := filepath.Join(t.TempDir(), panickyPlugin)
	if err := os.Symlink(testBinary(t), link); err != nil {
		t.Skipf("cannot link the test binary: %v", err)
	}
	f := runFake(t, func(tb testing.TB) { checkGarbageState(tb, newSubprocessHarness(tb, link, prover, newConfig(nil))) })
	all := strings.Join(f.errors, "\n")
	for _, want := range []string{"Verify with random 16-byte credential state: the factor panicked", "the plugin server reported"} {
		if !strings.Contains(all, want) {
			t.Errorf("no failure mentions %q; failures:\n%s", want, all)
		}
	}
}

// lossy loses what a faulty transport might: QR bytes, and the absence of an
// optional state.
type lossy struct{ sdk.Client }

func (l lossy) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	resp, err := l.Client.BeginEnrollment(ctx, req)
	resp.Display.QRPNG = resp.Display.QRPNG[:len(resp.Display.QRPNG)-1]
	return resp, err
}

func (l lossy) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	resp, err := l.Client.Verify(ctx, req)
	if err == nil && resp.ChallengeState == nil {
		resp.ChallengeState = []byte{}
	}
	return resp, err
}

func TestStateRoundtripCatchesALossyTransport(t *testing.T) {
	f := runFake(t, func(tb testing.TB) {
		h := newGRPCHarness(tb, testfactor.NewChallenge(testfactor.Flaws{}), prover, newConfig(nil))
		h.client = lossy{h.client}
		checkStateRoundtrip(tb, h)
	})
	all := strings.Join(f.errors, "\n")
	for _, want := range []string{
		"call 1 (BeginEnrollment): display QRPNG",
		"(Verify): response challenge_state: the factor returned none, the caller received a 0-byte state",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no failure mentions %q; failures:\n%s", want, all)
		}
	}
}
