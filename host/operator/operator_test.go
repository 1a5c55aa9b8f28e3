package operator

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// fakeFactors records the removals it is asked for.
type fakeFactors struct{ removed []mfa.Meta }

func (f *fakeFactors) RemoveCredential(_ context.Context, m mfa.Meta, _, credentialID string) (mfa.Removed, error) {
	f.removed = append(f.removed, m)
	return mfa.Removed{CredentialID: credentialID, Factor: "totp"}, nil
}

// awaitingStore is the store, except that the service's wait for every host
// to read tokens again returns at once, noting what check says then.
type awaitingStore struct {
	*store.SQLStore
	check func() string
	seen  []string
}

func (a *awaitingStore) AwaitTokenRecheck(context.Context) {
	a.seen = append(a.seen, a.check())
}

func newService(t *testing.T) (*Service, *awaitingStore, *fakeFactors) {
	t.Helper()
	ctx := context.Background()
	sql, err := store.Open(ctx, testdb.Backends()[0].NewURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sql.Close() })
	st := &awaitingStore{SQLStore: sql, check: func() string { return "" }}
	org, err := st.EnsureDefaultOrg(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.User{ID: "u-1", OrgID: org.ID, Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	factors := &fakeFactors{}
	return New(Deps{
		Store: st, Factors: factors, Now: func() time.Time { return now },
		HashPassword: func(pw string) (string, error) { return "hashed:" + pw, nil },
		CounterKeys:  func(name string) ([]string, string) { return []string{"password:" + name}, "password:" + name + "|" },
	}), st, factors
}

// TestActionsAreAudited: each change is made, found by id or name, and
// audited once with the actor.
func TestActionsAreAudited(t *testing.T) {
	ctx := context.Background()
	actor := Actor{ID: "cli:ops", Via: "cli", RemoteAddr: "192.0.2.1"}
	for _, tc := range []struct {
		name   string
		act    func(s *Service) error
		action string
		check  func(t *testing.T, u store.User)
	}{
		{"disable by name", func(s *Service) error { _, err := s.Disable(ctx, actor, "alice"); return err }, ActionDisable,
			func(t *testing.T, u store.User) {
				if !u.Disabled() {
					t.Fatal("not disabled")
				}
			}},
		{"enable by id", func(s *Service) error { _, err := s.Enable(ctx, actor, "u-1"); return err }, ActionEnable,
			func(t *testing.T, u store.User) {
				if u.Disabled() {
					t.Fatal("still disabled")
				}
			}},
		{"set password", func(s *Service) error { _, err := s.SetPassword(ctx, actor, "alice", "pw"); return err }, ActionSetPassword,
			func(t *testing.T, u store.User) {
				if u.PasswordHash != "hashed:pw" {
					t.Fatalf("hash %q", u.PasswordHash)
				}
			}},
		{"unlock", func(s *Service) error { _, _, err := s.Unlock(ctx, actor, "alice"); return err }, ActionUnlock, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st, _ := newService(t)
			if tc.action == ActionEnable {
				if err := st.SetUserDisabled(ctx, "u-1", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.act(s); err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				u, err := st.GetUser(ctx, "u-1")
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, u)
			}
			events, err := s.Audit(ctx, store.AuditQuery{UserID: "alice", Action: tc.action})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 || events[0].Actor != actor.ID || events[0].RemoteAddr != actor.RemoteAddr || events[0].Detail["via"] != "cli" {
				t.Fatalf("audit events %+v", events)
			}
		})
	}
}

func TestUnlockClearsEveryCounter(t *testing.T) {
	ctx := context.Background()
	s, st, _ := newService(t)
	lock := func(l store.Lockout) store.Lockout {
		l.Failures, l.LockedUntil = 9, time.Now().Add(time.Hour)
		return l
	}
	for _, key := range []string{"u-1", "password:alice", "password:alice|198.51.100.7", "password:bob"} {
		if _, err := st.UpdateLockout(ctx, key, time.Now(), lock); err != nil {
			t.Fatal(err)
		}
	}
	if _, n, err := s.Unlock(ctx, Actor{ID: "token:t"}, "alice"); err != nil || n != 3 {
		t.Fatalf("Unlock = %d, %v; want 3 counters", n, err)
	}
	if l, _ := st.GetLockout(ctx, "password:bob"); l.Failures != 9 {
		t.Fatal("another user's counter was cleared")
	}
}

func TestMissing(t *testing.T) {
	ctx := context.Background()
	s, _, factors := newService(t)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"disable", func() error { _, err := s.Disable(ctx, Actor{}, "nobody"); return err }(), ErrNoUser},
		{"delete", func() error { _, err := s.Delete(ctx, Actor{}, "nobody"); return err }(), ErrNoUser},
		{"tokens", func() error { _, err := s.Tokens(ctx, "nobody"); return err }(), ErrNoUser},
		{"revoke", func() error { _, err := s.RevokeToken(ctx, Actor{}, "nope"); return err }(), ErrNoToken},
		{"remove factor", func() error { _, err := s.RemoveFactor(ctx, Actor{}, "nobody", "c"); return err }(), ErrNoUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("%v, want %v", tc.err, tc.want)
			}
		})
	}
	if _, err := s.RemoveFactor(ctx, Actor{ID: "cli:ops", Via: "cli"}, "alice", "c-1"); err != nil || len(factors.removed) != 1 || factors.removed[0].Actor != "cli:ops" {
		t.Fatalf("RemoveFactor: %v, %+v", err, factors.removed)
	}
}

// TestTokenChangesWaitForEveryHost: the changes that decide whether an API
// token is accepted wait, once committed, until every host has read tokens
// again; the others do not wait.
func TestTokenChangesWaitForEveryHost(t *testing.T) {
	ctx := context.Background()
	actor := Actor{ID: "cli:ops", Via: "cli"}
	for _, tc := range []struct {
		name string
		act  func(s *Service) error
		want []string // what the database showed at each wait
	}{
		{"disable", func(s *Service) error { _, err := s.Disable(ctx, actor, "alice"); return err }, []string{"disabled, token"}},
		{"enable", func(s *Service) error { _, err := s.Enable(ctx, actor, "alice"); return err }, []string{"enabled, token"}},
		{"delete", func(s *Service) error { _, err := s.Delete(ctx, actor, "alice"); return err }, []string{"no user, no token"}},
		{"revoke", func(s *Service) error { _, err := s.RevokeToken(ctx, actor, "tok-1"); return err }, []string{"enabled, no token"}},
		{"set password", func(s *Service) error { _, err := s.SetPassword(ctx, actor, "alice", "pw"); return err }, nil},
		{"unlock", func(s *Service) error { _, _, err := s.Unlock(ctx, actor, "alice"); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, st, _ := newService(t)
			if _, err := st.CreateAPIToken(ctx, store.APIToken{ID: "tok-1", UserID: "u-1", Hash: []byte("hash-1")}); err != nil {
				t.Fatal(err)
			}
			if tc.name == "enable" {
				if err := st.SetUserDisabled(ctx, "u-1", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			st.check = func() string {
				user, token := "no user", "no token"
				if u, err := st.GetUser(ctx, "u-1"); err == nil {
					user = map[bool]string{true: "disabled", false: "enabled"}[u.Disabled()]
				}
				if _, err := st.GetAPIToken(ctx, "tok-1"); err == nil {
					token = "token"
				}
				return user + ", " + token
			}
			if err := tc.act(s); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(st.seen, tc.want) {
				t.Fatalf("waits seeing %q, want %q", st.seen, tc.want)
			}
		})
	}
}
