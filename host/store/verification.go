package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The verification path: one read and one write.
//
// A verification reads the user, the user's active credential of the factor
// and the user's failure counter, and commits the credential's new state with
// its audit event. Each of these was a query of its own; on PostgreSQL every
// query is a round trip, and a transaction adds two more (BEGIN, COMMIT). The
// methods here do the read in one query and the write in one statement.

// qualify prefixes each of a comma-separated column list with alias.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// outerJoined qualifies columns like qualify and, for the columns named in
// zero, selects the given zero value when the outer join found no row, so
// that a row scanner written for the table reads "no row" as zero values.
func outerJoined(alias, columns string, zero map[string]string) string {
	cols := strings.Split(qualify(alias, columns), ", ")
	for i, c := range cols {
		if z, ok := zero[strings.TrimPrefix(c, alias+".")]; ok {
			cols[i] = "COALESCE(" + c + ", " + z + ")"
		}
	}
	return strings.Join(cols, ", ")
}

// verificationQuery reads a user, its active credential of a factor and its
// failure counter (keyed by the user's id). The credential's conditions are
// those of the partial unique index credentials_one_active, which is what
// finds it.
var verificationQuery = `SELECT ` + qualify("u", userColumns) + `, ` +
	outerJoined("c", credentialColumns, map[string]string{
		"id": "''", "user_id": "''", "factor": "''", "status": "''", "version": "0",
		"created_at": "0", "updated_at": "0", "credential_key": "''", "name": "''"}) + `, ` +
	outerJoined("l", lockoutColumns, map[string]string{"failures": "0", "lock_count": "0", "updated_at": "0"}) + `
	FROM users u
	LEFT JOIN credentials c ON c.user_id = u.id AND c.factor = ? AND c.status = 'active' AND c.credential_key = ''
	LEFT JOIN lockout_counters l ON l.counter_key = u.id
	WHERE u.id = ?`

// VerificationRecord is what a verification reads before the factor sees the
// proof.
type VerificationRecord struct {
	User User
	// Credential is the user's active credential of the factor; its ID is
	// empty when there is none.
	Credential Credential
	// Lockout is the user's failure counter (its key is the user's id).
	Lockout Lockout
}

// LoadVerification reads the user with the given id, its active credential
// of factor and its failure counter in one query. A missing user is
// ErrNotFound; a missing credential or counter is not an error. It is for
// factors with one credential per user: a credential with a key (one of
// several) is not found.
func (s *SQLStore) LoadVerification(ctx context.Context, userID, factor string) (VerificationRecord, error) {
	var (
		u userRow
		c credentialRow
		l lockoutRow
	)
	dest := append(append(u.dest(), c.dest()...), l.dest()...)
	if err := s.queryRow(ctx, verificationQuery, factor, userID).Scan(dest...); err != nil {
		return VerificationRecord{}, wrapErr("load verification", err)
	}
	rec := VerificationRecord{User: u.user(), Lockout: Lockout{Key: userID}}
	if c.c.ID != "" {
		rec.Credential = c.credential()
	}
	if l.updated != 0 {
		rec.Lockout = l.lockout(userID)
	}
	return rec, nil
}

// CredentialUse is a verified use of a credential, stored with
// compare-and-swap on Version.
type CredentialUse struct {
	ID      string
	Version int64
	// State replaces the credential's state; its version goes up by one.
	State  []byte
	UsedAt time.Time
	// ResetAttempts, when not empty, names the failure counter whose
	// failure and lock counts the use clears (see ResetAttempts).
	ResetAttempts string
}

// CommitCredentialUse stores the use and appends the audit event e, in one
// transaction, and returns e as stored. A credential whose version moved on
// is ErrConflict and one that is gone ErrNotFound; nothing is written then.
// On PostgreSQL it is one statement, so one round trip.
func (s *SQLStore) CommitCredentialUse(ctx context.Context, use CredentialUse, e AuditEvent) (AuditEvent, error) {
	if use.UsedAt.IsZero() {
		return AuditEvent{}, errors.New("store: commit credential use: the time of use is required")
	}
	if s.dialect != postgresDialect {
		err := s.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.UpdateCredentialState(ctx, use.ID, use.Version, use.State, use.UsedAt); err != nil {
				return err
			}
			if use.ResetAttempts != "" {
				if err := s.ResetAttempts(ctx, use.ResetAttempts); err != nil {
					return err
				}
			}
			var err error
			e, err = s.AppendAudit(ctx, e)
			return err
		})
		if err != nil {
			return AuditEvent{}, fmt.Errorf("store: commit credential use: %w", err)
		}
		return e, nil
	}
	return s.commitCredentialUsePostgres(ctx, use, e)
}

// credentialUseStatement updates the credential and, only if that matched,
// appends the event: a lost compare-and-swap returns no row and writes
// nothing. The parameters of the SELECT carry their types, which PostgreSQL
// cannot infer there.
const credentialUseStatement = `WITH used AS (
	UPDATE credentials SET state = ?, version = version + 1, updated_at = ?, last_used_at = ?
	WHERE id = ? AND version = ? RETURNING id)%s
INSERT INTO audit_events (` + auditInsertColumns + `)
	SELECT ?::bigint, ?::bigint, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text FROM used
	RETURNING id`

// resetStatement is the part of credentialUseStatement that clears a
// failure counter.
const resetStatement = `, reset AS (
	UPDATE lockout_counters SET failures = 0, lock_count = 0, updated_at = ?
	WHERE counter_key = ? AND EXISTS (SELECT 1 FROM used))`

// The two forms of credentialUseStatement, without and with the reset.
var (
	credentialUse          = fmt.Sprintf(credentialUseStatement, "")
	credentialUseWithReset = fmt.Sprintf(credentialUseStatement, resetStatement)
)

func (s *SQLStore) commitCredentialUsePostgres(ctx context.Context, use CredentialUse, e AuditEvent) (AuditEvent, error) {
	e, detail, err := s.auditRow(e)
	if err != nil {
		return AuditEvent{}, fmt.Errorf("store: commit credential use: %w", err)
	}
	used := toMicros(normTime(use.UsedAt))
	args := []any{nonNilBytes(use.State), used, used, use.ID, use.Version}
	statement := credentialUse
	if use.ResetAttempts != "" {
		statement = credentialUseWithReset
		args = append(args, used, use.ResetAttempts)
	}
	args = append(args, auditValues(e, detail)...)
	err = s.queryRow(ctx, statement, args...).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.casMiss(ctx, "credentials", use.ID)
	}
	if err != nil {
		return AuditEvent{}, wrapErr("commit credential use", err)
	}
	return e, nil
}
