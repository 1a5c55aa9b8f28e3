package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// ChallengeRequest starts a verification of a factor that needs a challenge.
type ChallengeRequest struct {
	UserID string
	Factor string
	Params map[string]string
}

// Challenge is an outstanding challenge. Only the newest challenge of a
// credential is live: a new one replaces it (a resent SMS invalidates the
// previous code).
type Challenge struct {
	ID        string
	Factor    string
	Display   sdk.Display
	ExpiresAt time.Time
	// Event is the audit event the challenge committed.
	Event Event
}

// Challenge asks the factor to start a verification (send a code, issue
// options) and keeps the challenge state until Verify.
func (s *Service) Challenge(ctx context.Context, m Meta, req ChallengeRequest) (_ Challenge, err error) {
	user, f, err := s.userAndFactor(ctx, req.UserID, req.Factor)
	if err != nil {
		return Challenge{}, err
	}
	entry := auditEntry{action: actionChallenge, user: user, factor: req.Factor}
	defer func() {
		if err != nil {
			entry.err = err
			s.audit(ctx, m, entry)
		}
	}()
	if !f.Description().Has(sdk.CapabilityChallenge) {
		return Challenge{}, failure(ErrUnsupported, "this factor needs no challenge")
	}
	if f.Description().MultipleCredentials {
		return s.challengeAll(ctx, m, entry, user, f, req)
	}
	cred, err := s.store.FindCredential(ctx, user.ID, req.Factor, store.CredentialActive)
	if err != nil {
		return Challenge{}, notFound(err, ErrNotEnrolled)
	}
	entry.credentialID = cred.ID
	state, err := s.openCredential(cred)
	if err != nil {
		return Challenge{}, err
	}
	now := s.now()
	resp, err := s.sendChallenge(ctx, f, sdk.ChallengeRequest{User: sdkUser(user), CredentialState: state, Params: req.Params, Now: now})
	if err != nil {
		return Challenge{}, err
	}
	ch := store.Challenge{ID: s.opts.NewID(), UserID: user.ID, CredentialID: cred.ID, Factor: req.Factor, CreatedAt: now, ExpiresAt: now.Add(s.opts.ChallengeTTL)}
	if !resp.Display.ExpiresAt.IsZero() && resp.Display.ExpiresAt.Before(ch.ExpiresAt) {
		ch.ExpiresAt = resp.Display.ExpiresAt
	}
	entry.detail = map[string]string{"challenge": ch.ID}
	ev, err := s.commitChallenge(ctx, m, entry, cred, ch, resp)
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{ID: ch.ID, Factor: req.Factor, Display: resp.Display, ExpiresAt: ch.ExpiresAt, Event: ev}, nil
}

// sendChallenge calls the factor's Challenge; for a factor that sends, only
// once the right to send is reserved, and giving the reservation back when
// the factor sent nothing.
func (s *Service) sendChallenge(ctx context.Context, f guardedFactor, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	sent, err := s.reserveFor(ctx, f, sdk.DestinationRequest{User: req.User, Params: req.Params, CredentialState: req.CredentialState, Now: req.Now})
	if err != nil {
		return sdk.ChallengeResponse{}, err
	}
	resp, err := f.Challenge(ctx, req)
	switch {
	case err != nil:
		err = factorError("challenge", err)
	case resp.Result != sdk.ResultOK:
		err = resultError(resp.Result, resp.Reason, resp.RetryAfter)
	}
	if err != nil && sent != nil {
		s.refundSend(ctx, *sent)
	}
	if err == nil && sent != nil {
		s.opts.Observer.TextSent(f.name)
	}
	return resp, err
}

// commitChallenge stores the new challenge in place of the credential's
// earlier ones, with the credential state the factor changed (the last send
// time, say) and the audit event, in one transaction.
func (s *Service) commitChallenge(ctx context.Context, m Meta, entry auditEntry, cred store.Credential, ch store.Challenge, resp sdk.ChallengeResponse) (Event, error) {
	var err error
	if ch.State, err = s.sealChallenge(ch, resp.ChallengeState); err != nil {
		return Event{}, err
	}
	var credState []byte
	if resp.CredentialState != nil {
		if credState, err = s.sealCredential(cred, resp.CredentialState); err != nil {
			return Event{}, err
		}
	}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		if credState != nil {
			if _, err := s.store.UpdateCredentialState(ctx, cred.ID, cred.Version, credState, time.Time{}); err != nil {
				return err
			}
		}
		if err := s.store.DeleteCredentialChallenges(ctx, cred.ID); err != nil {
			return err
		}
		_, err := s.store.CreateChallenge(ctx, ch)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		// A concurrent challenge or verification changed the credential; its
		// state must not be overwritten.
		return Event{}, failure(ErrThrottled, "another request for this factor is in progress")
	}
	if err != nil {
		return Event{}, fmt.Errorf("store challenge: %w", err)
	}
	return ev, nil
}

// liveChallenge loads the challenge a verification answers: the one named,
// or the credential's newest when none is named.
func (s *Service) liveChallenge(ctx context.Context, cred store.Credential, id string, now time.Time) (store.Challenge, error) {
	var ch store.Challenge
	var err error
	if id != "" {
		ch, err = s.store.GetChallenge(ctx, id)
	} else {
		ch, err = s.store.FindChallenge(ctx, cred.ID)
	}
	if err != nil {
		return store.Challenge{}, notFound(err, ErrNoChallenge)
	}
	if ch.UserID != cred.UserID || ch.CredentialID != cred.ID {
		return store.Challenge{}, &Error{Kind: ErrNoChallenge}
	}
	if !ch.ExpiresAt.IsZero() && !now.Before(ch.ExpiresAt) {
		if err := s.store.DeleteChallenge(ctx, ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "delete expired challenge", "challenge", ch.ID, "error", err)
		}
		return store.Challenge{}, failure(ErrExpired, "the code expired; request a new one")
	}
	return ch, nil
}
