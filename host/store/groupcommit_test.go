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
