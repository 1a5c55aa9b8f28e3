package mfa_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

func TestLockDelay(t *testing.T) {
	p := mfa.LockoutPolicy{MaxFailures: 1, BaseDelay: time.Second, MaxDelay: time.Minute}
	for locks, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		if got := p.LockDelay(locks); got != want*time.Second {
			t.Errorf("LockDelay(%d) = %v, want %v", locks, got, want*time.Second)
		}
	}
	huge := mfa.LockoutPolicy{MaxFailures: 1, BaseDelay: time.Second, MaxDelay: 1<<63 - 1}
	if got := huge.LockDelay(1000); got != huge.MaxDelay {
		t.Errorf("LockDelay(1000) = %v, want the cap", got)
	}
}

func TestLockoutPolicyDefaultsAndValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    mfa.LockoutPolicy
		want  mfa.LockoutPolicy
		valid bool
	}{
		{"zero takes the defaults", mfa.LockoutPolicy{}, mfa.DefaultLockoutPolicy(), false},
		{"set fields are kept", mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: 2 * time.Hour},
			mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: 2 * time.Hour}, true},
		{"only the limit set", mfa.LockoutPolicy{MaxFailures: 1000},
			mfa.LockoutPolicy{MaxFailures: 1000, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}, false},
		{"a base delay above the default cap raises the cap", mfa.LockoutPolicy{MaxFailures: 2, BaseDelay: 2 * time.Hour},
			mfa.LockoutPolicy{MaxFailures: 2, BaseDelay: 2 * time.Hour, MaxDelay: 2 * time.Hour}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.WithDefaults()
			if got != tc.want {
				t.Fatalf("WithDefaults = %+v, want %+v", got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("a policy with defaults is invalid: %v", err)
			}
			if err := tc.in.Validate(); (err == nil) != tc.valid {
				t.Fatalf("Validate(%+v) = %v, want valid=%v", tc.in, err, tc.valid)
			}
		})
	}
	st := openLockoutStore(t, testdb.Backends()[0].NewURL(t))
	for _, bad := range []mfa.LockoutPolicy{
		{MaxFailures: 0, BaseDelay: time.Second, MaxDelay: time.Second},
		{MaxFailures: 1, BaseDelay: 0, MaxDelay: time.Second},
		{MaxFailures: 1, BaseDelay: time.Minute, MaxDelay: time.Second},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) passed", bad)
		}
		if err := bad.Reserve(context.Background(), st, "u", time.Now()); err == nil || errors.Is(err, mfa.ErrLocked) {
			t.Errorf("Reserve with policy %+v: %v, want a policy error", bad, err)
		}
	}
}

func openLockoutStore(t *testing.T, url string) *store.SQLStore {
	t.Helper()
	st, err := store.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A policy is applied through the store's counter under any key: locks grow
// from BaseDelay to MaxDelay, nothing is counted while locked, and a reset
// starts the back-off over without lifting a lock in force.
func TestLockoutPolicyReserve(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		st := openLockoutStore(t, newURL(t))
		ctx := context.Background()
		p := mfa.LockoutPolicy{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: 3 * time.Minute}
		const key = "password:alice|192.0.2.7"
		now := time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)
		lockRound := func(wantDelay time.Duration) {
			t.Helper()
			for i := range p.MaxFailures {
				if err := p.Reserve(ctx, st, key, now); err != nil {
					t.Fatalf("attempt %d: %v", i+1, err)
				}
			}
			err := p.Reserve(ctx, st, key, now)
			if d, ok := mfa.RetryAfter(err); !errors.Is(err, mfa.ErrLocked) || !ok || d != wantDelay {
				t.Fatalf("attempt over the limit: %v (retry after %v), want locked for %v", err, d, wantDelay)
			}
			// While locked nothing is counted, and the wait shrinks.
			for range 3 {
				err := p.Reserve(ctx, st, key, now.Add(wantDelay-1500*time.Millisecond))
				if d, _ := mfa.RetryAfter(err); !errors.Is(err, mfa.ErrLocked) || d != 2*time.Second {
					t.Fatalf("attempt while locked: %v (retry after %v), want 2s", err, d)
				}
			}
			l, err := st.GetLockout(ctx, key)
			if err != nil || l.Failures != 0 || !l.LockedUntil.Equal(now.Add(wantDelay)) {
				t.Fatalf("counter after a lock: %+v, %v", l, err)
			}
			now = l.LockedUntil
		}
		lockRound(time.Minute)
		lockRound(2 * time.Minute)
		lockRound(3 * time.Minute) // capped at MaxDelay
		lockRound(3 * time.Minute)

		lockedUntil := now
		if err := st.ResetAttempts(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := p.Reserve(ctx, st, key, lockedUntil.Add(-time.Second)); !errors.Is(err, mfa.ErrLocked) {
			t.Fatalf("a reset lifted the lock in force: %v", err)
		}
		lockRound(time.Minute) // the back-off starts over
	})
}

// 100 concurrent attempts on two hosts with a limit of 5: exactly 5 go ahead.
func TestLockoutPolicyReserveConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		url := newURL(t)
		stores := []*store.SQLStore{openLockoutStore(t, url), openLockoutStore(t, url)}
		p := mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: time.Minute, MaxDelay: time.Hour}
		now := time.Date(2031, 5, 6, 7, 8, 0, 0, time.UTC)
		var allowed, locked atomic.Int64
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				switch err := p.Reserve(context.Background(), stores[i%2], "user-1", now); {
				case err == nil:
					allowed.Add(1)
				case errors.Is(err, mfa.ErrLocked):
					locked.Add(1)
				default:
					t.Errorf("Reserve: %v", err)
				}
			})
		}
		wg.Wait()
		if allowed.Load() != 5 || locked.Load() != 95 {
			t.Fatalf("%d allowed, %d locked; want 5 and 95", allowed.Load(), locked.Load())
		}
	})
}

// A count that cannot be stored refuses the attempt.
func TestLockoutPolicyReserveFailsClosed(t *testing.T) {
	st := openLockoutStore(t, testdb.Backends()[0].NewURL(t))
	st.Close()
	err := mfa.DefaultLockoutPolicy().Reserve(context.Background(), st, "user-1", time.Now())
	if err == nil || errors.Is(err, mfa.ErrLocked) {
		t.Fatalf("Reserve on a closed store: %v, want the store's error", err)
	}
}
