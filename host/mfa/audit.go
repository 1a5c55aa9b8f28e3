package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// Audit actions.
const (
	actionEnrollBegin   = "enroll.begin"
	actionEnrollConfirm = "enroll.confirm"
	actionEnrollCancel  = "enroll.cancel"
	actionChallenge     = "challenge"
	actionVerify        = "verify"
	actionRemove        = "remove"
)

// outcome names the result of an operation for the audit log.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	for _, k := range []struct {
		kind error
		name string
	}{
		{ErrInvalidCode, "invalid"}, {ErrExpired, "expired"}, {ErrReplayed, "replayed"},
		{ErrLocked, "locked"}, {ErrChallengeSpent, "challenge_spent"}, {ErrThrottled, "throttled"},
		{ErrNoChallenge, "no_challenge"}, {ErrInvalidParams, "invalid_params"},
		{ErrUnavailable, "unavailable"}, {ErrCredentialBroken, "credential_broken"},
		{ErrAlreadyEnrolled, "already_enrolled"}, {ErrBusy, "busy"},
	} {
		if errors.Is(err, k.kind) {
			return k.name
		}
	}
	return "error"
}

type auditEntry struct {
	action       string
	user         store.User
	factor       string
	credentialID string
	err          error
	detail       map[string]string
}

// Event is the audit event a lifecycle change committed with it. Its ID comes
// from the store and grows with every event, so a front door that reports a
// change's sequence and date (Zitadel's details) takes them from here instead
// of reading the log back.
type Event struct {
	ID   int64
	Time time.Time
}

// commit runs change and appends the audit event of its success in one
// transaction, and returns that event: a change is never stored without its
// event, nor an event without its change.
func (s *Service) commit(ctx context.Context, m Meta, e auditEntry, change func(ctx context.Context) error) (Event, error) {
	var ev Event
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		if err := change(ctx); err != nil {
			return err
		}
		var err error
		ev, err = s.appendAudit(ctx, m, e)
		return err
	})
	return ev, err
}

// appendAudit writes an event, inside the caller's transaction when there is one.
func (s *Service) appendAudit(ctx context.Context, m Meta, e auditEntry) (Event, error) {
	s.observe(m, e)
	stored, err := s.store.AppendAudit(ctx, s.auditEvent(m, e))
	if err != nil {
		return Event{}, fmt.Errorf("audit %s: %w", e.action, err)
	}
	return Event{ID: stored.ID, Time: stored.Time}, nil
}

// audit records the outcome of an operation that failed. It never records a
// code, a secret or a phone number: only who, what, which factor, the result
// and where from. A failed write is logged; a success writes its event in the
// transaction of its change instead (see commit).
func (s *Service) audit(ctx context.Context, m Meta, e auditEntry) {
	s.observe(m, e)
	if _, err := s.store.AppendAudit(ctx, s.auditEvent(m, e)); err != nil {
		s.log.ErrorContext(ctx, "audit write failed", "action", e.action, "user", e.user.ID, "error", err)
	}
}

// observe reports an audited outcome to the observer: every verification's
// result passes through here exactly once, as its audit event does.
func (s *Service) observe(m Meta, e auditEntry) {
	if e.action == actionVerify {
		s.opts.Observer.Verification(e.factor, m.Via, outcome(e.err))
	}
}

func (s *Service) auditEvent(m Meta, e auditEntry) store.AuditEvent {
	detail := map[string]string{}
	for k, v := range e.detail {
		detail[k] = v
	}
	if m.Via != "" {
		detail["via"] = m.Via
	}
	var reason string
	var lerr *Error
	if errors.As(e.err, &lerr) && lerr.Reason != "" {
		reason = lerr.Reason
		detail["reason"] = reason
	}
	actor := m.Actor
	if actor == "" {
		actor = e.user.ID
	}
	return store.AuditEvent{
		Time:         s.now(),
		OrgID:        e.user.OrgID,
		UserID:       e.user.ID,
		Actor:        actor,
		Action:       e.action,
		Factor:       e.factor,
		CredentialID: e.credentialID,
		Result:       outcome(e.err),
		RemoteAddr:   m.RemoteAddr,
		UserAgent:    m.UserAgent,
		Detail:       detail,
	}
}
