package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/store"
)

func newAPIKeyStore(t *testing.T) *store.SQLStore {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestAPIKeys(t *testing.T) {
	st := newAPIKeyStore(t)
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	keys := auth.NewAPIKeys(st, func() time.Time { return now }, nil)
	ctx := context.Background()

	secret, key, err := keys.Create(ctx, "scanner")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, auth.APIKeyPrefix) || len(secret) < 40 || key.Name != "scanner" || key.ID == "" {
		t.Fatalf("Create = %q, %+v", secret, key)
	}
	if strings.Contains(string(key.Hash), secret) {
		t.Fatal("the store must not see the key")
	}
	if err := keys.Check(ctx, secret); err != nil {
		t.Fatalf("Check(live key) = %v", err)
	}
	got, err := keys.Authenticate(ctx, secret)
	if err != nil || got.ID != key.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}

	t.Run("CreateRejects", func(t *testing.T) {
		for _, tc := range []struct {
			name, keyName string
			want          error
		}{
			{"empty name", "", auth.ErrAPIKeyName},
			{"space in name", "my key", auth.ErrAPIKeyName},
			{"long name", strings.Repeat("a", 65), auth.ErrAPIKeyName},
			{"live name taken", "scanner", auth.ErrAPIKeyNameTaken},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, _, err := keys.Create(ctx, tc.keyName); !errors.Is(err, tc.want) {
					t.Fatalf("Create(%q) = %v, want %v", tc.keyName, err, tc.want)
				}
			})
		}
	})

	t.Run("CheckRejects", func(t *testing.T) {
		for _, tc := range []struct{ name, secret string }{
			{"empty", ""},
			{"no prefix", strings.TrimPrefix(secret, auth.APIKeyPrefix)},
			{"personal token prefix", auth.TokenPrefix + strings.TrimPrefix(secret, auth.APIKeyPrefix)},
			{"unknown", auth.APIKeyPrefix + "nope"},
			{"long", auth.APIKeyPrefix + strings.Repeat("a", 300)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := keys.Check(ctx, tc.secret); !errors.Is(err, auth.ErrBadAPIKey) {
					t.Fatalf("Check = %v, want ErrBadAPIKey", err)
				}
			})
		}
	})

	t.Run("LastUse", func(t *testing.T) {
		now = now.Add(time.Hour)
		if err := keys.Check(ctx, secret); err != nil {
			t.Fatal(err)
		}
		list, err := keys.List(ctx)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(now) {
			t.Fatalf("List = %+v, %v; want last use at %v", list, err, now)
		}
	})

	t.Run("Revoke", func(t *testing.T) {
		other, otherKey, err := keys.Create(ctx, "ci")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, arg string
			want      error
		}{
			{"by name", "scanner", nil},
			{"revoked name", "scanner", auth.ErrNoAPIKey},
			{"revoked id", key.ID, auth.ErrAPIKeyRevoked},
			{"unknown", "nope", auth.ErrNoAPIKey},
			{"by id", otherKey.ID, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := keys.Revoke(ctx, tc.arg)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Revoke(%q) = %v, want %v", tc.arg, err, tc.want)
				}
				if err == nil && !got.RevokedAt.Equal(now) {
					t.Fatalf("Revoke(%q) = %+v, want revoked at %v", tc.arg, got, now)
				}
			})
		}
		for _, s := range []string{secret, other} {
			if err := keys.Check(ctx, s); !errors.Is(err, auth.ErrBadAPIKey) {
				t.Fatalf("Check(revoked key) = %v, want ErrBadAPIKey", err)
			}
		}
		// The name of a revoked key can be issued again.
		again, _, err := keys.Create(ctx, "scanner")
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Check(ctx, again); err != nil {
			t.Fatalf("Check(new key) = %v", err)
		}
	})
}
