// Package factortest is the conformance kit for Factorgate factors. A factor
// author runs it from one test function:
//
//	func TestConformance(t *testing.T) {
//		factortest.Run(t, myfactor.New(), factortest.ProverFuncs{
//			Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof {
//				return sdk.Proof{Code: codeFor(t, resp.Display.Secret, now)}
//			},
//			Verify: func(t testing.TB, enrolled factortest.Enrollment, ch sdk.ChallengeResponse, now time.Time) sdk.Proof {
//				return sdk.Proof{Code: codeFor(t, enrolled.Begin.Display.Secret, now)}
//			},
//		})
//	}
//
// Run checks the factor three ways, each a subtest: "in-process" (direct
// calls), "grpc" (the real go-plugin gRPC stack inside the test process) and,
// with WithBinary, "subprocess" (the built plugin binary launched as the host
// launches it). An author whose factor is not importable from Go runs
// RunBinary on the binary alone.
//
// In every mode the kit checks the description (a declared proof kind
// included); enrollment with a wrong and a valid proof; that an enrollment
// confirmed too late expires; verification with a wrong proof, a valid proof
// and the same proof replayed; for a factor that sends codes, that a code
// dies after its attempts and that a superseded challenge's code is refused;
// for a factor with challenges, that a code is refused as expired at Verify
// long after its challenge; that nil, empty, random, truncated and
// bit-flipped states are refused without a panic; 32 users enrolling and
// verifying at once; and, for a factor that names destinations, that the
// name is stable for one destination, from the enrollment parameters and
// from the enrolled credential alike; and, for a factor whose users hold
// several credentials, that an enrollment returns a credential key,
// Challenge and Verify work from the list of credentials, Verify names the
// credential used, and CredentialKey names it from the proof alone. Over gRPC it also checks that every state and displayed
// value crosses the wire byte for byte, with absent optional states staying
// absent.
//
// CheckBinary runs the same checks outside `go test` against any plugin
// executable, whatever its language, with a CommandProver playing the user
// or none (then only the checks that need no valid proof);
// `factorgate plugins check` is built on it.
//
// The garbage check flips one bit at the start, in the middle and at the end
// of valid states and truncates them: a factor should read its state strictly
// (version, kind, every field present and in range, nothing unknown or
// trailing) even though the host seals it at rest.
//
// The kit never sleeps: it passes its own clock as Now, starting at a fixed
// instant and moving one time step between phases (WithStart, WithTimeStep),
// so a time-based factor is checked deterministically. An enrollment begins
// at the start and is confirmed one step later; challenge, verification and
// replay happen two steps after the start; the expiry check confirms at the
// start plus WithExpiryJump. The Prover plays the
// user: it turns what the factor showed into proofs that are valid at a given
// instant. The kit derives wrong proofs from valid ones by changing the last
// letter or digit of the code; a factor whose proofs are not typed codes
// supplies WithWrongProof. The concurrency check calls the Prover from many
// goroutines at once, so it must be safe for concurrent use.
package factortest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Prover turns what a factor showed into valid proofs, as the user's device
// would.
type Prover interface {
	// EnrollmentProof returns the proof that confirms the enrollment begun with resp at now.
	EnrollmentProof(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof
	// VerificationProof returns a valid proof for a verification at now. enrolled is the confirmed
	// enrollment (what the factor showed when it began and when it finished); challenge is the
	// Challenge response (zero when the factor has none).
	VerificationProof(t testing.TB, enrolled Enrollment, challenge sdk.ChallengeResponse, now time.Time) sdk.Proof
}

// WrongProver is implemented by a Prover that also makes wrong proofs, for
// factors whose proofs are not typed codes (a WebAuthn credential, which the
// kit cannot alter into a well-formed wrong one). The kit uses it when no
// WithWrongProof is given and a valid proof carries no code.
type WrongProver interface {
	// WrongProof returns a well-formed proof that the factor must refuse,
	// made from the valid proof valid.
	WrongProof(t testing.TB, valid sdk.Proof) sdk.Proof
}

// Enrollment is a confirmed enrollment as the user saw it: what the factor
// showed when it began (a TOTP secret) and when it finished (backup codes).
type Enrollment struct {
	Begin  sdk.BeginEnrollmentResponse
	Finish sdk.FinishEnrollmentResponse
}

// ProverFuncs is a Prover made of two functions.
type ProverFuncs struct {
	Enroll func(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof
	Verify func(t testing.TB, enrolled Enrollment, challenge sdk.ChallengeResponse, now time.Time) sdk.Proof
}

var _ Prover = ProverFuncs{}

// EnrollmentProof calls p.Enroll.
func (p ProverFuncs) EnrollmentProof(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof {
	t.Helper()
	if p.Enroll == nil {
		t.Fatalf("factortest: ProverFuncs.Enroll is nil but the factor enrolls")
	}
	return p.Enroll(t, resp, now)
}

// VerificationProof calls p.Verify.
func (p ProverFuncs) VerificationProof(t testing.TB, enrolled Enrollment, challenge sdk.ChallengeResponse, now time.Time) sdk.Proof {
	t.Helper()
	if p.Verify == nil {
		t.Fatalf("factortest: ProverFuncs.Verify is nil")
	}
	return p.Verify(t, enrolled, challenge, now)
}

// Option changes how the kit runs.
type Option func(*config)

// WithSettings sets the operator settings the factor instance is configured
// with (a JSON object; default {}).
func WithSettings(settings json.RawMessage) Option {
	return func(c *config) { c.settings = settings }
}

// WithInstance sets the name of the factor instance configured over RPC
// (default "conformance").
func WithInstance(name string) Option {
	return func(c *config) { c.instance = name }
}

// WithTimeStep sets how far the kit advances its clock between phases
// (default one minute). A time-based factor should get at least its own step,
// so that a verification falls in a later step than the enrollment.
func WithTimeStep(d time.Duration) Option {
	return func(c *config) { c.step = d }
}

// WithStart sets the fixed instant the kit's clock starts at (default
// 2030-01-02T03:04:00Z).
func WithStart(t time.Time) Option {
	return func(c *config) { c.start = t }
}

// WithExpiryJump sets how long after beginning an enrollment the kit tries to
// confirm it, expecting ResultExpired (default 48 hours). It must exceed the
// factor's EnrollmentTTL.
func WithExpiryJump(d time.Duration) Option {
	return func(c *config) { c.expiryJump = d }
}

// WithBinary adds the "subprocess" mode: the plugin binary at path, launched
// the way the host launches it.
func WithBinary(path string) Option {
	return func(c *config) { c.binary = path }
}

// WithUser sets the user the calls are about (default ID "conformance-user",
// name and email "conformance@example.com", phone "+15555550100"). The
// concurrency check gives each goroutine its own user ID derived from it.
func WithUser(u sdk.User) Option {
	return func(c *config) { c.user = u }
}

// WithEnrollParams sets the parameters passed to BeginEnrollment (a phone
// number for an SMS factor, for example).
func WithEnrollParams(params map[string]string) Option {
	return func(c *config) { c.enrollParams = params }
}

// WithWrongProof sets how the kit derives a wrong proof from a valid one, for
// factors whose proofs are not typed codes. The result must be refused with
// ResultInvalid.
func WithWrongProof(wrong func(valid sdk.Proof) sdk.Proof) Option {
	return func(c *config) { c.wrongProof = wrong }
}

// defaultStart is the instant the kit's clock starts at unless WithStart says
// otherwise.
var defaultStart = time.Date(2030, time.January, 2, 3, 4, 0, 0, time.UTC)

// defaultUser is the user the calls are about unless WithUser says otherwise.
var defaultUser = sdk.User{
	ID:    "conformance-user",
	Name:  "conformance@example.com",
	Phone: "+15555550100",
	Email: "conformance@example.com",
}

// Defaults of the options.
const (
	DefaultInstance   = "conformance"
	DefaultTimeStep   = time.Minute
	DefaultExpiryJump = 48 * time.Hour
)

// Concurrency is how many goroutines the concurrency check runs at once.
const Concurrency = 32

type config struct {
	settings     json.RawMessage
	instance     string
	step         time.Duration
	start        time.Time
	expiryJump   time.Duration
	binary       string
	user         sdk.User
	enrollParams map[string]string
	wrongProof   func(sdk.Proof) sdk.Proof
}

func newConfig(opts []Option) *config {
	c := &config{
		settings:   json.RawMessage(`{}`),
		instance:   DefaultInstance,
		step:       DefaultTimeStep,
		start:      defaultStart,
		expiryJump: DefaultExpiryJump,
		user:       defaultUser,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func (c *config) validate(t testing.TB) {
	t.Helper()
	switch {
	case c.step <= 0:
		t.Fatalf("factortest: WithTimeStep(%v): the step must be positive", c.step)
	case c.expiryJump <= 0:
		t.Fatalf("factortest: WithExpiryJump(%v): the jump must be positive", c.expiryJump)
	case c.instance == "":
		t.Fatalf("factortest: WithInstance: the instance name must not be empty")
	case c.start.IsZero():
		t.Fatalf("factortest: WithStart: the start must not be the zero time")
	}
}

// Run checks f against the factor contract in process and over gRPC, and as
// a plugin binary when WithBinary is given. p supplies valid proofs.
func Run(t *testing.T, f sdk.Factor, p Prover, opts ...Option) {
	t.Helper()
	if f == nil {
		t.Fatal("factortest: Run needs a factor")
	}
	if p == nil {
		t.Fatal("factortest: Run needs a Prover")
	}
	cfg := newConfig(opts)
	cfg.validate(t)
	runMode(t, "in-process", func(tb testing.TB) *harness { return newLocalHarness(tb, f, p, cfg) })
	runMode(t, "grpc", func(tb testing.TB) *harness { return newGRPCHarness(tb, f, p, cfg) })
	if cfg.binary != "" {
		runMode(t, "subprocess", func(tb testing.TB) *harness { return newSubprocessHarness(tb, cfg.binary, p, cfg) })
	}
}

// RunBinary checks the plugin binary at path against the factor contract,
// launched as the host launches it. It is for factors that are not importable
// from Go; Run with WithBinary covers a Go factor and its binary together.
func RunBinary(t *testing.T, path string, p Prover, opts ...Option) {
	t.Helper()
	if p == nil {
		t.Fatal("factortest: RunBinary needs a Prover")
	}
	cfg := newConfig(append(opts, WithBinary(path)))
	cfg.validate(t)
	if path == "" {
		t.Fatal("factortest: RunBinary needs the path of a plugin binary")
	}
	runMode(t, "subprocess", func(tb testing.TB) *harness { return newSubprocessHarness(tb, path, p, cfg) })
}

// runMode runs every check as a subtest of a subtest named mode.
func runMode(t *testing.T, mode string, setup func(testing.TB) *harness) {
	t.Helper()
	t.Run(mode, func(t *testing.T) {
		h := setup(t)
		for _, c := range checks {
			if c.rpcOnly && h.recorder == nil {
				continue
			}
			t.Run(c.name, func(t *testing.T) { c.run(t, h) })
		}
	})
}
