package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const userColumns = `id, org_id, name, password_hash, email, admin, created_at, updated_at, disabled_at`

// userRow receives the userColumns of one row.
type userRow struct {
	u                User
	created, updated int64
	disabled         sql.NullInt64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.OrgID, &r.u.Name, &r.u.PasswordHash, &r.u.Email, &r.u.Admin, &r.created, &r.updated, &r.disabled}
}

func (r *userRow) user() User {
	u := r.u
	u.CreatedAt = fromMicros(r.created)
	u.UpdatedAt = fromMicros(r.updated)
	u.DisabledAt = fromNullMicros(r.disabled)
	return u
}

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var r userRow
	if err := row.Scan(r.dest()...); err != nil {
		return User{}, err
	}
	return r.user(), nil
}

// CreateUser inserts u and returns it as stored.
func (s *SQLStore) CreateUser(ctx context.Context, u User) (User, error) {
	if u.ID == "" || u.Name == "" {
		return User{}, errors.New("store: create user: id and name are required")
	}
	now := s.now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	u.CreatedAt, u.UpdatedAt = normTime(u.CreatedAt), normTime(u.UpdatedAt)
	u.DisabledAt = normTime(u.DisabledAt)
	_, err := s.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Name, u.PasswordHash, u.Email, u.Admin, toMicros(u.CreatedAt), toMicros(u.UpdatedAt), nullMicros(u.DisabledAt))
	if err != nil {
		return User{}, wrapErr("create user", err)
	}
	return u, nil
}

// GetUser returns the user with the given id.
func (s *SQLStore) GetUser(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, wrapErr("get user", err)
	}
	return u, nil
}

// GetUserByName returns the user with the given name.
func (s *SQLStore) GetUserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if err != nil {
		return User{}, wrapErr("get user by name", err)
	}
	return u, nil
}

// ListUsers returns up to limit users with an id greater than afterID,
// ordered by id.
func (s *SQLStore) ListUsers(ctx context.Context, afterID string, limit int) ([]User, error) {
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users WHERE id > ? ORDER BY id LIMIT ?`,
		afterID, pageSize(limit))
	if err != nil {
		return nil, wrapErr("list users", err)
	}
	users, err := collect(rows, scanUser)
	if err != nil {
		return nil, wrapErr("list users", err)
	}
	return users, nil
}

// UpdateUser overwrites the mutable fields of user u.ID; whether the user
// is disabled changes only through SetUserDisabled.
func (s *SQLStore) UpdateUser(ctx context.Context, u User) (User, error) {
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = s.now()
	}
	u.UpdatedAt = normTime(u.UpdatedAt)
	var (
		created  int64
		disabled sql.NullInt64
	)
	err := s.InTx(ctx, func(ctx context.Context) error {
		s.forgetTokensOf(ctx, u.ID)
		return s.queryRow(ctx, `UPDATE users
		SET org_id = ?, name = ?, password_hash = ?, email = ?, admin = ?, updated_at = ?
		WHERE id = ? RETURNING created_at, disabled_at`,
			u.OrgID, u.Name, u.PasswordHash, u.Email, u.Admin, toMicros(u.UpdatedAt), u.ID).Scan(&created, &disabled)
	})
	if err != nil {
		return User{}, wrapErr("update user", err)
	}
	u.CreatedAt = fromMicros(created)
	u.DisabledAt = fromNullMicros(disabled)
	return u, nil
}

// pageSize applies DefaultPageSize to a non-positive limit.
func pageSize(limit int) int {
	if limit <= 0 {
		return DefaultPageSize
	}
	return limit
}

// collect scans all rows with scan and closes them.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	return out, nil
}
