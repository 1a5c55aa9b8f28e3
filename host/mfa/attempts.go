package mfa

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// Counting verification attempts without a write.
//
// A verification must be counted before the factor compares the code, or
// parallel guesses would all be compared before any failure is recorded.
// Writing the count first costs a write transaction (and on SQLite an fsync)
// on every verification, success or not. Instead the service reads the
// user's durable failure count, admits the attempt only while that count
// plus the attempts of the user this service has in flight stays within the
// policy's limit, and writes the count only when the attempt fails. A success
// writes once: its commit, which resets the count.
//
// The in-flight part is held in memory, so the bound on parallel guesses
// holds per service: N hosts on one database let at most N times the limit
// be compared at once. Sequential guessing is bounded by the durable count
// across all hosts, as before.

// attemptGate counts the verification attempts in flight per user.
type attemptGate struct {
	mu       sync.Mutex
	inFlight map[string]int
}

func newAttemptGate() *attemptGate {
	return &attemptGate{inFlight: map[string]int{}}
}

// enter counts an attempt of key in flight and returns how many are, this
// one included.
func (g *attemptGate) enter(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight[key]++
	return g.inFlight[key]
}

// leave ends an attempt counted by enter.
func (g *attemptGate) leave(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inFlight[key] <= 1 {
		delete(g.inFlight, key)
		return
	}
	g.inFlight[key]--
}

// admitAttempt counts a verification attempt of the user before any code is
// compared, reading the durable count but writing nothing while the user is
// within the limit. It returns the function that ends the attempt.
//
// The attempt enters the in-flight count before the durable count is read,
// and a failed attempt writes its failure before it leaves: so every earlier
// attempt is either still in flight when this one enters or already in the
// count it reads, and the two together bound what is compared. Once the
// durable failures reach the limit, or a lock is in force, the attempt goes
// through Reserve, which locks (durably, for every host) and refuses. While
// attempts in flight fill the allowance, it refuses for a second.
//
// clean reports that the counter held nothing to reset when it was read (no
// failures, no earlier lock), so a success need not write it.
func (s *Service) admitAttempt(ctx context.Context, user store.User, now time.Time) (leave func(), clean bool, err error) {
	n := s.attempts.enter(user.ID)
	l, err := s.store.GetLockout(ctx, user.ID)
	if err != nil {
		s.attempts.leave(user.ID)
		return nil, false, fmt.Errorf("count attempt: %w", err)
	}
	return s.admitCounted(ctx, user, l, n, now)
}

// admitCounted decides about an attempt that entered the count in flight as
// the n-th of its user, with the user's counter l as read after it entered.
func (s *Service) admitCounted(ctx context.Context, user store.User, l store.Lockout, n int, now time.Time) (leave func(), clean bool, err error) {
	p := s.opts.Lockout
	leave = func() { s.attempts.leave(user.ID) }
	if l.LockedUntil.After(now) || l.Failures >= p.MaxFailures {
		leave()
		if err := s.reserveAttempt(ctx, user, now); err != nil {
			return nil, false, err
		}
		// The counter started over meanwhile: this attempt is counted
		// durably already.
		return func() {}, false, nil
	}
	if l.Failures+n > p.MaxFailures {
		leave()
		return nil, false, &Error{Kind: ErrLocked, RetryAfter: time.Second, Reason: "too many attempts at once"}
	}
	return leave, l.Failures == 0 && l.LockCount == 0, nil
}

// countFailure makes a failed attempt count: one more failure for the user,
// locking when it goes over the limit.
func (s *Service) countFailure(ctx context.Context, user store.User, now time.Time) error {
	p := s.opts.Lockout
	_, err := s.store.UpdateLockout(ctx, user.ID, now, func(l store.Lockout) store.Lockout {
		l, _ = p.count(l, now)
		return l
	})
	if err != nil {
		return fmt.Errorf("count failed attempt: %w", err)
	}
	return nil
}
