package mfa

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Stable identities of lifecycle failures. Each front door maps each of them
// once to its own documented status and body; callers test with errors.Is.
var (
	ErrUserNotFound    = errors.New("user not found")
	ErrUnknownFactor   = errors.New("unknown factor")
	ErrUnsupported     = errors.New("factor does not support this operation")
	ErrAlreadyEnrolled = errors.New("factor already enrolled")
	ErrNoEnrollment    = errors.New("no enrollment pending")
	ErrNotEnrolled     = errors.New("factor not enrolled")
	ErrNotFound        = errors.New("not found")
	ErrNoChallenge     = errors.New("no challenge pending")
	ErrInvalidParams   = errors.New("invalid parameters")
	ErrInvalidCode     = errors.New("invalid code")
	ErrExpired         = errors.New("expired")
	ErrReplayed        = errors.New("code already used")
	ErrChallengeSpent  = errors.New("too many attempts for this code; request a new one")
	ErrThrottled       = errors.New("too many requests; try again later")
	ErrLocked          = errors.New("too many failed attempts; second factors are locked")
	// ErrUnavailable: a factor or the database cannot serve the request just
	// now. It is the store's own sentinel, so a database outage surfacing
	// from any store call, in any door, maps like a factor that is down.
	ErrUnavailable      = store.ErrUnavailable
	ErrCredentialBroken = errors.New("credential state cannot be used")
	ErrBusy             = errors.New("too much contention on this credential; try again")
	// ErrFactorFailed: the factor answered with an error of its own (a bug, a
	// plain gRPC status from a plugin); its process is fine, this call failed.
	ErrFactorFailed = errors.New("the factor failed to handle the request")
)

// defaultUnavailableRetry is the Retry-After of an unavailable factor whose
// supervisor gave no better estimate.
const defaultUnavailableRetry = time.Second

// Error is a lifecycle failure: its identity (Kind), a short user-safe reason
// the factor gave, and how long to wait before retrying (locked, throttled).
type Error struct {
	Kind       error
	Reason     string
	RetryAfter time.Duration
	cause      error
}

func (e *Error) Error() string {
	msg := e.Kind.Error()
	if e.Reason != "" {
		msg += ": " + e.Reason
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

// Unwrap exposes the identity and the underlying cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.cause}
}

func failure(kind error, reason string) *Error { return &Error{Kind: kind, Reason: reason} }

// RetryAfter returns how long the caller should wait before trying again, when err says so.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// Reason returns the factor's user-safe explanation of err, if any.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// resultError maps a factor's non-OK result to its lifecycle error.
func resultError(r sdk.Result, reason string, retryAfter time.Duration) *Error {
	kind := ErrInvalidCode
	switch r {
	case sdk.ResultExpired:
		kind = ErrExpired
	case sdk.ResultReplayed:
		kind = ErrReplayed
	case sdk.ResultLockedByFactor:
		kind = ErrChallengeSpent
	case sdk.ResultThrottled:
		kind = ErrThrottled
	}
	return &Error{Kind: kind, Reason: reason, RetryAfter: retryAfter}
}

// factorError maps an error from a factor call to its lifecycle error.
func factorError(op string, err error) error {
	switch {
	case errors.Is(err, sdk.ErrInvalidParams):
		return &Error{Kind: ErrInvalidParams, Reason: paramReason(err), cause: err}
	case errors.Is(err, sdk.ErrUnsupported):
		return &Error{Kind: ErrUnsupported, cause: err}
	case errors.Is(err, sdk.ErrBadState):
		return &Error{Kind: ErrCredentialBroken, cause: err}
	case errors.Is(err, sdk.ErrTemporary), errors.Is(err, sdk.ErrTransport),
		errors.Is(err, sdk.ErrTimeout), errors.Is(err, sdk.ErrNotConfigured):
		return &Error{Kind: ErrUnavailable, RetryAfter: unavailableRetry(err), cause: err}
	case errors.Is(err, sdk.ErrFactorFailed):
		return &Error{Kind: ErrFactorFailed, cause: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailableRetry is how long a client should wait for an unavailable
// factor: the supervisor's estimate when its error carries one (a plugin
// backing off after crashes), otherwise a second.
func unavailableRetry(err error) time.Duration {
	var hint interface{ RetryAfter() time.Duration }
	if errors.As(err, &hint) && hint.RetryAfter() > 0 {
		return hint.RetryAfter()
	}
	return defaultUnavailableRetry
}

// paramReason is the factor's message for invalid parameters, which the SDK
// guarantees to be user-safe.
func paramReason(err error) string {
	return strings.TrimPrefix(sdk.Message(err), sdk.ErrInvalidParams.Error()+": ")
}

// notFound maps a store lookup that found nothing to the lifecycle error kind.
func notFound(err error, kind error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: kind}
	}
	return err
}

// Kinds lists every lifecycle failure identity, so each front door can check
// that its error table maps all of them exactly once.
func Kinds() []error {
	return []error{
		ErrUserNotFound, ErrUnknownFactor, ErrUnsupported, ErrAlreadyEnrolled,
		ErrNoEnrollment, ErrNotEnrolled, ErrNotFound, ErrNoChallenge,
		ErrInvalidParams, ErrInvalidCode, ErrExpired, ErrReplayed,
		ErrChallengeSpent, ErrThrottled, ErrLocked, ErrUnavailable,
		ErrCredentialBroken, ErrBusy, ErrFactorFailed,
	}
}
