package store

import (
	"context"
	"testing"
	"time"
)

// pendingKeyed puts a pending credential of factor for user.
func pendingKeyed(t *testing.T, s *SQLStore, id, userID, name string) Credential {
	t.Helper()
	c, err := s.PutPendingCredential(context.Background(), Credential{ID: id, UserID: userID, Factor: "webauthn",
		State: []byte("pending"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Name: name})
	noErr(t, err)
	return c
}

func testKeyedCredentials(t *testing.T, e *testEnv) {
	ctx := context.Background()
	mustUser(t, e.s, "u1")
	mustUser(t, e.s, "u2")
	now := t0.Add(time.Minute)
	steps := []struct {
		id, user, name, key string
		want                error
	}{
		{"c1", "u1", "Phone", "key-1", nil},
		{"c2", "u1", "Blue key", "key-2", nil},
		{"c3", "u1", "Blue key again", "key-2", ErrAlreadyExists},
		{"c4", "u2", "Someone's key", "key-1", ErrAlreadyExists},
		{"c5", "u2", "", "key-3", nil},
	}
	for _, st := range steps {
		c := pendingKeyed(t, e.s, st.id, st.user, st.name)
		_, err := e.s.ActivateKeyedCredential(ctx, c.ID, c.Version, []byte("active"), st.key, "", now)
		if st.want == nil {
			noErr(t, err)
		} else {
			wantErr(t, err, st.want)
		}
	}
	active, err := e.s.ListActiveCredentials(ctx, "u1", "webauthn")
	noErr(t, err)
	if len(active) != 2 || active[0].Key != "key-1" || active[0].Name != "Phone" || active[1].Key != "key-2" || active[1].Name != "Blue key" {
		t.Fatalf("ListActiveCredentials = %+v, want the phone and the blue key", active)
	}
	got, err := e.s.FindCredentialByKey(ctx, "webauthn", "key-3")
	noErr(t, err)
	if got.ID != "c5" || got.UserID != "u2" || got.Status != CredentialActive {
		t.Fatalf("FindCredentialByKey = %+v, want c5 of u2", got)
	}
	_, err = e.s.FindCredentialByKey(ctx, "totp", "key-3")
	wantErr(t, err, ErrNotFound)
	// A factor without keys keeps one active credential per user.
	for _, id := range []string{"t1", "t2"} {
		c, err := e.s.PutPendingCredential(ctx, Credential{ID: id, UserID: "u1", Factor: "totp", State: []byte("p"), CreatedAt: t0})
		noErr(t, err)
		_, err = e.s.ActivateCredential(ctx, c.ID, c.Version, []byte("a"), now, false)
		if id == "t1" {
			noErr(t, err)
		} else {
			wantErr(t, err, ErrAlreadyExists)
		}
	}
	noErr(t, e.s.DeleteCredential(ctx, "u1", "c1"))
	active, err = e.s.ListActiveCredentials(ctx, "u1", "webauthn")
	noErr(t, err)
	if len(active) != 1 || active[0].ID != "c2" {
		t.Fatalf("after removing one: %+v, want only c2", active)
	}
}

func testDiscoverableChallenges(t *testing.T, e *testEnv) {
	ctx := context.Background()
	ch := DiscoverableChallenge{ID: "d1", Factor: "webauthn", State: []byte("sealed"), CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute)}
	noErr(t, e.s.CreateDiscoverableChallenge(ctx, ch))
	got, err := e.s.TakeDiscoverableChallenge(ctx, "d1")
	noErr(t, err)
	if got.Factor != "webauthn" || string(got.State) != "sealed" || !got.ExpiresAt.Equal(ch.ExpiresAt) {
		t.Fatalf("TakeDiscoverableChallenge = %+v", got)
	}
	_, err = e.s.TakeDiscoverableChallenge(ctx, "d1")
	wantErr(t, err, ErrNotFound)
	noErr(t, e.s.CreateDiscoverableChallenge(ctx, DiscoverableChallenge{ID: "d2", Factor: "webauthn", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)}))
	n, err := e.s.DeleteExpiredChallenges(ctx, t0.Add(time.Hour))
	noErr(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpiredChallenges = %d, want the expired discoverable one", n)
	}
	_, err = e.s.TakeDiscoverableChallenge(ctx, "d2")
	wantErr(t, err, ErrNotFound)
}
