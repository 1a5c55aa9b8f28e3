package factortest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// checks are run in this order in every mode; rpcOnly checks need a wire.
var checks = []struct {
	name    string
	run     func(testing.TB, *harness)
	rpcOnly bool
}{
	{name: "describe", run: checkDescribe},
	{name: "enroll", run: checkEnroll},
	{name: "expired-enrollment", run: checkExpiredEnrollment},
	{name: "verify", run: checkVerify},
	{name: "state-roundtrip", run: checkStateRoundtrip, rpcOnly: true},
	{name: "garbage-state", run: checkGarbageState},
	{name: "concurrency", run: checkConcurrency},
}

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	// semverRE is Semantic Versioning 2.0.0, with an optional leading "v".
	semverRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
		`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
)

// amrValues is the IANA "Authentication Method Reference Values" registry
// (RFC 8176).
var amrValues = map[string]bool{
	"face": true, "fpt": true, "geo": true, "hwk": true, "iris": true, "kba": true,
	"mca": true, "mfa": true, "otp": true, "pin": true, "pop": true, "pwd": true,
	"rba": true, "retina": true, "sc": true, "sms": true, "swk": true, "tel": true,
	"user": true, "vbm": true, "wia": true,
}

var knownCapabilities = []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge, sdk.CapabilityConfigure}

// checkDescribe checks the description and that the capabilities it lists
// are the steps the factor answers.
func checkDescribe(tb testing.TB, h *harness) {
	d := h.describe(tb)
	if !nameRE.MatchString(d.Name) {
		tb.Errorf("Name %q: want lowercase letters, digits and dashes, starting with a letter, at most 63 long (%s)", d.Name, nameRE)
	}
	if strings.TrimSpace(d.DisplayName) == "" {
		tb.Errorf("DisplayName is empty")
	}
	if !semverRE.MatchString(d.Version) {
		tb.Errorf("Version %q is not a semantic version (1.2.3, 1.2.3-rc.1)", d.Version)
	}
	if len(d.AMR) == 0 {
		tb.Errorf("AMR is empty: a factor proves at least one RFC 8176 method")
	}
	seen := map[string]bool{}
	for _, v := range d.AMR {
		if !amrValues[v] {
			tb.Errorf("AMR value %q is not in the RFC 8176 registry (%s)", v, strings.Join(slices.Sorted(maps.Keys(amrValues)), " "))
		}
		if seen[v] {
			tb.Errorf("AMR value %q is listed twice", v)
		}
		seen[v] = true
	}

	caps := map[sdk.Capability]int{}
	for _, c := range d.Capabilities {
		caps[c]++
		if !slices.Contains(knownCapabilities, c) {
			tb.Errorf("unknown capability %q", c)
		}
		if caps[c] == 2 {
			tb.Errorf("capability %q is listed twice", c)
		}
	}
	if h.wantCaps != nil && !sameCapabilities(d.Capabilities, h.wantCaps) {
		tb.Errorf("capabilities %v, but the factor implements %v", d.Capabilities, h.wantCaps)
	}
	if h.configured != nil {
		c := *h.configured
		if c.Name != d.Name || c.DisplayName != d.DisplayName || c.Version != d.Version ||
			!slices.Equal(c.AMR, d.AMR) || !sameCapabilities(c.Capabilities, d.Capabilities) || c.EnrollmentTTL != d.EnrollmentTTL {
			tb.Errorf("Describe answered %+v, but Configure answered %+v for the same instance", d, c)
		}
	}

	if d.Has(sdk.CapabilityEnroll) {
		if d.EnrollmentTTL <= 0 {
			tb.Errorf("EnrollmentTTL is %v: a factor that enrolls must let an enrollment live for a while", d.EnrollmentTTL)
		}
	} else {
		ctx, cancel := h.ctx(tb)
		defer cancel()
		_, err := h.client.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("BeginEnrollment without the enroll capability: err %v, want ErrUnsupported", err)
		}
		_, err = h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("FinishEnrollment without the enroll capability: err %v, want ErrUnsupported", err)
		}
	}
	if !d.Has(sdk.CapabilityChallenge) {
		ctx, cancel := h.ctx(tb)
		defer cancel()
		_, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: h.cfg.user, Now: h.at(0)})
		if !errors.Is(err, sdk.ErrUnsupported) {
			tb.Errorf("Challenge without the challenge capability: err %v, want ErrUnsupported", err)
		}
	}
}

func sameCapabilities(a, b []sdk.Capability) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// requireEnroll skips a check that needs an enrollment when the factor has none.
func requireEnroll(tb testing.TB, d sdk.Description) {
	tb.Helper()
	if !d.Has(sdk.CapabilityEnroll) {
		tb.Skipf("factor %q does not enroll: the kit has no credential to verify against", d.Name)
	}
}

// checkEnroll begins an enrollment and confirms it with a wrong, then a valid proof.
func checkEnroll(tb testing.TB, h *harness) {
	requireEnroll(tb, h.describe(tb))
	h.enroll(tb, h.cfg.user)
}

// checkExpiredEnrollment confirms an enrollment with a proof valid at a time
// past its lifetime.
func checkExpiredEnrollment(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	if h.cfg.expiryJump <= d.EnrollmentTTL {
		tb.Fatalf("WithExpiryJump(%v) must exceed the factor's EnrollmentTTL (%v)", h.cfg.expiryJump, d.EnrollmentTTL)
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()
	t0 := h.at(0)
	late := t0.Add(h.cfg.expiryJump)
	begin, ok := h.begin(tb, h.cfg.user, t0)
	if !ok {
		return
	}
	proof := h.prover.EnrollmentProof(tb, begin, late)
	resp, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: h.cfg.user, PendingState: begin.PendingState, Proof: proof, Now: late})
	switch {
	case err != nil:
		tb.Errorf("FinishEnrollment %v after BeginEnrollment: err %v, want ResultExpired (expiry is a result, not an error)", h.cfg.expiryJump, err)
	case resp.Result != sdk.ResultExpired:
		tb.Errorf("FinishEnrollment %v after BeginEnrollment (TTL %v): %s, want expired", h.cfg.expiryJump, d.EnrollmentTTL, resultString(resp.Result, resp.Reason))
	}
	if err == nil && len(resp.CredentialState) != 0 {
		tb.Errorf("FinishEnrollment of an expired enrollment returned a credential state")
	}
}

// checkVerify enrolls, then verifies with a wrong proof, a valid proof and the
// valid proof again.
func checkVerify(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	e, ok := h.enroll(tb, h.cfg.user)
	if !ok {
		tb.FailNow()
	}
	h.verify(tb, h.cfg.user, e, d.Has(sdk.CapabilityChallenge))
}

// checkStateRoundtrip runs enrollment and verification while recording each
// call on both sides of the wire, and compares them.
func checkStateRoundtrip(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	caller := &recordingClient{Client: h.client}
	hh := *h
	hh.client = caller
	h.recorder.start()
	recording := true
	defer func() {
		if recording { // the Prover ended the check early
			h.recorder.stop()
		}
	}()
	if e, ok := hh.enroll(tb, h.cfg.user); ok {
		hh.verify(tb, h.cfg.user, e, d.Has(sdk.CapabilityChallenge))
	}
	got := h.recorder.stop()
	recording = false
	side := "factor"
	if h.mode == "subprocess" {
		// The factor is in another process: what it put on the wire is as
		// close as the kit can see.
		side = "wire"
	}
	calls := caller.log()
	if len(calls) == 0 {
		tb.Fatalf("no calls were recorded")
	}
	compareExchanges(tb, calls, got, side)
	tb.Logf("compared %d calls between the caller and the %s", len(calls), side)
}

// checkGarbageState hands the factor unreadable states and expects each to be
// refused with an error or a result other than ResultOK, never a panic.
func checkGarbageState(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	var panicsBefore int64
	if h.panics != nil {
		panicsBefore = h.panics()
	}
	user := h.cfg.user
	t1, t2 := h.at(1), h.at(2)

	e, ok := h.enroll(tb, user)
	if !ok {
		tb.FailNow()
	}
	begin, ok := h.begin(tb, user, h.at(0))
	if !ok {
		tb.FailNow()
	}
	enrollProof := h.prover.EnrollmentProof(tb, begin, t1)
	for _, g := range garbageStates(begin.PendingState) {
		ctx, cancel := h.ctx(tb)
		resp, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: g.state, Proof: enrollProof, Now: t1})
		cancel()
		h.expectRefused(tb, "FinishEnrollment with "+g.name+" pending state", resp.Result, err)
	}

	cred := e.finish.CredentialState
	var ch sdk.ChallengeResponse
	if d.Has(sdk.CapabilityChallenge) {
		for _, g := range garbageStates(cred) {
			ctx, cancel := h.ctx(tb)
			resp, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: user, CredentialState: g.state, Now: t2})
			cancel()
			h.expectRefused(tb, "Challenge with "+g.name+" credential state", resp.Result, err)
		}
		var ok bool
		if ch, cred, ok = h.challenge(tb, user, cred, t2); !ok {
			tb.FailNow()
		}
	}
	proof := h.prover.VerificationProof(tb, Enrollment{Begin: e.begin, Finish: e.finish}, ch, t2)
	for _, g := range garbageStates(cred) {
		ctx, cancel := h.ctx(tb)
		resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: g.state, ChallengeState: ch.ChallengeState, Proof: proof, Now: t2})
		cancel()
		h.expectRefused(tb, "Verify with "+g.name+" credential state", resp.Result, err)
	}
	if d.Has(sdk.CapabilityChallenge) {
		for _, g := range garbageStates(ch.ChallengeState) {
			ctx, cancel := h.ctx(tb)
			resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: cred, ChallengeState: g.state, Proof: proof, Now: t2})
			cancel()
			h.expectRefused(tb, "Verify with "+g.name+" challenge state", resp.Result, err)
		}
	}

	// The same proofs with the real states must pass, or the refusals above
	// show nothing.
	ctx, cancel := h.ctx(tb)
	defer cancel()
	fin, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: begin.PendingState, Proof: enrollProof, Now: t1})
	if err != nil || fin.Result != sdk.ResultOK {
		tb.Errorf("control: FinishEnrollment with the real pending state: %s, want ok", outcome(fin.Result, fin.Reason, err))
	}
	ver, err := h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: cred, ChallengeState: ch.ChallengeState, Proof: proof, Now: t2})
	if err != nil || ver.Result != sdk.ResultOK {
		tb.Errorf("control: Verify with the real states: %s, want ok", outcome(ver.Result, ver.Reason, err))
	}

	if h.panics != nil {
		if n := h.panics() - panicsBefore; n > 0 {
			tb.Errorf("the plugin server reported %d factor panics", n)
		}
	}
}

// checkConcurrency runs Concurrency users through enrollment, verification
// and replay at once against one instance.
func checkConcurrency(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireEnroll(tb, d)
	challenger := d.Has(sdk.CapabilityChallenge)
	var wg sync.WaitGroup
	for i := range Concurrency {
		wg.Go(func() {
			gtb := &goroutineTB{TB: tb, prefix: fmt.Sprintf("user %d: ", i)}
			user := h.cfg.user
			user.ID = fmt.Sprintf("%s-%d", user.ID, i)
			if e, ok := h.enroll(gtb, user); ok {
				h.verify(gtb, user, e, challenger)
			}
		})
	}
	wg.Wait()
}

// enrollment is a confirmed enrollment.
type enrollment struct {
	begin  sdk.BeginEnrollmentResponse
	finish sdk.FinishEnrollmentResponse
}

// begin begins an enrollment for user at now and checks the answer. It
// reports a failure and returns false when there is nothing to continue with.
func (h *harness) begin(tb testing.TB, user sdk.User, now time.Time) (sdk.BeginEnrollmentResponse, bool) {
	tb.Helper()
	ctx, cancel := h.ctx(tb)
	defer cancel()
	resp, err := h.client.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: user, Params: maps.Clone(h.cfg.enrollParams), Now: now})
	if err != nil {
		tb.Errorf("BeginEnrollment: %v", err)
		return resp, false
	}
	if len(resp.PendingState) == 0 {
		tb.Errorf("BeginEnrollment returned no pending state")
		return resp, false
	}
	if exp := resp.Display.ExpiresAt; !exp.IsZero() && !exp.After(now) {
		tb.Errorf("BeginEnrollment at %v shows ExpiresAt %v, not after now", now, exp)
	}
	return resp, true
}

// enroll begins an enrollment for user at step 0, then at step 1 offers a
// wrong proof (expecting ResultInvalid) and the valid one (expecting ResultOK
// and a credential state). It reports failures and returns false when there
// is no enrollment to continue with.
func (h *harness) enroll(tb testing.TB, user sdk.User) (enrollment, bool) {
	tb.Helper()
	t1 := h.at(1)
	begin, ok := h.begin(tb, user, h.at(0))
	if !ok {
		return enrollment{}, false
	}
	valid := h.prover.EnrollmentProof(tb, begin, t1)
	wrong, ok := h.wrong(tb, valid)
	if !ok {
		return enrollment{}, false
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()

	pending := begin.PendingState
	resp, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: pending, Proof: wrong, Now: t1})
	if err != nil {
		tb.Errorf("FinishEnrollment with a wrong proof: err %v, want ResultInvalid (a wrong proof is a result, not an error)", err)
		return enrollment{}, false
	}
	if resp.Result != sdk.ResultInvalid {
		tb.Errorf("FinishEnrollment with a wrong proof (%s): %s, want invalid", proofString(wrong), resultString(resp.Result, resp.Reason))
		if resp.Result == sdk.ResultOK {
			return enrollment{}, false
		}
	}
	if len(resp.CredentialState) != 0 {
		tb.Errorf("FinishEnrollment with a wrong proof returned a credential state")
	}
	if resp.PendingState != nil {
		pending = resp.PendingState
	}

	resp, err = h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: pending, Proof: valid, Now: t1})
	switch {
	case err != nil:
		tb.Errorf("FinishEnrollment with a valid proof: %v", err)
	case resp.Result != sdk.ResultOK:
		tb.Errorf("FinishEnrollment with a valid proof (%s): %s, want ok", proofString(valid), resultString(resp.Result, resp.Reason))
	case len(resp.CredentialState) == 0:
		tb.Errorf("FinishEnrollment with a valid proof returned ResultOK without a credential state")
	default:
		return enrollment{begin: begin, finish: resp}, true
	}
	return enrollment{}, false
}

// challenge issues a challenge against cred at now and checks the answer. It
// returns the response and the credential state to use from then on.
func (h *harness) challenge(tb testing.TB, user sdk.User, cred []byte, now time.Time) (sdk.ChallengeResponse, []byte, bool) {
	tb.Helper()
	ctx, cancel := h.ctx(tb)
	defer cancel()
	ch, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: user, CredentialState: cred, Now: now})
	switch {
	case err != nil:
		tb.Errorf("Challenge: %v", err)
	case ch.Result != sdk.ResultOK:
		tb.Errorf("Challenge of a fresh credential: %s, want ok", resultString(ch.Result, ch.Reason))
	case len(ch.ChallengeState) == 0:
		tb.Errorf("Challenge returned ResultOK without a challenge state")
	default:
		if ch.CredentialState != nil {
			cred = ch.CredentialState
		}
		return ch, cred, true
	}
	return ch, cred, false
}

// verify verifies the enrollment e at step 2: after a challenge when the
// factor has them, with a wrong proof (ResultInvalid), the valid proof
// (ResultOK) and the valid proof again against the states that returned
// (refused). It reports failures and returns false when it stopped early.
func (h *harness) verify(tb testing.TB, user sdk.User, e enrollment, challenger bool) bool {
	tb.Helper()
	now := h.at(2)
	cred := e.finish.CredentialState
	var ch sdk.ChallengeResponse
	if challenger {
		var ok bool
		if ch, cred, ok = h.challenge(tb, user, cred, now); !ok {
			return false
		}
	}
	chState := ch.ChallengeState
	apply := func(resp sdk.VerifyResponse) {
		if resp.CredentialState != nil {
			cred = resp.CredentialState
		}
		if resp.ChallengeState != nil {
			chState = resp.ChallengeState
		}
	}
	valid := h.prover.VerificationProof(tb, Enrollment{Begin: e.begin, Finish: e.finish}, ch, now)
	wrong, ok := h.wrong(tb, valid)
	if !ok {
		return false
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()

	resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: cred, ChallengeState: chState, Proof: wrong, Now: now})
	if err != nil {
		tb.Errorf("Verify with a wrong proof: err %v, want ResultInvalid (a wrong proof is a result, not an error)", err)
		return false
	}
	if resp.Result != sdk.ResultInvalid {
		tb.Errorf("Verify with a wrong proof (%s): %s, want invalid", proofString(wrong), resultString(resp.Result, resp.Reason))
		if resp.Result == sdk.ResultOK {
			return false
		}
	}
	apply(resp)

	resp, err = h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: cred, ChallengeState: chState, Proof: valid, Now: now})
	switch {
	case err != nil:
		tb.Errorf("Verify with a valid proof: %v", err)
		return false
	case resp.Result != sdk.ResultOK:
		tb.Errorf("Verify with a valid proof (%s): %s, want ok", proofString(valid), resultString(resp.Result, resp.Reason))
		return false
	}
	apply(resp)

	resp, err = h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: cred, ChallengeState: chState, Proof: valid, Now: now})
	want := []sdk.Result{sdk.ResultReplayed}
	if challenger {
		// A used challenge may also read as spent or over.
		want = append(want, sdk.ResultExpired, sdk.ResultLockedByFactor)
	}
	switch {
	case err != nil:
		tb.Errorf("Verify with the same valid proof again: err %v, want %s (a replay is a result, not an error)", err, resultList(want))
		return false
	case resp.Result == sdk.ResultOK:
		tb.Errorf("Verify accepted the same proof twice (%s): a proof must be single-use; return a new credential state that records its use", proofString(valid))
		return false
	case !slices.Contains(want, resp.Result):
		tb.Errorf("Verify with the same valid proof again: %s, want %s", resultString(resp.Result, resp.Reason), resultList(want))
		return false
	}
	return true
}

// wrong derives a wrong proof from valid.
func (h *harness) wrong(tb testing.TB, valid sdk.Proof) (sdk.Proof, bool) {
	tb.Helper()
	var wrong sdk.Proof
	if h.cfg.wrongProof != nil {
		wrong = h.cfg.wrongProof(valid)
	} else {
		code, ok := wrongCode(valid.Code)
		if !ok {
			tb.Errorf("cannot derive a wrong proof from %s: the code has no letter or digit to change; use WithWrongProof", proofString(valid))
			return sdk.Proof{}, false
		}
		wrong = sdk.Proof{Code: code, Payload: valid.Payload}
	}
	if wrong.Code == valid.Code && string(wrong.Payload) == string(valid.Payload) {
		tb.Errorf("the wrong proof equals the valid proof %s", proofString(valid))
		return sdk.Proof{}, false
	}
	return wrong, true
}

// wrongCode changes the last letter or digit of code to another of its kind.
func wrongCode(code string) (string, bool) {
	b := []byte(code)
	for i := len(b) - 1; i >= 0; i-- {
		switch c := b[i]; {
		case '0' <= c && c <= '9':
			b[i] = '0' + (c-'0'+1)%10
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+1)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+1)%26
		default:
			continue
		}
		return string(b), true
	}
	return "", false
}

// expectRefused checks the outcome of a call with an unreadable state: an
// error or a result other than ResultOK, but not a panic, a lost plugin or a
// hang.
func (h *harness) expectRefused(tb testing.TB, what string, result sdk.Result, err error) {
	tb.Helper()
	switch {
	case isPanic(err):
		tb.Errorf("%s: the factor panicked; unreadable state must be ErrBadState: %v", what, err)
	case errors.Is(err, sdk.ErrTransport):
		tb.Errorf("%s: the plugin stopped answering (did it crash?): %v", what, err)
	case errors.Is(err, context.DeadlineExceeded):
		tb.Errorf("%s: no answer within %v", what, callTimeout)
	case err != nil:
		// Refused: ErrBadState is the expected error, but any will do.
	case result == sdk.ResultOK:
		tb.Errorf("%s: accepted (ResultOK)", what)
	}
}

// garbage is an unreadable state.
type garbage struct {
	name  string
	state []byte
}

// garbageSeed makes the random states the same on every run.
var garbageSeed = [32]byte([]byte("factortest: random garbage state"))

// garbageStates returns unreadable states derived from the valid state:
// absent, empty, random, truncated and with one bit flipped at the start, in
// the middle and at the end. States equal to valid are left out.
func garbageStates(valid []byte) []garbage {
	rng := rand.New(rand.NewChaCha8(garbageSeed))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	flip := func(i int) []byte {
		b := slices.Clone(valid)
		b[i] ^= 0x01
		return b
	}
	out := []garbage{
		{"nil", nil},
		{"empty", []byte{}},
		{"random 1-byte", random(1)},
		{"random 16-byte", random(16)},
		{"random 256-byte", random(256)},
	}
	if n := len(valid); n > 0 {
		out = append(out,
			garbage{"random same-length", random(n)},
			garbage{"truncated (half)", slices.Clone(valid[:n/2])},
			garbage{"truncated (last byte)", slices.Clone(valid[:n-1])},
			garbage{"bit-flipped (first byte)", flip(0)},
			garbage{"bit-flipped (middle byte)", flip(n / 2)},
			garbage{"bit-flipped (last byte)", flip(n - 1)},
		)
	}
	return slices.DeleteFunc(out, func(g garbage) bool {
		return g.state != nil && len(valid) > 0 && string(g.state) == string(valid)
	})
}

// goroutineTB is the test as seen from one goroutine of the concurrency
// check: messages carry the goroutine's user, and Fatal ends only the
// goroutine.
type goroutineTB struct {
	testing.TB
	prefix string
}

func (g *goroutineTB) Error(args ...any) { g.TB.Helper(); g.TB.Error(g.prefix + fmt.Sprint(args...)) }
func (g *goroutineTB) Errorf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Errorf(g.prefix+format, args...)
}
func (g *goroutineTB) Log(args ...any) { g.TB.Helper(); g.TB.Log(g.prefix + fmt.Sprint(args...)) }
func (g *goroutineTB) Logf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Logf(g.prefix+format, args...)
}
func (g *goroutineTB) Fatal(args ...any) { g.TB.Helper(); g.Error(args...); g.FailNow() }
func (g *goroutineTB) Fatalf(format string, args ...any) {
	g.TB.Helper()
	g.Errorf(format, args...)
	g.FailNow()
}
func (g *goroutineTB) FailNow() { g.TB.Fail(); runtime.Goexit() }

func resultString(r sdk.Result, reason string) string {
	if reason == "" {
		return r.String()
	}
	return fmt.Sprintf("%s (%q)", r, reason)
}

func outcome(r sdk.Result, reason string, err error) string {
	if err != nil {
		return "err " + err.Error()
	}
	return resultString(r, reason)
}

func resultList(rs []sdk.Result) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, " or ")
}

func proofString(p sdk.Proof) string {
	if len(p.Payload) == 0 {
		return fmt.Sprintf("code %q", p.Code)
	}
	return fmt.Sprintf("code %q, %d-byte payload", p.Code, len(p.Payload))
}
