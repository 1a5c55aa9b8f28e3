// Package testfactor holds small factors the conformance kit tests itself
// with. They are correct unless built with Flaws, which break them in the ways
// the kit must catch.
//
// Two factors share one state format:
//
//   - Challenge ("test-challenge") sends a counter-based code on every
//     Challenge, like an SMS factor: each challenge has its own counter, a
//     lifetime and an attempt limit, and a counter is accepted once.
//   - Step ("test-step") checks a code for the current one-minute step, like
//     TOTP: it has no challenge and remembers the last step it accepted.
//
// States are JSON inside a checksummed envelope bound to the kind of state, so
// a damaged or misplaced state reads as sdk.ErrBadState.
package testfactor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Lifetimes and limits of the test factors.
const (
	EnrollmentTTL   = 10 * time.Minute
	ChallengeTTL    = 5 * time.Minute
	StepLength      = time.Minute
	MaxAttempts     = 3
	defaultDigits   = 6
	secretSize      = 16
	stateVersion    = 1
	kindPending     = "pending"
	kindCredential  = "credential"
	kindChallenge   = "challenge"
	modeChallenge   = "challenge"
	modeStep        = "step"
	checksumSize    = 8
	fingerprintSize = 8
)

// Flaws break a factor on purpose.
type Flaws struct {
	// AcceptReplays accepts a code that was accepted already.
	AcceptReplays bool
	// PanicOnBadState panics instead of returning sdk.ErrBadState.
	PanicOnBadState bool
	// IgnoreExpiry confirms enrollments and accepts challenge codes however
	// late.
	IgnoreExpiry bool
	// BadDescription describes the factor with an invalid name and AMR value,
	// and without a proof kind.
	BadDescription bool
	// UnlimitedAttempts lets a challenge's code be tried forever.
	UnlimitedAttempts bool
	// AcceptSuperseded accepts the code of any challenge issued, not only the
	// latest.
	AcceptSuperseded bool
	// UnstableDestination names a different destination at every time.
	UnstableDestination bool
}

// settings are the operator settings both factors take.
type settings struct {
	Digits int `json:"digits"`
}

type common struct {
	name   string
	mode   string
	digits int
	flaws  Flaws
}

// Challenge is the challenge-based test factor.
type Challenge struct{ common }

// Step is the time-step test factor.
type Step struct{ common }

var (
	_ sdk.Enroller         = (*Challenge)(nil)
	_ sdk.Challenger       = (*Challenge)(nil)
	_ sdk.Configurer       = (*Challenge)(nil)
	_ sdk.DestinationNamer = (*Challenge)(nil)
	_ sdk.Enroller         = (*Step)(nil)
	_ sdk.Configurer       = (*Step)(nil)
)

// NewChallenge returns the challenge-based factor with flaws.
func NewChallenge(flaws Flaws) *Challenge {
	return &Challenge{common{name: "test-challenge", mode: modeChallenge, digits: defaultDigits, flaws: flaws}}
}

// NewStep returns the time-step factor with flaws.
func NewStep(flaws Flaws) *Step {
	return &Step{common{name: "test-step", mode: modeStep, digits: defaultDigits, flaws: flaws}}
}

type pendingState struct {
	V        int    `json:"v"`
	Mode     string `json:"mode"`
	Secret   []byte `json:"secret"`
	Digits   int    `json:"digits"`
	Expires  int64  `json:"expires"`
	Attempts int    `json:"attempts"`
}

type credentialState struct {
	V      int    `json:"v"`
	Mode   string `json:"mode"`
	Secret []byte `json:"secret"`
	Digits int    `json:"digits"`
	// Next is the counter of the next challenge (challenge mode).
	Next int64 `json:"next"`
	// Used is the last accepted counter or step; -1 when none.
	Used int64 `json:"used"`
}

type challengeState struct {
	V           int    `json:"v"`
	Fingerprint []byte `json:"fp"`
	Counter     int64  `json:"counter"`
	Expires     int64  `json:"expires"`
	Attempts    int    `json:"attempts"`
}

// Describe says what the factor is.
func (c *common) Describe() sdk.Description {
	d := sdk.Description{
		Name:          c.name,
		DisplayName:   "Test factor (" + c.mode + ")",
		Version:       "1.0.0",
		AMR:           []string{"otp"},
		EnrollmentTTL: EnrollmentTTL,
		ProofKind:     sdk.ProofTypedCode,
	}
	if c.mode == modeChallenge {
		d.ProofKind = sdk.ProofSentCode
	}
	if c.flaws.BadDescription {
		d.Name = "Test Factor"
		d.AMR = []string{"code"}
		d.ProofKind = sdk.ProofUnspecified
	}
	return d
}

func (c *common) configure(raw json.RawMessage) (common, error) {
	s := settings{Digits: defaultDigits}
	if len(raw) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return common{}, fmt.Errorf("%w: %v", sdk.ErrInvalidSettings, err)
		}
	}
	if s.Digits < 6 || s.Digits > 8 {
		return common{}, fmt.Errorf("%w: digits must be 6 to 8", sdk.ErrInvalidSettings)
	}
	out := *c
	out.digits = s.Digits
	return out, nil
}

// Configure returns the factor with settings ({"digits": 6..8}) applied.
func (c *Challenge) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	cc, err := c.configure(raw)
	if err != nil {
		return nil, err
	}
	return &Challenge{cc}, nil
}

// Configure returns the factor with settings ({"digits": 6..8}) applied.
func (s *Step) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	cc, err := s.configure(raw)
	if err != nil {
		return nil, err
	}
	return &Step{cc}, nil
}

// BeginEnrollment creates a secret and shows it.
func (c *common) BeginEnrollment(_ context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	secret, err := sdk.RandomBytes(nil, secretSize)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	expires := req.Now.Add(EnrollmentTTL)
	p := pendingState{V: stateVersion, Mode: c.mode, Secret: secret, Digits: c.digits, Expires: expires.UnixNano()}
	uri := fmt.Sprintf("test-%s://%s?secret=%s&digits=%d", c.mode, req.User.Name, hex.EncodeToString(secret), c.digits)
	return sdk.BeginEnrollmentResponse{
		PendingState: seal(kindPending, p),
		Display: sdk.Display{
			Secret: hex.EncodeToString(secret),
			URI:    uri,
			// Not a real image: the kit only checks that the bytes survive.
			QRPNG:     append([]byte("\x89PNG\r\n\x1a\n"), uri...),
			Codes:     []string{"shown-once-1", "shown-once-2"},
			Remaining: 2,
			Message:   "Enter the code for this secret.",
			ExpiresAt: expires,
			Extra:     map[string]string{"digits": strconv.Itoa(c.digits)},
		},
	}, nil
}

// FinishEnrollment checks the enrollment code: counter 0 for the challenge
// factor, the current step for the step factor.
func (c *common) FinishEnrollment(_ context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	var p pendingState
	if err := c.open(kindPending, req.PendingState, &p); err != nil {
		return sdk.FinishEnrollmentResponse{}, err
	}
	if p.Mode != c.mode {
		return sdk.FinishEnrollmentResponse{}, c.bad("pending state of another factor")
	}
	if !c.flaws.IgnoreExpiry && !req.Now.Before(time.Unix(0, p.Expires)) {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultExpired, Reason: "the enrollment has expired"}, nil
	}
	if p.Attempts >= MaxAttempts {
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultLockedByFactor, Reason: "too many attempts"}, nil
	}
	counter := enrollmentCounter(p.Mode, req.Now)
	if !sdk.ConstantTimeEqual(req.Proof.Code, Code(p.Secret, counter, p.Digits)) {
		p.Attempts++
		return sdk.FinishEnrollmentResponse{Result: sdk.ResultInvalid, PendingState: seal(kindPending, p), Reason: "wrong code"}, nil
	}
	cred := credentialState{V: stateVersion, Mode: p.Mode, Secret: p.Secret, Digits: p.Digits, Next: 1, Used: -1}
	if p.Mode == modeStep {
		cred.Used = counter
	}
	return sdk.FinishEnrollmentResponse{
		Result:          sdk.ResultOK,
		CredentialState: seal(kindCredential, cred),
		Display:         sdk.Display{Message: "Enrolled."},
	}, nil
}

// Challenge issues the next counter.
func (c *Challenge) Challenge(_ context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	var cred credentialState
	if err := c.openCredential(req.CredentialState, &cred); err != nil {
		return sdk.ChallengeResponse{}, err
	}
	expires := req.Now.Add(ChallengeTTL)
	ch := challengeState{V: stateVersion, Fingerprint: fingerprint(cred.Secret), Counter: cred.Next, Expires: expires.UnixNano()}
	cred.Next++
	return sdk.ChallengeResponse{
		Result:          sdk.ResultOK,
		ChallengeState:  seal(kindChallenge, ch),
		CredentialState: seal(kindCredential, cred),
		Display: sdk.Display{
			MaskedDestination: "test device ***",
			ExpiresAt:         expires,
			Extra:             map[string]string{"counter": strconv.FormatInt(ch.Counter, 10)},
		},
	}, nil
}

// Verify checks the code of the challenge.
func (c *Challenge) Verify(_ context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	var cred credentialState
	if err := c.openCredential(req.CredentialState, &cred); err != nil {
		return sdk.VerifyResponse{}, err
	}
	var ch challengeState
	if err := c.open(kindChallenge, req.ChallengeState, &ch); err != nil {
		return sdk.VerifyResponse{}, err
	}
	if !hmac.Equal(ch.Fingerprint, fingerprint(cred.Secret)) || ch.Counter >= cred.Next {
		return sdk.VerifyResponse{}, c.bad("challenge of another credential")
	}
	switch {
	case !c.flaws.AcceptReplays && ch.Counter <= cred.Used:
		return sdk.VerifyResponse{Result: sdk.ResultReplayed, Reason: "code already used"}, nil
	case !c.flaws.AcceptSuperseded && ch.Counter != cred.Next-1:
		return sdk.VerifyResponse{Result: sdk.ResultExpired, Reason: "a newer code was sent"}, nil
	case !c.flaws.IgnoreExpiry && !req.Now.Before(time.Unix(0, ch.Expires)):
		return sdk.VerifyResponse{Result: sdk.ResultExpired, Reason: "code expired"}, nil
	case !c.flaws.UnlimitedAttempts && ch.Attempts >= MaxAttempts:
		return sdk.VerifyResponse{Result: sdk.ResultLockedByFactor, Reason: "too many attempts"}, nil
	}
	if !sdk.ConstantTimeEqual(req.Proof.Code, Code(cred.Secret, ch.Counter, cred.Digits)) {
		ch.Attempts++
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, ChallengeState: seal(kindChallenge, ch), Reason: "wrong code"}, nil
	}
	if c.flaws.AcceptReplays {
		return sdk.VerifyResponse{Result: sdk.ResultOK}, nil
	}
	cred.Used = ch.Counter
	return sdk.VerifyResponse{Result: sdk.ResultOK, CredentialState: seal(kindCredential, cred)}, nil
}

// Verify checks the code of the current step.
func (s *Step) Verify(_ context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	var cred credentialState
	if err := s.openCredential(req.CredentialState, &cred); err != nil {
		return sdk.VerifyResponse{}, err
	}
	step := stepOf(req.Now)
	if !sdk.ConstantTimeEqual(req.Proof.Code, Code(cred.Secret, step, cred.Digits)) {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: "wrong code"}, nil
	}
	if s.flaws.AcceptReplays {
		return sdk.VerifyResponse{Result: sdk.ResultOK}, nil
	}
	if step <= cred.Used {
		return sdk.VerifyResponse{Result: sdk.ResultReplayed, Reason: "code already used"}, nil
	}
	cred.Used = step
	return sdk.VerifyResponse{Result: sdk.ResultOK, CredentialState: seal(kindCredential, cred)}, nil
}

func (c *common) openCredential(b []byte, cred *credentialState) error {
	if err := c.open(kindCredential, b, cred); err != nil {
		return err
	}
	if cred.Mode != c.mode {
		return c.bad("credential of another factor")
	}
	return nil
}

// bad reports unreadable state, or panics when the factor is built to.
func (c *common) bad(msg string) error {
	if c.flaws.PanicOnBadState {
		panic("testfactor: " + msg)
	}
	return fmt.Errorf("%w: %s", sdk.ErrBadState, msg)
}

// open reads a state of kind from b and checks what it holds.
func (c *common) open(kind string, b []byte, v any) error {
	if err := openState(kind, b, v); err != nil {
		return c.bad(err.Error())
	}
	return nil
}

var stateEncoding = base64.RawURLEncoding.Strict()

func checksum(kind string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)[:checksumSize]
}

func seal(kind string, v any) []byte {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // the state types always marshal
	}
	return []byte(stateEncoding.EncodeToString(body) + "." + stateEncoding.EncodeToString(checksum(kind, body)))
}

func openState(kind string, b []byte, v any) error {
	body64, sum64, ok := strings.Cut(string(b), ".")
	if !ok {
		return fmt.Errorf("%s state: no checksum", kind)
	}
	body, err := stateEncoding.DecodeString(body64)
	if err != nil {
		return fmt.Errorf("%s state: %v", kind, err)
	}
	sum, err := stateEncoding.DecodeString(sum64)
	if err != nil || !hmac.Equal(sum, checksum(kind, body)) {
		return fmt.Errorf("%s state: checksum mismatch", kind)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s state: %v", kind, err)
	}
	var version struct {
		V      int    `json:"v"`
		Secret []byte `json:"secret"`
		Digits int    `json:"digits"`
	}
	_ = json.Unmarshal(body, &version)
	switch {
	case version.V != stateVersion:
		return fmt.Errorf("%s state: version %d", kind, version.V)
	case kind != kindChallenge && len(version.Secret) != secretSize:
		return fmt.Errorf("%s state: bad secret", kind)
	case kind != kindChallenge && (version.Digits < 6 || version.Digits > 8):
		return fmt.Errorf("%s state: bad digits", kind)
	}
	return nil
}

func fingerprint(secret []byte) []byte {
	sum := sha256.Sum256(secret)
	return sum[:fingerprintSize]
}

func stepOf(t time.Time) int64 { return t.Unix() / int64(StepLength/time.Second) }

func enrollmentCounter(mode string, now time.Time) int64 {
	if mode == modeStep {
		return stepOf(now)
	}
	return 0
}

// Code is the code for counter under secret: HMAC-SHA256 truncated to digits.
func Code(secret []byte, counter int64, digits int) string {
	m := hmac.New(sha256.New, secret)
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(counter))
	m.Write(buf[:])
	sum := m.Sum(nil)
	v := binary.BigEndian.Uint32(sum[:4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// EnrollmentCode is what a user types to confirm the enrollment begun with
// resp, at now. It reads the secret and digits from the display, as a user would.
func EnrollmentCode(resp sdk.BeginEnrollmentResponse, now time.Time) (string, error) {
	secret, err := hex.DecodeString(resp.Display.Secret)
	if err != nil {
		return "", fmt.Errorf("display secret: %w", err)
	}
	digits, err := strconv.Atoi(resp.Display.Extra["digits"])
	if err != nil {
		return "", fmt.Errorf("display digits: %w", err)
	}
	mode := modeChallenge
	if strings.HasPrefix(resp.Display.URI, "test-"+modeStep+"://") {
		mode = modeStep
	}
	return Code(secret, enrollmentCounter(mode, now), digits), nil
}

// VerificationCode is the valid code at now for the credential enrolled, after
// challenge (zero for the step factor). Like a device holding the secret, it
// reads the credential state it was enrolled with.
func VerificationCode(enrolled sdk.FinishEnrollmentResponse, challenge sdk.ChallengeResponse, now time.Time) (string, error) {
	var cred credentialState
	if err := openState(kindCredential, enrolled.CredentialState, &cred); err != nil {
		return "", err
	}
	if cred.Mode == modeStep {
		return Code(cred.Secret, stepOf(now), cred.Digits), nil
	}
	counter, err := strconv.ParseInt(challenge.Display.Extra["counter"], 10, 64)
	if err != nil {
		return "", fmt.Errorf("challenge counter: %w", err)
	}
	return Code(cred.Secret, counter, cred.Digits), nil
}
