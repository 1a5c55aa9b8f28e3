package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const credentialColumns = `id, user_id, factor, status, state, version, created_at, updated_at, last_used_at, expires_at, credential_key, name`

// credentialRow receives the credentialColumns of one row.
type credentialRow struct {
	c                Credential
	status           string
	created, updated int64
	used, expires    sql.NullInt64
}

func (r *credentialRow) dest() []any {
	return []any{&r.c.ID, &r.c.UserID, &r.c.Factor, &r.status, &r.c.State, &r.c.Version,
		&r.created, &r.updated, &r.used, &r.expires, &r.c.Key, &r.c.Name}
}

func (r *credentialRow) credential() Credential {
	c := r.c
	c.Status = CredentialStatus(r.status)
	c.CreatedAt = fromMicros(r.created)
	c.UpdatedAt = fromMicros(r.updated)
	c.LastUsedAt = fromNullMicros(r.used)
	c.ExpiresAt = fromNullMicros(r.expires)
	if c.State == nil {
		c.State = []byte{}
	}
	return c
}

func scanCredential(row interface{ Scan(...any) error }) (Credential, error) {
	var r credentialRow
	if err := row.Scan(r.dest()...); err != nil {
		return Credential{}, err
	}
	return r.credential(), nil
}

// PutPendingCredential inserts c as the pending credential of its user and
// factor, replacing any earlier pending one.
func (s *SQLStore) PutPendingCredential(ctx context.Context, c Credential) (Credential, error) {
	if c.ID == "" || c.UserID == "" || c.Factor == "" {
		return Credential{}, errors.New("store: put pending credential: id, user id and factor are required")
	}
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.Status = CredentialPending
	c.Version = 1
	c.Key = ""
	c.State = nonNilBytes(c.State)
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	c.LastUsedAt, c.ExpiresAt = normTime(c.LastUsedAt), normTime(c.ExpiresAt)
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.lockUser(ctx, c.UserID); err != nil {
			return err
		}
		if _, err := s.exec(ctx, `DELETE FROM credentials WHERE user_id = ? AND factor = ? AND status = 'pending'`,
			c.UserID, c.Factor); err != nil {
			return err
		}
		_, err := s.exec(ctx, `INSERT INTO credentials (`+credentialColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.UserID, c.Factor, string(c.Status), c.State, c.Version,
			toMicros(c.CreatedAt), toMicros(c.UpdatedAt), nullMicros(c.LastUsedAt), nullMicros(c.ExpiresAt), "", c.Name)
		return err
	})
	if err != nil {
		return Credential{}, wrapErr("put pending credential", err)
	}
	return c, nil
}

// lockUser checks that the user exists and, on PostgreSQL, locks its row
// until the end of the transaction, so that credential changes of one user
// are serialised. The lock does not block inserts that reference the user.
func (s *SQLStore) lockUser(ctx context.Context, userID string) error {
	var id string
	err := s.queryRow(ctx, `SELECT id FROM users WHERE id = ?`+s.dialect.forNoKeyUpdate(), userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	return err
}

// GetCredential returns the credential with the given id.
func (s *SQLStore) GetCredential(ctx context.Context, id string) (Credential, error) {
	c, err := scanCredential(s.queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ?`, id))
	if err != nil {
		return Credential{}, wrapErr("get credential", err)
	}
	return c, nil
}

// FindCredential returns the user's credential for factor in the given
// status.
func (s *SQLStore) FindCredential(ctx context.Context, userID, factor string, status CredentialStatus) (Credential, error) {
	if !status.Valid() {
		return Credential{}, fmt.Errorf("store: find credential: invalid status %q", status)
	}
	// The status is written into the query, not bound: the partial unique
	// index on (user_id, factor) serves only one status, and SQLite plans a
	// bound status anew on every execution to check that it is that one.
	q := `SELECT ` + credentialColumns + ` FROM credentials WHERE user_id = ? AND factor = ? AND status = 'active'`
	if status == CredentialPending {
		q = `SELECT ` + credentialColumns + ` FROM credentials WHERE user_id = ? AND factor = ? AND status = 'pending'`
	}
	c, err := scanCredential(s.queryRow(ctx, q, userID, factor))
	if err != nil {
		return Credential{}, wrapErr("find credential", err)
	}
	return c, nil
}

// ListCredentials returns all credentials of a user, oldest first.
func (s *SQLStore) ListCredentials(ctx context.Context, userID string) ([]Credential, error) {
	rows, err := s.query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, wrapErr("list credentials", err)
	}
	cs, err := collect(rows, scanCredential)
	if err != nil {
		return nil, wrapErr("list credentials", err)
	}
	return cs, nil
}

// ListCredentialsPage returns up to limit credentials of all users with an id
// greater than afterID, ordered by id.
func (s *SQLStore) ListCredentialsPage(ctx context.Context, afterID string, limit int) ([]Credential, error) {
	rows, err := s.query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, pageSize(limit))
	if err != nil {
		return nil, wrapErr("list credentials page", err)
	}
	cs, err := collect(rows, scanCredential)
	if err != nil {
		return nil, wrapErr("list credentials page", err)
	}
	return cs, nil
}

// UpdateCredentialState replaces the state of credential id if its version is
// expectedVersion and returns the new version.
func (s *SQLStore) UpdateCredentialState(ctx context.Context, id string, expectedVersion int64, state []byte, lastUsedAt time.Time) (int64, error) {
	updated := lastUsedAt
	if updated.IsZero() {
		updated = s.now()
	}
	res, err := s.exec(ctx, `UPDATE credentials
		SET state = ?, version = version + 1, updated_at = ?, last_used_at = COALESCE(?, last_used_at)
		WHERE id = ? AND version = ?`,
		nonNilBytes(state), toMicros(updated), nullMicros(lastUsedAt), id, expectedVersion)
	if err != nil {
		return 0, wrapErr("update credential state", err)
	}
	if err := s.checkCAS(ctx, res, "credentials", id); err != nil {
		return 0, wrapErr("update credential state", err)
	}
	return expectedVersion + 1, nil
}

// checkCAS turns a compare-and-swap update that changed no row into
// ErrNotFound or ErrConflict.
func (s *SQLStore) checkCAS(ctx context.Context, res sql.Result, table, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	return s.casMiss(ctx, table, id)
}

// casMiss tells why a compare-and-swap of row id in table matched nothing:
// ErrNotFound when the row is gone, ErrConflict when its version moved on.
func (s *SQLStore) casMiss(ctx context.Context, table, id string) error {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%q: %w", id, ErrNotFound)
	case err != nil:
		return err
	default:
		return fmt.Errorf("%q: %w", id, ErrConflict)
	}
}

// ActivateCredential turns the pending credential id into the active one.
func (s *SQLStore) ActivateCredential(ctx context.Context, id string, expectedVersion int64, state []byte, now time.Time, replaceActive bool) (int64, error) {
	err := s.InTx(ctx, func(ctx context.Context) error {
		var userID string
		if err := s.queryRow(ctx, `SELECT user_id FROM credentials WHERE id = ?`, id).Scan(&userID); err != nil {
			return err
		}
		if err := s.lockUser(ctx, userID); err != nil {
			return err
		}
		c, err := scanCredential(s.queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = ?`+
			s.dialect.forUpdate(), id))
		if err != nil {
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
		var activeID string
		err = s.queryRow(ctx, `SELECT id FROM credentials WHERE user_id = ? AND factor = ? AND status = 'active' AND credential_key = ''`,
			c.UserID, c.Factor).Scan(&activeID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case !replaceActive:
			return fmt.Errorf("active %s credential of user %q: %w", c.Factor, c.UserID, ErrAlreadyExists)
		default:
			if _, err := s.exec(ctx, `DELETE FROM credentials WHERE id = ?`, activeID); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, `UPDATE credentials
			SET status = ?, state = ?, version = version + 1, updated_at = ?, expires_at = NULL
			WHERE id = ? AND version = ?`,
			string(CredentialActive), nonNilBytes(state), toMicros(now), id, expectedVersion)
		if err != nil {
			return err
		}
		return s.checkCAS(ctx, res, "credentials", id)
	})
	if err != nil {
		return 0, wrapErr("activate credential", err)
	}
	return expectedVersion + 1, nil
}

// DeleteCredential deletes credential id of user userID and its challenges.
func (s *SQLStore) DeleteCredential(ctx context.Context, userID, id string) error {
	res, err := s.exec(ctx, `DELETE FROM credentials WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return wrapErr("delete credential", err)
	}
	return wrapErr("delete credential", expectOne(res, id))
}

// DeleteExpiredPending deletes pending credentials that expired at or before
// now.
func (s *SQLStore) DeleteExpiredPending(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM credentials WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?`,
		toMicros(now))
	if err != nil {
		return 0, wrapErr("delete expired pending credentials", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr("delete expired pending credentials", err)
	}
	return n, nil
}

// expectOne returns ErrNotFound unless res changed exactly one row.
func expectOne(res sql.Result, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	return nil
}
