package factortest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

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
