package signin

import (
	"sync"
	"testing"
	"time"
)

// TestThrottleRefusalsLeaveNoDebt: a burst of refused attempts, at once from
// many goroutines, takes nothing; the budget refills on time afterwards.
func TestThrottleRefusalsLeaveNoDebt(t *testing.T) {
	tests := []struct {
		name  string
		admit func(th *throttle, now time.Time) (time.Duration, bool)
	}{
		{"address and name", func(th *throttle, now time.Time) (time.Duration, bool) { return th.admit("192.0.2.1", "ada", now) }},
		{"address alone", func(th *throttle, now time.Time) (time.Duration, bool) { return th.admitAddress("192.0.2.1", now) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := newThrottle(ThrottleOptions{PerAddressBurst: 2, PerAddressMinute: 1, PerNameBurst: 2, PerNameMinute: 1})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 2 {
				if _, ok := tt.admit(th, start); !ok {
					t.Fatalf("attempt %d within the burst refused", i)
				}
			}
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					if wait, ok := tt.admit(th, start); ok || wait != time.Minute {
						t.Errorf("over the burst: admitted %v, wait %v; want refused for a minute", ok, wait)
					}
				})
			}
			wg.Wait()
			if wait, ok := tt.admit(th, start.Add(59*time.Second)); ok || wait != time.Second {
				t.Fatalf("a second early: admitted %v, wait %v", ok, wait)
			}
			if _, ok := tt.admit(th, start.Add(time.Minute)); !ok {
				t.Fatal("a minute later: refused")
			}
			if _, ok := tt.admit(th, start.Add(time.Minute)); ok {
				t.Fatal("a minute later: a second attempt admitted")
			}
		})
	}
}
