package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// A discoverable credential (a passkey) signs a user in without a user name:
// the challenge is issued to nobody, the factor names the credential its
// answer was made with, and the host finds the owner by that key. Only an
// answer with user verification (a PIN or biometric) signs in this way, as
// only it is two factors on its own.

func discoverableAAD(challengeID, factor string) []byte {
	return seal.AAD("discoverable-challenge", challengeID, factor)
}

// discoverable returns the factor if it can sign users in by a discoverable
// credential.
func (s *Service) discoverable(name string) (guardedFactor, error) {
	f, err := s.factor(name)
	if err != nil {
		return guardedFactor{}, err
	}
	d := f.Description()
	if !d.MultipleCredentials || !d.Has(sdk.CapabilityCredentialKey) || !d.Has(sdk.CapabilityChallenge) {
		return guardedFactor{}, failure(ErrUnsupported, "this factor cannot sign in without a user name")
	}
	return f, nil
}

// BeginDiscoverable issues a challenge any discoverable credential of the
// factor answers, before anyone is known.
func (s *Service) BeginDiscoverable(ctx context.Context, factor string) (Challenge, error) {
	f, err := s.discoverable(factor)
	if err != nil {
		return Challenge{}, err
	}
	now := s.now()
	resp, err := f.Challenge(ctx, sdk.ChallengeRequest{Now: now})
	switch {
	case err != nil:
		return Challenge{}, factorError("challenge", err)
	case resp.Result != sdk.ResultOK:
		return Challenge{}, resultError(resp.Result, resp.Reason, resp.RetryAfter)
	}
	row := s.newChallenge("", "", factor, now, resp.Display)
	ch := store.DiscoverableChallenge{ID: row.ID, Factor: factor, CreatedAt: now, ExpiresAt: row.ExpiresAt}
	if ch.State, err = s.sealer.Seal(resp.ChallengeState, discoverableAAD(ch.ID, factor)); err != nil {
		return Challenge{}, fmt.Errorf("seal challenge state: %w", err)
	}
	if err := s.store.CreateDiscoverableChallenge(ctx, ch); err != nil {
		return Challenge{}, fmt.Errorf("store challenge: %w", err)
	}
	return Challenge{ID: ch.ID, Factor: factor, Display: resp.Display, ExpiresAt: ch.ExpiresAt}, nil
}

// DiscoverableRequest answers a discoverable challenge.
type DiscoverableRequest struct {
	Factor      string
	ChallengeID string
	Proof       sdk.Proof
}

// VerifyDiscoverable finds the user of the credential the proof names and
// verifies the proof as theirs. The challenge is used up by the first
// answer, right or wrong, and the attempt counts toward the owner's lockout.
func (s *Service) VerifyDiscoverable(ctx context.Context, m Meta, req DiscoverableRequest) (_ Verified, err error) {
	entry := auditEntry{action: actionVerify, factor: req.Factor, detail: map[string]string{"discoverable": "true"}}
	defer func() {
		if err != nil {
			entry.err = err
			s.audit(ctx, m, entry)
		}
	}()
	f, err := s.discoverable(req.Factor)
	if err != nil {
		return Verified{}, err
	}
	now := s.now()
	chState, err := s.takeDiscoverable(ctx, req, now)
	if err != nil {
		return Verified{}, err
	}
	key, err := f.CredentialKey(ctx, req.Proof)
	if err != nil {
		return Verified{}, factorError("credential key", err)
	}
	cred, err := s.store.FindCredentialByKey(ctx, req.Factor, key)
	if err != nil {
		return Verified{}, notFoundReason(err, ErrInvalidCode, "this passkey is not registered here")
	}
	entry.credentialID = cred.ID
	if entry.user, err = s.user(ctx, cred.UserID); err != nil {
		return Verified{}, err
	}
	if err := s.reserveAttempt(ctx, entry.user, now); err != nil {
		return Verified{}, err
	}
	return s.verifyDiscovered(ctx, m, f, entry, cred, chState, req.Proof, now)
}

// takeDiscoverable takes the challenge, so no second answer gets it, and
// opens its state.
func (s *Service) takeDiscoverable(ctx context.Context, req DiscoverableRequest, now time.Time) ([]byte, error) {
	ch, err := s.store.TakeDiscoverableChallenge(ctx, req.ChallengeID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, failure(ErrNoChallenge, "this sign-in was already answered or has ended; start again")
	case err != nil:
		return nil, fmt.Errorf("take challenge: %w", err)
	case ch.Factor != req.Factor:
		return nil, &Error{Kind: ErrNoChallenge}
	case !now.Before(ch.ExpiresAt):
		return nil, failure(ErrExpired, "the sign-in expired; start again")
	}
	state, err := s.sealer.Open(ch.State, discoverableAAD(ch.ID, ch.Factor))
	if err != nil {
		return nil, &Error{Kind: ErrNoChallenge, cause: fmt.Errorf("open challenge %s: %w", ch.ID, err)}
	}
	return state, nil
}

// verifyDiscovered asks the factor about the proof against the one
// credential it names, and commits the credential's new state with
// compare-and-swap, asking again on fresh state when another commit won.
func (s *Service) verifyDiscovered(ctx context.Context, m Meta, f guardedFactor, entry auditEntry, cred store.Credential, chState []byte, proof sdk.Proof, now time.Time) (Verified, error) {
	for range s.opts.MaxCommitRetries {
		state, err := s.openCredential(cred)
		if err != nil {
			return Verified{}, err
		}
		resp, err := f.Verify(ctx, sdk.VerifyRequest{User: sdkUser(entry.user), ChallengeState: chState, Proof: proof, Now: now,
			Credentials: []sdk.Credential{{Key: cred.Key, State: state}}})
		switch {
		case err != nil:
			return Verified{}, factorError("verify", err)
		case resp.Result != sdk.ResultOK:
			return Verified{}, resultError(resp.Result, resp.Reason, resp.RetryAfter)
		case resp.CredentialKey != cred.Key:
			return Verified{}, &Error{Kind: ErrCredentialBroken, cause: fmt.Errorf("factor verified credential %q, asked about %q", resp.CredentialKey, cred.Key)}
		case !resp.UserVerified:
			return Verified{}, failure(ErrInvalidCode, "this passkey did not verify you (PIN or biometric), so it cannot sign you in on its own")
		}
		// The attempt was reserved (counted durably) before the factor saw
		// the proof, so the success resets the count.
		v := &verification{user: entry.user, f: f, cred: cred, entry: entry, now: now, resetCount: true}
		ev, err := s.commitVerified(ctx, m, v, store.Challenge{}, resp)
		if errors.Is(err, store.ErrConflict) {
			if cred, err = s.store.GetCredential(ctx, cred.ID); err != nil || cred.Status != store.CredentialActive {
				return Verified{}, &Error{Kind: ErrNotEnrolled}
			}
			continue
		}
		if err != nil {
			return Verified{}, err
		}
		return s.verified(entry.user, f, cred, resp, now, ev), nil
	}
	return Verified{}, &Error{Kind: ErrBusy}
}

// notFoundReason is notFound with a user-safe reason.
func notFoundReason(err error, kind error, reason string) error {
	if errors.Is(err, store.ErrNotFound) {
		return failure(kind, reason)
	}
	return err
}
