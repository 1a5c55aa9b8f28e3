package factortest

import (
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

// maxWrongProofs is the most wrong proofs the kit lets one sent code survive
// before it must be dead.
const maxWrongProofs = sdk.MaxCodeAttempts

// requireSentCode skips a check about sent codes for other factors.
func requireSentCode(tb testing.TB, d sdk.Description) {
	tb.Helper()
	requireChallenge(tb, d)
	if d.ProofKind != sdk.ProofSentCode {
		tb.Skipf("factor %q does not send codes (proof kind %q)", d.Name, d.ProofKind)
	}
}

// requireChallenge skips a check about challenges for factors without them.
func requireChallenge(tb testing.TB, d sdk.Description) {
	tb.Helper()
	requireEnroll(tb, d)
	if !d.Has(sdk.CapabilityChallenge) {
		tb.Skipf("factor %q has no challenges", d.Name)
	}
}

// challenged is an enrolled credential with a challenge issued at step 2.
type challenged struct {
	enrolled Enrollment
	ch       sdk.ChallengeResponse
	cred     []byte
}

// enrollAndChallenge enrolls the kit's user and issues a challenge at step 2,
// ending the check when either fails.
func (h *harness) enrollAndChallenge(tb testing.TB) challenged {
	tb.Helper()
	e, ok := h.enroll(tb, h.cfg.user)
	if !ok {
		tb.FailNow()
	}
	ch, cred, ok := h.challenge(tb, h.cfg.user, e.finish.CredentialState, h.at(2))
	if !ok {
		tb.FailNow()
	}
	return challenged{enrolled: Enrollment{Begin: e.begin, Finish: e.finish}, ch: ch, cred: cred}
}

// checkCodeAttempts offers a challenge's code wrong proofs until the factor
// says its attempts are spent, then the valid proof, which must be refused.
func checkCodeAttempts(tb testing.TB, h *harness) {
	requireSentCode(tb, h.describe(tb))
	c := h.enrollAndChallenge(tb)
	now := h.at(2)
	valid := h.prover.VerificationProof(tb, c.enrolled, c.ch, now)
	wrong, ok := h.wrong(tb, valid)
	if !ok {
		return
	}
	ctx, cancel := h.ctx(tb)
	defer cancel()
	cred, chState := c.cred, c.ch.ChallengeState
	for tries := 1; ; tries++ {
		resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, CredentialState: cred, ChallengeState: chState, Proof: wrong, Now: now})
		if err != nil {
			tb.Fatalf("Verify with wrong proof %d: err %v, want ResultInvalid or ResultLockedByFactor", tries, err)
		}
		if resp.CredentialState != nil {
			cred = resp.CredentialState
		}
		if resp.ChallengeState != nil {
			chState = resp.ChallengeState
		}
		if resp.Result == sdk.ResultLockedByFactor {
			break
		}
		if resp.Result != sdk.ResultInvalid {
			tb.Fatalf("Verify with wrong proof %d: %s, want invalid or locked_by_factor", tries, resultString(resp.Result, resp.Reason))
		}
		if tries == maxWrongProofs {
			tb.Fatalf("the code survived %d wrong proofs: a sent code must die after a few wrong tries "+
				"(answer ResultLockedByFactor and return the challenge state that counts them)", tries)
		}
	}
	resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, CredentialState: cred, ChallengeState: chState, Proof: valid, Now: now})
	switch {
	case err != nil:
		tb.Errorf("Verify with the valid proof after the code's attempts were spent: err %v, want ResultLockedByFactor", err)
	case resp.Result != sdk.ResultLockedByFactor:
		tb.Errorf("Verify with the valid proof after the code's attempts were spent: %s, want locked_by_factor (a new challenge is needed)",
			resultString(resp.Result, resp.Reason))
	}
}

// checkSupersededChallenge issues two challenges, then offers the first
// one's valid proof, which must be refused, and the second one's, which must
// pass.
func checkSupersededChallenge(tb testing.TB, h *harness) {
	requireSentCode(tb, h.describe(tb))
	first := h.enrollAndChallenge(tb)
	now := h.at(3)
	second, cred, ok := h.challenge(tb, h.cfg.user, first.cred, now)
	if !ok {
		tb.FailNow()
	}
	oldProof := h.prover.VerificationProof(tb, first.enrolled, first.ch, now)
	newProof := h.prover.VerificationProof(tb, first.enrolled, second, now)
	ctx, cancel := h.ctx(tb)
	defer cancel()

	resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, CredentialState: cred, ChallengeState: first.ch.ChallengeState, Proof: oldProof, Now: now})
	switch {
	case err != nil:
		tb.Errorf("Verify of a superseded challenge with its own code: err %v, want a result such as expired (the state is readable, only old)", err)
	case resp.Result == sdk.ResultOK:
		tb.Errorf("Verify accepted the code of a challenge superseded by a newer one: only the latest code sent may pass " +
			"(keep the latest challenge's id in the credential state Challenge returns)")
	}
	resp, err = h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, CredentialState: cred, ChallengeState: second.ChallengeState, Proof: newProof, Now: now})
	if err != nil || resp.Result != sdk.ResultOK {
		tb.Errorf("control: Verify of the newest challenge with its code: %s, want ok", outcome(resp.Result, resp.Reason, err))
	}
}

// checkExpiredCode offers a challenge's valid proof long after the challenge,
// which must be ResultExpired.
func checkExpiredCode(tb testing.TB, h *harness) {
	requireChallenge(tb, h.describe(tb))
	c := h.enrollAndChallenge(tb)
	issued := h.at(2)
	late := issued.Add(h.cfg.expiryJump)
	if exp := c.ch.Display.ExpiresAt; !exp.IsZero() && !late.After(exp) {
		tb.Fatalf("WithExpiryJump(%v) must reach past the challenge's ExpiresAt (%v after it was issued)", h.cfg.expiryJump, exp.Sub(issued))
	}
	proof := h.prover.VerificationProof(tb, c.enrolled, c.ch, issued)
	ctx, cancel := h.ctx(tb)
	defer cancel()
	resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, CredentialState: c.cred, ChallengeState: c.ch.ChallengeState, Proof: proof, Now: late})
	switch {
	case err != nil:
		tb.Errorf("Verify %v after the challenge with its valid proof: err %v, want ResultExpired (expiry is a result, not an error)", h.cfg.expiryJump, err)
	case resp.Result != sdk.ResultExpired:
		tb.Errorf("Verify %v after the challenge with its valid proof: %s, want expired", h.cfg.expiryJump, resultString(resp.Result, resp.Reason))
	}
}

// checkUnreadableState hands the factor unreadable states without needing a
// valid proof: damaged copies of a real pending state, and random credential
// states. Each must be refused, never a panic or a lost plugin.
func checkUnreadableState(tb testing.TB, h *harness) {
	d := h.describe(tb)
	var panicsBefore int64
	if h.panics != nil {
		panicsBefore = h.panics()
	}
	user, t0, t1 := h.cfg.user, h.at(0), h.at(1)
	ctx, cancel := h.ctx(tb)
	defer cancel()
	if d.Has(sdk.CapabilityEnroll) {
		begin, ok := h.begin(tb, user, t0)
		if !ok {
			tb.FailNow()
		}
		for _, g := range garbageStates(begin.PendingState) {
			resp, err := h.client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: g.state, Now: t1})
			h.expectRefused(tb, "FinishEnrollment with "+g.name+" pending state", resp.Result, err)
		}
	}
	for _, g := range garbageStates(nil) {
		resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: g.state, Proof: sdk.Proof{Code: "000000"}, Now: t1})
		h.expectRefused(tb, "Verify with "+g.name+" credential state", resp.Result, err)
		if d.Has(sdk.CapabilityChallenge) {
			ch, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: user, CredentialState: g.state, Now: t1})
			h.expectRefused(tb, "Challenge with "+g.name+" credential state", ch.Result, err)
		}
	}
	if h.panics != nil {
		if n := h.panics() - panicsBefore; n > 0 {
			tb.Errorf("the plugin server reported %d factor panics", n)
		}
	}
}
