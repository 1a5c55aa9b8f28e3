package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestAdminUsers runs the operator's store operations on every backend.
func TestAdminUsers(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.skip != "" {
				t.Skip(b.skip)
			}
			for _, tc := range []storeTest{
				{"SearchUsers", testSearchUsers},
				{"DisableAndDelete", testDisableAndDelete},
				{"DeleteLockoutCounters", testDeleteLockoutCounters},
				{"QueryAudit", testQueryAudit},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					u := b.newURL(t)
					tc.run(t, &testEnv{s: openStore(t, u), url: u, newURL: b.newURL})
				})
			}
		})
	}
}

func names(users []User) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.Name)
	}
	return out
}

func testSearchUsers(t *testing.T, e *testEnv) {
	ctx := context.Background()
	for _, id := range []string{"c", "a", "b_x", "bx", "d"} {
		mustUser(t, e.s, id)
	}
	for _, tc := range []struct {
		name string
		q    UserQuery
		want []string
	}{
		{"all", UserQuery{}, []string{"name-a", "name-b_x", "name-bx", "name-c", "name-d"}},
		{"page", UserQuery{Limit: 2}, []string{"name-a", "name-b_x"}},
		{"next page", UserQuery{After: "name-b_x", Limit: 2}, []string{"name-bx", "name-c"}},
		{"search", UserQuery{Search: "NAME-B"}, []string{"name-b_x", "name-bx"}},
		{"underscore is literal", UserQuery{Search: "b_"}, []string{"name-b_x"}},
		{"percent is literal", UserQuery{Search: "%"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.SearchUsers(ctx, tc.q)
			noErr(t, err)
			if !slices.Equal(names(got), tc.want) {
				t.Fatalf("SearchUsers(%+v) = %v, want %v", tc.q, names(got), tc.want)
			}
		})
	}
}

func testDisableAndDelete(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	u := mustUser(t, s, "u1")
	_, err := s.CreateSession(ctx, Session{Hash: []byte("h1"), UserID: u.ID, ExpiresAt: t0.Add(time.Hour)})
	noErr(t, err)
	_, err = s.CreateAPIToken(ctx, APIToken{ID: "t1", UserID: u.ID, Hash: []byte("th1")})
	noErr(t, err)

	noErr(t, s.SetUserDisabled(ctx, u.ID, t0))
	got, err := s.GetUser(ctx, u.ID)
	noErr(t, err)
	if !got.Disabled() || !got.DisabledAt.Equal(t0) {
		t.Fatalf("disabled user: %+v", got)
	}
	_, err = s.GetSession(ctx, []byte("h1"))
	wantErr(t, err, ErrNotFound)
	if _, err := s.GetAPIToken(ctx, "t1"); err != nil {
		t.Fatalf("the API token went with the disable: %v", err)
	}
	noErr(t, s.SetUserDisabled(ctx, u.ID, time.Time{}))
	if got, _ := s.GetUser(ctx, u.ID); got.Disabled() {
		t.Fatal("still disabled after enable")
	}
	wantErr(t, s.SetUserDisabled(ctx, "nobody", t0), ErrNotFound)

	tokens, err := s.ListAllAPITokens(ctx)
	noErr(t, err)
	if len(tokens) != 1 || tokens[0].ID != "t1" {
		t.Fatalf("ListAllAPITokens = %+v", tokens)
	}
	noErr(t, s.DeleteUser(ctx, u.ID))
	_, err = s.GetUser(ctx, u.ID)
	wantErr(t, err, ErrNotFound)
	_, err = s.GetAPIToken(ctx, "t1")
	wantErr(t, err, ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, u.ID), ErrNotFound)
}

func testDeleteLockoutCounters(t *testing.T, e *testEnv) {
	ctx := context.Background()
	for _, k := range []string{"u1", "password:al_ice", "password:al_ice|10.0.0.1", "password:alxice|10.0.0.1", "other"} {
		_, err := e.s.UpdateLockout(ctx, k, t0, addFailure)
		noErr(t, err)
	}
	n, err := e.s.DeleteLockoutCounters(ctx, []string{"u1", "password:al_ice"}, "password:al_ice|")
	noErr(t, err)
	if n != 3 {
		t.Fatalf("deleted %d counters, want 3", n)
	}
	for k, failures := range map[string]int{"u1": 0, "password:al_ice|10.0.0.1": 0, "password:alxice|10.0.0.1": 1, "other": 1} {
		l, err := e.s.GetLockout(ctx, k)
		noErr(t, err)
		if l.Failures != failures {
			t.Fatalf("counter %s: %d failures, want %d", k, l.Failures, failures)
		}
	}
}

func testQueryAudit(t *testing.T, e *testEnv) {
	ctx := context.Background()
	var ids []int64
	for _, ev := range []AuditEvent{
		{UserID: "u1", Action: "verify", Time: t0},
		{UserID: "u2", Action: "verify", Time: t0.Add(time.Minute)},
		{UserID: "u1", Action: "user.disable", Time: t0.Add(2 * time.Minute)},
		{UserID: "u1", Action: "verify", Time: t0.Add(3 * time.Minute)},
	} {
		ev.Actor = "a"
		stored, err := e.s.AppendAudit(ctx, ev)
		noErr(t, err)
		ids = append(ids, stored.ID)
	}
	for _, tc := range []struct {
		name string
		q    AuditQuery
		want []int64
	}{
		{"all newest first", AuditQuery{}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"user", AuditQuery{UserID: "u1"}, []int64{ids[3], ids[2], ids[0]}},
		{"since", AuditQuery{Since: t0.Add(time.Minute)}, []int64{ids[3], ids[2], ids[1]}},
		{"action", AuditQuery{Action: "verify", UserID: "u1"}, []int64{ids[3], ids[0]}},
		{"page", AuditQuery{Before: ids[2], Limit: 1}, []int64{ids[1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.QueryAudit(ctx, tc.q)
			noErr(t, err)
			var gotIDs []int64
			for _, ev := range got {
				gotIDs = append(gotIDs, ev.ID)
			}
			if !slices.Equal(gotIDs, tc.want) {
				t.Fatalf("QueryAudit(%+v) = %v, want %v", tc.q, gotIDs, tc.want)
			}
		})
	}
}
