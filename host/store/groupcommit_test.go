package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// Concurrent transactions share commits, and one that fails rolls back only
// its own work: every user of a succeeding transaction is stored, none of a
// failing one.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "group.db"))
	ctx := context.Background()
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Go(func() {
			errs[i] = s.InTx(ctx, func(ctx context.Context) error {
				if _, err := s.CreateUser(ctx, User{ID: fmt.Sprintf("u%02d", i), OrgID: org.ID, Name: fmt.Sprintf("n%02d", i)}); err != nil {
					return err
				}
				if i%3 == 0 {
					return errBoom
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, getErr := s.GetUser(ctx, fmt.Sprintf("u%02d", i))
		switch {
		case i%3 == 0 && !errors.Is(err, errBoom):
			t.Errorf("transaction %d: %v, want its own error", i, err)
		case i%3 == 0 && !errors.Is(getErr, ErrNotFound):
			t.Errorf("transaction %d failed but its user is stored (%v)", i, getErr)
		case i%3 != 0 && (err != nil || getErr != nil):
			t.Errorf("transaction %d: %v, user: %v", i, err, getErr)
		}
	}
}

// A panic inside a transaction reaches its caller after the rollback, and the
// writer goes on serving others.
func TestGroupCommitPanicReachesCaller(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "panic.db"))
	ctx := context.Background()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("recovered %v, want the panic of the function", p)
			}
		}()
		_ = s.InTx(ctx, func(ctx context.Context) error { panic("boom") })
	}()
	if _, err := s.EnsureDefaultOrg(ctx); err != nil {
		t.Fatalf("the writer stopped after a panic: %v", err)
	}
}

// A write handed over with later commits with or before any write submitted
// after it, a failing one takes nothing else with it, Close runs those still
// waiting, and every one is told when its batch has ended.
func TestGroupCommitLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.db")
	s := openStore(t, path)
	ctx := context.Background()
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	create := func(st *SQLStore, id string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := st.CreateUser(ctx, User{ID: id, OrgID: org.ID, Name: "n-" + id})
			return err
		}
	}
	var ended atomic.Int32
	count := func() { ended.Add(1) }
	noErr(t, s.writer.later(ctx, create(s, "deferred"), count))
	noErr(t, s.writer.later(ctx, func(ctx context.Context) error {
		if err := create(s, "failed")(ctx); err != nil {
			return err
		}
		return errors.New("boom")
	}, count))
	noErr(t, s.InTx(ctx, create(s, "after")))
	for id, want := range map[string]error{"deferred": nil, "after": nil, "failed": ErrNotFound} {
		if _, err := s.GetUser(ctx, id); !errors.Is(err, want) {
			t.Errorf("user %s: %v, want %v", id, err, want)
		}
	}

	noErr(t, s.writer.later(ctx, create(s, "at-close"), count))
	noErr(t, s.Close())
	// Close returns once the writer has stopped, after its last batch ended.
	if n := ended.Load(); n != 3 {
		t.Errorf("ended was called %d times, want once for each of the 3 deferred writes", n)
	}
	s = openStore(t, path)
	if _, err := s.GetUser(ctx, "at-close"); err != nil {
		t.Fatalf("a deferred write pending at Close: %v", err)
	}
}

// Past maxLater waiting deferred writes, later runs the write itself: it
// returns only after the write committed, after those already waiting, and
// its ended has run by then.
func TestGroupCommitLaterOverflow(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "overflow.db"))
	ctx := context.Background()
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	var waitingRan, waitingEnded atomic.Int32
	// The writer is idle and nothing wakes it, so these stay pending until
	// the next request reaches it.
	s.writer.mu.Lock()
	for range maxLater {
		s.writer.pending = append(s.writer.pending, deferredWrite{
			fn:    func(context.Context) error { waitingRan.Add(1); return nil },
			ended: func() { waitingEnded.Add(1) },
		})
	}
	s.writer.mu.Unlock()

	var ended atomic.Bool
	err = s.writer.later(ctx, func(ctx context.Context) error {
		if n := waitingRan.Load(); n != maxLater {
			t.Errorf("the overflowing write ran after %d of the %d waiting ones", n, maxLater)
		}
		_, err := s.CreateUser(ctx, User{ID: "overflow", OrgID: org.ID, Name: "overflow"})
		return err
	}, func() { ended.Store(true) })
	noErr(t, err)
	if !ended.Load() {
		t.Error("later returned before the overflowing write's ended ran")
	}
	if _, err := s.GetUser(ctx, "overflow"); err != nil {
		t.Errorf("later returned before the overflowing write committed: %v", err)
	}
	noErr(t, s.Close())
	if n := waitingEnded.Load(); n != maxLater {
		t.Errorf("ended ran for %d of the %d waiting writes", n, maxLater)
	}
}
