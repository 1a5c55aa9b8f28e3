package mfa

import (
	"context"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// reserveAttempt counts one attempt for the user before any code is compared,
// so concurrent guesses cannot exceed the limit. It fails closed: when the
// count cannot be stored, no comparison happens.
func (s *Service) reserveAttempt(ctx context.Context, user store.User, now time.Time) error {
	a, err := s.store.ReserveAttempt(ctx, user.ID, now, s.opts.Lockout)
	if err != nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	if !a.Allowed {
		wait := a.LockedUntil.Sub(now)
		if wait < time.Second {
			wait = time.Second
		}
		return &Error{Kind: ErrLocked, RetryAfter: wait.Round(time.Second)}
	}
	return nil
}
