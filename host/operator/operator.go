// Package operator is what an operator does to users and their tokens,
// shared by the command line and the admin API: list, show, disable,
// enable, delete, set a password, unlock, remove a factor, list and revoke
// personal API tokens, and read the audit log. Every change is audited with
// who made it.
package operator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// Audit actions of the operator's changes.
const (
	ActionDisable     = "user.disable"
	ActionEnable      = "user.enable"
	ActionDelete      = "user.delete"
	ActionSetPassword = "user.password"
	ActionUnlock      = "user.unlock"
	ActionTokenRevoke = "token.revoke"
)

// Errors of the operator's actions.
var (
	ErrNoUser  = errors.New("no such user")
	ErrNoToken = errors.New("no such API token")
)

// Store is the persistence the operator needs (*store.SQLStore).
type Store interface {
	GetUser(ctx context.Context, id string) (store.User, error)
	GetUserByName(ctx context.Context, name string) (store.User, error)
	UpdateUser(ctx context.Context, u store.User) (store.User, error)
	SearchUsers(ctx context.Context, q store.UserQuery) ([]store.User, error)
	SetUserDisabled(ctx context.Context, id string, at time.Time) error
	DeleteUser(ctx context.Context, id string) error
	DeleteLockoutCounters(ctx context.Context, keys []string, prefix string) (int64, error)
	ListCredentials(ctx context.Context, userID string) ([]store.Credential, error)
	GetAPIToken(ctx context.Context, id string) (store.APIToken, error)
	ListAPITokens(ctx context.Context, userID string) ([]store.APIToken, error)
	ListAllAPITokens(ctx context.Context) ([]store.APIToken, error)
	DeleteAPIToken(ctx context.Context, id string) error
	QueryAudit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error)
	AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error)
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// AwaitTokenRecheck returns once no host still uses what it kept of a
	// token or user before a change just committed.
	AwaitTokenRecheck(ctx context.Context)
}

// Factors removes a user's credential, auditing it (*mfa.Service).
type Factors interface {
	RemoveCredential(ctx context.Context, m mfa.Meta, userID, credentialID string) (mfa.Removed, error)
}

// Actor is who acts and from where, for the audit log: "cli:<account>" on
// the command line, "token:<id>" through the API.
type Actor struct {
	ID         string
	RemoteAddr string
	Via        string
}

// Deps of the operator service. Now defaults to time.Now.
type Deps struct {
	Store   Store
	Factors Factors
	// HashPassword turns a new password into what is stored.
	HashPassword func(password string) (string, error)
	// CounterKeys names the failure counters of a user's sign-ins beyond the
	// user id (the password counters): exact keys and a key prefix.
	CounterKeys func(userName string) (keys []string, prefix string)
	Now         func() time.Time
}

// Service carries out the operator's actions.
type Service struct{ d Deps }

var (
	_ Store   = (*store.SQLStore)(nil)
	_ Factors = (*mfa.Service)(nil)
)

// New returns the operator service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.CounterKeys == nil {
		d.CounterKeys = func(string) ([]string, string) { return nil, "" }
	}
	return &Service{d: d}
}

// User finds a user by id or, failing that, by name.
func (s *Service) User(ctx context.Context, idOrName string) (store.User, error) {
	u, err := s.d.Store.GetUser(ctx, idOrName)
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.d.Store.GetUserByName(ctx, idOrName)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("%q: %w", idOrName, ErrNoUser)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("look up user: %w", err)
	}
	return u, nil
}

// Users returns a page of users (see store.UserQuery).
func (s *Service) Users(ctx context.Context, q store.UserQuery) ([]store.User, error) {
	users, err := s.d.Store.SearchUsers(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// Credentials returns the user's credentials, active and pending.
func (s *Service) Credentials(ctx context.Context, userID string) ([]store.Credential, error) {
	creds, err := s.d.Store.ListCredentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	return creds, nil
}

// Disable disables the user: they sign in nowhere, their sessions and
// OAuth tokens end, and their API tokens are refused until Enable, by every
// host once Disable returns (as after Enable and Delete).
func (s *Service) Disable(ctx context.Context, a Actor, idOrName string) (store.User, error) {
	return s.changeTokenUser(ctx, a, idOrName, ActionDisable, func(ctx context.Context, u store.User) error {
		return s.d.Store.SetUserDisabled(ctx, u.ID, s.d.Now().UTC())
	})
}

// Enable lets a disabled user sign in again.
func (s *Service) Enable(ctx context.Context, a Actor, idOrName string) (store.User, error) {
	return s.changeTokenUser(ctx, a, idOrName, ActionEnable, func(ctx context.Context, u store.User) error {
		return s.d.Store.SetUserDisabled(ctx, u.ID, time.Time{})
	})
}

// Delete deletes the user and everything of theirs; the audit log keeps
// their events.
func (s *Service) Delete(ctx context.Context, a Actor, idOrName string) (store.User, error) {
	return s.changeTokenUser(ctx, a, idOrName, ActionDelete, func(ctx context.Context, u store.User) error {
		return s.d.Store.DeleteUser(ctx, u.ID)
	})
}

// changeTokenUser is change for what decides whether the user's API tokens
// are accepted: it returns once every host honours it.
func (s *Service) changeTokenUser(ctx context.Context, a Actor, idOrName, action string, fn func(ctx context.Context, u store.User) error) (store.User, error) {
	u, err := s.change(ctx, a, idOrName, action, nil, fn)
	if err == nil {
		s.d.Store.AwaitTokenRecheck(ctx)
	}
	return u, err
}

// SetPassword sets the user's password.
func (s *Service) SetPassword(ctx context.Context, a Actor, idOrName, password string) (store.User, error) {
	if s.d.HashPassword == nil {
		return store.User{}, errors.New("set password: no password hasher")
	}
	hash, err := s.d.HashPassword(password)
	if err != nil {
		return store.User{}, fmt.Errorf("set password: %w", err)
	}
	return s.change(ctx, a, idOrName, ActionSetPassword, nil, func(ctx context.Context, u store.User) error {
		u.PasswordHash, u.UpdatedAt = hash, s.d.Now().UTC()
		_, err := s.d.Store.UpdateUser(ctx, u)
		return err
	})
}

// Unlock clears the user's failure counters, second factor and password
// alike, lifting any lock in force.
func (s *Service) Unlock(ctx context.Context, a Actor, idOrName string) (store.User, int64, error) {
	var n int64
	u, err := s.change(ctx, a, idOrName, ActionUnlock, nil, func(ctx context.Context, u store.User) error {
		keys, prefix := s.d.CounterKeys(u.Name)
		var err error
		n, err = s.d.Store.DeleteLockoutCounters(ctx, append([]string{u.ID}, keys...), prefix)
		return err
	})
	return u, n, err
}

// RemoveFactor removes one of the user's credentials; the lifecycle audits
// it with the actor.
func (s *Service) RemoveFactor(ctx context.Context, a Actor, idOrName, credentialID string) (mfa.Removed, error) {
	u, err := s.User(ctx, idOrName)
	if err != nil {
		return mfa.Removed{}, err
	}
	removed, err := s.d.Factors.RemoveCredential(ctx, mfa.Meta{Actor: a.ID, RemoteAddr: a.RemoteAddr, Via: a.Via}, u.ID, credentialID)
	if err != nil {
		return mfa.Removed{}, fmt.Errorf("remove factor: %w", err)
	}
	return removed, nil
}

// change applies fn to the user and audits it with the actor, in one
// transaction.
func (s *Service) change(ctx context.Context, a Actor, idOrName, action string, detail map[string]string, fn func(ctx context.Context, u store.User) error) (store.User, error) {
	u, err := s.User(ctx, idOrName)
	if err != nil {
		return store.User{}, err
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := fn(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, a, u, action, "", detail)
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("%q: %w", idOrName, ErrNoUser)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", action, err)
	}
	if action == ActionDelete {
		return u, nil
	}
	// The user as the change left them.
	if u, err = s.d.Store.GetUser(ctx, u.ID); err != nil {
		return store.User{}, fmt.Errorf("%s: reload user: %w", action, err)
	}
	return u, nil
}

// audit appends an event of the operator's.
func (s *Service) audit(ctx context.Context, a Actor, u store.User, action, credentialID string, detail map[string]string) error {
	d := map[string]string{"via": a.Via}
	for k, v := range detail {
		d[k] = v
	}
	_, err := s.d.Store.AppendAudit(ctx, store.AuditEvent{
		Time: s.d.Now().UTC(), OrgID: u.OrgID, UserID: u.ID, Actor: a.ID, Action: action,
		CredentialID: credentialID, Result: "ok", RemoteAddr: a.RemoteAddr, Detail: d,
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// Tokens returns the personal API tokens of the user idOrName, or of every
// user when it is empty.
func (s *Service) Tokens(ctx context.Context, idOrName string) ([]store.APIToken, error) {
	if idOrName == "" {
		ts, err := s.d.Store.ListAllAPITokens(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		return ts, nil
	}
	u, err := s.User(ctx, idOrName)
	if err != nil {
		return nil, err
	}
	ts, err := s.d.Store.ListAPITokens(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken deletes the personal API token with the given id. Once it
// returns, every host refuses the token: it waits for that as long as a host
// may keep a token it has read (a second).
func (s *Service) RevokeToken(ctx context.Context, a Actor, id string) (store.APIToken, error) {
	t, err := s.d.Store.GetAPIToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, fmt.Errorf("%q: %w", id, ErrNoToken)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("look up token: %w", err)
	}
	u, err := s.d.Store.GetUser(ctx, t.UserID)
	if err != nil {
		return store.APIToken{}, fmt.Errorf("look up token user: %w", err)
	}
	err = s.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Store.DeleteAPIToken(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, a, u, ActionTokenRevoke, "", map[string]string{"token": id, "name": t.Name})
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, fmt.Errorf("%q: %w", id, ErrNoToken)
	}
	if err != nil {
		return store.APIToken{}, fmt.Errorf("revoke token: %w", err)
	}
	s.d.Store.AwaitTokenRecheck(ctx)
	return t, nil
}

// Audit returns the audit events q selects, newest first. A user given by
// name is looked up; one that no longer exists is matched by id.
func (s *Service) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEvent, error) {
	if q.UserID != "" {
		if u, err := s.User(ctx, q.UserID); err == nil {
			q.UserID = u.ID
		}
	}
	events, err := s.d.Store.QueryAudit(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return events, nil
}
