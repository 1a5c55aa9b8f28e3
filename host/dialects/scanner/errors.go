package scanner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// statusError is a failure with its status and user-safe message.
type statusError struct {
	status     int
	message    string
	retryAfter time.Duration
}

func (e *statusError) Error() string { return e.message }

func errorf(status int, format string, args ...any) *statusError {
	return &statusError{status: status, message: fmt.Sprintf(format, args...)}
}

// lifecycleError is how one lifecycle failure kind is answered.
type lifecycleError struct {
	kind    error
	status  int
	message string
	// reason prefers the factor's or lifecycle's own user-safe reason.
	reason bool
	// retry answers with Retry-After.
	retry bool
}

// lifecycleErrors maps every lifecycle failure kind once.
func lifecycleErrors() []lifecycleError {
	const unprocessable = http.StatusUnprocessableEntity
	return []lifecycleError{
		{kind: mfa.ErrUserNotFound, status: http.StatusUnauthorized, message: "invalid or expired access token"},
		{kind: mfa.ErrUnknownFactor, status: http.StatusServiceUnavailable, message: "this method is temporarily unavailable"},
		{kind: mfa.ErrUnavailable, status: http.StatusServiceUnavailable, message: "this method is temporarily unavailable", retry: true},
		{kind: mfa.ErrFactorFailed, status: http.StatusBadGateway, message: "this method failed to handle the request; try again later"},
		{kind: mfa.ErrUnsupported, status: unprocessable, message: "this method does not support this operation", reason: true},
		{kind: mfa.ErrInvalidParams, status: unprocessable, message: "invalid parameters", reason: true},
		{kind: mfa.ErrAlreadyEnrolled, status: unprocessable, message: "this method is already enabled; disable it first"},
		{kind: mfa.ErrNoEnrollment, status: unprocessable, message: "no installation of this method is pending; enable it first"},
		{kind: mfa.ErrNotEnrolled, status: unprocessable, message: "this method is not enabled"},
		{kind: mfa.ErrNotFound, status: unprocessable, message: "this method is not enabled"},
		{kind: mfa.ErrNoChallenge, status: unprocessable, message: "no code has been sent for this method; request a code, then send it as otp_attempt"},
		{kind: mfa.ErrInvalidCode, status: unprocessable, message: "invalid code"},
		{kind: mfa.ErrExpired, status: unprocessable, message: "the code has expired", reason: true},
		{kind: mfa.ErrReplayed, status: unprocessable, message: "the code was already used"},
		{kind: mfa.ErrChallengeSpent, status: unprocessable, message: "too many attempts for this code; request a new one"},
		{kind: mfa.ErrBusy, status: http.StatusConflict, message: "too many concurrent requests for this method; try again"},
		{kind: mfa.ErrLocked, status: http.StatusTooManyRequests, message: "too many failed attempts; try again later", retry: true},
		{kind: mfa.ErrThrottled, status: http.StatusTooManyRequests, message: "too many requests; try again later", reason: true, retry: true},
		{kind: mfa.ErrCredentialBroken, status: http.StatusInternalServerError, message: "the stored 2FA credential cannot be used; disable it with support's help and enable it again"},
	}
}

// errorFor maps err to its answer. Texts of unexpected errors never
// reach the client.
func errorFor(ctx context.Context, err error) *statusError {
	if se, ok := errors.AsType[*statusError](err); ok {
		return se
	}
	for _, le := range lifecycleErrors() {
		if !errors.Is(err, le.kind) {
			continue
		}
		out := &statusError{status: le.status, message: le.message}
		if r := mfa.Reason(err); le.reason && r != "" {
			out.message = r
		}
		if le.retry {
			d, _ := mfa.RetryAfter(err)
			out.retryAfter = max(d, time.Second)
		}
		return out
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return errorf(http.StatusServiceUnavailable, "the request was cancelled or timed out")
	}
	return errorf(http.StatusInternalServerError, "internal error")
}

// fail answers with the error err maps to, logging the cause of server
// failures (never a code, token or number: no error here carries one).
func (s *scanner) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := errorFor(r.Context(), err)
	if e.status >= http.StatusInternalServerError {
		s.d.Logger.ErrorContext(r.Context(), "scanner: request failed", "path", r.URL.Path, "status", e.status, "error", err)
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="factorgate"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", httpx.RetryAfter(e.retryAfter))
	}
	s.write(w, r, e.status, struct {
		Error string `json:"error"`
	}{e.message})
}
