package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// race runs do n times at once and returns the errors of the calls that
// failed; each must be ErrThrottled with a Retry-After.
func race(t *testing.T, n int, do func(i int) error) (won int) {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		gate = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-gate
			err := do(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				won++
				return
			}
			if d, ok := mfa.RetryAfter(err); !errors.Is(err, mfa.ErrThrottled) || !ok || d <= 0 {
				t.Errorf("a losing request: %v (retry after %v), want ErrThrottled with Retry-After", err, d)
			}
		})
	}
	close(gate)
	wg.Wait()
	return won
}

func (o *smsOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

// Twenty requests at once through two hosts sharing the database send one
// text, for an enrollment begin and for a challenge; the challenge right
// after the enrollment was confirmed sends at once.
func TestConcurrentRequestsSendOneText(t *testing.T) {
	eachHost(t, mfa.Options{}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		hosts := []*mfa.Service{f.svc, mfa.New(f.openStore(), f.factors, f.sealer, mfa.Options{Now: f.clock.Now})}
		steps := []struct {
			name string
			do   func(svc *mfa.Service) error
			then func()
		}{
			{"enrollment begin", func(svc *mfa.Service) error {
				_, err := svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "sms", Params: map[string]string{"phone": "+61412345678"}})
				return err
			}, func() {
				if _, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, Factor: "sms", Proof: sdk.Proof{Code: f.sms.lastCode(t)}}); err != nil {
					t.Fatalf("confirm: %v", err)
				}
			}},
			{"challenge right after the enrollment", func(svc *mfa.Service) error {
				_, err := svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
				return err
			}, func() {}},
		}
		for _, st := range steps {
			before := f.sms.count()
			won := race(t, 20, func(i int) error { return st.do(hosts[i%2]) })
			if sent := f.sms.count() - before; won != 1 || sent != 1 {
				t.Fatalf("%s: %d of 20 requests succeeded and %d texts were sent, want 1 and 1", st.name, won, sent)
			}
			st.then()
		}
	})
}

// The budgets hold per user and hour and for the deployment per minute, a
// failed send gives its reservation back, and a used code frees the slot.
func TestSendBudgets(t *testing.T) {
	limits := mfa.SendLimits{ResendInterval: 10 * time.Second, PerUserHour: 3, PerMinute: 4}
	eachHost(t, mfa.Options{SendLimits: limits}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		challenge := func(userID string) error {
			_, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: userID, Factor: "sms"})
			return err
		}
		begin := func(userID string) error {
			_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: userID, Factor: "sms", Params: map[string]string{"phone": "+61412345678"}})
			return err
		}
		f.enrollSMS() // one text, its code used
		steps := []struct {
			name      string
			wait      time.Duration
			do        func() error
			wantRetry time.Duration // 0: sent
		}{
			{"first challenge", 0, func() error { return challenge(f.user.ID) }, 0},
			{"slot held", 0, func() error { return challenge(f.user.ID) }, 10 * time.Second},
			{"a failed send gives the slot back", 10 * time.Second, func() error {
				f.spy.failWith("sms.Challenge", fmt.Errorf("gateway down: %w", sdk.ErrTemporary))
				defer f.spy.failWith("sms.Challenge", nil)
				return challenge(f.user.ID)
			}, -1},
			{"third text of the hour, at once", 0, func() error { return challenge(f.user.ID) }, 0},
			{"user budget spent", 10 * time.Second, func() error { return challenge(f.user.ID) }, time.Hour - 20*time.Second},
			{"another user", 0, func() error { return begin(f.newUser(t, "user-2")) }, 0},
			{"the deployment's minute spent", 0, func() error { return begin(f.newUser(t, "user-3")) }, 40 * time.Second},
			{"a new hour", time.Hour, func() error { return challenge(f.user.ID) }, 0},
		}
		for _, st := range steps {
			f.clock.Add(st.wait)
			before := f.sms.count()
			err := st.do()
			sent := f.sms.count() - before
			d, _ := mfa.RetryAfter(err)
			switch {
			case st.wantRetry == 0 && (err != nil || sent != 1):
				t.Fatalf("%s: %v, %d texts; want one sent", st.name, err, sent)
			case st.wantRetry < 0 && (!errors.Is(err, mfa.ErrUnavailable) || sent != 0):
				t.Fatalf("%s: %v, %d texts; want unavailable", st.name, err, sent)
			case st.wantRetry > 0 && (!errors.Is(err, mfa.ErrThrottled) || d != st.wantRetry || sent != 0):
				t.Fatalf("%s: %v (retry after %v), %d texts; want throttled for %v", st.name, err, d, sent, st.wantRetry)
			}
		}
	})
}

// One number is sent at most PerDestinationDay codes a day, whichever users
// ask; another number is not held back.
func TestDestinationBudget(t *testing.T) {
	eachHost(t, mfa.Options{SendLimits: mfa.SendLimits{PerDestinationDay: 2}}, func(t *testing.T, f *fixture) {
		begin := func(userID, phone string) error {
			_, err := f.svc.BeginEnrollment(t.Context(), meta, mfa.BeginRequest{UserID: userID, Factor: "sms", Params: map[string]string{"phone": phone}})
			return err
		}
		steps := []struct {
			name      string
			wait      time.Duration
			user      string
			phone     string
			wantRetry time.Duration // 0: sent
		}{
			{"first user", 0, f.user.ID, "+61412345678", 0},
			{"second user, the same number typed otherwise", time.Hour, f.newUser(t, "user-2"), "+61 412 345 678", 0},
			{"third user, the same number", time.Hour, f.newUser(t, "user-3"), "+61412345678", 22 * time.Hour},
			{"third user, another number", 0, "user-3", "+61412345679", 0},
			{"the next day", 22 * time.Hour, f.newUser(t, "user-4"), "+61412345678", 0},
		}
		for _, st := range steps {
			f.clock.Add(st.wait)
			before := f.sms.count()
			err := begin(st.user, st.phone)
			sent := f.sms.count() - before
			d, _ := mfa.RetryAfter(err)
			switch {
			case st.wantRetry == 0 && (err != nil || sent != 1):
				t.Fatalf("%s: %v, %d texts; want one sent", st.name, err, sent)
			case st.wantRetry > 0 && (!errors.Is(err, mfa.ErrThrottled) || d != st.wantRetry || sent != 0):
				t.Fatalf("%s: %v (retry after %v), %d texts; want throttled for %v", st.name, err, d, sent, st.wantRetry)
			}
		}
	})
}

// newUser creates a user in the fixture's organisation.
func (f *fixture) newUser(t *testing.T, id string) string {
	t.Helper()
	u, err := f.st.CreateUser(context.Background(), store.User{ID: id, OrgID: f.user.OrgID, Name: id})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
