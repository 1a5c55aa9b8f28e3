package store

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func testLoadVerification(t *testing.T, e *testEnv) {
	ctx := context.Background()
	ann := mustUser(t, e.s, "ann")
	bob := mustUser(t, e.s, "bob")
	cred := mustActive(t, e.s, "c-ann", ann.ID, "totp")
	mustPending(t, e.s, "p-bob", bob.ID, "totp")
	locked := t0.Add(time.Hour)
	_, err := e.s.UpdateLockout(ctx, ann.ID, t0, func(l Lockout) Lockout {
		l.Failures, l.LockCount, l.LockedUntil = 2, 1, locked
		return l
	})
	noErr(t, err)
	key := mustPending(t, e.s, "k-ann", ann.ID, "webauthn")
	_, err = e.s.ActivateKeyedCredential(ctx, key.ID, key.Version, []byte("key"), "key-1", "", t0)
	noErr(t, err)

	got, err := e.s.LoadVerification(ctx, ann.ID, "totp")
	noErr(t, err)
	if got.User != ann {
		t.Fatalf("user = %+v, want %+v", got.User, ann)
	}
	if got.Credential.ID != cred.ID || got.Credential.Version != cred.Version || !bytes.Equal(got.Credential.State, cred.State) ||
		got.Credential.Status != CredentialActive || !got.Credential.CreatedAt.Equal(cred.CreatedAt) {
		t.Fatalf("credential = %+v, want %+v", got.Credential, cred)
	}
	if got.Lockout.Key != ann.ID || got.Lockout.Failures != 2 || got.Lockout.LockCount != 1 || !got.Lockout.LockedUntil.Equal(locked) {
		t.Fatalf("lockout = %+v", got.Lockout)
	}

	tests := []struct {
		name, user, factor string
	}{
		{"pending credential only", bob.ID, "totp"},
		{"another factor", ann.ID, "sms"},
		{"a credential of several", ann.ID, "webauthn"},
	}
	for _, tc := range tests {
		got, err := e.s.LoadVerification(ctx, tc.user, tc.factor)
		noErr(t, err)
		if got.User.ID != tc.user || got.Credential.ID != "" {
			t.Fatalf("%s: %+v", tc.name, got)
		}
		want, err := e.s.GetLockout(ctx, tc.user)
		noErr(t, err)
		if got.Lockout != want {
			t.Fatalf("%s: lockout %+v, want %+v", tc.name, got.Lockout, want)
		}
	}
	_, err = e.s.LoadVerification(ctx, "nobody", "totp")
	wantErr(t, err, ErrNotFound)
}

func testCommitCredentialUse(t *testing.T, e *testEnv) {
	ctx := context.Background()
	ann := mustUser(t, e.s, "ann")
	cred := mustActive(t, e.s, "c-ann", ann.ID, "totp")
	_, err := e.s.UpdateLockout(ctx, ann.ID, t0, func(l Lockout) Lockout { l.Failures = 3; return l })
	noErr(t, err)
	used := t0.Add(time.Minute)
	event := func(result string) AuditEvent {
		return AuditEvent{Time: used, UserID: ann.ID, Actor: ann.ID, Action: "verify", Factor: "totp",
			CredentialID: cred.ID, Result: result, Detail: map[string]string{"via": "api"}}
	}

	// A use that does not clear the counter leaves it.
	ev, err := e.s.CommitCredentialUse(ctx, CredentialUse{ID: cred.ID, Version: cred.Version, State: []byte("s2"), UsedAt: used}, event("ok"))
	noErr(t, err)
	if ev.ID == 0 || !ev.Time.Equal(used) {
		t.Fatalf("event = %+v", ev)
	}
	l, err := e.s.GetLockout(ctx, ann.ID)
	noErr(t, err)
	if l.Failures != 3 {
		t.Fatalf("failures = %d, want 3", l.Failures)
	}

	// A stale version writes nothing: no state, no event, no reset.
	_, err = e.s.CommitCredentialUse(ctx, CredentialUse{ID: cred.ID, Version: cred.Version, State: []byte("lost"), UsedAt: used,
		ResetAttempts: ann.ID}, event("stale"))
	wantErr(t, err, ErrConflict)
	_, err = e.s.CommitCredentialUse(ctx, CredentialUse{ID: "gone", Version: 1, UsedAt: used}, event("gone"))
	wantErr(t, err, ErrNotFound)

	// The next use clears the counter.
	second, err := e.s.CommitCredentialUse(ctx, CredentialUse{ID: cred.ID, Version: cred.Version + 1, State: []byte("s3"), UsedAt: used,
		ResetAttempts: ann.ID}, event("ok"))
	noErr(t, err)
	if second.ID <= ev.ID {
		t.Fatalf("second event id %d after %d", second.ID, ev.ID)
	}
	l, err = e.s.GetLockout(ctx, ann.ID)
	noErr(t, err)
	if l.Failures != 0 {
		t.Fatalf("failures = %d after a reset", l.Failures)
	}
	got, err := e.s.GetCredential(ctx, cred.ID)
	noErr(t, err)
	if string(got.State) != "s3" || got.Version != cred.Version+2 || !got.LastUsedAt.Equal(used) || !got.UpdatedAt.Equal(used) {
		t.Fatalf("credential = %+v", got)
	}
	events, err := e.s.ListAudit(ctx, ann.ID, 10)
	noErr(t, err)
	if len(events) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(events), events)
	}
	for _, ev := range events {
		if ev.Result != "ok" || ev.Detail["via"] != "api" || ev.CredentialID != cred.ID {
			t.Fatalf("event = %+v", ev)
		}
	}
}

func testAPITokenWithUser(t *testing.T, e *testEnv) {
	ctx := context.Background()
	ann := mustUser(t, e.s, "ann")
	tok, err := e.s.CreateAPIToken(ctx, APIToken{ID: "t1", UserID: ann.ID, Name: "ci", Hash: []byte("hash-1"), Admin: true,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	noErr(t, err)
	gotTok, gotUser, err := e.s.GetAPITokenWithUser(ctx, []byte("hash-1"))
	noErr(t, err)
	want, err := e.s.GetAPITokenByHash(ctx, []byte("hash-1"))
	noErr(t, err)
	if !bytes.Equal(gotTok.Hash, want.Hash) || gotTok.ID != tok.ID || !gotTok.ExpiresAt.Equal(want.ExpiresAt) || !gotTok.Admin {
		t.Fatalf("token = %+v, want %+v", gotTok, want)
	}
	if gotUser != ann {
		t.Fatalf("user = %+v, want %+v", gotUser, ann)
	}
	for _, hash := range [][]byte{nil, []byte("other")} {
		_, _, err := e.s.GetAPITokenWithUser(ctx, hash)
		wantErr(t, err, ErrNotFound)
	}
}

// testAPITokenCache checks that the tokens a store keeps never outlive a
// change: one made through the store takes effect at once, one made by
// another process (a second store on the same database) within
// tokenRecheck.
func testAPITokenCache(t *testing.T, e *testEnv) {
	ctx := context.Background()
	other := openStore(t, e.url)
	var now time.Time
	e.s.now = func() time.Time { return now }
	hash := []byte("hash-cached")
	disable := func(s *SQLStore) func(t *testing.T) {
		return func(t *testing.T) { noErr(t, s.SetUserDisabled(ctx, "ann", t0)) }
	}
	deleteToken := func(s *SQLStore) func(t *testing.T) {
		return func(t *testing.T) { noErr(t, s.DeleteAPIToken(ctx, "t-cached")) }
	}
	deleteUser := func(s *SQLStore) func(t *testing.T) {
		return func(t *testing.T) { noErr(t, s.DeleteUser(ctx, "ann")) }
	}
	demote := func(s *SQLStore) func(t *testing.T) {
		return func(t *testing.T) {
			u, err := s.GetUser(ctx, "ann")
			noErr(t, err)
			u.Admin = false
			_, err = s.UpdateUser(ctx, u)
			noErr(t, err)
		}
	}
	gone := func(t *testing.T, _ APIToken, _ User, err error) { wantErr(t, err, ErrNotFound) }
	disabled := func(t *testing.T, _ APIToken, u User, err error) {
		if err != nil || !u.Disabled() {
			t.Fatalf("user %+v, %v; want disabled", u, err)
		}
	}
	notAdmin := func(t *testing.T, _ APIToken, u User, err error) {
		if err != nil || u.Admin {
			t.Fatalf("user %+v, %v; want not an admin", u, err)
		}
	}
	for _, tc := range []struct {
		name   string
		change func(s *SQLStore) func(t *testing.T)
		check  func(t *testing.T, tok APIToken, u User, err error)
	}{
		{"token deleted", deleteToken, gone},
		{"user deleted", deleteUser, gone},
		{"user disabled", disable, disabled},
		{"user changed", demote, notAdmin},
	} {
		for _, here := range []bool{true, false} {
			name := tc.name + " elsewhere"
			if here {
				name = tc.name + " here"
			}
			t.Run(name, func(t *testing.T) {
				now = t0
				_ = e.s.DeleteUser(ctx, "ann")
				ann := mustUser(t, e.s, "ann")
				ann.Admin = true
				_, err := e.s.UpdateUser(ctx, ann)
				noErr(t, err)
				_, err = e.s.CreateAPIToken(ctx, APIToken{ID: "t-cached", UserID: "ann", Hash: hash, CreatedAt: t0})
				noErr(t, err)
				for range 2 { // read, then kept
					if tok, u, err := e.s.GetAPITokenWithUser(ctx, hash); err != nil || tok.ID != "t-cached" || !u.Admin || u.Disabled() {
						t.Fatalf("before the change: %+v %+v %v", tok, u, err)
					}
				}
				s := other
				if here {
					s = e.s
				}
				tc.change(s)(t)
				if !here {
					// Kept until tokenRecheck has passed.
					now = now.Add(tokenRecheck - time.Millisecond)
					if tok, u, err := e.s.GetAPITokenWithUser(ctx, hash); err != nil || tok.ID != "t-cached" || !u.Admin {
						t.Fatalf("within tokenRecheck of a change elsewhere: %+v %+v %v", tok, u, err)
					}
					now = now.Add(time.Millisecond)
				}
				tok, u, err := e.s.GetAPITokenWithUser(ctx, hash)
				tc.check(t, tok, u, err)
			})
		}
	}
	t.Run("use recorded once", func(t *testing.T) {
		now = t0
		_ = e.s.DeleteUser(ctx, "ann")
		mustUser(t, e.s, "ann")
		_, err := e.s.CreateAPIToken(ctx, APIToken{ID: "t-cached", UserID: "ann", Hash: hash, CreatedAt: t0})
		noErr(t, err)
		_, _, err = e.s.GetAPITokenWithUser(ctx, hash)
		noErr(t, err)
		noErr(t, e.s.TouchAPIToken(ctx, "t-cached", t0.Add(time.Minute)))
		if tok, _, err := e.s.GetAPITokenWithUser(ctx, hash); err != nil || !tok.LastUsedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("kept token after its use was recorded: %+v %v", tok, err)
		}
	})
}
