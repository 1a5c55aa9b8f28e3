package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/store"
)

func newStore(t *testing.T) (*store.SQLStore, store.User) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, err := st.EnsureDefaultOrg(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(context.Background(), store.User{ID: "u1", OrgID: org.ID, Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return st, u
}

func TestTokens(t *testing.T) {
	st, u := newStore(t)
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	tokens := auth.NewTokens(st, clock, nil)
	ctx := context.Background()
	secret, tok, err := tokens.Create(ctx, u.ID, "cli", false, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, auth.TokenPrefix) || len(secret) < 40 {
		t.Fatalf("token %q", secret)
	}
	if strings.Contains(string(tok.Hash), secret) {
		t.Fatal("the store must not see the token")
	}
	p, err := tokens.Authenticate(ctx, secret)
	if err != nil || p.User.ID != u.ID || p.Admin || !p.CanActOn(u.ID) || p.CanActOn("u2") {
		t.Fatalf("principal %+v %v", p, err)
	}
	admin, _, err := tokens.Create(ctx, u.ID, "ops", true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := tokens.Authenticate(ctx, admin); err != nil || !p.CanActOn("u2") {
		t.Fatalf("admin principal %+v %v", p, err)
	}
	for name, bad := range map[string]string{"unknown": auth.TokenPrefix + "nope", "no prefix": "abc", "long": auth.TokenPrefix + strings.Repeat("a", 300), "empty": ""} {
		if _, err := tokens.Authenticate(ctx, bad); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("%s: %v, want ErrBadToken", name, err)
		}
	}
	now = now.Add(time.Hour)
	if _, err := tokens.Authenticate(ctx, secret); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("expired token: %v", err)
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"Bearer abc", "abc"}, {"bearer  abc ", "abc"}, {"", ""}, {"Basic abc", ""}, {"Bearer", ""}, {"Bearer ", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		got, err := auth.BearerToken(r)
		if got != tc.want || (tc.want == "") == (err == nil) {
			t.Errorf("%q: %q %v", tc.header, got, err)
		}
	}
}

func TestPasswords(t *testing.T) {
	h, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(h, "correct horse") || auth.CheckPassword(h, "correct horsE") || auth.CheckPassword("", "x") {
		t.Fatal("CheckPassword")
	}
	if _, err := auth.HashPassword("short"); !errors.Is(err, auth.ErrPasswordTooShort) {
		t.Fatal(err)
	}
	if _, err := auth.HashPassword(strings.Repeat("x", 73)); !errors.Is(err, auth.ErrPasswordTooLong) {
		t.Fatal(err)
	}
}

func TestSessions(t *testing.T) {
	st, u := newStore(t)
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	sessions := auth.NewSessions(st, 30*time.Minute, 12*time.Hour, func() time.Time { return now })
	ctx := context.Background()
	se, err := sessions.Create(ctx, u, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sessions.Authenticate(ctx, se.Secret)
	if err != nil || got.User.ID != u.ID || strings.Join(got.AMR, ",") != "pwd" {
		t.Fatalf("%+v %v", got, err)
	}
	if !auth.CheckCSRF(se.Secret, se.CSRFToken()) || auth.CheckCSRF(se.Secret, "") || auth.CheckCSRF("other", se.CSRFToken()) {
		t.Fatal("CSRF token check")
	}
	now = now.Add(10 * time.Minute)
	if err := sessions.AddMethods(ctx, &got, now, "otp", "mfa"); err != nil {
		t.Fatal(err)
	}
	again, err := sessions.Authenticate(ctx, se.Secret)
	if err != nil || strings.Join(again.AMR, ",") != "pwd,otp,mfa" || !again.AuthTime.Equal(now) {
		t.Fatalf("after AddMethods: %+v %v", again, err)
	}
	// Idle for longer than the TTL: gone (the last use moved the expiry to +40m).
	now = now.Add(41 * time.Minute)
	if _, err := sessions.Authenticate(ctx, se.Secret); !errors.Is(err, auth.ErrBadSession) {
		t.Fatalf("idle session: %v", err)
	}
	se2, err := sessions.Create(ctx, u, []string{"pwd"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sessions.Destroy(ctx, se2); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Authenticate(ctx, se2.Secret); !errors.Is(err, auth.ErrBadSession) {
		t.Fatalf("destroyed session: %v", err)
	}
}

// TestRecordIDs: the ids of tokens and API keys are plain hex, so that none
// starts with a dash and is read as a flag by `tokens revoke ID`.
func TestRecordIDs(t *testing.T) {
	st, u := newStore(t)
	ctx := context.Background()
	tokens, keys := auth.NewTokens(st, nil, nil), auth.NewAPIKeys(st, nil, nil)
	for _, tc := range []struct {
		name   string
		create func(i int) (string, error)
	}{
		{"token", func(i int) (string, error) {
			_, tok, err := tokens.Create(ctx, u.ID, fmt.Sprint("t", i), false, time.Hour)
			return tok.ID, err
		}},
		{"api key", func(i int) (string, error) {
			_, key, err := keys.Create(ctx, fmt.Sprint("k", i))
			return key.ID, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for i := range 64 {
				id, err := tc.create(i)
				if err != nil {
					t.Fatal(err)
				}
				if len(id) != 24 || strings.Trim(id, "0123456789abcdef") != "" || seen[id] {
					t.Fatalf("id %q: want 24 hex digits, each id new", id)
				}
				seen[id] = true
			}
		})
	}
}
