package factortest

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

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
	wp, canWrong := h.prover.(WrongProver)
	switch {
	case h.cfg.wrongProof != nil:
		wrong = h.cfg.wrongProof(valid)
	case canWrong && valid.Code == "":
		wrong = wp.WrongProof(tb, valid)
	default:
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
