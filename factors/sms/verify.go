package sms

import (
	"context"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Verify checks a code against the challenge that sent it. The challenge
// must be the credential's latest: an earlier one, superseded by a resend,
// is ResultExpired. A wrong code is ResultInvalid with the challenge state
// returned, its attempt counted; the last allowed wrong code and any try
// after it are ResultLockedByFactor, an expired code ResultExpired, and a
// used code ResultReplayed. On ResultOK both states are returned marked
// used, so the code is good once whichever state the host checks next, and
// the credential no longer holds back the next send.
// State that cannot be read, or a missing challenge state, is an error
// wrapping sdk.ErrBadState.
func (f *Factor) Verify(_ context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	cred, err := decodeCredential(req.CredentialState)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("sms: verify: %w", err)
	}
	ch, err := decodeChallenge(req.ChallengeState)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("sms: verify: %w", err)
	}
	if checkTime(req.Now) != nil {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonClock}, nil
	}
	out := worded(cred.Latest.Check(&ch.Code, req.Proof.Code, req.Now), ch.Code.Digits, renewChallenge)
	resp := sdk.VerifyResponse{Result: out.result, Reason: out.reason}
	if out.changed {
		if resp.ChallengeState, err = encodeChallenge(ch); err != nil {
			return sdk.VerifyResponse{}, fmt.Errorf("sms: verify: %w", err)
		}
	}
	if out.result == sdk.ResultOK {
		// The code is used: the next challenge may send at once.
		cred.LastSent = time.Time{}
		if resp.CredentialState, err = encodeCredential(cred); err != nil {
			return sdk.VerifyResponse{}, fmt.Errorf("sms: verify: %w", err)
		}
	}
	return resp, nil
}
