package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// backend is one database the suite runs against. newURL returns the URL of
// a fresh, empty database that is removed when the test ends.
type backend struct {
	name   string
	skip   string
	newURL func(t *testing.T) string
}

func testBackends() []backend {
	var out []backend
	for _, b := range testdb.Backends() {
		out = append(out, backend{name: b.Name, skip: b.Skip, newURL: func(t *testing.T) string { return b.NewURL(t) }})
	}
	return out
}

// openStore opens databaseURL and closes the store when the test ends.
func openStore(t *testing.T, databaseURL string) *SQLStore {
	t.Helper()
	s, err := Open(context.Background(), databaseURL, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testEnv is what every test of the suite gets: an open store on a fresh
// database, the URL to reopen it and a way to create further databases of the
// same backend.
type testEnv struct {
	s      *SQLStore
	url    string
	newURL func(t *testing.T) string
}

var t0 = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

// mustUser creates a user with the given id in the default organisation.
func mustUser(t *testing.T, s *SQLStore, id string) User {
	t.Helper()
	ctx := context.Background()
	org, err := s.EnsureDefaultOrg(ctx)
	if err != nil {
		t.Fatalf("EnsureDefaultOrg: %v", err)
	}
	u, err := s.CreateUser(ctx, User{ID: id, OrgID: org.ID, Name: "name-" + id, CreatedAt: t0})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", id, err)
	}
	return u
}

// mustPending stores a pending credential.
func mustPending(t *testing.T, s *SQLStore, id, userID, factor string) Credential {
	t.Helper()
	c, err := s.PutPendingCredential(context.Background(), Credential{
		ID: id, UserID: userID, Factor: factor, State: []byte("sealed-" + id), CreatedAt: t0,
	})
	if err != nil {
		t.Fatalf("PutPendingCredential(%s): %v", id, err)
	}
	return c
}

// mustActive stores an active credential.
func mustActive(t *testing.T, s *SQLStore, id, userID, factor string) Credential {
	t.Helper()
	c := mustPending(t, s, id, userID, factor)
	v, err := s.ActivateCredential(context.Background(), id, c.Version, c.State, t0, false)
	if err != nil {
		t.Fatalf("ActivateCredential(%s): %v", id, err)
	}
	c, err = s.GetCredential(context.Background(), id)
	if err != nil || c.Version != v {
		t.Fatalf("GetCredential(%s) = %+v, %v; want version %d", id, c, err, v)
	}
	return c
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
