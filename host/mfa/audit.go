package mfa

import (
	"context"
	"errors"

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

// audit records an outcome. It never records a code, a secret or a phone
// number: only who, what, which factor, the result and where from. A failed
// audit write is logged; the success path writes its event in the same
// transaction as its commit instead (see commitVerified).
func (s *Service) audit(ctx context.Context, m Meta, e auditEntry) {
	if _, err := s.store.AppendAudit(ctx, s.auditEvent(m, e)); err != nil {
		s.log.ErrorContext(ctx, "audit write failed", "action", e.action, "user", e.user.ID, "error", err)
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
		Detail:       detail,
	}
}
