package sms

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Challenge sends a fresh code to the enrolled number. It returns the
// challenge state and the credential state recording the send (its time and
// the new challenge id, which supersedes every earlier code). A challenge
// sooner than resend_interval after the last send is ResultThrottled with
// RetryAfter, and sends nothing. A failed send is an error wrapping
// sdk.ErrTemporary and returns no state. The factor takes no challenge
// parameters.
func (f *Factor) Challenge(ctx context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	cred, err := decodeCredential(req.CredentialState)
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("sms: challenge: %w", err)
	}
	if checkTime(req.Now) != nil {
		return sdk.ChallengeResponse{}, errors.New("sms: challenge: the request carries no valid time")
	}
	if len(req.Params) > 0 {
		k := slices.Sorted(maps.Keys(req.Params))[0]
		return sdk.ChallengeResponse{}, fmt.Errorf("%w: unknown parameter %q; this factor takes none", sdk.ErrInvalidParams, k)
	}
	if wait := f.resendWait(cred.LastSent, req.Now); wait > 0 {
		return sdk.ChallengeResponse{Result: sdk.ResultThrottled, Reason: reasonThrottled, RetryAfter: wait}, nil
	}
	c, code, err := f.newCode(req.Now)
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("sms: challenge: %w", err)
	}
	// Both states are ready before the message leaves, so nothing can fail
	// after a code was sent.
	chState, err := encodeChallenge(newChallenge(c))
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("sms: challenge: %w", err)
	}
	cred.Latest.Sent(c)
	credState, err := encodeCredential(newCredential(cred.Phone, req.Now, cred.Latest))
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("sms: challenge: %w", err)
	}
	if err := f.sendCode(ctx, cred.Phone, c, code, purposeChallenge); err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("sms: challenge: %w", err)
	}
	return sdk.ChallengeResponse{
		Result:          sdk.ResultOK,
		ChallengeState:  chState,
		CredentialState: credState,
		Display:         display(cred.Phone, c),
	}, nil
}

// resendWait is how long before another code may go to a number last sent
// to at lastSent, rounded up to whole seconds as a Retry-After header has
// them. A lastSent in the future (hosts whose clocks disagree) waits at most
// one interval.
func (f *Factor) resendWait(lastSent, now time.Time) time.Duration {
	wait := lastSent.Add(f.settings.resendInterval).Sub(now)
	if wait <= 0 {
		return 0
	}
	wait = min(wait, f.settings.resendInterval)
	return (wait + time.Second - 1).Truncate(time.Second)
}
