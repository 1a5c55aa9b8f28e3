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
