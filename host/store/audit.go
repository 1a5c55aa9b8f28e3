package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

const (
	auditInsertColumns = `occurred_at, org_id, user_id, actor, action, factor, credential_id, result, remote_addr, user_agent, detail`
	auditColumns       = `id, ` + auditInsertColumns
	auditInsert        = `INSERT INTO audit_events (` + auditInsertColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

func scanAudit(row interface{ Scan(...any) error }) (AuditEvent, error) {
	var (
		e        AuditEvent
		occurred int64
		detail   sql.NullString
	)
	if err := row.Scan(&e.ID, &occurred, &e.OrgID, &e.UserID, &e.Actor, &e.Action, &e.Factor,
		&e.CredentialID, &e.Result, &e.RemoteAddr, &e.UserAgent, &detail); err != nil {
		return AuditEvent{}, err
	}
	e.Time = fromMicros(occurred)
	if detail.Valid && detail.String != "" {
		if err := json.Unmarshal([]byte(detail.String), &e.Detail); err != nil {
			return AuditEvent{}, fmt.Errorf("audit event %d: decode detail: %w", e.ID, err)
		}
	}
	return e, nil
}

// AppendAudit appends e to the audit log and returns it with the ID the
// database assigned (an identity column on PostgreSQL, an AUTOINCREMENT rowid
// on SQLite), so callers learn which event their change wrote without
// reading the log back. An empty Detail is stored as NULL and read back as
// nil.
func (s *SQLStore) AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error) {
	e, detail, err := s.auditRow(e)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("store: append audit: %w", err)
	}
	// The database numbers the event; an append whose transaction rolls back
	// may leave a gap in the ids.
	// InTx joins the caller's transaction, or sends a lone append through
	// the writer of a SQLite store.
	args := auditValues(e, detail)
	err = s.InTx(ctx, func(ctx context.Context) error {
		if s.dialect == sqliteDialect {
			// The id is the row id, which the insert reports without the
			// result set RETURNING costs (2% of a verification's processor
			// time).
			res, err := s.exec(ctx, auditInsert, args...)
			if err != nil {
				return err
			}
			e.ID, err = res.LastInsertId()
			return err
		}
		return s.queryRow(ctx, auditInsert+` RETURNING id`, args...).Scan(&e.ID)
	})
	if err != nil {
		return AuditEvent{}, wrapErr("append audit", err)
	}
	return e, nil
}

// auditValues are the values of auditInsertColumns for e as auditRow
// returned it.
func auditValues(e AuditEvent, detail sql.NullString) []any {
	return []any{toMicros(e.Time), e.OrgID, e.UserID, e.Actor, e.Action, e.Factor,
		e.CredentialID, e.Result, e.RemoteAddr, e.UserAgent, detail}
}

// auditRow returns e as it is stored (its time set and rounded, an empty
// Detail nil) and its detail column.
func (s *SQLStore) auditRow(e AuditEvent) (AuditEvent, sql.NullString, error) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = normTime(e.Time)
	if len(e.Detail) == 0 {
		e.Detail = nil
		return e, sql.NullString{}, nil
	}
	b, err := json.Marshal(e.Detail)
	if err != nil {
		return AuditEvent{}, sql.NullString{}, fmt.Errorf("encode detail: %w", err)
	}
	return e, sql.NullString{String: string(b), Valid: true}, nil
}

// ListAudit returns up to limit events of a user, or of every user when
// userID is empty, newest first (by Time, then by ID).
func (s *SQLStore) ListAudit(ctx context.Context, userID string, limit int) ([]AuditEvent, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if userID == "" {
		rows, err = s.query(ctx, `SELECT `+auditColumns+` FROM audit_events
			ORDER BY occurred_at DESC, id DESC LIMIT ?`, pageSize(limit))
	} else {
		rows, err = s.query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE user_id = ?
			ORDER BY occurred_at DESC, id DESC LIMIT ?`, userID, pageSize(limit))
	}
	if err != nil {
		return nil, wrapErr("list audit", err)
	}
	events, err := collect(rows, scanAudit)
	if err != nil {
		return nil, wrapErr("list audit", err)
	}
	return events, nil
}
