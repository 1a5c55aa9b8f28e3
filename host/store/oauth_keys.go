package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OAuth key purposes.
const (
	// KeyPurposeSigning keys sign JWTs (ID tokens, JWT access tokens) and are
	// published in the JWKS.
	KeyPurposeSigning = "sig"
	// KeyPurposeHMAC keys are the secret behind opaque tokens and codes.
	KeyPurposeHMAC = "hmac"
)

// OAuthKey is a token key of the OAuth provider. Private holds the sealed
// private key (or secret); the store never inspects it. At most one key per
// purpose and algorithm is active (RetiredAt zero); a retired key is kept
// until ExpiresAt so that tokens it signed still verify.
type OAuthKey struct {
	ID        string
	Purpose   string
	Alg       string
	Private   []byte
	CreatedAt time.Time
	RetiredAt time.Time // zero: active
	ExpiresAt time.Time // zero: kept while active
}

// Active reports whether the key signs new tokens.
func (k OAuthKey) Active() bool { return k.RetiredAt.IsZero() }

// OAuthKeyStore persists the provider's token keys; *SQLStore implements it.
type OAuthKeyStore interface {
	// ListOAuthKeys returns every key, active and retired, oldest first.
	ListOAuthKeys(ctx context.Context) ([]OAuthKey, error)
	// PutOAuthKey stores k as the active key of its purpose and algorithm.
	// When retireOthers is set, the key it replaces is retired at
	// k.CreatedAt and expires at retiredExpiry, in the same transaction;
	// otherwise ErrAlreadyExists is returned when an active key exists, so
	// that hosts starting at once agree on one key.
	PutOAuthKey(ctx context.Context, k OAuthKey, retireOthers bool, retiredExpiry time.Time) (OAuthKey, error)
	// ResealOAuthKey replaces the sealed private key of key id when it still
	// holds old (compare-and-swap); ErrConflict otherwise.
	ResealOAuthKey(ctx context.Context, id string, old, sealed []byte) error
}

var _ OAuthKeyStore = (*SQLStore)(nil)

const oauthKeyColumns = `id, purpose, alg, private_key, created_at, retired_at, expires_at`

func scanOAuthKey(row interface{ Scan(...any) error }) (OAuthKey, error) {
	var (
		k                OAuthKey
		created          int64
		retired, expires sql.NullInt64
	)
	if err := row.Scan(&k.ID, &k.Purpose, &k.Alg, &k.Private, &created, &retired, &expires); err != nil {
		return OAuthKey{}, err
	}
	k.CreatedAt, k.RetiredAt, k.ExpiresAt = fromMicros(created), fromNullMicros(retired), fromNullMicros(expires)
	return k, nil
}

// ListOAuthKeys returns every key, oldest first.
func (s *SQLStore) ListOAuthKeys(ctx context.Context) ([]OAuthKey, error) {
	rows, err := s.query(ctx, `SELECT `+oauthKeyColumns+` FROM oauth_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, wrapErr("list oauth keys", err)
	}
	ks, err := collect(rows, scanOAuthKey)
	if err != nil {
		return nil, wrapErr("list oauth keys", err)
	}
	return ks, nil
}

// PutOAuthKey stores k as the active key of its purpose and algorithm. The
// partial unique index on active keys is what makes concurrent first starts
// agree: the second insert fails.
func (s *SQLStore) PutOAuthKey(ctx context.Context, k OAuthKey, retireOthers bool, retiredExpiry time.Time) (OAuthKey, error) {
	if k.ID == "" || k.Alg == "" || len(k.Private) == 0 || (k.Purpose != KeyPurposeSigning && k.Purpose != KeyPurposeHMAC) {
		return OAuthKey{}, errors.New("store: put oauth key: id, purpose, algorithm and key are required")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = s.now()
	}
	k.CreatedAt, k.RetiredAt, k.ExpiresAt = normTime(k.CreatedAt), time.Time{}, time.Time{}
	err := s.InTx(ctx, func(ctx context.Context) error {
		if retireOthers {
			if _, err := s.exec(ctx, `UPDATE oauth_keys SET retired_at = ?, expires_at = ?
				WHERE purpose = ? AND alg = ? AND retired_at IS NULL`,
				toMicros(k.CreatedAt), nullMicros(retiredExpiry), k.Purpose, k.Alg); err != nil {
				return err
			}
		}
		_, err := s.exec(ctx, `INSERT INTO oauth_keys (`+oauthKeyColumns+`) VALUES (?, ?, ?, ?, ?, NULL, NULL)`,
			k.ID, k.Purpose, k.Alg, k.Private, toMicros(k.CreatedAt))
		return err
	})
	if err != nil {
		return OAuthKey{}, wrapErr("put oauth key", err)
	}
	return k, nil
}

// ResealOAuthKey replaces the sealed private key of key id when it still holds
// old, so a rotation never overwrites a concurrent change.
func (s *SQLStore) ResealOAuthKey(ctx context.Context, id string, old, sealed []byte) error {
	res, err := s.exec(ctx, `UPDATE oauth_keys SET private_key = ? WHERE id = ? AND private_key = ?`, sealed, id, old)
	if err != nil {
		return wrapErr("reseal oauth key", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrapErr("reseal oauth key", err)
	} else if n == 0 {
		return wrapErr("reseal oauth key", fmt.Errorf("%q: %w", id, ErrConflict))
	}
	return nil
}
