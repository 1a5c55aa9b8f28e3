package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Validate reports whether p can be used: at least one allowed failure, a
// positive base delay and a maximum delay not below it.
func (p LockoutPolicy) Validate() error {
	switch {
	case p.MaxFailures < 1:
		return fmt.Errorf("lockout policy: MaxFailures %d < 1", p.MaxFailures)
	case p.BaseDelay <= 0:
		return fmt.Errorf("lockout policy: BaseDelay %v <= 0", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("lockout policy: MaxDelay %v < BaseDelay %v", p.MaxDelay, p.BaseDelay)
	}
	return nil
}

// LockDelay returns how long the user is locked out after lockCount earlier
// locks: BaseDelay * 2^lockCount, capped at MaxDelay.
func (p LockoutPolicy) LockDelay(lockCount int) time.Duration {
	d := p.BaseDelay
	for range lockCount {
		if d >= p.MaxDelay || d > p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// ReserveAttempt atomically counts one verification attempt of a user against
// policy p. The user's counter row is locked for the whole read-modify-write:
// with SELECT ... FOR UPDATE on PostgreSQL and by the write lock that every
// SQLite transaction takes at BEGIN IMMEDIATE.
func (s *SQLStore) ReserveAttempt(ctx context.Context, userID string, now time.Time, p LockoutPolicy) (Attempt, error) {
	if err := p.Validate(); err != nil {
		return Attempt{}, fmt.Errorf("store: reserve attempt: %w", err)
	}
	if now.IsZero() {
		now = s.now()
	}
	now = normTime(now)
	var a Attempt
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `INSERT INTO lockouts (user_id, failures, lock_count, locked_until, updated_at)
			VALUES (?, 0, 0, NULL, ?) ON CONFLICT (user_id) DO NOTHING`, userID, toMicros(now)); err != nil {
			return err
		}
		var (
			failures, locks int
			until           sql.NullInt64
		)
		if err := s.queryRow(ctx, `SELECT failures, lock_count, locked_until FROM lockouts WHERE user_id = ?`+
			s.dialect.forUpdate(), userID).Scan(&failures, &locks, &until); err != nil {
			return err
		}
		lockedUntil := fromNullMicros(until)
		if lockedUntil.After(now) {
			a = Attempt{Allowed: false, Failures: failures, LockedUntil: lockedUntil}
			return nil
		}
		failures++
		if failures > p.MaxFailures {
			lockedUntil = normTime(now.Add(p.LockDelay(locks)))
			locks++
			failures = 0
			a = Attempt{Allowed: false, Failures: 0, LockedUntil: lockedUntil}
		} else {
			a = Attempt{Allowed: true, Failures: failures}
		}
		_, err := s.exec(ctx, `UPDATE lockouts SET failures = ?, lock_count = ?, locked_until = ?, updated_at = ?
			WHERE user_id = ?`, failures, locks, nullMicros(lockedUntil), toMicros(now), userID)
		return err
	})
	if err != nil {
		return Attempt{}, wrapErr("reserve attempt", err)
	}
	return a, nil
}

// ResetAttempts clears the failure and lock counters of a user. A lock in
// force stays in force.
func (s *SQLStore) ResetAttempts(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, `UPDATE lockouts SET failures = 0, lock_count = 0, updated_at = ? WHERE user_id = ?`,
		toMicros(s.now()), userID)
	return wrapErr("reset attempts", err)
}

// GetLockout returns the failed-attempt state of a user; a user without
// recorded attempts has the zero Lockout. LockedUntil may lie in the past: it
// keeps the end of the last lock.
func (s *SQLStore) GetLockout(ctx context.Context, userID string) (Lockout, error) {
	l := Lockout{UserID: userID}
	var (
		until   sql.NullInt64
		updated int64
	)
	err := s.queryRow(ctx, `SELECT failures, lock_count, locked_until, updated_at FROM lockouts WHERE user_id = ?`,
		userID).Scan(&l.Failures, &l.LockCount, &until, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return l, nil
	}
	if err != nil {
		return Lockout{}, wrapErr("get lockout", err)
	}
	l.LockedUntil = fromNullMicros(until)
	l.UpdatedAt = fromMicros(updated)
	return l, nil
}
