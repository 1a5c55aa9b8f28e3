package signin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Proof is the second factor a door received: the code, and the factor
// instance it is for when the door tells ("" is the pending step's).
type Proof struct {
	Factor string
	Code   string
}

// Complete proves the second factor of the pending step state and completes
// the sign-in. The factor is verified first, outside any transaction; only
// then is the step consumed (compare-and-swap on its version), so that a
// wrong code leaves the step usable and of two requests proving one step at
// most one signs in. It returns ErrStepInvalid for a step that is not live,
// the lifecycle error of a failed proof, or another error.
func (s *Service) Complete(ctx context.Context, c Client, m Meta, state string, p Proof) (SignedIn, error) {
	tok, err := s.loadStep(ctx, c.ID, state)
	if err != nil {
		return SignedIn{}, err
	}
	user, err := s.d.Store.GetUser(ctx, tok.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled()) {
		return SignedIn{}, ErrStepInvalid
	}
	if err != nil {
		return SignedIn{}, fmt.Errorf("signin: load user: %w", err)
	}
	step := Step{UserID: tok.UserID, Factor: tok.Factor, ChallengeID: tok.ChallengeID}
	if p.Factor != "" && p.Factor != step.Factor {
		step.Factor, step.ChallengeID = p.Factor, ""
	}
	amr, err := s.Prove(ctx, m, step, p.Code)
	if err != nil {
		return SignedIn{}, err
	}
	if err := s.d.Store.ConsumeMFAToken(ctx, tok.Hash, tok.Version); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return SignedIn{}, ErrStepInvalid
		}
		return SignedIn{}, fmt.Errorf("signin: consume the pending step: %w", err)
	}
	m.ClientID = c.ID
	return s.finish(ctx, c, m, user, AddMethods(tok.AMR, true, amr...), tok.CreatedAt)
}

// SignInWithCode signs in a door whose client sends the password and the
// code in one request. With no code, the factor's code is sent when it sends
// codes (ErrCodeSent) and asked for otherwise (ErrCodeRequired).
func (s *Service) SignInWithCode(ctx context.Context, req Start, code string) (SignedIn, error) {
	if err := s.d.Issuer.EnsureClient(ctx, req.Client); err != nil {
		return SignedIn{}, err
	}
	requestedAt := s.now()
	user, factor, err := s.passwordStep(ctx, req)
	if err != nil {
		return SignedIn{}, err
	}
	req.Meta.ClientID = req.Client.ID
	if factor == "" {
		return s.finish(ctx, req.Client, req.Meta, user, []string{AMRPassword}, requestedAt)
	}
	step := Step{UserID: user.ID, Factor: factor}
	if code == "" {
		if !s.SendsCode(factor) {
			return SignedIn{}, ErrCodeRequired
		}
		if _, err := s.sendCode(ctx, req.Meta, step); err != nil {
			return SignedIn{}, err
		}
		return SignedIn{}, ErrCodeSent
	}
	amr, err := s.Prove(ctx, req.Meta, step, code)
	if err != nil {
		return SignedIn{}, err
	}
	return s.finish(ctx, req.Client, req.Meta, user, AddMethods([]string{AMRPassword}, true, amr...), requestedAt)
}

// ErrCodeRequired: the door proves the factor in the same request as the
// password and no code came.
var ErrCodeRequired = errors.New("a second factor code is required")

// SendCode sends a new code for the user's factor (a resend, or the first
// code of a factor the user picked) and returns the challenge.
func (s *Service) SendCode(ctx context.Context, m Meta, userID, factor string) (mfa.Challenge, error) {
	return s.d.MFA.Challenge(ctx, m.mfaMeta(userID), mfa.ChallengeRequest{UserID: userID, Factor: factor})
}

// Prove verifies a code for the step's factor through the lifecycle service
// and returns the methods it proved. Doors that keep their own pending state
// (the login pages, the MFA grants) prove with it.
func (s *Service) Prove(ctx context.Context, m Meta, step Step, code string) ([]string, error) {
	return s.ProveWith(ctx, m, step, sdk.Proof{Code: code})
}

// ProveWith is Prove with any proof: a code, or what a browser ceremony
// (WebAuthn) returned.
func (s *Service) ProveWith(ctx context.Context, m Meta, step Step, proof sdk.Proof) ([]string, error) {
	v, err := s.d.MFA.Verify(ctx, m.mfaMeta(step.UserID), mfa.VerifyRequest{
		UserID: step.UserID, Factor: step.Factor, ChallengeID: step.ChallengeID, Proof: proof,
	})
	if err != nil {
		return nil, err
	}
	return v.AMR, nil
}

// finish issues what a completed sign-in gets, then resets the user's failed
// attempts and audits the login.
func (s *Service) finish(ctx context.Context, c Client, m Meta, user store.User, amr []string, requestedAt time.Time) (SignedIn, error) {
	now := s.now()
	out := SignedIn{User: user, AMR: amr, AuthTime: now}
	if c.Session {
		se, err := s.d.Sessions.Create(ctx, user, amr, now)
		if err != nil {
			return SignedIn{}, fmt.Errorf("signin: start session: %w", err)
		}
		out.Session, out.SessionMaxAge = &se, s.d.SessionMaxAge
	} else {
		tokens, err := s.d.Issuer.IssueTokens(ctx, c, user, amr, now, requestedAt)
		if err != nil {
			return SignedIn{}, fmt.Errorf("signin: issue tokens: %w", err)
		}
		out.Tokens = &tokens
	}
	m.ClientID = c.ID
	if m.Via == "" {
		m.Via = c.ID
	}
	s.Finished(ctx, m, user, amr)
	return out, nil
}
