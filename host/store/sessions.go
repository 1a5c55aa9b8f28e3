package store

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Session is a browser login session. The store keeps only the hash of the
// cookie's secret. AMR lists the authentication methods proven in the session
// (RFC 8176 values) and AuthTime is when the last of them was proven.
type Session struct {
	Hash       []byte
	UserID     string
	AMR        []string
	AuthTime   time.Time
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SessionStore persists login sessions; *SQLStore implements it.
type SessionStore interface {
	// CreateSession inserts a session. ErrAlreadyExists when the hash is
	// taken; ErrNotFound when the user does not exist.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// GetSession returns the session with the given hash, expired or not.
	GetSession(ctx context.Context, hash []byte) (Session, error)
	// UpdateSessionAuth records newly proven methods and their time.
	UpdateSessionAuth(ctx context.Context, hash []byte, amr []string, authTime time.Time) error
	// TouchSession records activity and moves the expiry.
	TouchSession(ctx context.Context, hash []byte, now, expiresAt time.Time) error
	// DeleteSession ends a session (ErrNotFound when absent).
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteExpiredSessions deletes sessions that expired at or before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

var _ SessionStore = (*SQLStore)(nil)

const sessionColumns = `hash, user_id, amr, auth_time, created_at, last_seen_at, expires_at`

// CreateSession inserts a session.
func (s *SQLStore) CreateSession(ctx context.Context, se Session) (Session, error) {
	if len(se.Hash) == 0 || se.UserID == "" || se.ExpiresAt.IsZero() {
		return Session{}, errors.New("store: create session: hash, user id and expiry are required")
	}
	if se.CreatedAt.IsZero() {
		se.CreatedAt = s.now()
	}
	if se.LastSeenAt.IsZero() {
		se.LastSeenAt = se.CreatedAt
	}
	if se.AuthTime.IsZero() {
		se.AuthTime = se.CreatedAt
	}
	se.CreatedAt, se.LastSeenAt, se.AuthTime, se.ExpiresAt = normTime(se.CreatedAt), normTime(se.LastSeenAt), normTime(se.AuthTime), normTime(se.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		se.Hash, se.UserID, strings.Join(se.AMR, " "), toMicros(se.AuthTime), toMicros(se.CreatedAt), toMicros(se.LastSeenAt), toMicros(se.ExpiresAt))
	if err != nil {
		return Session{}, wrapErr("create session", err)
	}
	return se, nil
}

// GetSession returns the session with the given hash.
func (s *SQLStore) GetSession(ctx context.Context, hash []byte) (Session, error) {
	var (
		se                              Session
		amr                             string
		authTime, created, seen, expiry int64
	)
	err := s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`, hash).
		Scan(&se.Hash, &se.UserID, &amr, &authTime, &created, &seen, &expiry)
	if err != nil {
		return Session{}, wrapErr("get session", err)
	}
	se.AMR = strings.Fields(amr)
	se.AuthTime, se.CreatedAt, se.LastSeenAt, se.ExpiresAt = fromMicros(authTime), fromMicros(created), fromMicros(seen), fromMicros(expiry)
	return se, nil
}

// UpdateSessionAuth records newly proven methods and their time.
func (s *SQLStore) UpdateSessionAuth(ctx context.Context, hash []byte, amr []string, authTime time.Time) error {
	res, err := s.exec(ctx, `UPDATE sessions SET amr = ?, auth_time = ? WHERE hash = ?`, strings.Join(amr, " "), toMicros(normTime(authTime)), hash)
	if err != nil {
		return wrapErr("update session auth", err)
	}
	return wrapErr("update session auth", expectOne(res, "session"))
}

// TouchSession records activity and moves the expiry.
func (s *SQLStore) TouchSession(ctx context.Context, hash []byte, now, expiresAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`, toMicros(normTime(now)), toMicros(normTime(expiresAt)), hash)
	if err != nil {
		return wrapErr("touch session", err)
	}
	return wrapErr("touch session", expectOne(res, "session"))
}

// DeleteSession ends a session.
func (s *SQLStore) DeleteSession(ctx context.Context, hash []byte) error {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash)
	if err != nil {
		return wrapErr("delete session", err)
	}
	return wrapErr("delete session", expectOne(res, "session"))
}

// DeleteExpiredSessions deletes sessions that expired at or before now.
func (s *SQLStore) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, toMicros(now))
	if err != nil {
		return 0, wrapErr("delete expired sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr("delete expired sessions", err)
	}
	return n, nil
}
