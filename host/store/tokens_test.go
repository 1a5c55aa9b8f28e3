package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testAPITokenCache checks that the tokens a store keeps never outlive a
// change: one made through the store takes effect once it commits, even
// when a read between its statement and its commit saw the old row; one
// made by another process (a second store on the same database) within
// tokenRecheck.
func testAPITokenCache(t *testing.T, e *testEnv) {
	ctx := context.Background()
	other := openStore(t, e.url)
	now := t0
	e.s.now = func() time.Time { return now }
	var tok APIToken
	read := func(t *testing.T) (APIToken, User, error) {
		t.Helper()
		return e.s.GetAPITokenWithUser(ctx, tok.Hash)
	}
	gone := func(t *testing.T) {
		t.Helper()
		_, _, err := read(t)
		wantErr(t, err, ErrNotFound)
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, u User)
		here   bool               // made through the store that keeps the token
		check  func(t *testing.T) // after the change has taken effect
	}{
		{"revoked here", func(t *testing.T, _ User) { noErr(t, e.s.DeleteAPIToken(ctx, tok.ID)) }, true, gone},
		{"revoked here, read before the commit", func(t *testing.T, _ User) {
			noErr(t, e.s.InTx(ctx, func(txCtx context.Context) error {
				noErr(t, e.s.DeleteAPIToken(txCtx, tok.ID))
				if _, _, err := e.s.GetAPITokenWithUser(txCtx, tok.Hash); !errors.Is(err, ErrNotFound) {
					t.Errorf("read in the deleting transaction: %v, want ErrNotFound", err)
				}
				// Outside the transaction the row is still there, and the
				// read keeps it until the commit.
				_, _, err := e.s.GetAPITokenWithUser(ctx, tok.Hash)
				return err
			}))
		}, true, gone},
		{"user disabled here", func(t *testing.T, u User) { noErr(t, e.s.SetUserDisabled(ctx, u.ID, t0)) }, true, func(t *testing.T) {
			if _, u, err := read(t); err != nil || !u.Disabled() {
				t.Fatalf("user after disabling: %+v, %v", u, err)
			}
		}},
		{"user made admin here", func(t *testing.T, u User) {
			u.Admin = true
			_, err := e.s.UpdateUser(ctx, u)
			noErr(t, err)
		}, true, func(t *testing.T) {
			if _, u, err := read(t); err != nil || !u.Admin {
				t.Fatalf("user after the change: %+v, %v", u, err)
			}
		}},
		{"user deleted here", func(t *testing.T, u User) { noErr(t, e.s.DeleteUser(ctx, u.ID)) }, true, gone},
		{"touched here", func(t *testing.T, _ User) { noErr(t, e.s.TouchAPIToken(ctx, tok.ID, t0.Add(time.Hour))) }, true, func(t *testing.T) {
			if tk, _, err := read(t); err != nil || !tk.LastUsedAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("token after touching: %+v, %v", tk, err)
			}
		}},
		{"revoked elsewhere", func(t *testing.T, _ User) { noErr(t, other.DeleteAPIToken(ctx, tok.ID)) }, false, gone},
		{"user disabled elsewhere", func(t *testing.T, u User) { noErr(t, other.SetUserDisabled(ctx, u.ID, t0)) }, false, func(t *testing.T) {
			if _, u, err := read(t); err != nil || !u.Disabled() {
				t.Fatalf("user after disabling: %+v, %v", u, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = t0
			id := strings.NewReplacer(" ", "-", ",", "").Replace(tc.name)
			u := mustUser(t, e.s, id)
			u.PasswordHash = "$argon2id$not-for-tokens"
			u, err := e.s.UpdateUser(ctx, u)
			noErr(t, err)
			tok, err = e.s.CreateAPIToken(ctx, APIToken{ID: "tok-" + id, UserID: u.ID, Hash: []byte("hash-" + id), CreatedAt: t0})
			noErr(t, err)
			for range 2 { // read, then kept
				gotTok, gotUser, err := read(t)
				if err != nil || gotTok.ID != tok.ID || gotUser.ID != u.ID || gotUser.PasswordHash != "" || gotUser.Disabled() || gotUser.Admin {
					t.Fatalf("before the change: %+v, %+v, %v", gotTok, gotUser, err)
				}
			}
			tc.change(t, u)
			if !tc.here {
				// Another process's change shows once the kept token is
				// due for a recheck, not before.
				if _, _, err := read(t); err != nil {
					t.Fatalf("kept token before its recheck: %v", err)
				}
				now = now.Add(tokenRecheck)
			}
			tc.check(t)
		})
	}
}

// testAPITokenCacheConcurrent: while readers keep reading a token, it is
// revoked; no read that starts after the revocation has returned may find
// it, whatever the readers kept meanwhile.
func testAPITokenCacheConcurrent(t *testing.T, e *testEnv) {
	ctx := context.Background()
	u := mustUser(t, e.s, "ann")
	tok, err := e.s.CreateAPIToken(ctx, APIToken{ID: "tok", UserID: u.ID, Hash: []byte("hash"), CreatedAt: t0})
	noErr(t, err)
	const readers, readsAfter = 8, 50
	var (
		revoked atomic.Bool
		wg      sync.WaitGroup
		stale   atomic.Int64
	)
	for range readers {
		wg.Go(func() {
			for after := 0; after < readsAfter; {
				done := revoked.Load()
				_, _, err := e.s.GetAPITokenWithUser(ctx, tok.Hash)
				if !done {
					continue
				}
				after++
				if err == nil {
					stale.Add(1)
				} else if !errors.Is(err, ErrNotFound) {
					t.Errorf("read after the revocation: %v", err)
					return
				}
			}
		})
	}
	for range readers * 20 { // let the readers keep the token
		_, _, err := e.s.GetAPITokenWithUser(ctx, tok.Hash)
		noErr(t, err)
	}
	// In a transaction, as the operator revokes: the readers may read the
	// old row between the statement and the commit.
	noErr(t, e.s.InTx(ctx, func(ctx context.Context) error {
		noErr(t, e.s.DeleteAPIToken(ctx, tok.ID))
		_, err := e.s.AppendAudit(ctx, AuditEvent{Time: t0, UserID: u.ID, Actor: "test", Action: "token.revoke", Result: "ok"})
		return err
	}))
	revoked.Store(true)
	wg.Wait()
	if n := stale.Load(); n > 0 {
		t.Fatalf("%d reads after the revocation found the token", n)
	}
}

// testAPITokenCacheKeepsNoMiss: a hash that matched no token is read again
// next time, so a token created meanwhile authenticates at once, and a
// spray of unknown tokens keeps nothing.
func testAPITokenCacheKeepsNoMiss(t *testing.T, e *testEnv) {
	ctx := context.Background()
	now := t0
	e.s.now = func() time.Time { return now }
	u := mustUser(t, e.s, "ann")
	for i := range 3 {
		_, _, err := e.s.GetAPITokenWithUser(ctx, []byte(fmt.Sprintf("unknown-%d", i)))
		wantErr(t, err, ErrNotFound)
	}
	_, err := e.s.CreateAPIToken(ctx, APIToken{ID: "tok", UserID: u.ID, Hash: []byte("unknown-0"), CreatedAt: t0})
	noErr(t, err)
	if tok, _, err := e.s.GetAPITokenWithUser(ctx, []byte("unknown-0")); err != nil || tok.ID != "tok" {
		t.Fatalf("token created after a miss: %+v, %v", tok, err)
	}
	e.s.tokens.mu.RLock()
	kept := len(e.s.tokens.m)
	e.s.tokens.mu.RUnlock()
	if kept != 1 {
		t.Fatalf("%d tokens kept, want only the one found", kept)
	}
}
