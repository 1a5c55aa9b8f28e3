package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// SendLimits bound the messages that factors sending codes (SMS) send. The
// right to send is reserved in the database before the factor is called, so
// no race between requests, doors or hosts sharing a database passes them.
// Zero fields take DefaultSendLimits' values.
type SendLimits struct {
	// ResendInterval: after a code went out for a user and factor, no other
	// goes out for them until it passed or the code was used.
	ResendInterval time.Duration
	// PerUserHour is how many codes one user may be sent in an hour, by
	// every factor that sends.
	PerUserHour int
	// PerDestinationDay is how many codes one destination (a phone number)
	// may be sent in a day, whichever users ask; it applies to factors that
	// name their destination.
	PerDestinationDay int
	// PerMinute is how many codes the whole deployment may send in a minute.
	PerMinute int
}

// DefaultSendLimits are the limits of a host configured with none.
var DefaultSendLimits = SendLimits{ResendInterval: 30 * time.Second, PerUserHour: 10, PerDestinationDay: 20, PerMinute: 600}

// WithDefaults returns l with unset fields set to the defaults.
func (l SendLimits) WithDefaults() SendLimits {
	d := DefaultSendLimits
	if l.ResendInterval <= 0 {
		l.ResendInterval = d.ResendInterval
	}
	if l.PerUserHour <= 0 {
		l.PerUserHour = d.PerUserHour
	}
	if l.PerDestinationDay <= 0 {
		l.PerDestinationDay = d.PerDestinationDay
	}
	if l.PerMinute <= 0 {
		l.PerMinute = d.PerMinute
	}
	return l
}

// The budget windows.
const (
	userWindow        = time.Hour
	destinationWindow = 24 * time.Hour
	globalWindow      = time.Minute
)

// SendStore is the part of the store that keeps send limits.
type SendStore interface {
	ReserveSend(ctx context.Context, r store.SendReservation) error
	RefundSend(ctx context.Context, r store.SendReservation) error
	FreeSendSlot(ctx context.Context, slot string) error
}

// sends reports whether the factor sends something on every challenge and
// enrollment: a factor of sent codes, or one that did not say how it is
// proven but takes challenges. A browser ceremony sends nothing.
func sends(d sdk.Description) bool {
	return d.ProofKind == sdk.ProofSentCode || (d.ProofKind == sdk.ProofUnspecified && d.Has(sdk.CapabilityChallenge))
}

// sendSlot names the send slot of a user's factor.
func sendSlot(userID, factor string) string { return "slot:" + factor + ":" + userID }

// reserveFor takes the right to send once for a factor that sends, naming
// the destination when the factor can (req says where, as the factor's
// BeginEnrollment or Challenge would read it). It returns nil, and reserves
// nothing, for a factor that sends nothing.
func (s *Service) reserveFor(ctx context.Context, f guardedFactor, req sdk.DestinationRequest) (*store.SendReservation, error) {
	if !sends(f.Description()) {
		return nil, nil
	}
	var destination string
	if f.Description().Has(sdk.CapabilityDestination) {
		resp, err := f.Destination(ctx, req)
		if err != nil {
			return nil, factorError("destination", err)
		}
		destination = resp.Destination
	}
	r := s.sendReservation(req.User.ID, f.name, destination, req.Now)
	if err := s.reserveSend(ctx, r); err != nil {
		return nil, err
	}
	return &r, nil
}

// sendReservation is what one send of factor for userID to destination (a
// factor's opaque name for it; empty when the factor names none) takes.
func (s *Service) sendReservation(userID, factor, destination string, now time.Time) store.SendReservation {
	l := s.opts.SendLimits
	r := store.SendReservation{
		Slot:  sendSlot(userID, factor),
		Until: now.Add(l.ResendInterval),
		Now:   now,
		Budgets: []store.SendBudget{
			{Key: "user-hour:" + userID, Window: userWindow, Limit: l.PerUserHour},
			{Key: "all-minute", Window: globalWindow, Limit: l.PerMinute},
		},
	}
	if destination != "" {
		r.Budgets = append(r.Budgets, store.SendBudget{Key: "destination-day:" + destination, Window: destinationWindow, Limit: l.PerDestinationDay})
	}
	return r
}

// reserveSend takes the right to send once, or answers ErrThrottled with
// the time until the limit that refused frees. It must run outside any
// transaction, before the factor is called.
func (s *Service) reserveSend(ctx context.Context, r store.SendReservation) error {
	err := s.store.ReserveSend(ctx, r)
	var refused *store.SendRefusedError
	if !errors.As(err, &refused) {
		if err != nil {
			return fmt.Errorf("reserve send: %w", err)
		}
		return nil
	}
	wait := max(refused.RetryAt.Sub(r.Now), time.Second)
	wait = (wait + time.Second - 1).Truncate(time.Second)
	reason := "too many codes were sent; try again later"
	if refused.Key == r.Slot {
		reason = "a code was sent moments ago; wait before asking for another"
	}
	return &Error{Kind: ErrThrottled, Reason: reason, RetryAfter: wait, cause: err}
}

// refundSend gives a reservation back when the factor sent nothing.
func (s *Service) refundSend(ctx context.Context, r store.SendReservation) {
	if err := s.store.RefundSend(context.WithoutCancel(ctx), r); err != nil {
		s.log.WarnContext(ctx, "refund send reservation", "slot", r.Slot, "error", err)
	}
}

// codeUsed frees the user's send slot of a factor that sends: its code was
// just used, so asking for a new one sends at once.
func (s *Service) codeUsed(ctx context.Context, userID string, f guardedFactor) {
	if !sends(f.Description()) {
		return
	}
	if err := s.store.FreeSendSlot(context.WithoutCancel(ctx), sendSlot(userID, f.name)); err != nil {
		s.log.WarnContext(ctx, "free send slot", "factor", f.name, "error", err)
	}
}
