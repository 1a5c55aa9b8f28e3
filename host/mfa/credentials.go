package mfa

import (
	"context"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// CredentialInfo describes a credential without its state.
type CredentialInfo struct {
	ID          string
	Factor      string
	Status      store.CredentialStatus
	DisplayName string
	AMR         []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	LastUsedAt  time.Time
	ExpiresAt   time.Time
	// Name is the name the user gave the credential (a security key's).
	Name string
	// Key is the factor's public key of the credential (a WebAuthn
	// credential ID), for a factor with several credentials.
	Key string
}

func (s *Service) info(c store.Credential) CredentialInfo {
	out := CredentialInfo{
		ID: c.ID, Factor: c.Factor, Status: c.Status,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, LastUsedAt: c.LastUsedAt, ExpiresAt: c.ExpiresAt,
		Name: c.Name, Key: c.Key,
	}
	if f, err := s.factor(c.Factor); err == nil {
		d := f.Description()
		out.DisplayName, out.AMR = d.DisplayName, d.AMR
	}
	return out
}

// ListCredentials returns the user's credentials, active and pending (expired
// pending enrollments are left out).
func (s *Service) ListCredentials(ctx context.Context, userID string) ([]CredentialInfo, error) {
	user, err := s.user(ctx, userID)
	if err != nil {
		return nil, err
	}
	creds, err := s.store.ListCredentials(ctx, user.ID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	now := s.now()
	out := make([]CredentialInfo, 0, len(creds))
	for _, c := range creds {
		if c.Status == store.CredentialPending && !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt) {
			continue
		}
		out = append(out, s.info(c))
	}
	return out, nil
}

// ActiveCredential returns the user's active credential of factor.
func (s *Service) ActiveCredential(ctx context.Context, userID, factor string) (CredentialInfo, error) {
	c, err := s.store.FindCredential(ctx, userID, factor, store.CredentialActive)
	if err != nil {
		return CredentialInfo{}, notFound(err, ErrNotEnrolled)
	}
	return s.info(c), nil
}

// RemoveCredential deletes one of the user's credentials and its challenges.
func (s *Service) RemoveCredential(ctx context.Context, m Meta, userID, credentialID string) (_ Removed, err error) {
	user, err := s.user(ctx, userID)
	if err != nil {
		return Removed{}, err
	}
	factor := ""
	if c, gerr := s.store.GetCredential(ctx, credentialID); gerr == nil && c.UserID == user.ID {
		factor = c.Factor
	}
	entry := auditEntry{action: actionRemove, user: user, factor: factor, credentialID: credentialID}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		return s.store.DeleteCredential(ctx, user.ID, credentialID)
	})
	if err != nil {
		entry.err = notFound(err, ErrNotFound)
		s.audit(ctx, m, entry)
		return Removed{}, entry.err
	}
	return Removed{CredentialID: credentialID, Factor: factor, Event: ev}, nil
}

func (s *Service) user(ctx context.Context, id string) (store.User, error) {
	if id == "" {
		return store.User{}, &Error{Kind: ErrUserNotFound}
	}
	u, err := s.store.GetUser(ctx, id)
	if err != nil {
		return store.User{}, notFound(err, ErrUserNotFound)
	}
	return u, nil
}

func (s *Service) userAndFactor(ctx context.Context, userID, factor string) (store.User, guardedFactor, error) {
	user, err := s.user(ctx, userID)
	if err != nil {
		return store.User{}, guardedFactor{}, err
	}
	f, err := s.factor(factor)
	if err != nil {
		return store.User{}, guardedFactor{}, err
	}
	return user, f, nil
}

func sdkUser(u store.User) sdk.User {
	return sdk.User{ID: u.ID, Name: u.Name, Email: u.Email}
}
