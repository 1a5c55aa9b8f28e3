package signin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// timingHash is compared against when the user is unknown or has no
// password, so that the answer takes as long as for a wrong password.
const timingHash = "$2a$12$A5oPHOSmbfj4Ee4WlpdWkelO2y/KYUln95gK6KmsyaFP0VfxxPKT2"

// maxCredential bounds a user name or password as sent; a longer one is a
// wrong password, answered without hashing it.
const maxCredential = 1024

// CheckPassword checks a user's password. Over the throttle's budgets the
// attempt is refused at once, before any hash; otherwise it counts against
// the lockout of the user name from this address, and of the user name from
// anywhere (a much higher ceiling), before the hash is compared. An unknown
// user costs and answers as a wrong password does, lockouts included; every
// outcome is audited. A success resets nothing: only a completed sign-in
// does. It
// returns ErrBadCredentials, an *mfa.Error of kind mfa.ErrLocked, or another
// error when the check itself failed.
func (s *Service) CheckPassword(ctx context.Context, m Meta, username, password string) (store.User, error) {
	username = strings.TrimSpace(username)
	if username == "" || len(username) > maxCredential || len(password) > maxCredential {
		s.audit(ctx, m, store.User{}, ActionPassword, "unknown_user", nil)
		return store.User{}, ErrBadCredentials
	}
	if wait, ok := s.throttle.admit(m.RemoteAddr, strings.ToLower(username), s.now()); !ok {
		s.audit(ctx, m, store.User{}, ActionPassword, "throttled", nil)
		return store.User{}, &mfa.Error{Kind: mfa.ErrThrottled, RetryAfter: wait, Reason: "too many sign-in attempts"}
	}
	release, ok := s.throttle.acquireHash()
	if !ok {
		s.audit(ctx, m, store.User{}, ActionPassword, "throttled", nil)
		return store.User{}, &mfa.Error{Kind: mfa.ErrThrottled, RetryAfter: hashBusyRetry, Reason: "too many sign-in attempts"}
	}
	defer release()
	return s.checkPassword(ctx, m, username, password)
}

// checkPassword is CheckPassword once the attempt was admitted. The attempt
// counts, before the user is looked up, on the counters of the user name
// from this address and of the user name from anywhere: an unknown name is
// counted, locked and answered exactly as a known one.
func (s *Service) checkPassword(ctx context.Context, m Meta, username, password string) (store.User, error) {
	if err := s.reserveAttempt(ctx, username, m.RemoteAddr); err != nil {
		if errors.Is(err, mfa.ErrLocked) {
			s.audit(ctx, m, store.User{}, ActionPassword, "locked", nil)
		}
		return store.User{}, err
	}
	user, err := s.d.Store.GetUserByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.PasswordHash == "") {
		s.d.ComparePassword(timingHash, password)
		s.audit(ctx, m, store.User{}, ActionPassword, "unknown_user", nil)
		// The name is not logged: people type their password there too.
		s.log.WarnContext(ctx, "signin: password attempt for an unknown user", "via", m.Via, "remote_addr", m.RemoteAddr)
		return store.User{}, ErrBadCredentials
	}
	if err != nil {
		return store.User{}, fmt.Errorf("signin: look up user: %w", err)
	}
	if user.Disabled() {
		s.d.ComparePassword(timingHash, password)
		s.audit(ctx, m, user, ActionPassword, "disabled", nil)
		s.log.WarnContext(ctx, "signin: a disabled user tried to sign in", "user", user.ID, "via", m.Via, "remote_addr", m.RemoteAddr)
		return store.User{}, ErrBadCredentials
	}
	if !s.d.ComparePassword(user.PasswordHash, password) {
		s.audit(ctx, m, user, ActionPassword, "invalid", nil)
		s.log.WarnContext(ctx, "signin: wrong password", "user", user.ID, "via", m.Via, "remote_addr", m.RemoteAddr)
		return store.User{}, ErrBadCredentials
	}
	s.audit(ctx, m, user, ActionPassword, "ok", nil)
	return user, nil
}

// Keys of the password failure counters; the lifecycle counts second-factor
// failures under the user id.
func addressKey(username, addr string) string {
	return "password:" + strings.ToLower(username) + "|" + addr
}
func nameKey(username string) string { return "password:" + strings.ToLower(username) }

// PasswordCounterKeys names the password failure counters of a user, for an
// operator who unlocks them: the per-name counter, and the prefix of the
// per-address ones.
func PasswordCounterKeys(username string) (keys []string, prefix string) {
	return []string{nameKey(username)}, addressKey(username, "")
}

// reserveAttempt counts one password attempt at username from addr, on
// both counters; a locked one answers an *mfa.Error of kind mfa.ErrLocked.
func (s *Service) reserveAttempt(ctx context.Context, username, addr string) error {
	now := s.now()
	if err := s.d.Lockout.Reserve(ctx, s.d.Store, addressKey(username, addr), now); err != nil {
		return fmt.Errorf("signin: %w", err)
	}
	if err := s.ceiling.Reserve(ctx, s.d.Store, nameKey(username), now); err != nil {
		return fmt.Errorf("signin: %w", err)
	}
	return nil
}

// Finished ends a sign-in that proved what it needed: it resets the user's
// failed attempts and audits the login. Doors that keep their own flow (the
// login pages) call it; the other methods of the service call it themselves.
func (s *Service) Finished(ctx context.Context, m Meta, user store.User, amr []string) {
	for _, key := range []string{user.ID, addressKey(user.Name, m.RemoteAddr), nameKey(user.Name)} {
		if err := s.d.Store.ResetAttempts(ctx, key); err != nil {
			s.log.WarnContext(ctx, "signin: reset failed attempts", "user", user.ID, "error", err)
		}
	}
	s.audit(ctx, m, user, ActionLogin, "ok", map[string]string{"amr": strings.Join(amr, " ")})
}

// audit records an outcome of a sign-in; it never records a password or a
// code. A failed write is logged.
func (s *Service) audit(ctx context.Context, m Meta, user store.User, action, result string, detail map[string]string) {
	actor := user.ID
	if actor == "" {
		actor = "anonymous"
	}
	d := map[string]string{"client": m.ClientID, "via": m.Via}
	for k, v := range detail {
		d[k] = v
	}
	e := store.AuditEvent{
		Time: s.now(), OrgID: user.OrgID, UserID: user.ID, Actor: actor, Action: action, Result: result,
		RemoteAddr: m.RemoteAddr, UserAgent: m.UserAgent, Detail: d,
	}
	if _, err := s.d.Store.AppendAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "signin: audit write failed", "action", action, "user", user.ID, "error", err)
	}
}
