package store

import (
	"context"
	"errors"
	"time"
)

// LoginFlow is a browser login in progress between an authorization request
// and the code it ends with. State is sealed by the caller and opaque here;
// Version increases with every write and guards concurrent steps.
type LoginFlow struct {
	ID        string
	State     []byte
	Version   int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// LoginFlowStore persists login flows; *SQLStore implements it.
type LoginFlowStore interface {
	// CreateLoginFlow inserts f with version 1 and returns it as stored.
	CreateLoginFlow(ctx context.Context, f LoginFlow) (LoginFlow, error)
	// GetLoginFlow returns the flow with the given id, expired or not.
	GetLoginFlow(ctx context.Context, id string) (LoginFlow, error)
	// UpdateLoginFlow replaces the state of flow id if its version is
	// expectedVersion and returns the new version. ErrConflict on a version
	// mismatch, ErrNotFound when the flow does not exist.
	UpdateLoginFlow(ctx context.Context, id string, expectedVersion int64, state []byte) (int64, error)
	// DeleteLoginFlow deletes the flow; ErrNotFound when absent, so that of
	// two requests finishing one flow only one succeeds.
	DeleteLoginFlow(ctx context.Context, id string) error
}

var _ LoginFlowStore = (*SQLStore)(nil)

// CreateLoginFlow inserts f with version 1.
func (s *SQLStore) CreateLoginFlow(ctx context.Context, f LoginFlow) (LoginFlow, error) {
	if f.ID == "" || len(f.State) == 0 || f.ExpiresAt.IsZero() {
		return LoginFlow{}, errors.New("store: create login flow: id, state and expiry are required")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = s.now()
	}
	f.Version = 1
	f.CreatedAt, f.ExpiresAt = normTime(f.CreatedAt), normTime(f.ExpiresAt)
	_, err := s.exec(ctx, `INSERT INTO oauth_login_flows (id, state, version, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		f.ID, f.State, f.Version, toMicros(f.CreatedAt), toMicros(f.ExpiresAt))
	if err != nil {
		return LoginFlow{}, wrapErr("create login flow", err)
	}
	return f, nil
}

// GetLoginFlow returns the flow with the given id.
func (s *SQLStore) GetLoginFlow(ctx context.Context, id string) (LoginFlow, error) {
	var (
		f                LoginFlow
		created, expires int64
	)
	err := s.queryRow(ctx, `SELECT id, state, version, created_at, expires_at FROM oauth_login_flows WHERE id = ?`, id).
		Scan(&f.ID, &f.State, &f.Version, &created, &expires)
	if err != nil {
		return LoginFlow{}, wrapErr("get login flow", err)
	}
	f.CreatedAt, f.ExpiresAt = fromMicros(created), fromMicros(expires)
	return f, nil
}

// UpdateLoginFlow replaces the state of flow id with compare-and-swap on its
// version.
func (s *SQLStore) UpdateLoginFlow(ctx context.Context, id string, expectedVersion int64, state []byte) (int64, error) {
	res, err := s.exec(ctx, `UPDATE oauth_login_flows SET state = ?, version = version + 1 WHERE id = ? AND version = ?`,
		nonNilBytes(state), id, expectedVersion)
	if err != nil {
		return 0, wrapErr("update login flow", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapErr("update login flow", err)
	}
	if n == 0 {
		if _, err := s.GetLoginFlow(ctx, id); err != nil {
			return 0, err
		}
		return 0, wrapErr("update login flow", ErrConflict)
	}
	return expectedVersion + 1, nil
}

// DeleteLoginFlow deletes the flow with the given id.
func (s *SQLStore) DeleteLoginFlow(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM oauth_login_flows WHERE id = ?`, id)
	if err != nil {
		return wrapErr("delete login flow", err)
	}
	return wrapErr("delete login flow", expectOne(res, id))
}
