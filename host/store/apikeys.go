package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIKey is an operator-issued API key: it identifies an application calling
// the documented endpoints, not a user. The store keeps only a hash of the
// key, which is unique. At most one live (unrevoked) key has a given name.
type APIKey struct {
	ID         string
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: live
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// APIKeyStore persists operator API keys; *SQLStore implements it.
type APIKeyStore interface {
	// CreateAPIKey inserts k and returns it as stored. A zero CreatedAt is
	// set to the current time. ErrAlreadyExists when the id or hash is taken,
	// or a live key has the same name.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error)
	// GetAPIKeyByHash returns the key with the given hash, revoked or not;
	// callers check RevokedAt.
	GetAPIKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// ListAPIKeys returns every key, revoked ones included, oldest first.
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey marks the key revoked at now (the current time when
	// zero). ErrNotFound when there is no such key, ErrConflict when it was
	// already revoked.
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	// TouchAPIKey records that the key was used at now (the current time
	// when zero).
	TouchAPIKey(ctx context.Context, id string, now time.Time) error
}

var _ APIKeyStore = (*SQLStore)(nil)

const apiKeyColumns = `id, name, hash, created_at, last_used_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var (
		k             APIKey
		created       int64
		used, revoked sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Name, &k.Hash, &created, &used, &revoked); err != nil {
		return APIKey{}, err
	}
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt = fromNullMicros(used)
	k.RevokedAt = fromNullMicros(revoked)
	return k, nil
}

// CreateAPIKey inserts k and returns it as stored.
func (s *SQLStore) CreateAPIKey(ctx context.Context, k APIKey) (APIKey, error) {
	if k.ID == "" || k.Name == "" || len(k.Hash) == 0 {
		return APIKey{}, errors.New("store: create api key: id, name and hash are required")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = normTime(k.CreatedAt), normTime(k.LastUsedAt), normTime(k.RevokedAt)
	_, err := s.exec(ctx, `INSERT INTO api_keys (`+apiKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Hash, toMicros(k.CreatedAt), nullMicros(k.LastUsedAt), nullMicros(k.RevokedAt))
	if err != nil {
		return APIKey{}, wrapErr("create api key", err)
	}
	return k, nil
}

// GetAPIKeyByHash returns the key with the given hash.
func (s *SQLStore) GetAPIKeyByHash(ctx context.Context, hash []byte) (APIKey, error) {
	if len(hash) == 0 {
		return APIKey{}, wrapErr("get api key", sql.ErrNoRows)
	}
	k, err := scanAPIKey(s.queryRow(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return APIKey{}, wrapErr("get api key", err)
	}
	return k, nil
}

// ListAPIKeys returns every key, oldest first.
func (s *SQLStore) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.query(ctx, `SELECT `+apiKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrapErr("list api keys", err)
	}
	ks, err := collect(rows, scanAPIKey)
	if err != nil {
		return nil, wrapErr("list api keys", err)
	}
	return ks, nil
}

// RevokeAPIKey marks the key revoked.
func (s *SQLStore) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	if now.IsZero() {
		now = s.now()
	}
	res, err := s.exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, toMicros(now), id)
	if err != nil {
		return wrapErr("revoke api key", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr("revoke api key", err)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: tell a missing key from one revoked before.
	var exists int
	err = s.queryRow(ctx, `SELECT 1 FROM api_keys WHERE id = ?`, id).Scan(&exists)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: revoke api key: %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return wrapErr("revoke api key", err)
	}
	return fmt.Errorf("store: revoke api key: %q already revoked: %w", id, ErrConflict)
}

// TouchAPIKey records that the key was used at now.
func (s *SQLStore) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	if now.IsZero() {
		now = s.now()
	}
	res, err := s.exec(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, toMicros(now), id)
	if err != nil {
		return wrapErr("touch api key", err)
	}
	return wrapErr("touch api key", expectOne(res, id))
}
