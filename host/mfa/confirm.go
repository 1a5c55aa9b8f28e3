package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// ConfirmRequest confirms a pending enrollment with the user's proof. It names
// the enrollment by ID, or by Factor for front doors that have no id.
type ConfirmRequest struct {
	UserID       string
	EnrollmentID string
	Factor       string
	Proof        sdk.Proof
	// Replace lets the confirmed credential replace an active one (see BeginRequest.Replace).
	Replace bool
	// Name, for a factor whose users hold several credentials, names the
	// credential (a security key) in place of the name given when the
	// enrollment began; empty keeps that one.
	Name string
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
	// AMR is what the enrollment's proof proved: the factor's answer, or
	// its description's AMR when it gave none.
	AMR []string
	// Display is what the factor shows once on confirmation (backup codes).
	Display sdk.Display
	// Also is the enrollment made with ConfirmRequest.AlsoEnroll, if any.
	Also *Confirmed
	// Event is the audit event the confirmation committed.
	Event Event
}

// confirmation is one ConfirmEnrollment call, carried across the attempts
// that a lost compare-and-swap makes it repeat.
type confirmation struct {
	req   ConfirmRequest
	user  store.User
	cred  store.Credential // the pending credential as last loaded
	f     guardedFactor
	entry auditEntry
	now   time.Time
	// also is the companion enrollment, prepared once the proof is valid.
	also *companion
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
	c := &confirmation{req: req, user: user, cred: cred, now: s.now(),
		entry: auditEntry{action: actionEnrollConfirm, user: user, factor: cred.Factor, credentialID: cred.ID}}
	defer func() {
		if err != nil {
			c.entry.err = err
			s.audit(ctx, m, c.entry)
		}
	}()
	if c.f, err = s.factor(cred.Factor); err != nil {
		return Confirmed{}, err
	}
	if !cred.ExpiresAt.IsZero() && !c.now.Before(cred.ExpiresAt) {
		return Confirmed{}, failure(ErrExpired, "the enrollment expired; start again")
	}
	if err := s.reserveAttempt(ctx, user, c.now); err != nil {
		return Confirmed{}, err
	}
	for range s.opts.MaxCommitRetries {
		out, done, err := s.confirmOnce(ctx, m, c)
		if done && err == nil {
			s.codeUsed(ctx, user.ID, c.f)
		}
		if done || err != nil {
			return out, err
		}
	}
	return Confirmed{}, &Error{Kind: ErrBusy}
}

// confirmOnce asks the factor about the proof against the credential as last
// loaded and commits the outcome. It returns done=false when the credential
// changed meanwhile and has been reloaded for another attempt.
func (s *Service) confirmOnce(ctx context.Context, m Meta, c *confirmation) (Confirmed, bool, error) {
	pending, err := s.openCredential(c.cred)
	if err != nil {
		return Confirmed{}, true, err
	}
	resp, err := c.f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: sdkUser(c.user), PendingState: pending, Proof: c.req.Proof, Now: c.now})
	if err != nil {
		return Confirmed{}, true, factorError("finish enrollment", err)
	}
	if resp.Result != sdk.ResultOK {
		return s.rejectConfirmation(ctx, c, resp)
	}
	return s.activateConfirmed(ctx, m, c, resp)
}

// rejectConfirmation keeps what a refused proof changed in the pending state
// (an attempt count), with compare-and-swap, and answers with the factor's
// result.
func (s *Service) rejectConfirmation(ctx context.Context, c *confirmation, resp sdk.FinishEnrollmentResponse) (Confirmed, bool, error) {
	refused := resultError(resp.Result, resp.Reason, resp.RetryAfter)
	if resp.PendingState == nil {
		return Confirmed{}, true, refused
	}
	sealed, err := s.sealCredential(c.cred, resp.PendingState)
	if err != nil {
		return Confirmed{}, true, err
	}
	_, err = s.store.UpdateCredentialState(ctx, c.cred.ID, c.cred.Version, sealed, time.Time{})
	switch {
	case errors.Is(err, store.ErrConflict):
		if c.cred, err = s.pendingCredential(ctx, c.user.ID, c.cred.ID, ""); err != nil {
			return Confirmed{}, true, err
		}
		return Confirmed{}, false, nil
	case err != nil:
		return Confirmed{}, true, fmt.Errorf("store enrollment attempt: %w", err)
	}
	return Confirmed{}, true, refused
}

// activateConfirmed makes the confirmed credential active, with its
// companion if one was asked for, the user's failure count reset and the
// audit events, in one transaction.
func (s *Service) activateConfirmed(ctx context.Context, m Meta, c *confirmation, resp sdk.FinishEnrollmentResponse) (Confirmed, bool, error) {
	if len(resp.CredentialState) == 0 {
		return Confirmed{}, true, &Error{Kind: ErrCredentialBroken, cause: errors.New("factor confirmed an enrollment without credential state")}
	}
	if c.f.Description().MultipleCredentials && resp.CredentialKey == "" {
		return Confirmed{}, true, &Error{Kind: ErrCredentialBroken, cause: errors.New("factor with several credentials confirmed an enrollment without a credential key")}
	}
	sealed, err := s.sealCredential(c.cred, resp.CredentialState)
	if err != nil {
		return Confirmed{}, true, err
	}
	if c.req.AlsoEnroll != "" && c.also == nil {
		if c.also, err = s.prepareCompanion(ctx, c.user, c.req.AlsoEnroll, nil, c.now); err != nil {
			return Confirmed{}, true, err
		}
	}
	var out Confirmed
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.activate(ctx, c, sealed, resp.CredentialKey); err != nil {
			return err
		}
		if err := s.store.ResetAttempts(ctx, c.user.ID); err != nil {
			return err
		}
		var err error
		if out.Event, err = s.appendAudit(ctx, m, c.entry); err != nil || c.also == nil {
			return err
		}
		out.Also = &Confirmed{Display: c.also.display}
		out.Also.Event, err = s.commitCompanion(ctx, m, c.user, c.also, c.now, true)
		return err
	})
	if err != nil {
		return s.activationFailed(ctx, c, err)
	}
	c.cred.Status = store.CredentialActive
	if c.f.Description().MultipleCredentials {
		c.cred.Key = resp.CredentialKey
		if name := credentialName(c.f.Description(), map[string]string{"name": c.req.Name}); name != "" {
			c.cred.Name = name
		}
	}
	out.Credential, out.Display = s.info(c.cred), resp.Display
	out.AMR = out.Credential.AMR
	if len(resp.AMR) > 0 {
		out.AMR = resp.AMR
	}
	if c.also != nil {
		c.also.cred.Status = store.CredentialActive
		out.Also.Credential = s.info(c.also.cred)
	}
	return out, true, nil
}

// activationFailed maps a failed activation to the caller's error, or
// reloads the credential when another attempt changed it first.
func (s *Service) activationFailed(ctx context.Context, c *confirmation, err error) (Confirmed, bool, error) {
	switch {
	case errors.Is(err, store.ErrConflict):
		// Another attempt changed or confirmed the enrollment first.
		if c.cred, err = s.pendingCredential(ctx, c.user.ID, c.cred.ID, ""); err != nil {
			if errors.Is(err, ErrNoEnrollment) {
				return Confirmed{}, true, failure(ErrReplayed, "the enrollment was already confirmed")
			}
			return Confirmed{}, true, err
		}
		return Confirmed{}, false, nil
	case errors.Is(err, store.ErrAlreadyExists) && c.f.Description().MultipleCredentials:
		return Confirmed{}, true, failure(ErrAlreadyEnrolled, "this security key or passkey is registered already")
	case errors.Is(err, store.ErrAlreadyExists):
		return Confirmed{}, true, &Error{Kind: ErrAlreadyEnrolled}
	case errors.Is(err, store.ErrNotFound):
		return Confirmed{}, true, &Error{Kind: ErrNoEnrollment}
	}
	return Confirmed{}, true, fmt.Errorf("activate credential: %w", err)
}
