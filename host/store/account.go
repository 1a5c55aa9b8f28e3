package store

import (
	"context"
	"errors"
	"unicode/utf8"
)

// MaxCredentialNameLength is the longest name, in characters, a user may give a
// credential.
const MaxCredentialNameLength = 64

// SignedOut counts what ending all of a user's sign-ins removed.
type SignedOut struct {
	// Sessions is the number of browser login sessions ended.
	Sessions int64
	// Grants is the number of stored OAuth codes and tokens revoked: every
	// authorization code, access token and refresh token issued to the user
	// (a JWT access token stays valid until it expires: it is never looked
	// up).
	Grants int64
	// MFATokens is the number of pending MFA grant sign-ins dropped.
	MFATokens int64
}

// AccountStore is what the account page needs beyond the other stores;
// *SQLStore implements it.
type AccountStore interface {
	// SignOutEverywhere ends every login session of the user and revokes
	// every code and token issued to them, in one transaction.
	SignOutEverywhere(ctx context.Context, userID string) (SignedOut, error)
	// SetCredentialName records the name the user gave one of their
	// credentials (ErrNotFound when the user has no such credential).
	SetCredentialName(ctx context.Context, userID, credentialID, name string) error
}

var _ AccountStore = (*SQLStore)(nil)

// SignOutEverywhere ends every login session of the user and revokes every
// code and token issued to them (the rows of fosite's storage tied to the
// user), in one transaction, or in the caller's.
func (s *SQLStore) SignOutEverywhere(ctx context.Context, userID string) (SignedOut, error) {
	if userID == "" {
		return SignedOut{}, errors.New("store: sign out everywhere: user id is required")
	}
	var out SignedOut
	err := s.InTx(ctx, func(ctx context.Context) error {
		for _, d := range []struct {
			query string
			n     *int64
		}{
			{`DELETE FROM sessions WHERE user_id = ?`, &out.Sessions},
			{`DELETE FROM oauth_requests WHERE user_id = ?`, &out.Grants},
			{`DELETE FROM oauth_mfa_tokens WHERE user_id = ?`, &out.MFATokens},
		} {
			res, err := s.exec(ctx, d.query, userID)
			if err != nil {
				return wrapErr("sign out everywhere", err)
			}
			if *d.n, err = res.RowsAffected(); err != nil {
				return wrapErr("sign out everywhere", err)
			}
		}
		return nil
	})
	return out, err
}

// SetCredentialName records the name the user gave one of their
// credentials.
func (s *SQLStore) SetCredentialName(ctx context.Context, userID, credentialID, name string) error {
	if utf8.RuneCountInString(name) > MaxCredentialNameLength || !utf8.ValidString(name) {
		return errors.New("store: set credential name: the name is too long or not UTF-8")
	}
	res, err := s.exec(ctx, `UPDATE credentials SET name = ? WHERE id = ? AND user_id = ?`, name, credentialID, userID)
	if err != nil {
		return wrapErr("set credential name", err)
	}
	return wrapErr("set credential name", expectOne(res, "credential"))
}
