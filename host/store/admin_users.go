package store

import (
	"context"
	"strings"
	"time"
)

// UserQuery selects a page of users for an operator: those whose name or
// email contains Search (case-insensitive; empty: all), ordered by name,
// after the name After (the last name of the previous page).
type UserQuery struct {
	Search string
	After  string
	Limit  int
}

// SearchUsers returns a page of the users q selects.
func (s *SQLStore) SearchUsers(ctx context.Context, q UserQuery) ([]User, error) {
	pattern := "%" + likeEscape(strings.ToLower(q.Search)) + "%"
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users
		WHERE name > ? AND (LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\')
		ORDER BY name LIMIT ?`, q.After, pattern, pattern, pageSize(q.Limit))
	if err != nil {
		return nil, wrapErr("search users", err)
	}
	users, err := collect(rows, scanUser)
	if err != nil {
		return nil, wrapErr("search users", err)
	}
	return users, nil
}

// likeEscape escapes the wildcards of a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetUserDisabled disables the user at the time at, or enables them when at
// is zero. Disabling also ends the user's login sessions and deletes their
// OAuth codes, tokens and mfa_tokens, in one transaction, so nothing issued
// before keeps working; personal API tokens stay, refused while the user is
// disabled. ErrNotFound when there is no such user.
func (s *SQLStore) SetUserDisabled(ctx context.Context, id string, at time.Time) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		s.forgetTokensOf(ctx, id)
		res, err := s.exec(ctx, `UPDATE users SET disabled_at = ?, updated_at = ? WHERE id = ?`,
			nullMicros(normTime(at)), toMicros(s.now()), id)
		if err != nil {
			return wrapErr("set user disabled", err)
		}
		if err := expectOne(res, id); err != nil {
			return wrapErr("set user disabled", err)
		}
		if at.IsZero() {
			return nil
		}
		for _, table := range []string{"sessions", "oauth_requests", "oauth_mfa_tokens"} {
			if _, err := s.exec(ctx, `DELETE FROM `+table+` WHERE user_id = ?`, id); err != nil {
				return wrapErr("disable user: end "+table, err)
			}
		}
		return nil
	})
}

// DeleteUser deletes the user and, through the foreign keys, everything of
// theirs: credentials, challenges, sessions, API tokens and OAuth tokens;
// also their second-factor failure counter. The audit log keeps its events.
// ErrNotFound when there is no such user.
func (s *SQLStore) DeleteUser(ctx context.Context, id string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		s.forgetTokensOf(ctx, id)
		res, err := s.exec(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return wrapErr("delete user", err)
		}
		if err := expectOne(res, id); err != nil {
			return wrapErr("delete user", err)
		}
		_, err = s.exec(ctx, `DELETE FROM lockout_counters WHERE counter_key = ?`, id)
		return wrapErr("delete user: failure counter", err)
	})
}

// DeleteLockoutCounters deletes the failure counters named by keys and
// those whose key starts with prefix (none when prefix is empty), lifting
// any lock they hold. It returns how many it deleted.
func (s *SQLStore) DeleteLockoutCounters(ctx context.Context, keys []string, prefix string) (int64, error) {
	var total int64
	err := s.InTx(ctx, func(ctx context.Context) error {
		total = 0
		for _, k := range keys {
			res, err := s.exec(ctx, `DELETE FROM lockout_counters WHERE counter_key = ?`, k)
			if err != nil {
				return wrapErr("delete lockout counters", err)
			}
			n, _ := res.RowsAffected()
			total += n
		}
		if prefix == "" {
			return nil
		}
		res, err := s.exec(ctx, `DELETE FROM lockout_counters WHERE counter_key LIKE ? ESCAPE '\'`, likeEscape(prefix)+"%")
		if err != nil {
			return wrapErr("delete lockout counters", err)
		}
		n, _ := res.RowsAffected()
		total += n
		return nil
	})
	return total, err
}

// GetAPIToken returns the personal API token with the given id.
func (s *SQLStore) GetAPIToken(ctx context.Context, id string) (APIToken, error) {
	t, err := scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = ?`, id))
	if err != nil {
		return APIToken{}, wrapErr("get api token", err)
	}
	return t, nil
}

// ListAllAPITokens returns every user's personal API tokens, oldest first.
func (s *SQLStore) ListAllAPITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at, id`)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	ts, err := collect(rows, scanToken)
	if err != nil {
		return nil, wrapErr("list api tokens", err)
	}
	return ts, nil
}

// AuditQuery selects audit events: of one user (empty: all), at or after
// Since (zero: any time), of one action (empty: all), with an id below
// Before (zero: the newest), at most Limit, newest first.
type AuditQuery struct {
	UserID string
	Since  time.Time
	Action string
	Before int64
	Limit  int
}

// QueryAudit returns the audit events q selects, newest first.
func (s *SQLStore) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if q.UserID != "" {
		add("user_id = ?", q.UserID)
	}
	if !q.Since.IsZero() {
		add("occurred_at >= ?", toMicros(q.Since))
	}
	if q.Action != "" {
		add("action = ?", q.Action)
	}
	if q.Before > 0 {
		add("id < ?", q.Before)
	}
	query := `SELECT ` + auditColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := s.query(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, pageSize(q.Limit))...)
	if err != nil {
		return nil, wrapErr("query audit", err)
	}
	events, err := collect(rows, scanAudit)
	if err != nil {
		return nil, wrapErr("query audit", err)
	}
	return events, nil
}
