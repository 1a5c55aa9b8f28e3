package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// storeTest is one test of the suite that runs against every backend.
type storeTest struct {
	name string
	run  func(t *testing.T, e *testEnv)
}

func storeTests() []storeTest {
	return []storeTest{
		{"Basics", testBasics},
		{"LoadVerification", testLoadVerification},
		{"CommitCredentialUse", testCommitCredentialUse},
		{"APITokenWithUser", testAPITokenWithUser},
		{"APITokenCache", testAPITokenCache},
		{"APITokenCacheConcurrent", testAPITokenCacheConcurrent},
		{"APITokenCacheKeepsNoMiss", testAPITokenCacheKeepsNoMiss},
		{"Orgs", testOrgs},
		{"KeyedCredentials", testKeyedCredentials},
		{"DiscoverableChallenges", testDiscoverableChallenges},
		{"OrgsConcurrent", testOrgsConcurrent},
		{"Users", testUsers},
		{"PendingCredentialReplace", testPendingCredentialReplace},
		{"CredentialCAS", testCredentialCAS},
		{"ActivateCredential", testActivateCredential},
		{"ActiveUniqueness", testActiveUniqueness},
		{"CredentialListsAndDeletes", testCredentialListsAndDeletes},
		{"Challenges", testChallenges},
		{"ChallengesOfCredential", testChallengesOfCredential},
		{"Sessions", testSessions},
		{"ChallengeCascade", testChallengeCascade},
		{"InTx", testInTx},
		{"Lockout", testLockout},
		{"LockoutConcurrent", testLockoutConcurrent},
		{"LockoutSurvivesReopen", testLockoutSurvivesReopen},
		{"SendLimits", testSendLimits},
		{"SendLimitsConcurrent", testSendLimitsConcurrent},
		{"MigrationsIdempotent", testMigrationsIdempotent},
		{"MigrationsConcurrentOpen", testMigrationsConcurrentOpen},
		{"MigrationsKeepCountersAndAuditIDs", testMigrationsKeepCountersAndAuditIDs},
		{"Audit", testAudit},
		{"APITokens", testAPITokens},
	}
}

func TestStore(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.skip != "" {
				t.Skip(b.skip)
			}
			for _, tc := range storeTests() {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					u := b.newURL(t)
					tc.run(t, &testEnv{s: openStore(t, u), url: u, newURL: b.newURL})
				})
			}
		})
	}
}

func testBasics(t *testing.T, e *testEnv) {
	ctx := context.Background()
	noErr(t, e.s.Ping(ctx))
	var want string
	if isPostgresURL(e.url) {
		want = DialectPostgres
	} else {
		want = DialectSQLite
	}
	if got := e.s.Dialect(); got != want {
		t.Fatalf("Dialect() = %q, want %q", got, want)
	}
	if want == DialectPostgres {
		// pool_max_conns sizes the pool and is not passed on to the server.
		s := openStore(t, e.url+"&pool_max_conns=3")
		if got := s.db.Stats().MaxOpenConnections; got != 3 {
			t.Fatalf("MaxOpenConnections = %d, want 3", got)
		}
		noErr(t, s.Ping(ctx))
	}
}

func testOrgs(t *testing.T, e *testEnv) {
	ctx := context.Background()
	org, err := e.s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	if org.Name != DefaultOrgName || org.ID == 0 || org.CreatedAt.IsZero() {
		t.Fatalf("EnsureDefaultOrg = %+v", org)
	}
	again, err := e.s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	if again != org {
		t.Fatalf("second EnsureDefaultOrg = %+v, want %+v", again, org)
	}
	got, err := e.s.GetOrg(ctx, org.ID)
	noErr(t, err)
	if got != org {
		t.Fatalf("GetOrg = %+v, want %+v", got, org)
	}
	_, err = e.s.GetOrg(ctx, org.ID+1000)
	wantErr(t, err, ErrNotFound)
}

func testOrgsConcurrent(t *testing.T, e *testEnv) {
	ctx := context.Background()
	// A second store on the same database stands in for another process.
	other := openStore(t, e.url)
	const n = 20
	ids := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := e.s
			if i%2 == 1 {
				s = other
			}
			org, err := s.EnsureDefaultOrg(ctx)
			if err != nil {
				t.Errorf("EnsureDefaultOrg: %v", err)
				return
			}
			ids[i] = org.ID
		})
	}
	wg.Wait()
	for i, id := range ids {
		if id != ids[0] || id == 0 {
			t.Fatalf("goroutine %d got org %d, goroutine 0 got %d", i, id, ids[0])
		}
	}
	var count int
	noErr(t, e.s.queryRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&count))
	if count != 1 {
		t.Fatalf("%d orgs, want 1", count)
	}
}

func testUsers(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	in := User{
		ID: "u-b", OrgID: org.ID, Name: "bob", PasswordHash: "$argon2id$x",
		Email: "bob@example.com", Admin: true, CreatedAt: t0.Add(1234567 * time.Nanosecond),
	}
	u, err := s.CreateUser(ctx, in)
	noErr(t, err)
	if !u.CreatedAt.Equal(t0.Add(1234*time.Microsecond)) || !u.UpdatedAt.Equal(u.CreatedAt) {
		t.Fatalf("CreateUser times = %v, %v", u.CreatedAt, u.UpdatedAt)
	}
	got, err := s.GetUser(ctx, "u-b")
	noErr(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("GetUser = %+v, want %+v", got, u)
	}
	got, err = s.GetUserByName(ctx, "bob")
	noErr(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("GetUserByName = %+v, want %+v", got, u)
	}
	_, err = s.GetUser(ctx, "nobody")
	wantErr(t, err, ErrNotFound)
	_, err = s.GetUserByName(ctx, "nobody")
	wantErr(t, err, ErrNotFound)

	_, err = s.CreateUser(ctx, User{ID: "u-b", OrgID: org.ID, Name: "other"})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateUser(ctx, User{ID: "u-x", OrgID: org.ID, Name: "bob"})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateUser(ctx, User{ID: "u-x", OrgID: org.ID + 99, Name: "x"})
	wantErr(t, err, ErrNotFound)
	_, err = s.CreateUser(ctx, User{OrgID: org.ID, Name: "noid"})
	if err == nil {
		t.Fatal("CreateUser without id succeeded")
	}

	for _, id := range []string{"u-a", "u-c", "u-d", "u-e"} {
		_, err := s.CreateUser(ctx, User{ID: id, OrgID: org.ID, Name: "name-" + id})
		noErr(t, err)
	}
	var seen []string
	after := ""
	for {
		page, err := s.ListUsers(ctx, after, 2)
		noErr(t, err)
		if len(page) == 0 {
			break
		}
		if len(page) > 2 {
			t.Fatalf("page of %d users, limit 2", len(page))
		}
		for _, u := range page {
			seen = append(seen, u.ID)
		}
		after = page[len(page)-1].ID
	}
	if want := []string{"u-a", "u-b", "u-c", "u-d", "u-e"}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("ListUsers pages = %v, want %v", seen, want)
	}
	all, err := s.ListUsers(ctx, "", 0)
	noErr(t, err)
	if len(all) != 5 {
		t.Fatalf("ListUsers default limit returned %d users", len(all))
	}

	upd := got
	upd.Name, upd.Email, upd.Admin, upd.PasswordHash = "robert", "rob@example.com", false, "h2"
	upd.UpdatedAt = t0.Add(time.Hour)
	upd.CreatedAt = time.Time{} // ignored by UpdateUser
	res, err := s.UpdateUser(ctx, upd)
	noErr(t, err)
	if !res.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("UpdateUser CreatedAt = %v, want %v", res.CreatedAt, u.CreatedAt)
	}
	got, err = s.GetUser(ctx, "u-b")
	noErr(t, err)
	if !reflect.DeepEqual(got, res) || got.Name != "robert" || got.Admin {
		t.Fatalf("after UpdateUser GetUser = %+v, want %+v", got, res)
	}
	_, err = s.GetUserByName(ctx, "bob")
	wantErr(t, err, ErrNotFound)
	upd.Name = "name-u-a"
	_, err = s.UpdateUser(ctx, upd)
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.UpdateUser(ctx, User{ID: "nobody", OrgID: org.ID, Name: "n"})
	wantErr(t, err, ErrNotFound)
}

func testPendingCredentialReplace(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	c1, err := s.PutPendingCredential(ctx, Credential{
		ID: "c1", UserID: "u1", Factor: "totp", State: []byte{1, 2, 3},
		Status: CredentialActive, Version: 42, // ignored: always pending, version 1
		CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute),
	})
	noErr(t, err)
	if c1.Status != CredentialPending || c1.Version != 1 {
		t.Fatalf("PutPendingCredential = %+v", c1)
	}
	got, err := s.GetCredential(ctx, "c1")
	noErr(t, err)
	if !reflect.DeepEqual(got, c1) {
		t.Fatalf("GetCredential = %+v, want %+v", got, c1)
	}

	c2 := mustPending(t, s, "c2", "u1", "totp")
	_, err = s.GetCredential(ctx, "c1")
	wantErr(t, err, ErrNotFound)
	found, err := s.FindCredential(ctx, "u1", "totp", CredentialPending)
	noErr(t, err)
	if !reflect.DeepEqual(found, c2) {
		t.Fatalf("FindCredential = %+v, want %+v", found, c2)
	}
	_, err = s.FindCredential(ctx, "u1", "totp", CredentialActive)
	wantErr(t, err, ErrNotFound)
	if _, err := s.FindCredential(ctx, "u1", "totp", "bogus"); err == nil {
		t.Fatal("FindCredential with an invalid status succeeded")
	}

	// Another factor of the same user and the same factor of another user
	// are independent.
	mustPending(t, s, "c3", "u1", "sms-7")
	mustUser(t, s, "u2")
	mustPending(t, s, "c4", "u2", "totp")
	list, err := s.ListCredentials(ctx, "u1")
	noErr(t, err)
	if len(list) != 2 {
		t.Fatalf("ListCredentials(u1) = %d credentials, want 2", len(list))
	}

	// An empty state is stored as empty bytes.
	c5, err := s.PutPendingCredential(ctx, Credential{ID: "c5", UserID: "u2", Factor: "sms-1"})
	noErr(t, err)
	got, err = s.GetCredential(ctx, c5.ID)
	noErr(t, err)
	if got.State == nil || len(got.State) != 0 {
		t.Fatalf("empty state read back as %#v", got.State)
	}

	_, err = s.PutPendingCredential(ctx, Credential{ID: "c6", UserID: "ghost", Factor: "totp"})
	wantErr(t, err, ErrNotFound)
	// An id taken by a credential of another factor is a conflict, and the
	// pending credential it would have replaced survives.
	_, err = s.PutPendingCredential(ctx, Credential{ID: "c3", UserID: "u1", Factor: "totp"})
	wantErr(t, err, ErrAlreadyExists)
	if _, err := s.GetCredential(ctx, "c2"); err != nil {
		t.Fatalf("failed replacement removed the earlier pending credential: %v", err)
	}
}

func testCredentialCAS(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	c := mustPending(t, s, "c1", "u1", "totp")

	used := t0.Add(time.Minute)
	v, err := s.UpdateCredentialState(ctx, "c1", c.Version, []byte("s2"), used)
	noErr(t, err)
	if v != 2 {
		t.Fatalf("new version %d, want 2", v)
	}
	got, err := s.GetCredential(ctx, "c1")
	noErr(t, err)
	if string(got.State) != "s2" || got.Version != 2 || !got.LastUsedAt.Equal(used) || !got.UpdatedAt.Equal(used) {
		t.Fatalf("after update: %+v", got)
	}

	// A stale version changes nothing.
	_, err = s.UpdateCredentialState(ctx, "c1", c.Version, []byte("stale"), t0.Add(time.Hour))
	wantErr(t, err, ErrConflict)
	after, err := s.GetCredential(ctx, "c1")
	noErr(t, err)
	if !reflect.DeepEqual(after, got) {
		t.Fatalf("conflicting update changed the credential: %+v, want %+v", after, got)
	}

	// A zero lastUsedAt keeps the previous one (re-sealing).
	v, err = s.UpdateCredentialState(ctx, "c1", 2, []byte("s3"), time.Time{})
	noErr(t, err)
	got, err = s.GetCredential(ctx, "c1")
	noErr(t, err)
	if v != 3 || got.Version != 3 || string(got.State) != "s3" || !got.LastUsedAt.Equal(used) {
		t.Fatalf("after re-seal: %+v (version %d)", got, v)
	}

	_, err = s.UpdateCredentialState(ctx, "missing", 1, nil, time.Time{})
	wantErr(t, err, ErrNotFound)

	// Concurrent writers with the same expected version: exactly one wins.
	const n = 10
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateCredentialState(ctx, "c1", 3, fmt.Appendf(nil, "w%d", i), time.Time{})
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrConflict):
				t.Errorf("concurrent update: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d concurrent updates won, want 1", wins.Load())
	}
}

func testActivateCredential(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	p, err := s.PutPendingCredential(ctx, Credential{
		ID: "c1", UserID: "u1", Factor: "totp", State: []byte("p"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	})
	noErr(t, err)

	_, err = s.ActivateCredential(ctx, "c1", p.Version+1, []byte("x"), t0, false)
	wantErr(t, err, ErrConflict)
	_, err = s.ActivateCredential(ctx, "missing", 1, nil, t0, false)
	wantErr(t, err, ErrNotFound)

	now := t0.Add(time.Minute)
	v, err := s.ActivateCredential(ctx, "c1", p.Version, []byte("a"), now, false)
	noErr(t, err)
	c, err := s.GetCredential(ctx, "c1")
	noErr(t, err)
	if v != 2 || c.Version != 2 || c.Status != CredentialActive || string(c.State) != "a" ||
		!c.ExpiresAt.IsZero() || !c.UpdatedAt.Equal(now) || !c.CreatedAt.Equal(t0) {
		t.Fatalf("activated credential: %+v (version %d)", c, v)
	}
	// Activating it again is a conflict: it is no longer pending.
	_, err = s.ActivateCredential(ctx, "c1", c.Version, []byte("a"), now, true)
	wantErr(t, err, ErrConflict)

	// A second enrolment of the same factor without replaceActive changes
	// nothing.
	p2 := mustPending(t, s, "c2", "u1", "totp")
	_, err = s.ActivateCredential(ctx, "c2", p2.Version, []byte("b"), now, false)
	wantErr(t, err, ErrAlreadyExists)
	if got, err := s.GetCredential(ctx, "c2"); err != nil || !reflect.DeepEqual(got, p2) {
		t.Fatalf("refused activation changed the pending credential: %+v, %v", got, err)
	}
	if got, err := s.GetCredential(ctx, "c1"); err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("refused activation changed the active credential: %+v, %v", got, err)
	}

	// With replaceActive the old active credential goes away.
	v, err = s.ActivateCredential(ctx, "c2", p2.Version, []byte("b"), now, true)
	noErr(t, err)
	if v != 2 {
		t.Fatalf("new version %d, want 2", v)
	}
	_, err = s.GetCredential(ctx, "c1")
	wantErr(t, err, ErrNotFound)
	active, err := s.FindCredential(ctx, "u1", "totp", CredentialActive)
	noErr(t, err)
	if active.ID != "c2" || string(active.State) != "b" {
		t.Fatalf("active credential after replacement: %+v", active)
	}
	_, err = s.FindCredential(ctx, "u1", "totp", CredentialPending)
	wantErr(t, err, ErrNotFound)

	// An expired enrolment cannot be activated.
	p3, err := s.PutPendingCredential(ctx, Credential{
		ID: "c3", UserID: "u1", Factor: "sms-1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute),
	})
	noErr(t, err)
	_, err = s.ActivateCredential(ctx, "c3", p3.Version, []byte("c"), t0.Add(time.Minute), false)
	wantErr(t, err, ErrNotFound)
	if got, err := s.GetCredential(ctx, "c3"); err != nil || got.Status != CredentialPending {
		t.Fatalf("expired enrolment after refused activation: %+v, %v", got, err)
	}
}

func testActiveUniqueness(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustActive(t, s, "c1", "u1", "totp")
	// The partial unique indexes hold even for writes that bypass the
	// store's methods.
	_, err := s.exec(ctx, `INSERT INTO credentials (id, user_id, factor, status, state, version, created_at, updated_at)
		VALUES ('c2', 'u1', 'totp', 'active', ?, 1, 0, 0)`, []byte{})
	if !isUniqueViolation(err) {
		t.Fatalf("second active credential: %v, want a unique violation", err)
	}
	_, err = s.exec(ctx, `INSERT INTO credentials (id, user_id, factor, status, state, version, created_at, updated_at)
		VALUES ('c3', 'u1', 'totp', 'pending', ?, 1, 0, 0)`, []byte{})
	noErr(t, err)
	_, err = s.exec(ctx, `INSERT INTO credentials (id, user_id, factor, status, state, version, created_at, updated_at)
		VALUES ('c4', 'u1', 'totp', 'pending', ?, 1, 0, 0)`, []byte{})
	if !isUniqueViolation(err) {
		t.Fatalf("second pending credential: %v, want a unique violation", err)
	}

	// Racing an activation against a new enrolment and its activation:
	// either pa is replaced before it is activated, or pb's activation is
	// refused because pa is already active. Exactly one active credential
	// remains either way.
	mustUser(t, s, "u2")
	pa := mustPending(t, s, "pa", "u2", "sms-1")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = s.ActivateCredential(ctx, "pa", pa.Version, nil, t0, false) })
	wg.Go(func() {
		pb, err := s.PutPendingCredential(ctx, Credential{ID: "pb", UserID: "u2", Factor: "sms-1", CreatedAt: t0})
		if err != nil {
			errs[1] = err
			return
		}
		_, errs[1] = s.ActivateCredential(ctx, "pb", pb.Version, nil, t0, false)
	})
	wg.Wait()
	var count int
	noErr(t, s.queryRow(ctx, `SELECT COUNT(*) FROM credentials WHERE user_id = 'u2' AND status = 'active'`).Scan(&count))
	if count != 1 {
		t.Fatalf("%d active credentials after concurrent activations (errors %v), want 1", count, errs)
	}
}

func testCredentialListsAndDeletes(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustUser(t, s, "u2")
	for i, f := range []string{"totp", "sms-1", "sms-2"} {
		_, err := s.PutPendingCredential(ctx, Credential{
			ID: fmt.Sprintf("u1-%d", 9-i), UserID: "u1", Factor: f, CreatedAt: t0.Add(time.Duration(i) * time.Second),
		})
		noErr(t, err)
	}
	_, err := s.PutPendingCredential(ctx, Credential{
		ID: "u2-a", UserID: "u2", Factor: "totp", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute),
	})
	noErr(t, err)
	_, err = s.PutPendingCredential(ctx, Credential{
		ID: "u2-b", UserID: "u2", Factor: "sms-1", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
	})
	noErr(t, err)

	list, err := s.ListCredentials(ctx, "u1")
	noErr(t, err)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if want := []string{"u1-9", "u1-8", "u1-7"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ListCredentials order = %v, want %v (by creation time)", ids, want)
	}
	if list, err := s.ListCredentials(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Fatalf("ListCredentials(nobody) = %v, %v", list, err)
	}

	ids = nil
	after := ""
	for {
		page, err := s.ListCredentialsPage(ctx, after, 2)
		noErr(t, err)
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			ids = append(ids, c.ID)
		}
		after = page[len(page)-1].ID
	}
	if want := []string{"u1-7", "u1-8", "u1-9", "u2-a", "u2-b"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ListCredentialsPage = %v, want %v", ids, want)
	}

	wantErr(t, s.DeleteCredential(ctx, "u2", "u1-7"), ErrNotFound)
	noErr(t, s.DeleteCredential(ctx, "u1", "u1-7"))
	wantErr(t, s.DeleteCredential(ctx, "u1", "u1-7"), ErrNotFound)

	// Pending credentials expire; active ones and unexpired ones stay.
	mustActive(t, s, "u1-active", "u1", "sms-9")
	n, err := s.DeleteExpiredPending(ctx, t0.Add(time.Minute))
	noErr(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpiredPending removed %d, want 1", n)
	}
	_, err = s.GetCredential(ctx, "u2-a")
	wantErr(t, err, ErrNotFound)
	for _, id := range []string{"u2-b", "u1-8", "u1-active"} {
		if _, err := s.GetCredential(ctx, id); err != nil {
			t.Fatalf("GetCredential(%s) after expiry sweep: %v", id, err)
		}
	}
}

func testChallenges(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	c := mustActive(t, s, "c1", "u1", "sms-1")
	ch, err := s.CreateChallenge(ctx, Challenge{
		ID: "ch1", UserID: "u1", CredentialID: c.ID, Factor: "sms-1", State: []byte("code"),
		Version: 7, CreatedAt: t0, ExpiresAt: t0.Add(5 * time.Minute),
	})
	noErr(t, err)
	if ch.Version != 1 {
		t.Fatalf("new challenge version %d, want 1", ch.Version)
	}
	got, err := s.GetChallenge(ctx, "ch1")
	noErr(t, err)
	if !reflect.DeepEqual(got, ch) {
		t.Fatalf("GetChallenge = %+v, want %+v", got, ch)
	}
	_, err = s.CreateChallenge(ctx, Challenge{ID: "ch1", UserID: "u1", Factor: "sms-1"})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateChallenge(ctx, Challenge{ID: "chx", UserID: "u1", CredentialID: "missing", Factor: "sms-1"})
	wantErr(t, err, ErrNotFound)

	v, err := s.UpdateChallengeState(ctx, "ch1", 1, []byte("code, 1 try"))
	noErr(t, err)
	if v != 2 {
		t.Fatalf("new version %d, want 2", v)
	}
	_, err = s.UpdateChallengeState(ctx, "ch1", 1, []byte("stale"))
	wantErr(t, err, ErrConflict)
	got, err = s.GetChallenge(ctx, "ch1")
	noErr(t, err)
	if got.Version != 2 || string(got.State) != "code, 1 try" {
		t.Fatalf("after conflicting update: %+v", got)
	}
	_, err = s.UpdateChallengeState(ctx, "missing", 1, nil)
	wantErr(t, err, ErrNotFound)

	// A challenge without credential (e.g. before enrolment).
	free, err := s.CreateChallenge(ctx, Challenge{ID: "ch2", UserID: "u1", Factor: "email", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	noErr(t, err)
	got, err = s.GetChallenge(ctx, "ch2")
	noErr(t, err)
	if !reflect.DeepEqual(got, free) || got.CredentialID != "" {
		t.Fatalf("GetChallenge(ch2) = %+v, want %+v", got, free)
	}
	_, err = s.CreateChallenge(ctx, Challenge{ID: "ch3", UserID: "u1", Factor: "x"}) // never expires
	noErr(t, err)

	n, err := s.DeleteExpiredChallenges(ctx, t0.Add(time.Minute))
	noErr(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpiredChallenges removed %d, want 1", n)
	}
	_, err = s.GetChallenge(ctx, "ch2")
	wantErr(t, err, ErrNotFound)

	noErr(t, s.DeleteChallenge(ctx, "ch1"))
	wantErr(t, s.DeleteChallenge(ctx, "ch1"), ErrNotFound)
	_, err = s.GetChallenge(ctx, "ch1")
	wantErr(t, err, ErrNotFound)
	if _, err := s.GetChallenge(ctx, "ch3"); err != nil {
		t.Fatal(err)
	}
}

func testChallengesOfCredential(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustActive(t, s, "c1", "u1", "sms-1")
	mustActive(t, s, "c2", "u1", "sms-2")
	_, err := s.FindChallenge(ctx, "c1")
	wantErr(t, err, ErrNotFound)
	for i, ch := range []Challenge{
		{ID: "old", UserID: "u1", CredentialID: "c1", Factor: "sms-1"},
		{ID: "new", UserID: "u1", CredentialID: "c1", Factor: "sms-1"},
		{ID: "other", UserID: "u1", CredentialID: "c2", Factor: "sms-2"},
	} {
		ch.CreatedAt = t0.Add(time.Duration(i) * time.Second)
		_, err := s.CreateChallenge(ctx, ch)
		noErr(t, err)
	}
	got, err := s.FindChallenge(ctx, "c1")
	noErr(t, err)
	if got.ID != "new" {
		t.Fatalf("FindChallenge = %s, want the newest (new)", got.ID)
	}
	noErr(t, s.DeleteCredentialChallenges(ctx, "c1"))
	noErr(t, s.DeleteCredentialChallenges(ctx, "c1")) // nothing left: still fine
	_, err = s.FindChallenge(ctx, "c1")
	wantErr(t, err, ErrNotFound)
	if _, err := s.FindChallenge(ctx, "c2"); err != nil {
		t.Fatalf("another credential's challenge deleted: %v", err)
	}
}

func testChallengeCascade(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustActive(t, s, "c1", "u1", "sms-1")
	mustActive(t, s, "c2", "u1", "sms-2")
	for _, ch := range []Challenge{
		{ID: "ch1", UserID: "u1", CredentialID: "c1", Factor: "sms-1"},
		{ID: "ch2", UserID: "u1", CredentialID: "c1", Factor: "sms-1"},
		{ID: "ch3", UserID: "u1", CredentialID: "c2", Factor: "sms-2"},
	} {
		_, err := s.CreateChallenge(ctx, ch)
		noErr(t, err)
	}
	noErr(t, s.DeleteCredential(ctx, "u1", "c1"))
	for _, id := range []string{"ch1", "ch2"} {
		_, err := s.GetChallenge(ctx, id)
		wantErr(t, err, ErrNotFound)
	}
	if _, err := s.GetChallenge(ctx, "ch3"); err != nil {
		t.Fatalf("challenge of another credential deleted: %v", err)
	}
	// Replacing a pending credential also drops its challenges.
	p := mustPending(t, s, "p1", "u1", "email")
	_, err := s.CreateChallenge(ctx, Challenge{ID: "ch4", UserID: "u1", CredentialID: p.ID, Factor: "email"})
	noErr(t, err)
	mustPending(t, s, "p2", "u1", "email")
	_, err = s.GetChallenge(ctx, "ch4")
	wantErr(t, err, ErrNotFound)
}

func testInTx(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	user := func(id string) User { return User{ID: id, OrgID: org.ID, Name: "n-" + id} }
	exists := func(id string) bool {
		t.Helper()
		_, err := s.GetUser(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	// Commit.
	if InTransaction(ctx) {
		t.Fatal("a plain context is marked as in a transaction")
	}
	noErr(t, s.InTx(ctx, func(ctx context.Context) error {
		if !InTransaction(ctx) {
			t.Error("the transaction's context is not marked")
		}
		if _, err := s.CreateUser(ctx, user("a")); err != nil {
			return err
		}
		// Reads in the transaction see its writes.
		_, err := s.GetUser(ctx, "a")
		return err
	}))
	if !exists("a") {
		t.Fatal("committed user missing")
	}

	// Rollback on error; the error comes back unchanged.
	boom := errors.New("boom")
	err = s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.CreateUser(ctx, user("b")); err != nil {
			return err
		}
		mustPendingTx(t, ctx, s, "cb", "a")
		return boom
	})
	if err != boom {
		t.Fatalf("InTx error = %v, want the function's error", err)
	}
	if exists("b") {
		t.Fatal("user of rolled-back transaction exists")
	}
	if _, err := s.GetCredential(ctx, "cb"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("credential of rolled-back transaction: %v", err)
	}

	// Rollback on panic; the panic propagates.
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Fatalf("recovered %v, want the panic value", r)
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context) error {
			if _, err := s.CreateUser(ctx, user("c")); err != nil {
				return err
			}
			panic("kaboom")
		})
	}()
	if exists("c") {
		t.Fatal("user of panicked transaction exists")
	}

	// Nested InTx joins the outer transaction: the outer rollback undoes
	// the inner writes, also those of methods that use InTx themselves.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.InTx(ctx, func(ctx context.Context) error {
			_, err := s.CreateUser(ctx, user("d"))
			return err
		}); err != nil {
			return err
		}
		if _, err := s.UpdateLockout(ctx, "a", t0, addFailure); err != nil {
			return err
		}
		if _, err := s.AppendAudit(ctx, AuditEvent{UserID: "d", Action: "nested"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("nested InTx error = %v", err)
	}
	if exists("d") {
		t.Fatal("user created in nested InTx survived the outer rollback")
	}
	if l, err := s.GetLockout(ctx, "a"); err != nil || l.Failures != 0 {
		t.Fatalf("lockout after rollback: %+v, %v", l, err)
	}
	if ev, err := s.ListAudit(ctx, "d", 0); err != nil || len(ev) != 0 {
		t.Fatalf("audit after rollback: %v, %v", ev, err)
	}

	// Nested commit.
	noErr(t, s.InTx(ctx, func(ctx context.Context) error {
		return s.InTx(ctx, func(ctx context.Context) error {
			_, err := s.CreateUser(ctx, user("e"))
			return err
		})
	}))
	if !exists("e") {
		t.Fatal("user of nested committed transaction missing")
	}

	// A store error inside the transaction rolls everything back.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.CreateUser(ctx, user("f")); err != nil {
			return err
		}
		_, err := s.CreateUser(ctx, user("a"))
		return err
	})
	wantErr(t, err, ErrAlreadyExists)
	if exists("f") {
		t.Fatal("user of failed transaction exists")
	}

	// The transaction of one store is not joined by another store, but the
	// context says a transaction is open all the same.
	other := openStore(t, e.url)
	noErr(t, s.InTx(ctx, func(txCtx context.Context) error {
		if _, ok := other.txFrom(txCtx); ok {
			t.Error("another store joined the transaction")
		}
		if !InTransaction(txCtx) {
			t.Error("a transaction of another store is not seen")
		}
		return nil
	}))

	// fosite's transactions are marked too.
	txCtx, err := s.Fosite().BeginTX(ctx)
	noErr(t, err)
	if !InTransaction(txCtx) {
		t.Error("a transaction fosite began is not marked")
	}
	noErr(t, s.Fosite().Rollback(txCtx))
}

func mustPendingTx(t *testing.T, ctx context.Context, s *SQLStore, id, userID string) {
	t.Helper()
	if _, err := s.PutPendingCredential(ctx, Credential{ID: id, UserID: userID, Factor: "totp"}); err != nil {
		t.Fatalf("PutPendingCredential in transaction: %v", err)
	}
}

// addFailure is the simplest counter change: one more failure.
func addFailure(l Lockout) Lockout {
	l.Failures++
	return l
}

func testLockout(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	later := t0.Add(time.Hour).Add(1500 * time.Nanosecond)

	type step struct {
		name string
		key  string
		now  time.Time
		fn   func(Lockout) Lockout
		// seen is the counter fn is given; want what the update returns.
		seen, want Lockout
	}
	for _, st := range []step{
		{name: "first update of a user's counter starts from zero", key: "u1", now: t0, fn: addFailure,
			seen: Lockout{Key: "u1", UpdatedAt: t0}, want: Lockout{Key: "u1", Failures: 1, UpdatedAt: t0}},
		{name: "the next update sees the stored counter", key: "u1", now: t0.Add(time.Second), fn: addFailure,
			seen: Lockout{Key: "u1", Failures: 1, UpdatedAt: t0},
			want: Lockout{Key: "u1", Failures: 2, UpdatedAt: t0.Add(time.Second)}},
		{name: "fn decides everything but the key and the time, which are normalised", key: "u1", now: later,
			fn: func(l Lockout) Lockout {
				return Lockout{Key: "ignored", Failures: 0, LockCount: l.Failures + 5, LockedUntil: later.Add(time.Minute), UpdatedAt: t0}
			},
			seen: Lockout{Key: "u1", Failures: 2, UpdatedAt: t0.Add(time.Second)},
			want: Lockout{Key: "u1", LockCount: 7, LockedUntil: normTime(later.Add(time.Minute)), UpdatedAt: normTime(later)}},
		{name: "a key that names no user is a counter of its own", key: "password:alice|192.0.2.7", now: t0, fn: addFailure,
			seen: Lockout{Key: "password:alice|192.0.2.7", UpdatedAt: t0},
			want: Lockout{Key: "password:alice|192.0.2.7", Failures: 1, UpdatedAt: t0}},
	} {
		calls := 0
		got, err := s.UpdateLockout(ctx, st.key, st.now, func(l Lockout) Lockout {
			calls++
			if l != st.seen {
				t.Errorf("%s: fn got %+v, want %+v", st.name, l, st.seen)
			}
			return st.fn(l)
		})
		noErr(t, err)
		if calls != 1 || got != st.want {
			t.Fatalf("%s: UpdateLockout = %+v after %d calls of fn, want %+v after one", st.name, got, calls, st.want)
		}
		if stored, err := s.GetLockout(ctx, st.key); err != nil || stored != st.want {
			t.Fatalf("%s: GetLockout = %+v, %v; want %+v", st.name, stored, err, st.want)
		}
	}

	// ResetAttempts clears the counts, not a lock in force; resetting a
	// counter that does not exist does nothing.
	noErr(t, s.ResetAttempts(ctx, "u1"))
	l, err := s.GetLockout(ctx, "u1")
	noErr(t, err)
	if l.Failures != 0 || l.LockCount != 0 || !l.LockedUntil.Equal(normTime(later.Add(time.Minute))) {
		t.Fatalf("after reset: %+v", l)
	}
	noErr(t, s.ResetAttempts(ctx, "ghost"))
	if l, err := s.GetLockout(ctx, "ghost"); err != nil || l != (Lockout{Key: "ghost"}) {
		t.Fatalf("counter never updated: %+v, %v", l, err)
	}
	if _, err := s.UpdateLockout(ctx, "", t0, addFailure); err == nil {
		t.Fatal("UpdateLockout with an empty key succeeded")
	}
}

// updateConcurrently runs n concurrent updates that each add one failure to
// key, through the given stores in turn, and returns the failure counts the
// updates saw.
func updateConcurrently(t *testing.T, stores []*SQLStore, key string, n int) []int {
	t.Helper()
	var (
		mu    sync.Mutex
		seen  []int
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-start
			_, err := stores[i%len(stores)].UpdateLockout(context.Background(), key, t0, func(l Lockout) Lockout {
				mu.Lock()
				seen = append(seen, l.Failures)
				mu.Unlock()
				return addFailure(l)
			})
			if err != nil {
				t.Errorf("UpdateLockout: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return seen
}

// Concurrent updates from two hosts apply one after another: none is lost
// and each sees the result of the one before.
func testLockoutConcurrent(t *testing.T, e *testEnv) {
	stores := []*SQLStore{e.s, openStore(t, e.url)}
	const n = 100
	seen := updateConcurrently(t, stores, "password:bob|198.51.100.4", n)
	slices.Sort(seen)
	for i, v := range seen {
		if v != i {
			t.Fatalf("updates saw failure counts %v, want each of 0..%d once", seen, n-1)
		}
	}
	l, err := e.s.GetLockout(context.Background(), "password:bob|198.51.100.4")
	noErr(t, err)
	if l.Failures != n {
		t.Fatalf("after %d concurrent updates: %+v", n, l)
	}
}

func testLockoutSurvivesReopen(t *testing.T, e *testEnv) {
	ctx := context.Background()
	want, err := e.s.UpdateLockout(ctx, "u1", t0, func(l Lockout) Lockout {
		return Lockout{Failures: 2, LockCount: 1, LockedUntil: t0.Add(time.Hour)}
	})
	noErr(t, err)
	noErr(t, e.s.Close())

	s := openStore(t, e.url)
	if got, err := s.GetLockout(ctx, "u1"); err != nil || got != want {
		t.Fatalf("after reopen: %+v, %v; want %+v", got, err, want)
	}
}

func testMigrationsIdempotent(t *testing.T, e *testEnv) {
	ctx := context.Background()
	u := mustUser(t, e.s, "u1")
	var before int
	noErr(t, e.s.queryRow(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&before))
	noErr(t, e.s.Close())
	for range 2 {
		s, err := Open(ctx, e.url, nil)
		noErr(t, err)
		got, err := s.GetUser(ctx, "u1")
		noErr(t, err)
		if !reflect.DeepEqual(got, u) {
			t.Fatalf("user after reopen: %+v, want %+v", got, u)
		}
		var after int
		noErr(t, s.queryRow(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&after))
		if after != before {
			t.Fatalf("goose_db_version has %d rows after reopen, %d before", after, before)
		}
		noErr(t, s.Close())
	}
}

func testMigrationsConcurrentOpen(t *testing.T, e *testEnv) {
	// Several processes starting on a new database at once.
	u := e.newURL(t)
	const n = 4
	stores := make([]*SQLStore, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := Open(context.Background(), u, nil)
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			stores[i] = s
		})
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
	}
	if t.Failed() {
		return
	}
	mustUser(t, stores[0], "u1")
	if _, err := stores[n-1].GetUser(context.Background(), "u1"); err != nil {
		t.Fatal(err)
	}
}

func testAudit(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	var appended []AuditEvent
	for i, ev := range []AuditEvent{
		{Time: t0, OrgID: 1, UserID: "u1", Actor: "u1", Action: "verify", Factor: "totp", CredentialID: "c1",
			Result: "ok", RemoteAddr: "192.0.2.1:5000", Detail: map[string]string{"client": "vpn", "n": "1"}},
		{Time: t0.Add(time.Second), UserID: "u1", Action: "verify", Result: "invalid"},
		{Time: t0.Add(time.Second), UserID: "u2", Action: "enroll", Result: "ok", Detail: map[string]string{}},
		{Time: t0.Add(2 * time.Second), UserID: "u1", Action: "verify", Result: "locked"},
	} {
		got, err := s.AppendAudit(ctx, ev)
		noErr(t, err)
		if got.ID == 0 || (i > 0 && got.ID <= appended[i-1].ID) {
			t.Fatalf("audit ids not increasing: %d after %v", got.ID, appended)
		}
		appended = append(appended, got)
	}
	if appended[2].Detail != nil {
		t.Fatalf("empty detail returned as %#v", appended[2].Detail)
	}

	list, err := s.ListAudit(ctx, "u1", 0)
	noErr(t, err)
	if want := []AuditEvent{appended[3], appended[1], appended[0]}; !reflect.DeepEqual(list, want) {
		t.Fatalf("ListAudit(u1) =\n%+v\nwant\n%+v", list, want)
	}
	list, err = s.ListAudit(ctx, "u1", 1)
	noErr(t, err)
	if len(list) != 1 || list[0].ID != appended[3].ID {
		t.Fatalf("ListAudit(u1, 1) = %+v", list)
	}
	list, err = s.ListAudit(ctx, "", 10)
	noErr(t, err)
	var ids []int64
	for _, ev := range list {
		ids = append(ids, ev.ID)
	}
	if want := []int64{appended[3].ID, appended[2].ID, appended[1].ID, appended[0].ID}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ListAudit(all) ids = %v, want %v", ids, want)
	}

	// Concurrent appends get distinct ids.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.AppendAudit(ctx, AuditEvent{UserID: "u3", Action: "verify"}); err != nil {
				t.Errorf("AppendAudit: %v", err)
			}
		})
	}
	wg.Wait()
	list, err = s.ListAudit(ctx, "u3", 100)
	noErr(t, err)
	seen := map[int64]bool{}
	for _, ev := range list {
		if seen[ev.ID] || ev.Time.IsZero() {
			t.Fatalf("bad concurrent audit event %+v", ev)
		}
		seen[ev.ID] = true
	}
	if len(seen) != 20 {
		t.Fatalf("%d concurrent audit events stored, want 20", len(seen))
	}
}

// The migrations that key lockout counters by an opaque string and let the
// database number audit events keep every row, and so does migrating down.
func testMigrationsKeepCountersAndAuditIDs(t *testing.T, e *testEnv) {
	ctx := context.Background()
	u := e.newURL(t)
	raw := openUnmigrated(t, u)
	provider, err := raw.migrationProvider(ctx)
	noErr(t, err)
	_, err = provider.UpTo(ctx, 4)
	noErr(t, err)
	for _, q := range []string{
		`INSERT INTO orgs (id, name, created_at) VALUES (1, 'default', 0)`,
		`INSERT INTO users (id, org_id, name, created_at, updated_at) VALUES ('u1', 1, 'alice', 0, 0)`,
		`INSERT INTO lockouts (user_id, failures, lock_count, locked_until, updated_at) VALUES ('u1', 2, 1, 5000000, 4000000)`,
		`INSERT INTO audit_events (id, occurred_at, user_id, action, result) VALUES (41, 1000000, 'u1', 'verify', 'ok')`,
		`INSERT INTO audit_events (id, occurred_at, user_id, action, result) VALUES (42, 2000000, 'u1', 'verify', 'invalid')`,
		`INSERT INTO id_sequences (name, last_value) VALUES ('audit_events', 42), ('orgs', 1)`,
	} {
		_, err := raw.exec(ctx, q)
		noErr(t, err)
	}

	s := openStore(t, u)
	wantCounter := Lockout{Key: "u1", Failures: 2, LockCount: 1, LockedUntil: fromMicros(5000000), UpdatedAt: fromMicros(4000000)}
	if l, err := s.GetLockout(ctx, "u1"); err != nil || l != wantCounter {
		t.Fatalf("counter after the migrations: %+v, %v; want %+v", l, err, wantCounter)
	}
	ev, err := s.AppendAudit(ctx, AuditEvent{UserID: "u1", Action: "verify", Result: "ok"})
	noErr(t, err)
	if ev.ID != 43 {
		t.Fatalf("first id the database assigned: %d, want 43 (after the highest kept)", ev.ID)
	}
	auditIDs := func() []int64 {
		t.Helper()
		list, err := s.ListAudit(ctx, "u1", 10)
		noErr(t, err)
		var ids []int64
		for _, e := range list {
			ids = append(ids, e.ID)
		}
		return ids
	}
	if ids := auditIDs(); !reflect.DeepEqual(ids, []int64{43, 42, 41}) {
		t.Fatalf("audit ids after the migrations: %v", ids)
	}
	var sequences int
	noErr(t, s.queryRow(ctx, `SELECT COUNT(*) FROM id_sequences WHERE name = 'audit_events'`).Scan(&sequences))
	if sequences != 0 {
		t.Fatal("the audit_events counter row outlived the migration")
	}
	// A counter that names no user is kept by its own key only.
	_, err = s.UpdateLockout(ctx, "password:bob|192.0.2.1", t0, addFailure)
	noErr(t, err)

	_, err = provider.DownTo(ctx, 4)
	noErr(t, err)
	var failures int
	var last int64
	noErr(t, raw.queryRow(ctx, `SELECT failures FROM lockouts WHERE user_id = 'u1'`).Scan(&failures))
	noErr(t, raw.queryRow(ctx, `SELECT last_value FROM id_sequences WHERE name = 'audit_events'`).Scan(&last))
	if failures != 2 || last != 43 {
		t.Fatalf("after migrating down: u1 has %d failures, the audit counter is at %d; want 2 and 43", failures, last)
	}
	_, err = provider.Up(ctx)
	noErr(t, err)
	if ids := auditIDs(); !reflect.DeepEqual(ids, []int64{43, 42, 41}) {
		t.Fatalf("audit ids after migrating down and up again: %v", ids)
	}
}

// openUnmigrated connects to databaseURL without applying migrations.
func openUnmigrated(t *testing.T, databaseURL string) *SQLStore {
	t.Helper()
	ctx := context.Background()
	open := openSQLite
	if isPostgresURL(databaseURL) {
		open = openPostgres
	}
	s, err := open(ctx, databaseURL)
	noErr(t, err)
	s.logger = slog.New(slog.DiscardHandler)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func testAPITokens(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	mustUser(t, s, "u2")
	tok, err := s.CreateAPIToken(ctx, APIToken{
		ID: "t1", UserID: "u1", Name: "laptop", Hash: []byte{0, 1, 2, 0xff}, Admin: true,
		CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour),
	})
	noErr(t, err)
	got, err := s.GetAPITokenByHash(ctx, []byte{0, 1, 2, 0xff})
	noErr(t, err)
	if !reflect.DeepEqual(got, tok) || !got.LastUsedAt.IsZero() {
		t.Fatalf("GetAPITokenByHash = %+v, want %+v", got, tok)
	}
	_, err = s.GetAPITokenByHash(ctx, []byte{0, 1, 2})
	wantErr(t, err, ErrNotFound)
	_, err = s.GetAPITokenByHash(ctx, nil)
	wantErr(t, err, ErrNotFound)

	_, err = s.CreateAPIToken(ctx, APIToken{ID: "t2", UserID: "u2", Hash: []byte{0, 1, 2, 0xff}})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateAPIToken(ctx, APIToken{ID: "t1", UserID: "u2", Hash: []byte{9}})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateAPIToken(ctx, APIToken{ID: "t9", UserID: "ghost", Hash: []byte{9}})
	wantErr(t, err, ErrNotFound)
	t2, err := s.CreateAPIToken(ctx, APIToken{ID: "t2", UserID: "u1", Name: "ci", Hash: []byte("h2"), CreatedAt: t0.Add(time.Second)})
	noErr(t, err)
	_, err = s.CreateAPIToken(ctx, APIToken{ID: "t3", UserID: "u2", Hash: []byte("h3")})
	noErr(t, err)

	list, err := s.ListAPITokens(ctx, "u1")
	noErr(t, err)
	if len(list) != 2 || list[0].ID != "t1" || list[1].ID != "t2" || !bytes.Equal(list[1].Hash, t2.Hash) {
		t.Fatalf("ListAPITokens(u1) = %+v", list)
	}

	used := t0.Add(time.Hour)
	noErr(t, s.TouchAPIToken(ctx, "t1", used))
	got, err = s.GetAPITokenByHash(ctx, tok.Hash)
	noErr(t, err)
	if !got.LastUsedAt.Equal(used) {
		t.Fatalf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
	}
	wantErr(t, s.TouchAPIToken(ctx, "missing", used), ErrNotFound)

	noErr(t, s.DeleteAPIToken(ctx, "t1"))
	wantErr(t, s.DeleteAPIToken(ctx, "t1"), ErrNotFound)
	_, err = s.GetAPITokenByHash(ctx, tok.Hash)
	wantErr(t, err, ErrNotFound)
}

func testSessions(t *testing.T, e *testEnv) {
	ctx := context.Background()
	s := e.s
	mustUser(t, s, "u1")
	se, err := s.CreateSession(ctx, Session{Hash: []byte("h1"), UserID: "u1", AMR: []string{"pwd"}, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	noErr(t, err)
	got, err := s.GetSession(ctx, []byte("h1"))
	noErr(t, err)
	if !reflect.DeepEqual(got, se) || !got.AuthTime.Equal(t0) {
		t.Fatalf("GetSession = %+v, want %+v", got, se)
	}
	_, err = s.CreateSession(ctx, Session{Hash: []byte("h1"), UserID: "u1", ExpiresAt: t0.Add(time.Hour)})
	wantErr(t, err, ErrAlreadyExists)
	_, err = s.CreateSession(ctx, Session{Hash: []byte("h2"), UserID: "missing", ExpiresAt: t0.Add(time.Hour)})
	wantErr(t, err, ErrNotFound)

	noErr(t, s.UpdateSessionAuth(ctx, []byte("h1"), []string{"pwd", "otp", "mfa"}, t0.Add(time.Minute)))
	noErr(t, s.TouchSession(ctx, []byte("h1"), t0.Add(2*time.Minute), t0.Add(2*time.Hour)))
	got, err = s.GetSession(ctx, []byte("h1"))
	noErr(t, err)
	if !reflect.DeepEqual(got.AMR, []string{"pwd", "otp", "mfa"}) || !got.AuthTime.Equal(t0.Add(time.Minute)) ||
		!got.LastSeenAt.Equal(t0.Add(2*time.Minute)) || !got.ExpiresAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after update: %+v", got)
	}
	wantErr(t, s.UpdateSessionAuth(ctx, []byte("nope"), nil, t0), ErrNotFound)
	wantErr(t, s.TouchSession(ctx, []byte("nope"), t0, t0), ErrNotFound)

	_, err = s.CreateSession(ctx, Session{Hash: []byte("old"), UserID: "u1", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	noErr(t, err)
	n, err := s.DeleteExpiredSessions(ctx, t0.Add(time.Minute))
	noErr(t, err)
	if n != 1 {
		t.Fatalf("DeleteExpiredSessions = %d, want 1", n)
	}
	noErr(t, s.DeleteSession(ctx, []byte("h1")))
	wantErr(t, s.DeleteSession(ctx, []byte("h1")), ErrNotFound)
}
