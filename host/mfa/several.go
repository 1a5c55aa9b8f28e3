package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// A factor that declares MultipleCredentials (WebAuthn) lets a user hold
// several active credentials: each enrollment adds one, keyed by the public
// key the factor returns and named by the user; Challenge and Verify hand
// the factor all of them at once, its answer names the one used, and only
// that one is committed with compare-and-swap. Its challenges belong to the
// user and factor, not to one credential.

// maxCredentialName bounds the name a user gives a credential, in runes.
const maxCredentialName = 64

// credentialName is the name the user gave in the "name" enrollment
// parameter, trimmed and bounded, for a factor with several credentials.
func credentialName(d sdk.Description, params map[string]string) string {
	if !d.MultipleCredentials {
		return ""
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.TrimSpace(params["name"]))
	if r := []rune(name); len(r) > maxCredentialName {
		name = string(r[:maxCredentialName])
	}
	return name
}

// openActive loads and opens the user's active credentials of factor.
func (s *Service) openActive(ctx context.Context, userID, factor string) ([]store.Credential, []sdk.Credential, error) {
	creds, err := s.store.ListActiveCredentials(ctx, userID, factor)
	if err != nil {
		return nil, nil, fmt.Errorf("list active credentials: %w", err)
	}
	states := make([]sdk.Credential, 0, len(creds))
	for _, c := range creds {
		state, err := s.openCredential(c)
		if err != nil {
			return nil, nil, err
		}
		states = append(states, sdk.Credential{Key: c.Key, State: state})
	}
	return creds, states, nil
}

// activate makes the confirmed credential active: the user's only one of
// the factor, or, for a factor with several, one more under its key.
func (s *Service) activate(ctx context.Context, c *confirmation, sealed []byte, key string) error {
	var err error
	if c.f.Description().MultipleCredentials {
		name := credentialName(c.f.Description(), map[string]string{"name": c.req.Name})
		_, err = s.store.ActivateKeyedCredential(ctx, c.cred.ID, c.cred.Version, sealed, key, name, c.now)
	} else {
		_, err = s.store.ActivateCredential(ctx, c.cred.ID, c.cred.Version, sealed, c.now, c.req.Replace)
	}
	return err
}

// challengeAll asks a factor with several credentials for one challenge
// that any of the user's credentials answers (WebAuthn request options
// listing them all), replacing the user's earlier challenges of the factor.
func (s *Service) challengeAll(ctx context.Context, m Meta, entry auditEntry, user store.User, f guardedFactor, req ChallengeRequest) (Challenge, error) {
	creds, states, err := s.openActive(ctx, user.ID, req.Factor)
	if err != nil {
		return Challenge{}, err
	}
	if len(creds) == 0 {
		return Challenge{}, &Error{Kind: ErrNotEnrolled}
	}
	now := s.now()
	resp, err := s.sendChallenge(ctx, f, sdk.ChallengeRequest{User: sdkUser(user), Params: req.Params, Now: now, Credentials: states})
	if err != nil {
		return Challenge{}, err
	}
	ch := s.newChallenge(user.ID, "", req.Factor, now, resp.Display)
	if ch.State, err = s.sealChallenge(ch, resp.ChallengeState); err != nil {
		return Challenge{}, err
	}
	entry.detail = map[string]string{"challenge": ch.ID}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		if err := s.store.DeleteFactorChallenges(ctx, user.ID, req.Factor); err != nil {
			return err
		}
		_, err := s.store.CreateChallenge(ctx, ch)
		return err
	})
	if err != nil {
		return Challenge{}, fmt.Errorf("store challenge: %w", err)
	}
	return Challenge{ID: ch.ID, Factor: req.Factor, Display: resp.Display, ExpiresAt: ch.ExpiresAt, Event: ev}, nil
}

// newChallenge is a challenge row living ChallengeTTL, or less when the
// factor says its challenge expires sooner.
func (s *Service) newChallenge(userID, credentialID, factor string, now time.Time, d sdk.Display) store.Challenge {
	ch := store.Challenge{ID: s.opts.NewID(), UserID: userID, CredentialID: credentialID, Factor: factor, CreatedAt: now, ExpiresAt: now.Add(s.opts.ChallengeTTL)}
	if !d.ExpiresAt.IsZero() && d.ExpiresAt.Before(ch.ExpiresAt) {
		ch.ExpiresAt = d.ExpiresAt
	}
	return ch
}

// verifyAll verifies a proof of a factor with several credentials against
// all of the user's, and commits the one the factor names. A lost
// compare-and-swap reloads them and asks again, about the same challenge.
func (s *Service) verifyAll(ctx context.Context, m Meta, v *verification) (Verified, error) {
	creds, err := s.store.ListActiveCredentials(ctx, v.user.ID, v.req.Factor)
	if err != nil {
		return Verified{}, fmt.Errorf("list active credentials: %w", err)
	}
	if len(creds) == 0 {
		return Verified{}, &Error{Kind: ErrNotEnrolled}
	}
	leave, clean, err := s.admitAttempt(ctx, v.user, v.now)
	v.resetCount = !clean
	if err != nil {
		return Verified{}, err
	}
	defer leave()
	for try := range s.opts.MaxCommitRetries {
		out, done, err := s.verifyAllOnce(ctx, m, v, creds, try)
		if done || err != nil {
			return out, err
		}
		if creds, err = s.store.ListActiveCredentials(ctx, v.user.ID, v.req.Factor); err != nil {
			return Verified{}, fmt.Errorf("list active credentials: %w", err)
		}
	}
	return Verified{}, &Error{Kind: ErrBusy}
}

// verifyAllOnce asks the factor once and commits its answer.
func (s *Service) verifyAllOnce(ctx context.Context, m Meta, v *verification, creds []store.Credential, try int) (Verified, bool, error) {
	ch, chState, err := s.factorChallenge(ctx, v, try)
	if err != nil {
		return Verified{}, true, err
	}
	states := make([]sdk.Credential, 0, len(creds))
	for _, c := range creds {
		state, err := s.openCredential(c)
		if err != nil {
			return Verified{}, true, err
		}
		states = append(states, sdk.Credential{Key: c.Key, State: state})
	}
	resp, err := v.f.Verify(ctx, sdk.VerifyRequest{User: sdkUser(v.user), ChallengeState: chState, Proof: v.req.Proof, Now: v.now, Credentials: states})
	if err != nil {
		return Verified{}, true, factorError("verify", err)
	}
	used, found := credentialByKey(creds, resp.CredentialKey)
	v.cred = used
	if found {
		v.entry.credentialID = used.ID
	}
	var ev Event
	switch {
	case resp.Result == sdk.ResultOK && !found:
		return Verified{}, true, &Error{Kind: ErrCredentialBroken, cause: fmt.Errorf("factor verified with credential %q, which the user does not hold", resp.CredentialKey)}
	case resp.Result == sdk.ResultOK:
		ev, err = s.commitVerified(ctx, m, v, ch, resp)
	default:
		// A refusal keeps no credential state: the credential it names may
		// not be the user's at all.
		err = s.commitFailed(ctx, v, ch, sdk.VerifyResponse{ChallengeState: resp.ChallengeState})
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		v.req.ChallengeID = ch.ID
		return Verified{}, false, nil
	case err != nil:
		return Verified{}, true, err
	case resp.Result != sdk.ResultOK:
		return Verified{}, true, resultError(resp.Result, resp.Reason, resp.RetryAfter)
	}
	s.codeUsed(ctx, v.user.ID, v.f)
	return s.verified(v.user, v.f, used, resp, v.now, ev), true, nil
}

func credentialByKey(creds []store.Credential, key string) (store.Credential, bool) {
	for _, c := range creds {
		if key != "" && c.Key == key {
			return c, true
		}
	}
	return store.Credential{}, false
}

// factorChallenge loads and opens the user's challenge of a factor with
// several credentials: the one named, or the newest.
func (s *Service) factorChallenge(ctx context.Context, v *verification, try int) (store.Challenge, []byte, error) {
	var ch store.Challenge
	var err error
	if v.req.ChallengeID != "" {
		ch, err = s.store.GetChallenge(ctx, v.req.ChallengeID)
	} else {
		ch, err = s.store.FindFactorChallenge(ctx, v.user.ID, v.req.Factor)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && try > 0:
		return store.Challenge{}, nil, failure(ErrReplayed, "this sign-in was already answered")
	case err != nil:
		return store.Challenge{}, nil, notFound(err, ErrNoChallenge)
	case ch.UserID != v.user.ID || ch.Factor != v.req.Factor || ch.CredentialID != "":
		return store.Challenge{}, nil, &Error{Kind: ErrNoChallenge}
	case !ch.ExpiresAt.IsZero() && !v.now.Before(ch.ExpiresAt):
		if err := s.store.DeleteChallenge(ctx, ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "delete expired challenge", "challenge", ch.ID, "error", err)
		}
		return store.Challenge{}, nil, failure(ErrExpired, "the sign-in expired; start again")
	}
	state, err := s.openChallenge(ch)
	return ch, state, err
}

// verified is the success a door reports: what the factor proved this time
// (its own AMR values when it gave them), for whom and when.
func (s *Service) verified(user store.User, f guardedFactor, cred store.Credential, resp sdk.VerifyResponse, now time.Time, ev Event) Verified {
	amr := f.Description().AMR
	if len(resp.AMR) > 0 {
		amr = resp.AMR
	}
	return Verified{Credential: s.info(cred), AMR: amr, At: now, Display: resp.Display, Event: ev,
		UserID: user.ID, UserVerified: resp.UserVerified}
}
