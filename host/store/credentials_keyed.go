package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ActivateKeyedCredential turns the pending credential id into one more
// active credential of its user and factor, keyed by key; a non-empty name
// replaces the name it was enrolled under.
func (s *SQLStore) ActivateKeyedCredential(ctx context.Context, id string, expectedVersion int64, state []byte, key, name string, now time.Time) (int64, error) {
	if key == "" {
		return 0, errors.New("store: activate keyed credential: a key is required")
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		c, err := s.GetCredential(ctx, id)
		if err != nil {
			return err
		}
		if err := s.lockUser(ctx, c.UserID); err != nil {
			return err
		}
		switch {
		case c.Version != expectedVersion:
			return fmt.Errorf("%q: version %d, expected %d: %w", id, c.Version, expectedVersion, ErrConflict)
		case c.Status != CredentialPending:
			return fmt.Errorf("%q: not pending: %w", id, ErrConflict)
		case !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now):
			return fmt.Errorf("%q: pending credential expired: %w", id, ErrNotFound)
		}
		if name == "" {
			name = c.Name
		}
		res, err := s.exec(ctx, `UPDATE credentials
			SET status = ?, state = ?, version = version + 1, updated_at = ?, expires_at = NULL, credential_key = ?, name = ?
			WHERE id = ? AND version = ?`,
			string(CredentialActive), nonNilBytes(state), toMicros(now), key, name, id, expectedVersion)
		if err != nil {
			return err
		}
		return s.checkCAS(ctx, res, "credentials", id)
	})
	if err != nil {
		return 0, wrapErr("activate keyed credential", err)
	}
	return expectedVersion + 1, nil
}

// ListActiveCredentials returns the user's active credentials of factor,
// oldest first.
func (s *SQLStore) ListActiveCredentials(ctx context.Context, userID, factor string) ([]Credential, error) {
	rows, err := s.query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE user_id = ? AND factor = ? AND status = ? ORDER BY created_at, id`, userID, factor, string(CredentialActive))
	if err != nil {
		return nil, wrapErr("list active credentials", err)
	}
	cs, err := collect(rows, scanCredential)
	if err != nil {
		return nil, wrapErr("list active credentials", err)
	}
	return cs, nil
}

// FindCredentialByKey returns the active credential of factor with key.
func (s *SQLStore) FindCredentialByKey(ctx context.Context, factor, key string) (Credential, error) {
	if key == "" {
		return Credential{}, fmt.Errorf("store: find credential by key: %w", ErrNotFound)
	}
	c, err := scanCredential(s.queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE factor = ? AND credential_key = ? AND status = ?`, factor, key, string(CredentialActive)))
	if err != nil {
		return Credential{}, wrapErr("find credential by key", err)
	}
	return c, nil
}

// FindFactorChallenge returns the user's newest challenge of factor that
// names no credential.
func (s *SQLStore) FindFactorChallenge(ctx context.Context, userID, factor string) (Challenge, error) {
	ch, err := scanChallenge(s.queryRow(ctx, `SELECT `+challengeColumns+` FROM challenges
		WHERE user_id = ? AND factor = ? AND credential_id IS NULL ORDER BY created_at DESC, id DESC LIMIT 1`, userID, factor))
	if err != nil {
		return Challenge{}, wrapErr("find factor challenge", err)
	}
	return ch, nil
}

// DeleteFactorChallenges deletes the user's challenges of factor that name
// no credential.
func (s *SQLStore) DeleteFactorChallenges(ctx context.Context, userID, factor string) error {
	if _, err := s.exec(ctx, `DELETE FROM challenges WHERE user_id = ? AND factor = ? AND credential_id IS NULL`, userID, factor); err != nil {
		return wrapErr("delete factor challenges", err)
	}
	return nil
}

// CreateDiscoverableChallenge inserts ch.
func (s *SQLStore) CreateDiscoverableChallenge(ctx context.Context, ch DiscoverableChallenge) error {
	if ch.ID == "" || ch.Factor == "" || ch.ExpiresAt.IsZero() {
		return errors.New("store: create discoverable challenge: id, factor and expiry are required")
	}
	if ch.CreatedAt.IsZero() {
		ch.CreatedAt = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO discoverable_challenges (id, factor, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		ch.ID, ch.Factor, nonNilBytes(ch.State), toMicros(normTime(ch.CreatedAt)), toMicros(normTime(ch.ExpiresAt)))
	return wrapErr("create discoverable challenge", err)
}

// TakeDiscoverableChallenge returns the challenge id and deletes it; of
// callers racing for it, one gets it and the others ErrNotFound.
func (s *SQLStore) TakeDiscoverableChallenge(ctx context.Context, id string) (DiscoverableChallenge, error) {
	var ch DiscoverableChallenge
	err := s.InTx(ctx, func(ctx context.Context) error {
		var created, expires int64
		if err := s.queryRow(ctx, `SELECT id, factor, state, created_at, expires_at FROM discoverable_challenges WHERE id = ?`, id).
			Scan(&ch.ID, &ch.Factor, &ch.State, &created, &expires); err != nil {
			return err
		}
		ch.CreatedAt, ch.ExpiresAt = fromMicros(created), fromMicros(expires)
		res, err := s.exec(ctx, `DELETE FROM discoverable_challenges WHERE id = ?`, id)
		if err != nil {
			return err
		}
		return expectOne(res, id)
	})
	if err != nil {
		return DiscoverableChallenge{}, wrapErr("take discoverable challenge", err)
	}
	return ch, nil
}
