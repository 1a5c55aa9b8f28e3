package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// ErrUnavailable is returned for a call that no live process of the plugin
// can take: every process is down and a replacement is not up yet, or the
// plugin keeps failing to start. The error also wraps sdk.ErrTransport (the
// call did not reach the factor) and says when to retry (see RetryAfter).
var ErrUnavailable = errors.New("factor plugin unavailable")

// ErrClosed is returned for calls after the manager was closed.
var ErrClosed = errors.New("plugin manager closed")

// unavailableError is ErrUnavailable for one plugin, with the supervisor's
// estimate of when a process may take calls again.
type unavailableError struct {
	plugin     string
	retryAfter time.Duration
	cause      error
}

func (e *unavailableError) Error() string {
	msg := fmt.Sprintf("%s: %s (retry in %s)", ErrUnavailable, e.plugin, e.retryAfter.Round(time.Millisecond))
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

// Unwrap lets callers test for ErrUnavailable and for sdk.ErrTransport, and
// see the failure that made the plugin unavailable.
func (e *unavailableError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrUnavailable, sdk.ErrTransport}
	}
	return []error{ErrUnavailable, sdk.ErrTransport, e.cause}
}

// RetryAfter is how long a client should wait before trying again.
func (e *unavailableError) RetryAfter() time.Duration { return e.retryAfter }

// isConfigurationError reports a failure that retrying cannot fix, which
// stops the host's start: a missing binary, a hash that does not match its
// pin, or settings the factor refuses.
func isConfigurationError(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrChecksumMismatch) ||
		errors.Is(err, sdk.ErrInvalidSettings) || errors.Is(err, errBadPin)
}
