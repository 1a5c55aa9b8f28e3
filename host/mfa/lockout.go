package mfa

import (
	"context"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// LockoutCounter is the atomic counter operation a lockout policy is applied
// through (*store.SQLStore has it): read the counter named key, change it
// with fn and store the result, with no other change to that counter in
// between.
type LockoutCounter interface {
	UpdateLockout(ctx context.Context, key string, now time.Time, fn func(store.Lockout) store.Lockout) (store.Lockout, error)
}

// LockoutPolicy decides when failed attempts lock a counter and for how
// long: after MaxFailures attempts since the last reset, the next attempt
// locks the counter for BaseDelay, doubled for every earlier lock since the
// last reset and capped at MaxDelay. The lifecycle counts second-factor
// attempts per user with it; a sign-in service can apply the same policy to
// password attempts under keys of its own.
type LockoutPolicy struct {
	MaxFailures int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
	// Observer hears of every counter the policy locks (nil: none).
	Observer LockObserver
}

// LockObserver hears of a counter that just locked: the attempt that went
// over the limit, once per lock. It runs after the counter is stored and must
// not block.
type LockObserver interface {
	Locked(ctx context.Context, key string, until time.Time)
}

// DefaultLockoutPolicy is 5 failures, then 30s doubling up to 1h.
func DefaultLockoutPolicy() LockoutPolicy {
	return LockoutPolicy{MaxFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}
}

// WithDefaults returns p with every unset field taken from
// DefaultLockoutPolicy, and MaxDelay raised to at least BaseDelay.
func (p LockoutPolicy) WithDefaults() LockoutPolicy {
	def := DefaultLockoutPolicy()
	if p.MaxFailures <= 0 {
		p.MaxFailures = def.MaxFailures
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = def.BaseDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = max(def.MaxDelay, p.BaseDelay)
	}
	return p
}

// Validate reports whether p can be applied: at least one allowed failure, a
// positive base delay and a maximum delay not below it.
func (p LockoutPolicy) Validate() error {
	switch {
	case p.MaxFailures < 1:
		return fmt.Errorf("lockout policy: MaxFailures %d < 1", p.MaxFailures)
	case p.BaseDelay <= 0:
		return fmt.Errorf("lockout policy: BaseDelay %v <= 0", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("lockout policy: MaxDelay %v < BaseDelay %v", p.MaxDelay, p.BaseDelay)
	}
	return nil
}

// LockDelay returns how long a counter locks after lockCount earlier locks:
// BaseDelay * 2^lockCount, capped at MaxDelay (without overflowing).
func (p LockoutPolicy) LockDelay(lockCount int) time.Duration {
	d := p.BaseDelay
	for range lockCount {
		if d >= p.MaxDelay || d > p.MaxDelay/2 {
			return p.MaxDelay
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// Reserve counts one attempt on the counter named key before any secret is
// compared, so concurrent guesses, on any number of hosts, cannot exceed the
// limit. While the counter is locked nothing is counted; the attempt that
// goes over the limit locks it. Either way Reserve returns an *Error of kind
// ErrLocked with how long to wait. It fails closed: when the count cannot be
// stored, it returns that error and the caller must compare nothing.
func (p LockoutPolicy) Reserve(ctx context.Context, c LockoutCounter, key string, now time.Time) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	allowed, locked := false, false
	l, err := c.UpdateLockout(ctx, key, now, func(l store.Lockout) store.Lockout {
		wasLocked := l.LockedUntil.After(now)
		l, allowed = p.count(l, now)
		locked = !allowed && !wasLocked
		return l
	})
	if err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	if locked && p.Observer != nil {
		p.Observer.Locked(ctx, key, l.LockedUntil)
	}
	if !allowed {
		wait := max(l.LockedUntil.Sub(now), time.Second)
		return &Error{Kind: ErrLocked, RetryAfter: wait.Round(time.Second)}
	}
	return nil
}

// count applies one attempt to a counter and says whether the attempt may
// go ahead.
func (p LockoutPolicy) count(l store.Lockout, now time.Time) (store.Lockout, bool) {
	if l.LockedUntil.After(now) {
		return l, false
	}
	l.Failures++
	if l.Failures <= p.MaxFailures {
		return l, true
	}
	l.LockedUntil = now.Add(p.LockDelay(l.LockCount))
	l.LockCount++
	l.Failures = 0
	return l, false
}

// reserveAttempt counts one second-factor attempt of the user (across all
// factors) under the service's policy.
func (s *Service) reserveAttempt(ctx context.Context, user store.User, now time.Time) error {
	return s.opts.Lockout.Reserve(ctx, s.store, user.ID, now)
}
