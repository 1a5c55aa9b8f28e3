package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// BeginRequest starts enrolling a user in a factor instance.
type BeginRequest struct {
	UserID string
	Factor string
	// Params are the factor's enrollment parameters ("phone" for SMS).
	Params map[string]string
	// Replace allows enrolling while the factor is already active; the new
	// credential replaces the old one when confirmed (a new set of backup codes).
	Replace bool
}

// Enrollment is a pending enrollment, or an active credential already when
// the factor confirms without a proof (backup codes are active once shown).
type Enrollment struct {
	ID        string
	Factor    string
	Display   sdk.Display
	ExpiresAt time.Time
	// Active says the enrollment needed no confirmation and is in use.
	Active bool
	// Event is the audit event the enrollment committed (for an active one,
	// its confirmation).
	Event Event
}

// BeginEnrollment asks the factor to start an enrollment and keeps its pending
// state, replacing any earlier pending enrollment of the same factor.
func (s *Service) BeginEnrollment(ctx context.Context, m Meta, req BeginRequest) (_ Enrollment, err error) {
	user, f, err := s.userAndFactor(ctx, req.UserID, req.Factor)
	if err != nil {
		return Enrollment{}, err
	}
	entry := auditEntry{action: actionEnrollBegin, user: user, factor: req.Factor}
	defer func() {
		if err != nil {
			entry.err = err
			s.audit(ctx, m, entry)
		}
	}()
	now := s.now()
	if err := s.checkBegin(ctx, user, f, req); err != nil {
		return Enrollment{}, err
	}
	if f.Description().ConfirmsWithoutProof {
		en, err := s.enrollAtOnce(ctx, m, entry, req, now)
		entry.credentialID = en.ID
		return en, err
	}
	begin := sdk.BeginEnrollmentRequest{User: sdkUser(user), Params: req.Params, Now: now}
	if f.Description().MultipleCredentials {
		if _, begin.Credentials, err = s.openActive(ctx, user.ID, req.Factor); err != nil {
			return Enrollment{}, err
		}
	}
	sent, err := s.reserveFor(ctx, f, sdk.DestinationRequest{User: begin.User, Params: req.Params, Now: now})
	if err != nil {
		return Enrollment{}, err
	}
	resp, err := f.BeginEnrollment(ctx, begin)
	if err != nil {
		if sent != nil {
			s.refundSend(ctx, *sent)
		}
		return Enrollment{}, factorError("begin enrollment", err)
	}
	ttl := s.opts.EnrollmentTTL
	if d := f.Description().EnrollmentTTL; d > 0 && d < ttl {
		ttl = d
	}
	cred := store.Credential{ID: s.opts.NewID(), UserID: user.ID, Factor: req.Factor, CreatedAt: now, ExpiresAt: now.Add(ttl),
		Name: credentialName(f.Description(), req.Params)}
	entry.credentialID = cred.ID
	if cred.State, err = s.sealCredential(cred, resp.PendingState); err != nil {
		return Enrollment{}, err
	}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		_, err := s.store.PutPendingCredential(ctx, cred)
		return err
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("store pending enrollment: %w", err)
	}
	return Enrollment{ID: cred.ID, Factor: req.Factor, Display: resp.Display, ExpiresAt: cred.ExpiresAt, Event: ev}, nil
}

// checkBegin refuses an enrollment the factor cannot make and one the user
// already has (unless it replaces it, or the factor lets a user hold several).
func (s *Service) checkBegin(ctx context.Context, user store.User, f guardedFactor, req BeginRequest) error {
	if !f.Description().Has(sdk.CapabilityEnroll) {
		return failure(ErrUnsupported, "this factor cannot be enrolled here")
	}
	if !req.Replace && !f.Description().MultipleCredentials {
		if _, err := s.store.FindCredential(ctx, user.ID, req.Factor, store.CredentialActive); err == nil {
			return &Error{Kind: ErrAlreadyEnrolled}
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look up active credential: %w", err)
		}
	}
	return nil
}

// Removed is a credential or pending enrollment that was deleted.
type Removed struct {
	CredentialID string
	Factor       string
	// Event is the audit event the removal committed.
	Event Event
}

// CancelEnrollment drops the user's pending enrollment of factor.
func (s *Service) CancelEnrollment(ctx context.Context, m Meta, userID, factor string) (_ Removed, err error) {
	user, err := s.user(ctx, userID)
	if err != nil {
		return Removed{}, err
	}
	cred, err := s.store.FindCredential(ctx, user.ID, factor, store.CredentialPending)
	if err != nil {
		return Removed{}, notFound(err, ErrNoEnrollment)
	}
	entry := auditEntry{action: actionEnrollCancel, user: user, factor: factor, credentialID: cred.ID}
	ev, err := s.commit(ctx, m, entry, func(ctx context.Context) error {
		return s.store.DeleteCredential(ctx, user.ID, cred.ID)
	})
	if err != nil {
		entry.err = notFound(err, ErrNoEnrollment)
		s.audit(ctx, m, entry)
		return Removed{}, entry.err
	}
	return Removed{CredentialID: cred.ID, Factor: factor, Event: ev}, nil
}

// PendingEnrollment returns the user's pending enrollment of factor.
func (s *Service) PendingEnrollment(ctx context.Context, userID, factor string) (CredentialInfo, error) {
	cred, err := s.store.FindCredential(ctx, userID, factor, store.CredentialPending)
	if err != nil {
		return CredentialInfo{}, notFound(err, ErrNoEnrollment)
	}
	if !cred.ExpiresAt.IsZero() && !s.now().Before(cred.ExpiresAt) {
		return CredentialInfo{}, &Error{Kind: ErrNoEnrollment}
	}
	return s.info(cred), nil
}

// pendingCredential loads the user's pending credential by id, or by factor
// when id is empty.
func (s *Service) pendingCredential(ctx context.Context, userID, id, factor string) (store.Credential, error) {
	var cred store.Credential
	var err error
	if id != "" {
		cred, err = s.store.GetCredential(ctx, id)
	} else {
		cred, err = s.store.FindCredential(ctx, userID, factor, store.CredentialPending)
	}
	if err != nil {
		return store.Credential{}, notFound(err, ErrNoEnrollment)
	}
	if cred.UserID != userID || cred.Status != store.CredentialPending || (factor != "" && cred.Factor != factor) {
		return store.Credential{}, &Error{Kind: ErrNoEnrollment}
	}
	return cred, nil
}
