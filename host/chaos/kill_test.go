package chaos

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostKilled sends verifications from 16 clients at once, as fast as the
// host answers, and SIGKILLs the host while they run: after half of the
// accounts were acknowledged, or after a few seconds. It then starts the
// host again on the same database. checkNothingLost afterwards shows that
// every code answered 200 before the kill was durable: it answers replayed.
func hostKilled(t *testing.T, h *host, admin string, accounts []*account) {
	t.Helper()
	work := make(chan *account, len(accounts))
	for _, a := range accounts {
		work <- a
	}
	close(work)
	var acked atomic.Int64
	halfway := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for a := range work {
				r := verify(t, context.Background(), h, admin, a)
				if r.err == nil && r.status == http.StatusOK && acked.Add(1) == int64(len(accounts)/2) {
					once.Do(func() { close(halfway) })
				}
			}
		})
	}
	select {
	case <-halfway:
	case <-time.After(5 * time.Second):
	}
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL the host: %v", err)
	}
	_ = h.cmd.Wait()
	killedAt := acked.Load()
	wg.Wait() // the rest fail: the host is gone
	t.Logf("host SIGKILLed after %d acknowledged verifications (%d in all)", killedAt, acked.Load())
	if acked.Load() == 0 {
		t.Fatal("no verification was acknowledged before the kill")
	}
	h.serve()
}
