package factortest

import (
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

// checkCredentials checks a factor whose users hold several credentials:
// FinishEnrollment names the new credential with a key, Challenge and Verify
// take the user's credentials as a list (one credential state left empty),
// Verify names the credential the proof used, and CredentialKey, when the
// factor has it, names the same key from the proof alone.
func checkCredentials(tb testing.TB, h *harness) {
	d := h.describe(tb)
	requireChallenge(tb, d)
	if !d.MultipleCredentials {
		tb.Skipf("factor %q does not let a user hold several credentials", d.Name)
	}
	e, ok := h.enroll(tb, h.cfg.user)
	if !ok {
		tb.FailNow()
	}
	key := e.finish.CredentialKey
	if key == "" {
		tb.Fatalf("FinishEnrollment of a factor with multiple_credentials returned no credential key")
	}
	creds := []sdk.Credential{{Key: key, State: e.finish.CredentialState}}
	now := h.at(2)
	ctx, cancel := h.ctx(tb)
	defer cancel()
	ch, err := h.client.Challenge(ctx, sdk.ChallengeRequest{User: h.cfg.user, Credentials: creds, Now: now})
	if err != nil || ch.Result != sdk.ResultOK {
		tb.Fatalf("Challenge with the user's credentials as a list: %s, %v", resultString(ch.Result, ch.Reason), err)
	}
	proof := h.prover.VerificationProof(tb, Enrollment{Begin: e.begin, Finish: e.finish}, ch, now)
	if d.Has(sdk.CapabilityCredentialKey) {
		if got, err := h.client.CredentialKey(ctx, proof); err != nil || got != key {
			tb.Errorf("CredentialKey of a valid proof = %q, %v; want the enrolled key %q", got, err, key)
		}
	}
	resp, err := h.client.Verify(ctx, sdk.VerifyRequest{User: h.cfg.user, Credentials: creds, ChallengeState: ch.ChallengeState, Proof: proof, Now: now})
	switch {
	case err != nil:
		tb.Errorf("Verify with the user's credentials as a list: %v", err)
	case resp.Result != sdk.ResultOK:
		tb.Errorf("Verify with the user's credentials as a list: %s, want ok", resultString(resp.Result, resp.Reason))
	case resp.CredentialKey != key:
		tb.Errorf("Verify named credential %q, want the one the proof used, %q", resp.CredentialKey, key)
	}
}
