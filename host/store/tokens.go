package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

const tokenColumns = `id, user_id, name, hash, admin, created_at, last_used_at, expires_at`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var (
		t             APIToken
		created       int64
		used, expires sql.NullInt64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &t.Admin, &created, &used, &expires); err != nil {
		return APIToken{}, err
	}
	t.CreatedAt = fromMicros(created)
	t.LastUsedAt = fromNullMicros(used)
	t.ExpiresAt = fromNullMicros(expires)
	return t, nil
}

// CreateAPIToken inserts t and returns it as stored.
func (s *SQLStore) CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error) {
	if t.ID == "" || t.UserID == "" || len(t.Hash) == 0 {
		return APIToken{}, errors.New("store: create api token: id, user id and hash are required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = normTime(t.CreatedAt), normTime(t.LastUsedAt), normTime(t.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hash, t.Admin, toMicros(t.CreatedAt), nullMicros(t.LastUsedAt), nullMicros(t.ExpiresAt))
	if err != nil {
		return APIToken{}, wrapErr("create api token", err)
	}
	return t, nil
}

// GetAPITokenByHash returns the token with the given hash.
func (s *SQLStore) GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	if len(hash) == 0 {
		return APIToken{}, wrapErr("get api token", sql.ErrNoRows)
	}
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	if err != nil {
		return APIToken{}, wrapErr("get api token", err)
	}
	return t, nil
}

// ListAPITokens returns the tokens of a user, oldest first.
func (s *SQLStore) ListAPITokens(ctx context.Context, userID string) ([]APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	ts, err := collect(rows, scanToken)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	return ts, nil
}

// DeleteAPIToken deletes the token with the given id.
func (s *SQLStore) DeleteAPIToken(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete api token", err)
	}
	return wrapErr("delete api token", expectOne(res, id))
}

// TouchAPIToken records that the token was used at now.
func (s *SQLStore) TouchAPIToken(ctx context.Context, id string, now time.Time) error {
	if now.IsZero() {
		now = s.now()
	}
	res, err := s.exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, toMicros(now), id)
	if err != nil {
		return wrapErr("touch api token", err)
	}
	return wrapErr("touch api token", expectOne(res, id))
}
