package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestAPIKeys(t *testing.T) {
	for _, b := range testBackends() {
		t.Run(b.name, func(t *testing.T) {
			if b.skip != "" {
				t.Skip(b.skip)
			}
			t.Parallel()
			testAPIKeys(t, openStore(t, b.newURL(t)))
		})
	}
}

func testAPIKeys(t *testing.T, s *SQLStore) {
	ctx := context.Background()
	k1, err := s.CreateAPIKey(ctx, APIKey{ID: "k1", Name: "scanner", Hash: []byte{1, 2, 3, 0xff}, CreatedAt: t0.Add(123 * time.Nanosecond)})
	noErr(t, err)
	if !k1.CreatedAt.Equal(t0) || k1.Revoked() || !k1.LastUsedAt.IsZero() {
		t.Fatalf("CreateAPIKey = %+v, want the creation time truncated to the microsecond and no use or revocation", k1)
	}
	got, err := s.GetAPIKeyByHash(ctx, []byte{1, 2, 3, 0xff})
	noErr(t, err)
	if !reflect.DeepEqual(got, k1) {
		t.Fatalf("GetAPIKeyByHash = %+v, want %+v", got, k1)
	}

	t.Run("CreateRejects", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			key  APIKey
			want error
		}{
			{"duplicate id", APIKey{ID: "k1", Name: "other", Hash: []byte{9}}, ErrAlreadyExists},
			{"duplicate hash", APIKey{ID: "k9", Name: "other", Hash: []byte{1, 2, 3, 0xff}}, ErrAlreadyExists},
			{"live name taken", APIKey{ID: "k9", Name: "scanner", Hash: []byte{9}}, ErrAlreadyExists},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.CreateAPIKey(ctx, tc.key)
				wantErr(t, err, tc.want)
			})
		}
		for _, tc := range []struct {
			name string
			key  APIKey
		}{
			{"no id", APIKey{Name: "n", Hash: []byte{9}}},
			{"no name", APIKey{ID: "k9", Hash: []byte{9}}},
			{"no hash", APIKey{ID: "k9", Name: "n"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := s.CreateAPIKey(ctx, tc.key); err == nil {
					t.Fatal("CreateAPIKey succeeded")
				}
			})
		}
	})

	t.Run("Lookups", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			hash []byte
		}{{"unknown", []byte{1, 2, 3}}, {"empty", nil}} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.GetAPIKeyByHash(ctx, tc.hash)
				wantErr(t, err, ErrNotFound)
			})
		}
	})

	t.Run("TouchAndRevoke", func(t *testing.T) {
		used := t0.Add(time.Hour)
		noErr(t, s.TouchAPIKey(ctx, "k1", used))
		wantErr(t, s.TouchAPIKey(ctx, "nope", used), ErrNotFound)
		got, err := s.GetAPIKeyByHash(ctx, k1.Hash)
		noErr(t, err)
		if !got.LastUsedAt.Equal(used) {
			t.Fatalf("LastUsedAt = %v, want %v", got.LastUsedAt, used)
		}

		revoked := t0.Add(2 * time.Hour)
		noErr(t, s.RevokeAPIKey(ctx, "k1", revoked))
		wantErr(t, s.RevokeAPIKey(ctx, "k1", revoked), ErrConflict)
		wantErr(t, s.RevokeAPIKey(ctx, "nope", revoked), ErrNotFound)
		got, err = s.GetAPIKeyByHash(ctx, k1.Hash)
		noErr(t, err)
		if !got.Revoked() || !got.RevokedAt.Equal(revoked) {
			t.Fatalf("after revoke: %+v", got)
		}

		// The name of a revoked key is free for a new one.
		k2, err := s.CreateAPIKey(ctx, APIKey{ID: "k2", Name: "scanner", Hash: []byte{4, 5, 6}, CreatedAt: t0.Add(3 * time.Hour)})
		noErr(t, err)
		list, err := s.ListAPIKeys(ctx)
		noErr(t, err)
		if len(list) != 2 || list[0].ID != "k1" || !list[0].Revoked() || !reflect.DeepEqual(list[1], k2) {
			t.Fatalf("ListAPIKeys = %+v", list)
		}
	})
}
