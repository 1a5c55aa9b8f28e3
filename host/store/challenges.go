package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

const challengeColumns = `id, user_id, credential_id, factor, state, version, created_at, expires_at`

func scanChallenge(row interface{ Scan(...any) error }) (Challenge, error) {
	var (
		ch         Challenge
		credential sql.NullString
		created    int64
		expires    sql.NullInt64
	)
	if err := row.Scan(&ch.ID, &ch.UserID, &credential, &ch.Factor, &ch.State, &ch.Version, &created, &expires); err != nil {
		return Challenge{}, err
	}
	ch.CredentialID = credential.String
	ch.CreatedAt = fromMicros(created)
	ch.ExpiresAt = fromNullMicros(expires)
	if ch.State == nil {
		ch.State = []byte{}
	}
	return ch, nil
}

// CreateChallenge inserts ch with version 1 and returns it as stored.
func (s *SQLStore) CreateChallenge(ctx context.Context, ch Challenge) (Challenge, error) {
	if ch.ID == "" || ch.UserID == "" {
		return Challenge{}, errors.New("store: create challenge: id and user id are required")
	}
	if ch.CreatedAt.IsZero() {
		ch.CreatedAt = s.now()
	}
	ch.Version = 1
	ch.State = nonNilBytes(ch.State)
	ch.CreatedAt, ch.ExpiresAt = normTime(ch.CreatedAt), normTime(ch.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO challenges (`+challengeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ch.ID, ch.UserID, nullString(ch.CredentialID), ch.Factor, ch.State, ch.Version,
		toMicros(ch.CreatedAt), nullMicros(ch.ExpiresAt))
	if err != nil {
		return Challenge{}, wrapErr("create challenge", err)
	}
	return ch, nil
}

// GetChallenge returns the challenge with the given id.
func (s *SQLStore) GetChallenge(ctx context.Context, id string) (Challenge, error) {
	ch, err := scanChallenge(s.queryRow(ctx, `SELECT `+challengeColumns+` FROM challenges WHERE id = ?`, id))
	if err != nil {
		return Challenge{}, wrapErr("get challenge", err)
	}
	return ch, nil
}

// FindChallenge returns the newest challenge of a credential.
func (s *SQLStore) FindChallenge(ctx context.Context, credentialID string) (Challenge, error) {
	ch, err := scanChallenge(s.queryRow(ctx, `SELECT `+challengeColumns+` FROM challenges
		WHERE credential_id = ? ORDER BY created_at DESC, id DESC LIMIT 1`, credentialID))
	if err != nil {
		return Challenge{}, wrapErr("find challenge", err)
	}
	return ch, nil
}

// DeleteCredentialChallenges deletes every challenge of a credential, so that
// a new challenge replaces the earlier ones (a resent code invalidates the
// previous code).
func (s *SQLStore) DeleteCredentialChallenges(ctx context.Context, credentialID string) error {
	if _, err := s.exec(ctx, `DELETE FROM challenges WHERE credential_id = ?`, credentialID); err != nil {
		return wrapErr("delete credential challenges", err)
	}
	return nil
}

// UpdateChallengeState replaces the state of challenge id if its version is
// expectedVersion and returns the new version.
func (s *SQLStore) UpdateChallengeState(ctx context.Context, id string, expectedVersion int64, state []byte) (int64, error) {
	res, err := s.exec(ctx, `UPDATE challenges SET state = ?, version = version + 1 WHERE id = ? AND version = ?`,
		nonNilBytes(state), id, expectedVersion)
	if err != nil {
		return 0, wrapErr("update challenge state", err)
	}
	if err := s.checkCAS(ctx, res, "challenges", id); err != nil {
		return 0, wrapErr("update challenge state", err)
	}
	return expectedVersion + 1, nil
}

// DeleteChallenge deletes the challenge with the given id.
func (s *SQLStore) DeleteChallenge(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM challenges WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete challenge", err)
	}
	return wrapErr("delete challenge", expectOne(res, id))
}

// DeleteExpiredChallenges deletes challenges, discoverable ones too, that
// expired at or before now.
func (s *SQLStore) DeleteExpiredChallenges(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM challenges WHERE expires_at IS NOT NULL AND expires_at <= ?`,
		`DELETE FROM discoverable_challenges WHERE expires_at <= ?`,
	} {
		res, err := s.exec(ctx, q, toMicros(now))
		if err != nil {
			return 0, wrapErr("delete expired challenges", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, wrapErr("delete expired challenges", err)
		}
		total += n
	}
	return total, nil
}
