package signin

import (
	"context"
	"fmt"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// BeginPasskey starts a sign-in without a user name or password: a
// challenge any discoverable credential (passkey) of factor answers.
func (s *Service) BeginPasskey(ctx context.Context, m Meta, factor string) (mfa.Challenge, error) {
	// Each challenge is a stored row that names no one, so the address's
	// sign-in budget, shared with passwords, bounds how fast they are made.
	if wait, ok := s.throttle.admitAddress(m.RemoteAddr, s.now()); !ok {
		s.audit(ctx, m, store.User{}, ActionPasskey, "throttled", nil)
		return mfa.Challenge{}, &mfa.Error{Kind: mfa.ErrThrottled, RetryAfter: wait, Reason: "too many sign-in attempts"}
	}
	return s.d.MFA.BeginDiscoverable(ctx, factor)
}

// ProvePasskey checks the answer to a passkey challenge and returns its
// owner and the methods proven. A passkey that verified its user (a PIN or
// biometric) is possession and knowledge or inherence at once, so the
// sign-in counts as multi-factor; the lifecycle refuses one that did not.
func (s *Service) ProvePasskey(ctx context.Context, m Meta, factor, challengeID string, proof sdk.Proof) (store.User, []string, error) {
	v, err := s.d.MFA.VerifyDiscoverable(ctx, m.mfaMeta(""), mfa.DiscoverableRequest{Factor: factor, ChallengeID: challengeID, Proof: proof})
	if err != nil {
		return store.User{}, nil, err
	}
	user, err := s.d.Store.GetUser(ctx, v.UserID)
	if err != nil {
		return store.User{}, nil, fmt.Errorf("signin: load the passkey's user: %w", err)
	}
	return user, AddMethods(v.AMR, false, AMRMFA), nil
}
