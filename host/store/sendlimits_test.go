package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// reservation is a send of user u through the slot of u, counted against a
// per-user budget of perUser a minute and a shared budget "all" of shared a
// minute.
func reservation(u string, now time.Time, perUser, shared int) SendReservation {
	return reservationIn("all", u, now, perUser, shared)
}

// reservationIn is reservation with the shared budget named all.
func reservationIn(all, u string, now time.Time, perUser, shared int) SendReservation {
	return SendReservation{
		Slot:  "slot:" + u,
		Until: now.Add(30 * time.Second),
		Now:   now,
		Budgets: []SendBudget{
			{Key: "user:" + u, Window: time.Minute, Limit: perUser},
			{Key: all, Window: time.Minute, Limit: shared},
		},
	}
}

func testSendLimits(t *testing.T, e *testEnv) {
	ctx := context.Background()
	steps := []struct {
		name      string
		do        func() error
		wantKey   string // refused by this key; "" for success
		wantRetry time.Time
	}{
		{"first send", func() error { return e.s.ReserveSend(ctx, reservation("a", t0, 2, 3)) }, "", time.Time{}},
		{"slot held", func() error { return e.s.ReserveSend(ctx, reservation("a", t0.Add(time.Second), 2, 3)) }, "slot:a", t0.Add(30 * time.Second)},
		{"slot freed by use", func() error { return e.s.FreeSendSlot(ctx, "slot:a") }, "", time.Time{}},
		{"second send", func() error { return e.s.ReserveSend(ctx, reservation("a", t0.Add(2*time.Second), 2, 3)) }, "", time.Time{}},
		{"free again", func() error { return e.s.FreeSendSlot(ctx, "slot:a") }, "", time.Time{}},
		{"user budget spent", func() error { return e.s.ReserveSend(ctx, reservation("a", t0.Add(3*time.Second), 2, 3)) }, "user:a", t0.Add(time.Minute)},
		{"other user", func() error { return e.s.ReserveSend(ctx, reservation("b", t0.Add(3*time.Second), 2, 3)) }, "", time.Time{}},
		{"shared budget spent", func() error { return e.s.ReserveSend(ctx, reservation("c", t0.Add(4*time.Second), 2, 3)) }, "all", t0.Add(time.Minute)},
		{"refund gives a unit back", func() error { return e.s.RefundSend(ctx, reservation("b", t0.Add(3*time.Second), 2, 3)) }, "", time.Time{}},
		{"slot of the refunded send is free", func() error { return e.s.ReserveSend(ctx, reservation("b", t0.Add(5*time.Second), 2, 3)) }, "", time.Time{}},
		{"both spent, later one named", func() error { return e.s.ReserveSend(ctx, reservation("a", t0.Add(6*time.Second), 2, 3)) }, "user:a", t0.Add(time.Minute)},
		{"new window", func() error { return e.s.ReserveSend(ctx, reservation("a", t0.Add(time.Minute), 2, 3)) }, "", time.Time{}},
	}
	for _, st := range steps {
		err := st.do()
		var refused *SendRefusedError
		switch {
		case st.wantKey == "" && err != nil:
			t.Fatalf("%s: %v", st.name, err)
		case st.wantKey == "":
		case !errors.As(err, &refused) || !errors.Is(err, ErrSendRefused):
			t.Fatalf("%s: err = %v, want a refusal by %q", st.name, err, st.wantKey)
		case refused.Key != st.wantKey || !refused.RetryAt.Equal(st.wantRetry):
			t.Fatalf("%s: refused by %q until %s, want %q until %s", st.name, refused.Key, refused.RetryAt, st.wantKey, st.wantRetry)
		}
	}
	// A day later every row is stale but a slot held past the cut.
	if err := e.s.ReserveSend(ctx, reservationIn("all-3", "d", t0.Add(25*time.Hour), 9, 9)); err != nil {
		t.Fatal(err)
	}
	cut := t0.Add(25 * time.Hour)
	if n, err := e.s.DeleteStaleSendLimits(ctx, cut); err != nil || n != 7 {
		t.Fatalf("DeleteStaleSendLimits = %d, %v; want the 7 rows of a, b, c (slot and budget) and the shared budget", n, err)
	}
	if err := e.s.ReserveSend(ctx, reservationIn("all-3", "d", cut.Add(time.Second), 9, 9)); !errors.Is(err, ErrSendRefused) {
		t.Fatalf("the slot held past the cut was deleted: %v", err)
	}
	if err := e.s.ReserveSend(ctx, SendReservation{Slot: "x", Now: t0, Until: t0}); err == nil {
		t.Fatal("a reservation that holds nothing was accepted")
	}
}

// Of 20 reservations racing for one slot through two stores, one wins; of
// 40 racing for distinct slots against a shared budget of 5, five win.
func testSendLimitsConcurrent(t *testing.T, e *testEnv) {
	stores := []*SQLStore{e.s, openStore(t, e.url)}
	race := func(n int, r func(i int) SendReservation) int {
		var (
			wg   sync.WaitGroup
			won  atomic.Int64
			gate = make(chan struct{})
		)
		for i := range n {
			wg.Go(func() {
				<-gate
				err := stores[i%2].ReserveSend(context.Background(), r(i))
				switch {
				case err == nil:
					won.Add(1)
				case !errors.Is(err, ErrSendRefused):
					t.Errorf("reserve: %v", err)
				}
			})
		}
		close(gate)
		wg.Wait()
		return int(won.Load())
	}
	cases := []struct {
		name string
		n    int
		r    func(i int) SendReservation
		want int
	}{
		{"one slot", 20, func(int) SendReservation { return reservation("u", t0, 100, 100) }, 1},
		{"one shared budget", 40, func(i int) SendReservation { return reservationIn("all-2", fmt.Sprint("v", i), t0, 100, 5) }, 5},
	}
	for _, c := range cases {
		if got := race(c.n, c.r); got != c.want {
			t.Errorf("%s: %d of %d reservations won, want %d", c.name, got, c.n, c.want)
		}
	}
}
