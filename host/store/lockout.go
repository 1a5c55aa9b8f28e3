package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// lockoutColumns are the columns of a failure counter after its key.
const lockoutColumns = `failures, lock_count, locked_until, updated_at`

// UpdateLockout atomically reads, changes and stores the failure counter
// named key. The counter's row is created with zero counts when missing and
// locked for the whole read-modify-write: with SELECT ... FOR UPDATE on
// PostgreSQL and by the write lock that every SQLite transaction takes at
// BEGIN IMMEDIATE. So concurrent updates of one key, from any number of
// hosts, apply one after another, each seeing the result of the one before.
//
// The store holds no policy: fn decides. It is called exactly once with the
// stored counter and must not call the store. Its result is stored with Key
// and UpdatedAt set by the store (UpdatedAt = now; a zero now means the
// current time) and returned as stored.
func (s *SQLStore) UpdateLockout(ctx context.Context, key string, now time.Time, fn func(Lockout) Lockout) (Lockout, error) {
	if key == "" {
		return Lockout{}, errors.New("store: update lockout: empty key")
	}
	if now.IsZero() {
		now = s.now()
	}
	now = normTime(now)
	var next Lockout
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `INSERT INTO lockout_counters (counter_key, `+lockoutColumns+`)
			VALUES (?, 0, 0, NULL, ?) ON CONFLICT (counter_key) DO NOTHING`, key, toMicros(now)); err != nil {
			return err
		}
		current, err := scanLockout(key, s.queryRow(ctx, `SELECT `+lockoutColumns+` FROM lockout_counters
			WHERE counter_key = ?`+s.dialect.forUpdate(), key))
		if err != nil {
			return err
		}
		next = fn(current)
		next.Key, next.UpdatedAt, next.LockedUntil = key, now, normTime(next.LockedUntil)
		_, err = s.exec(ctx, `UPDATE lockout_counters SET failures = ?, lock_count = ?, locked_until = ?, updated_at = ?
			WHERE counter_key = ?`, next.Failures, next.LockCount, nullMicros(next.LockedUntil), toMicros(now), key)
		return err
	})
	if err != nil {
		return Lockout{}, wrapErr("update lockout", err)
	}
	return next, nil
}

// ResetAttempts clears the failure and lock counts of the counter named key.
// A lock in force stays in force; resetting a counter that does not exist
// does nothing.
func (s *SQLStore) ResetAttempts(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `UPDATE lockout_counters SET failures = 0, lock_count = 0, updated_at = ? WHERE counter_key = ?`,
		toMicros(s.now()), key)
	return wrapErr("reset attempts", err)
}

// GetLockout returns the failure counter named key; a counter never updated
// is the zero Lockout with Key set. LockedUntil may lie in the past: it keeps
// the end of the last lock.
func (s *SQLStore) GetLockout(ctx context.Context, key string) (Lockout, error) {
	l, err := scanLockout(key, s.queryRow(ctx, `SELECT `+lockoutColumns+` FROM lockout_counters WHERE counter_key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Lockout{Key: key}, nil
	}
	if err != nil {
		return Lockout{}, wrapErr("get lockout", err)
	}
	return l, nil
}

// lockoutRow receives the lockoutColumns of one row.
type lockoutRow struct {
	l       Lockout
	until   sql.NullInt64
	updated int64
}

func (r *lockoutRow) dest() []any {
	return []any{&r.l.Failures, &r.l.LockCount, &r.until, &r.updated}
}

func (r *lockoutRow) lockout(key string) Lockout {
	l := r.l
	l.Key = key
	l.LockedUntil = fromNullMicros(r.until)
	l.UpdatedAt = fromMicros(r.updated)
	return l
}

func scanLockout(key string, row interface{ Scan(...any) error }) (Lockout, error) {
	var r lockoutRow
	if err := row.Scan(r.dest()...); err != nil {
		return Lockout{}, err
	}
	return r.lockout(key), nil
}
