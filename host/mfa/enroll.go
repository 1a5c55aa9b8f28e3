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
}

// BeginEnrollment asks the factor to start an enrollment and keeps its pending
// state, replacing any earlier pending enrollment of the same factor.
func (s *Service) BeginEnrollment(ctx context.Context, m Meta, req BeginRequest) (_ Enrollment, err error) {
	user, f, err := s.userAndFactor(ctx, req.UserID, req.Factor)
	if err != nil {
		return Enrollment{}, err
	}
	cred := store.Credential{ID: s.opts.NewID(), UserID: user.ID, Factor: req.Factor}
	defer func() {
		s.audit(ctx, m, auditEntry{action: actionEnrollBegin, user: user, factor: req.Factor, credentialID: cred.ID, err: err})
	}()
	if !f.Description().Has(sdk.CapabilityEnroll) {
		return Enrollment{}, failure(ErrUnsupported, "this factor cannot be enrolled here")
	}
	if !req.Replace {
		if _, err := s.store.FindCredential(ctx, user.ID, req.Factor, store.CredentialActive); err == nil {
			return Enrollment{}, &Error{Kind: ErrAlreadyEnrolled}
		} else if !errors.Is(err, store.ErrNotFound) {
			return Enrollment{}, fmt.Errorf("look up active credential: %w", err)
		}
	}
	now := s.now()
	if f.Description().Has(sdk.CapabilityChallenge) {
		// A factor that sends something (an SMS) on every begin must not be a
		// way to send without limit: a new begin waits out the resend
		// interval after the pending one.
		if p, err := s.store.FindCredential(ctx, user.ID, req.Factor, store.CredentialPending); err == nil {
			if wait := p.CreatedAt.Add(s.opts.ResendInterval).Sub(now); wait > 0 && now.Before(p.ExpiresAt) {
				return Enrollment{}, &Error{Kind: ErrThrottled, Reason: "a code was sent moments ago; wait before asking for another", RetryAfter: wait.Round(time.Second) + time.Second}
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return Enrollment{}, fmt.Errorf("look up pending enrollment: %w", err)
		}
	}
	if f.Description().ConfirmsWithoutProof {
		en, err := s.enrollAtOnce(ctx, m, user, req, now)
		cred.ID = en.ID
		return en, err
	}
	resp, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdkUser(user), Params: req.Params, Now: now})
	if err != nil {
		return Enrollment{}, factorError("begin enrollment", err)
	}
	ttl := s.opts.EnrollmentTTL
	if d := f.Description().EnrollmentTTL; d > 0 && d < ttl {
		ttl = d
	}
	cred.CreatedAt, cred.ExpiresAt = now, now.Add(ttl)
	if cred.State, err = s.sealCredential(cred, resp.PendingState); err != nil {
		return Enrollment{}, err
	}
	if _, err := s.store.PutPendingCredential(ctx, cred); err != nil {
		return Enrollment{}, fmt.Errorf("store pending enrollment: %w", err)
	}
	return Enrollment{ID: cred.ID, Factor: req.Factor, Display: resp.Display, ExpiresAt: cred.ExpiresAt}, nil
}

// ConfirmRequest confirms a pending enrollment with the user's proof. It names
// the enrollment by ID, or by Factor for front doors that have no id.
type ConfirmRequest struct {
	UserID       string
	EnrollmentID string
	Factor       string
	Proof        sdk.Proof
	// Replace lets the confirmed credential replace an active one (see BeginRequest.Replace).
	Replace bool
	// AlsoEnroll names a factor instance that needs no proof to confirm
	// (backup codes) to enroll in the same commit, replacing the user's active
	// credential of it. A documented endpoint that answers a confirmed TOTP
	// enrollment with a fresh set of backup codes is this composition,
	// configured by route, not a special case inside either factor.
	AlsoEnroll string
}

// Confirmed is an enrollment that became an active credential.
type Confirmed struct {
	Credential CredentialInfo
	// Display is what the factor shows once on confirmation (backup codes).
	Display sdk.Display
	// Also is the enrollment made with ConfirmRequest.AlsoEnroll, if any.
	Also *Confirmed
}

// ConfirmEnrollment checks the proof and, when it is valid, makes the pending
// credential active. The attempt counts toward the user's lockout like a
// verification.
func (s *Service) ConfirmEnrollment(ctx context.Context, m Meta, req ConfirmRequest) (_ Confirmed, err error) {
	user, err := s.user(ctx, req.UserID)
	if err != nil {
		return Confirmed{}, err
	}
	cred, err := s.pendingCredential(ctx, user.ID, req.EnrollmentID, req.Factor)
	if err != nil {
		return Confirmed{}, err
	}
	entry := auditEntry{action: actionEnrollConfirm, user: user, factor: cred.Factor, credentialID: cred.ID}
	defer func() {
		if err != nil {
			entry.err = err
			s.audit(ctx, m, entry)
		}
	}()
	f, ok := s.factors.Factor(cred.Factor)
	if !ok {
		return Confirmed{}, &Error{Kind: ErrUnknownFactor, Reason: cred.Factor}
	}
	now := s.now()
	if !cred.ExpiresAt.IsZero() && !now.Before(cred.ExpiresAt) {
		return Confirmed{}, failure(ErrExpired, "the enrollment expired; start again")
	}
	if err := s.reserveAttempt(ctx, user, now); err != nil {
		return Confirmed{}, err
	}
	for range s.opts.MaxCommitRetries {
		pending, err := s.openCredential(cred)
		if err != nil {
			return Confirmed{}, err
		}
		resp, err := f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: sdkUser(user), PendingState: pending, Proof: req.Proof, Now: now})
		if err != nil {
			return Confirmed{}, factorError("finish enrollment", err)
		}
		if resp.Result != sdk.ResultOK {
			if resp.PendingState != nil {
				sealed, err := s.sealCredential(cred, resp.PendingState)
				if err != nil {
					return Confirmed{}, err
				}
				if _, err := s.store.UpdateCredentialState(ctx, cred.ID, cred.Version, sealed, time.Time{}); errors.Is(err, store.ErrConflict) {
					if cred, err = s.pendingCredential(ctx, user.ID, cred.ID, ""); err != nil {
						return Confirmed{}, err
					}
					continue
				} else if err != nil {
					return Confirmed{}, fmt.Errorf("store enrollment attempt: %w", err)
				}
			}
			return Confirmed{}, resultError(resp.Result, resp.Reason, resp.RetryAfter)
		}
		if len(resp.CredentialState) == 0 {
			return Confirmed{}, &Error{Kind: ErrCredentialBroken, cause: errors.New("factor confirmed an enrollment without credential state")}
		}
		sealed, err := s.sealCredential(cred, resp.CredentialState)
		if err != nil {
			return Confirmed{}, err
		}
		var comp *companion
		if req.AlsoEnroll != "" {
			if comp, err = s.prepareCompanion(ctx, user, req.AlsoEnroll, nil, now); err != nil {
				return Confirmed{}, err
			}
		}
		entry.err = nil
		err = s.store.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.store.ActivateCredential(ctx, cred.ID, cred.Version, sealed, now, req.Replace); err != nil {
				return err
			}
			if err := s.store.ResetAttempts(ctx, user.ID); err != nil {
				return err
			}
			if _, err := s.store.AppendAudit(ctx, s.auditEvent(m, entry)); err != nil {
				return err
			}
			if comp != nil {
				return s.commitCompanion(ctx, m, user, comp, now, true)
			}
			return nil
		})
		switch {
		case errors.Is(err, store.ErrConflict):
			// Another attempt changed or confirmed the enrollment first.
			if cred, err = s.pendingCredential(ctx, user.ID, cred.ID, ""); err != nil {
				if errors.Is(err, ErrNoEnrollment) {
					return Confirmed{}, failure(ErrReplayed, "the enrollment was already confirmed")
				}
				return Confirmed{}, err
			}
			continue
		case errors.Is(err, store.ErrAlreadyExists):
			return Confirmed{}, &Error{Kind: ErrAlreadyEnrolled}
		case errors.Is(err, store.ErrNotFound):
			return Confirmed{}, &Error{Kind: ErrNoEnrollment}
		case err != nil:
			return Confirmed{}, fmt.Errorf("activate credential: %w", err)
		}
		cred.Status = store.CredentialActive
		out := Confirmed{Credential: s.info(cred), Display: resp.Display}
		if comp != nil {
			comp.cred.Status = store.CredentialActive
			out.Also = &Confirmed{Credential: s.info(comp.cred), Display: comp.display}
		}
		return out, nil
	}
	return Confirmed{}, &Error{Kind: ErrBusy}
}

// CancelEnrollment drops the user's pending enrollment of factor.
func (s *Service) CancelEnrollment(ctx context.Context, m Meta, userID, factor string) (err error) {
	user, err := s.user(ctx, userID)
	if err != nil {
		return err
	}
	cred, err := s.store.FindCredential(ctx, user.ID, factor, store.CredentialPending)
	if err != nil {
		return notFound(err, ErrNoEnrollment)
	}
	defer func() {
		s.audit(ctx, m, auditEntry{action: actionEnrollCancel, user: user, factor: factor, credentialID: cred.ID, err: err})
	}()
	if err := s.store.DeleteCredential(ctx, user.ID, cred.ID); err != nil {
		return notFound(err, ErrNoEnrollment)
	}
	return nil
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

// companion is an enrollment prepared to be committed with another one.
type companion struct {
	cred    store.Credential
	state   []byte // sealed credential state
	display sdk.Display
}

// enrollAtOnce enrolls a factor that confirms without a proof: the
// credential is active as soon as the enrollment begins (replacing the
// active one when the request allows it), and its display is shown once.
func (s *Service) enrollAtOnce(ctx context.Context, m Meta, user store.User, req BeginRequest, now time.Time) (Enrollment, error) {
	c, err := s.prepareCompanion(ctx, user, req.Factor, req.Params, now)
	if err != nil {
		return Enrollment{}, err
	}
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		return s.commitCompanion(ctx, m, user, c, now, req.Replace)
	})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return Enrollment{}, &Error{Kind: ErrAlreadyEnrolled}
	case err != nil:
		return Enrollment{}, fmt.Errorf("store enrollment: %w", err)
	}
	return Enrollment{ID: c.cred.ID, Factor: req.Factor, Display: c.display, Active: true}, nil
}

// prepareCompanion enrolls the user in factor as far as the factor goes
// without a proof: begin, then finish with an empty proof. Nothing is stored.
func (s *Service) prepareCompanion(ctx context.Context, user store.User, factor string, params map[string]string, now time.Time) (*companion, error) {
	f, ok := s.factors.Factor(factor)
	if !ok {
		return nil, &Error{Kind: ErrUnknownFactor, Reason: fmt.Sprintf("no factor %q is installed", factor)}
	}
	if !f.Description().Has(sdk.CapabilityEnroll) {
		return nil, failure(ErrUnsupported, fmt.Sprintf("factor %q cannot be enrolled alongside another", factor))
	}
	begin, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdkUser(user), Params: params, Now: now})
	if err != nil {
		return nil, factorError("begin companion enrollment", err)
	}
	finish, err := f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: sdkUser(user), PendingState: begin.PendingState, Now: now})
	if err != nil {
		return nil, factorError("finish companion enrollment", err)
	}
	if finish.Result != sdk.ResultOK || len(finish.CredentialState) == 0 {
		return nil, failure(ErrUnsupported, fmt.Sprintf("factor %q needs a proof to confirm, so it cannot be enrolled alongside another", factor))
	}
	c := &companion{cred: store.Credential{ID: s.opts.NewID(), UserID: user.ID, Factor: factor, CreatedAt: now, ExpiresAt: now.Add(s.opts.EnrollmentTTL)}}
	if c.state, err = s.sealCredential(c.cred, finish.CredentialState); err != nil {
		return nil, err
	}
	// The codes are shown when the enrollment begins; what the finish adds
	// (how many remain) goes with them.
	c.display = begin.Display
	if finish.Display.Remaining > 0 {
		c.display.Remaining = finish.Display.Remaining
	}
	if finish.Display.Message != "" {
		c.display.Message = finish.Display.Message
	}
	return c, nil
}

// commitCompanion stores the prepared enrollment as the user's active
// credential of its factor, replacing an older one when replace is set,
// inside the caller's transaction.
func (s *Service) commitCompanion(ctx context.Context, m Meta, user store.User, c *companion, now time.Time, replace bool) error {
	pending := c.cred
	pending.State = c.state
	stored, err := s.store.PutPendingCredential(ctx, pending)
	if err != nil {
		return err
	}
	if _, err := s.store.ActivateCredential(ctx, stored.ID, stored.Version, c.state, now, replace); err != nil {
		return err
	}
	_, err = s.store.AppendAudit(ctx, s.auditEvent(m, auditEntry{action: actionEnrollConfirm, user: user, factor: c.cred.Factor, credentialID: c.cred.ID, detail: map[string]string{"confirmed": "without proof"}}))
	return err
}
