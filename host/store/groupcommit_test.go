package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
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
// after it, a failing one takes nothing else with it, and Close runs those
// still waiting.
func TestGroupCommitLater(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.db")
	s := openStore(t, path)
	ctx := context.Background()
	org, err := s.EnsureDefaultOrg(ctx)
	noErr(t, err)
	create := func(id string) func(ctx context.Context) error {
		st := s
		return func(ctx context.Context) error {
			_, err := st.CreateUser(ctx, User{ID: id, OrgID: org.ID, Name: "n-" + id})
			return err
		}
	}
	noErr(t, s.writer.later(ctx, create("deferred"), nil))
	noErr(t, s.writer.later(ctx, func(ctx context.Context) error {
		if err := create("failed")(ctx); err != nil {
			return err
		}
		return errors.New("boom")
	}, nil))
	noErr(t, s.InTx(ctx, create("after")))
	for id, want := range map[string]error{"deferred": nil, "after": nil, "failed": ErrNotFound} {
		if _, err := s.GetUser(ctx, id); !errors.Is(err, want) {
			t.Errorf("user %s: %v, want %v", id, err, want)
		}
	}

	noErr(t, s.writer.later(ctx, create("at-close"), nil))
	noErr(t, s.Close())
	s = openStore(t, path)
	if _, err := s.GetUser(ctx, "at-close"); err != nil {
		t.Fatalf("a deferred write pending at Close: %v", err)
	}
}
