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
}

// Verify checks a proof: load the credential with its version, count the
// attempt (refusing while locked), ask the factor, and commit the state it
// returns with compare-and-swap. When another host committed first, the
// credential is reloaded and the factor asked again, so it sees the code as
// used. Nothing succeeds without its commit: a database failure fails closed.
func (s *Service) Verify(ctx context.Context, m Meta, req VerifyRequest) (_ Verified, err error) {
	user, f, err := s.userAndFactor(ctx, req.UserID, req.Factor)
	if err != nil {
		return Verified{}, err
	}
	entry := auditEntry{action: actionVerify, user: user, factor: req.Factor}
	committed := false
	defer func() {
		if !committed {
			entry.err = err
			s.audit(ctx, m, entry)
		}
	}()
	cred, err := s.store.FindCredential(ctx, user.ID, req.Factor, store.CredentialActive)
	if err != nil {
		return Verified{}, notFound(err, ErrNotEnrolled)
	}
	entry.credentialID = cred.ID
	withChallenge := f.Description().Has(sdk.CapabilityChallenge)
	now := s.now()
	if err := s.reserveAttempt(ctx, user, now); err != nil {
		return Verified{}, err
	}
	for try := range s.opts.MaxCommitRetries {
		var ch store.Challenge
		var chState []byte
		if withChallenge {
			if ch, err = s.liveChallenge(ctx, cred, req.ChallengeID, now); err != nil {
				if try > 0 && errors.Is(err, ErrNoChallenge) {
					// A concurrent verification consumed the challenge first.
					return Verified{}, failure(ErrReplayed, "the code was already used")
				}
				return Verified{}, err
			}
			if chState, err = s.openChallenge(ch); err != nil {
				return Verified{}, err
			}
		}
		credState, err := s.openCredential(cred)
		if err != nil {
			return Verified{}, err
		}
		resp, err := f.Verify(ctx, sdk.VerifyRequest{User: sdkUser(user), CredentialState: credState, ChallengeState: chState, Proof: req.Proof, Now: now})
		if err != nil {
			return Verified{}, factorError("verify", err)
		}
		if resp.Result == sdk.ResultOK {
			err = s.commitVerified(ctx, m, entry, cred, ch, resp, now)
		} else {
			err = s.commitFailed(ctx, cred, ch, resp)
		}
		if errors.Is(err, store.ErrConflict) {
			if cred, err = s.store.GetCredential(ctx, cred.ID); err != nil || cred.Status != store.CredentialActive {
				// Removed while we were checking.
				return Verified{}, &Error{Kind: ErrNotEnrolled}
			}
			if withChallenge && req.ChallengeID == "" {
				req.ChallengeID = ch.ID
			}
			continue
		}
		if err != nil {
			return Verified{}, err
		}
		if resp.Result != sdk.ResultOK {
			return Verified{}, resultError(resp.Result, resp.Reason, resp.RetryAfter)
		}
		committed = true
		return Verified{Credential: s.info(cred), AMR: f.Description().AMR, At: now, Display: resp.Display}, nil
	}
	return Verified{}, &Error{Kind: ErrBusy}
}

// commitVerified makes a success durable: the credential's new state (its
// version bumps even if the factor returned none, so a concurrent success on
// the same version loses), the challenge consumed, the user's failure count
// reset and the audit event, in one transaction.
func (s *Service) commitVerified(ctx context.Context, m Meta, entry auditEntry, cred store.Credential, ch store.Challenge, resp sdk.VerifyResponse, now time.Time) error {
	state := cred.State
	if resp.CredentialState != nil {
		var err error
		if state, err = s.sealCredential(cred, resp.CredentialState); err != nil {
			return err
		}
	}
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.store.UpdateCredentialState(ctx, cred.ID, cred.Version, state, now); err != nil {
			return err
		}
		if ch.ID != "" {
			if err := s.consumeChallenge(ctx, ch, resp.ChallengeState); err != nil {
				return err
			}
		}
		if err := s.store.ResetAttempts(ctx, entry.user.ID); err != nil {
			return err
		}
		_, err := s.store.AppendAudit(ctx, s.auditEvent(m, entry))
		return err
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("commit verification: %w", err)
	}
	return err
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

// commitFailed keeps what a failed attempt changed (a challenge's attempt
// count), with compare-and-swap like a success.
func (s *Service) commitFailed(ctx context.Context, cred store.Credential, ch store.Challenge, resp sdk.VerifyResponse) error {
	if resp.ChallengeState == nil && resp.CredentialState == nil {
		return nil
	}
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
