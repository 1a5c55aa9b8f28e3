package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MFAToken is the state behind an mfa_token: a first factor proven for a user
// through one client, waiting for the second. The store keeps only the hash
// of the token. The pending fields say what /mfa/associate or /mfa/challenge
// started for it.
type MFAToken struct {
	Hash     []byte
	ClientID string
	UserID   string
	// Scopes and Audience are what the client asked for with the first factor.
	Scopes   []string
	Audience []string
	// AMR lists the methods proven so far, AuthTime when the last was.
	AMR      []string
	AuthTime time.Time
	// Factor is the factor instance of the pending enrollment or challenge.
	Factor string
	// EnrollmentID is the enrollment /mfa/associate began.
	EnrollmentID string
	// ChallengeID is the challenge /mfa/challenge sent.
	ChallengeID string
	// OOBHash is the hash of the oob_code handed out for the pending step.
	OOBHash   []byte
	Version   int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// MFATokenStore persists mfa_tokens; *SQLStore implements it.
type MFATokenStore interface {
	// CreateMFAToken inserts t with version 1. ErrAlreadyExists when the hash
	// is taken, ErrNotFound when the client or user does not exist.
	CreateMFAToken(ctx context.Context, t MFAToken) (MFAToken, error)
	// GetMFAToken returns the token with the given hash, expired or not.
	GetMFAToken(ctx context.Context, hash []byte) (MFAToken, error)
	// UpdateMFAToken replaces the pending fields (Factor, EnrollmentID,
	// ChallengeID, OOBHash) of t.Hash if its version is
	// t.Version and returns the new version (ErrConflict otherwise).
	UpdateMFAToken(ctx context.Context, t MFAToken) (int64, error)
	// ConsumeMFAToken deletes the token at version (a token is used once).
	// ErrNotFound when it is gone, ErrConflict when it changed meanwhile.
	ConsumeMFAToken(ctx context.Context, hash []byte, version int64) error
}

var _ MFATokenStore = (*SQLStore)(nil)

const mfaTokenColumns = `hash, client_id, user_id, scopes, audience, amr, auth_time, factor, enrollment_id,
	challenge_id, oob_hash, version, created_at, expires_at`

// CreateMFAToken inserts t with version 1.
func (s *SQLStore) CreateMFAToken(ctx context.Context, t MFAToken) (MFAToken, error) {
	if len(t.Hash) == 0 || t.ClientID == "" || t.UserID == "" || t.ExpiresAt.IsZero() {
		return MFAToken{}, errors.New("store: create mfa token: hash, client, user and expiry are required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	if t.AuthTime.IsZero() {
		t.AuthTime = t.CreatedAt
	}
	t.Version = 1
	t.CreatedAt, t.ExpiresAt, t.AuthTime = normTime(t.CreatedAt), normTime(t.ExpiresAt), normTime(t.AuthTime)
	_, err := s.exec(ctx, `INSERT INTO oauth_mfa_tokens (`+mfaTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Hash, t.ClientID, t.UserID, jsonList(t.Scopes), jsonList(t.Audience), strings.Join(t.AMR, " "),
		toMicros(t.AuthTime), t.Factor, t.EnrollmentID, t.ChallengeID, t.OOBHash, t.Version,
		toMicros(t.CreatedAt), toMicros(t.ExpiresAt))
	if err != nil {
		return MFAToken{}, wrapErr("create mfa token", err)
	}
	return t, nil
}

// GetMFAToken returns the token with the given hash.
func (s *SQLStore) GetMFAToken(ctx context.Context, hash []byte) (MFAToken, error) {
	var (
		t                          MFAToken
		scopes, audience, amr      string
		authTime, created, expires int64
	)
	err := s.queryRow(ctx, `SELECT `+mfaTokenColumns+` FROM oauth_mfa_tokens WHERE hash = ?`+s.dialect.forUpdate(), hash).
		Scan(&t.Hash, &t.ClientID, &t.UserID, &scopes, &audience, &amr, &authTime, &t.Factor, &t.EnrollmentID,
			&t.ChallengeID, &t.OOBHash, &t.Version, &created, &expires)
	if err != nil {
		return MFAToken{}, wrapErr("get mfa token", err)
	}
	if err := decodeList(scopes, &t.Scopes); err != nil {
		return MFAToken{}, fmt.Errorf("store: get mfa token: decode scopes: %w", err)
	}
	if err := decodeList(audience, &t.Audience); err != nil {
		return MFAToken{}, fmt.Errorf("store: get mfa token: decode audience: %w", err)
	}
	t.AMR = strings.Fields(amr)
	t.AuthTime, t.CreatedAt, t.ExpiresAt = fromMicros(authTime), fromMicros(created), fromMicros(expires)
	return t, nil
}

// UpdateMFAToken replaces the pending fields with compare-and-swap on the
// version.
func (s *SQLStore) UpdateMFAToken(ctx context.Context, t MFAToken) (int64, error) {
	res, err := s.exec(ctx, `UPDATE oauth_mfa_tokens
		SET factor = ?, enrollment_id = ?, challenge_id = ?, oob_hash = ?, version = version + 1
		WHERE hash = ? AND version = ?`,
		t.Factor, t.EnrollmentID, t.ChallengeID, t.OOBHash, t.Hash, t.Version)
	if err != nil {
		return 0, wrapErr("update mfa token", err)
	}
	if err := s.mfaTokenChanged(ctx, "update mfa token", res, t.Hash); err != nil {
		return 0, err
	}
	return t.Version + 1, nil
}

// ConsumeMFAToken deletes the token at version.
func (s *SQLStore) ConsumeMFAToken(ctx context.Context, hash []byte, version int64) error {
	res, err := s.exec(ctx, `DELETE FROM oauth_mfa_tokens WHERE hash = ? AND version = ?`, hash, version)
	if err != nil {
		return wrapErr("consume mfa token", err)
	}
	return s.mfaTokenChanged(ctx, "consume mfa token", res, hash)
}

// mfaTokenChanged turns a compare-and-swap that touched no row into
// ErrNotFound (the token is gone) or ErrConflict (it changed).
func (s *SQLStore) mfaTokenChanged(ctx context.Context, op string, res interface{ RowsAffected() (int64, error) }, hash []byte) error {
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr(op, err)
	}
	if n > 0 {
		return nil
	}
	var one int
	if err := s.queryRow(ctx, `SELECT 1 FROM oauth_mfa_tokens WHERE hash = ?`, hash).Scan(&one); err != nil {
		return wrapErr(op, err)
	}
	return wrapErr(op, ErrConflict)
}
