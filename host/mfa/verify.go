package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// VerifyRequest checks a proof for the user's active credential of a factor.
type VerifyRequest struct {
	UserID string
	Factor string
	Proof  sdk.Proof
	// ChallengeID names the challenge answered; empty means the newest one
	// (for factors with challenges).
	ChallengeID string
}

// Verified is a successful verification.
type Verified struct {
	Credential CredentialInfo
	// AMR is what the factor proved (RFC 8176 values).
	AMR []string
	// At is when the factor was proven (the auth_time of tokens issued from it).
	At      time.Time
	Display sdk.Display
	// Event is the audit event the verification committed.
	Event Event
	// UserID is the user who was verified (the owner of a discoverable
	// credential when the request named none).
	UserID string
	// UserVerified says the proof carried user verification (a PIN or
	// biometric on a security key), so it is two factors on its own.
	UserVerified bool
}

// verification is one Verify call, carried across the attempts that a lost
// compare-and-swap makes it repeat.
type verification struct {
	req   VerifyRequest
	user  store.User
	f     guardedFactor
	cred  store.Credential // the active credential as last loaded
	entry auditEntry
	now   time.Time
	// withChallenge says the factor answers a challenge (an SMS code).
	withChallenge bool
	// resetCount says the user's failure counter held something when the
	// attempt was admitted, which a success resets.
	resetCount bool
}

// Verify checks a proof: load the credential with its version, admit the
// attempt against the user's allowance (refusing while locked; see
// admitAttempt), ask the factor, and commit the state it returns with
// compare-and-swap, or count the failure. When another host committed first, the
// credential is reloaded and the factor asked again, so it sees the code as
// used. Nothing succeeds without its commit: a database failure fails closed.
//
// A factor with one credential per user takes the lean path (verifyOne);
// factors with several credentials, and requests naming no user or an
// unknown factor, the general one.
func (s *Service) Verify(ctx context.Context, m Meta, req VerifyRequest) (_ Verified, err error) {
	if f, ferr := s.factor(req.Factor); ferr == nil && !f.Description().MultipleCredentials && req.UserID != "" {
		return s.verifyOne(ctx, m, req, f)
	}
	user, f, err := s.userAndFactor(ctx, req.UserID, req.Factor)
	if err != nil {
		return Verified{}, err
	}
	v := s.newVerification(req, user, f)
	defer s.auditFailure(ctx, m, v, &err)
	return s.verifyAll(ctx, m, v)
}

// verifyOne verifies a proof for the one active credential of a factor. The
// attempt enters the user's count in flight before anything is read, and one
// query reads the user, the credential and the failure count.
func (s *Service) verifyOne(ctx context.Context, m Meta, req VerifyRequest, f guardedFactor) (_ Verified, err error) {
	n := s.attempts.enter(req.UserID)
	rec, err := s.store.LoadVerification(ctx, req.UserID, req.Factor)
	if err != nil {
		s.attempts.leave(req.UserID)
		return Verified{}, notFound(err, ErrUserNotFound)
	}
	v := s.newVerification(req, rec.User, f)
	defer s.auditFailure(ctx, m, v, &err)
	if rec.Credential.ID == "" {
		s.attempts.leave(req.UserID)
		return Verified{}, &Error{Kind: ErrNotEnrolled}
	}
	v.cred = rec.Credential
	v.entry.credentialID = v.cred.ID
	leave, clean, err := s.admitCounted(ctx, v.user, rec.Lockout, n, v.now)
	if err != nil {
		return Verified{}, err
	}
	defer leave()
	v.resetCount = !clean
	for try := range s.opts.MaxCommitRetries {
		out, done, err := s.verifyOnce(ctx, m, v, try)
		if done && err == nil {
			s.codeUsed(ctx, v.user.ID, f)
		}
		if done || err != nil {
			return out, err
		}
	}
	return Verified{}, &Error{Kind: ErrBusy}
}

func (s *Service) newVerification(req VerifyRequest, user store.User, f guardedFactor) *verification {
	return &verification{req: req, user: user, f: f, now: s.now(), withChallenge: f.Description().Has(sdk.CapabilityChallenge),
		entry: auditEntry{action: actionVerify, user: user, factor: req.Factor}}
}

// auditFailure records a verification that failed; a success wrote its event
// with its commit.
func (s *Service) auditFailure(ctx context.Context, m Meta, v *verification, err *error) {
	if *err != nil {
		v.entry.err = *err
		s.audit(ctx, m, v.entry)
	}
}

// verifyOnce asks the factor about the proof against the credential (and
// challenge) as last loaded and commits the outcome. It returns done=false
// when they changed meanwhile and have been reloaded for another attempt.
func (s *Service) verifyOnce(ctx context.Context, m Meta, v *verification, try int) (Verified, bool, error) {
	ch, chState, err := s.challengeOf(ctx, v, try)
	if err != nil {
		return Verified{}, true, err
	}
	credState, err := s.openCredential(v.cred)
	if err != nil {
		return Verified{}, true, err
	}
	resp, err := v.f.Verify(ctx, sdk.VerifyRequest{User: sdkUser(v.user), CredentialState: credState, ChallengeState: chState, Proof: v.req.Proof, Now: v.now})
	if err != nil {
		return Verified{}, true, factorError("verify", err)
	}
	var ev Event
	if resp.Result == sdk.ResultOK {
		ev, err = s.commitVerified(ctx, m, v, ch, resp)
	} else {
		err = s.commitFailed(ctx, v, ch, resp)
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return Verified{}, false, s.reloadVerification(ctx, v, ch)
	case err != nil:
		return Verified{}, true, err
	case resp.Result != sdk.ResultOK:
		return Verified{}, true, resultError(resp.Result, resp.Reason, resp.RetryAfter)
	}
	return s.verified(v.user, v.f, v.cred, resp, v.now, ev), true, nil
}

// challengeOf loads and opens the challenge the proof answers, for factors
// with challenges.
func (s *Service) challengeOf(ctx context.Context, v *verification, try int) (store.Challenge, []byte, error) {
	if !v.withChallenge {
		return store.Challenge{}, nil, nil
	}
	ch, err := s.liveChallenge(ctx, v.cred, v.req.ChallengeID, v.now)
	if err != nil {
		if try > 0 && errors.Is(err, ErrNoChallenge) {
			// A concurrent verification consumed the challenge first.
			return store.Challenge{}, nil, failure(ErrReplayed, "the code was already used")
		}
		return store.Challenge{}, nil, err
	}
	state, err := s.openChallenge(ch)
	return ch, state, err
}

// reloadVerification loads the credential a concurrent commit changed, and
// pins the challenge that was answered, so the next attempt asks the factor
// about the same challenge on fresh state.
func (s *Service) reloadVerification(ctx context.Context, v *verification, ch store.Challenge) error {
	cred, err := s.store.GetCredential(ctx, v.cred.ID)
	if err != nil || cred.Status != store.CredentialActive {
		// Removed while we were checking.
		return &Error{Kind: ErrNotEnrolled}
	}
	v.cred = cred
	if v.withChallenge && v.req.ChallengeID == "" {
		v.req.ChallengeID = ch.ID
	}
	return nil
}

// commitVerified makes a success durable: the credential's new state (its
// version bumps even if the factor returned none, so a concurrent success on
// the same version loses), the challenge consumed, the user's failure count
// reset (when it held anything as the attempt was admitted; a failure of a
// parallel attempt that came later still counts) and the audit event, in one
// transaction.
func (s *Service) commitVerified(ctx context.Context, m Meta, v *verification, ch store.Challenge, resp sdk.VerifyResponse) (Event, error) {
	entry, cred, now := v.entry, v.cred, v.now
	state := cred.State
	if resp.CredentialState != nil {
		var err error
		if state, err = s.sealCredential(cred, resp.CredentialState); err != nil {
			return Event{}, err
		}
	}
	if ch.ID == "" {
		return s.commitUse(ctx, m, v, state)
	}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		if _, err := s.store.UpdateCredentialState(ctx, cred.ID, cred.Version, state, now); err != nil {
			return err
		}
		if ch.ID != "" {
			if err := s.consumeChallenge(ctx, ch, resp.ChallengeState); err != nil {
				return err
			}
		}
		if !v.resetCount {
			return nil
		}
		return s.store.ResetAttempts(ctx, entry.user.ID)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return Event{}, fmt.Errorf("commit verification: %w", err)
	}
	return ev, err
}

// commitUse is commitVerified for a proof that answered no challenge: the
// store writes the state, the counter reset and the event in one statement.
func (s *Service) commitUse(ctx context.Context, m Meta, v *verification, state []byte) (Event, error) {
	use := store.CredentialUse{ID: v.cred.ID, Version: v.cred.Version, State: state, UsedAt: v.now}
	if v.resetCount {
		use.ResetAttempts = v.user.ID
	}
	stored, err := s.store.CommitCredentialUse(ctx, use, s.auditEvent(m, v.entry))
	switch {
	case errors.Is(err, store.ErrConflict):
		return Event{}, err
	case err != nil:
		return Event{}, fmt.Errorf("commit verification: %w", err)
	}
	s.observe(m, v.entry)
	return Event{ID: stored.ID, Time: stored.Time}, nil
}

// consumeChallenge records that a challenge was answered: with the state the
// factor returned (which marks its code used, so a second submission is told
// it was replayed), or by deleting it. Either is a compare-and-swap, so of two
// concurrent successes one loses.
func (s *Service) consumeChallenge(ctx context.Context, ch store.Challenge, state []byte) error {
	var err error
	if state == nil {
		err = s.store.DeleteChallenge(ctx, ch.ID)
	} else {
		var sealed []byte
		if sealed, err = s.sealChallenge(ch, state); err != nil {
			return err
		}
		_, err = s.store.UpdateChallengeState(ctx, ch.ID, ch.Version, sealed)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.ErrConflict
	}
	return err
}

// commitFailed counts the failed attempt against the user and keeps what it
// changed (a challenge's attempt count), with compare-and-swap like a
// success, in one transaction.
func (s *Service) commitFailed(ctx context.Context, v *verification, ch store.Challenge, resp sdk.VerifyResponse) error {
	cred := v.cred
	var chState, credState []byte
	var err error
	if resp.ChallengeState != nil && ch.ID != "" {
		if chState, err = s.sealChallenge(ch, resp.ChallengeState); err != nil {
			return err
		}
	}
	if resp.CredentialState != nil {
		if credState, err = s.sealCredential(cred, resp.CredentialState); err != nil {
			return err
		}
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.countFailure(ctx, v.user, v.now); err != nil {
			return err
		}
		if chState != nil {
			if _, err := s.store.UpdateChallengeState(ctx, ch.ID, ch.Version, chState); errors.Is(err, store.ErrNotFound) {
				return store.ErrConflict
			} else if err != nil {
				return err
			}
		}
		if credState != nil {
			if _, err := s.store.UpdateCredentialState(ctx, cred.ID, cred.Version, credState, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("record failed attempt: %w", err)
	}
	return err
}
