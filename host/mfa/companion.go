package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// A companion is an enrollment of a factor that confirms without a proof
// (backup codes), made as far as the factor goes before anything is stored
// and then committed on its own (enrollAtOnce) or in the commit of another
// confirmation (ConfirmRequest.AlsoEnroll).
type companion struct {
	cred    store.Credential
	state   []byte // sealed credential state
	display sdk.Display
}

// enrollAtOnce enrolls a factor that confirms without a proof: the
// credential is active as soon as the enrollment begins (replacing the
// active one when the request allows it), and its display is shown once. The
// begin and the confirmation are audited in the same commit.
func (s *Service) enrollAtOnce(ctx context.Context, m Meta, begin auditEntry, req BeginRequest, now time.Time) (Enrollment, error) {
	c, err := s.prepareCompanion(ctx, begin.user, req.Factor, req.Params, now)
	if err != nil {
		return Enrollment{}, err
	}
	begin.credentialID = c.cred.ID
	var ev Event
	err = s.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.appendAudit(ctx, m, begin); err != nil {
			return err
		}
		var err error
		ev, err = s.commitCompanion(ctx, m, begin.user, c, now, req.Replace)
		return err
	})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return Enrollment{}, &Error{Kind: ErrAlreadyEnrolled}
	case err != nil:
		return Enrollment{}, fmt.Errorf("store enrollment: %w", err)
	}
	return Enrollment{ID: c.cred.ID, Factor: req.Factor, Display: c.display, Active: true, Event: ev}, nil
}

// prepareCompanion enrolls the user in factor as far as the factor goes
// without a proof: begin, then finish with an empty proof. Nothing is stored.
func (s *Service) prepareCompanion(ctx context.Context, user store.User, factor string, params map[string]string, now time.Time) (*companion, error) {
	f, err := s.factor(factor)
	if err != nil {
		return nil, err
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
// credential of its factor, replacing an older one when replace is set, and
// appends its audit event, inside the caller's transaction.
func (s *Service) commitCompanion(ctx context.Context, m Meta, user store.User, c *companion, now time.Time, replace bool) (Event, error) {
	pending := c.cred
	pending.State = c.state
	stored, err := s.store.PutPendingCredential(ctx, pending)
	if err != nil {
		return Event{}, err
	}
	if _, err := s.store.ActivateCredential(ctx, stored.ID, stored.Version, c.state, now, replace); err != nil {
		return Event{}, err
	}
	return s.appendAudit(ctx, m, auditEntry{action: actionEnrollConfirm, user: user, factor: c.cred.Factor,
		credentialID: c.cred.ID, detail: map[string]string{"confirmed": "without proof"}})
}
