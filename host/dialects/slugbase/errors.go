package slugbase

import (
	"errors"
	"net/http"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// statusError is a failure as SlugBase reports it: the status, the
// machine reason (carried in "details" except on a 400, whose details name
// the field at fault) and a message for people.
type statusError struct {
	status  int
	reason  string
	message string
}

func (f *statusError) Error() string { return f.message }

var _ error = (*statusError)(nil)

// Failures of the HTTP layer. The 401 body is the documented sample exactly,
// which has no details.
var (
	errUnauthorized     = &statusError{http.StatusUnauthorized, "", "Authentication required. Please provide a valid API token"}
	errBadCSRF          = &statusError{http.StatusForbidden, "INVALID_CSRF_TOKEN", "Invalid CSRF token"}
	errInvalidJSON      = &statusError{http.StatusBadRequest, "INVALID_JSON", "The request body must be a single JSON object"}
	errContentType      = &statusError{http.StatusBadRequest, "INVALID_CONTENT_TYPE", "Send the request body with Content-Type: application/json"}
	errCodeRequired     = &statusError{http.StatusBadRequest, "CODE_REQUIRED", "Code is required"}
	errInvalidCode      = &statusError{http.StatusBadRequest, "INVALID_CODE", "Invalid code"}
	errNoPending        = &statusError{http.StatusBadRequest, "MFA_NO_PENDING", "No enrollment in progress"}
	errAlreadyEnabled   = &statusError{http.StatusConflict, "MFA_ALREADY_ENABLED", "MFA is already enabled"}
	errTooManyAttempts  = &statusError{http.StatusTooManyRequests, "TOO_MANY_ATTEMPTS", "Too many failed attempts, please try again later."}
	errMethodNotAllowed = &statusError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "The method is not allowed on this endpoint"}
	errInternal         = &statusError{http.StatusInternalServerError, "INTERNAL_ERROR", "Request failed"}
)

// lifecycleFailures maps each lifecycle failure kind to its SlugBase failure,
// once. Several kinds may share a failure where SlugBase knows one answer.
var lifecycleFailures = []struct {
	kind    error
	failure *statusError
}{
	// The caller's user vanished after authenticating: as SlugBase, unauthorized.
	{mfa.ErrUserNotFound, errUnauthorized},
	// The route names a factor that is not installed or cannot enroll: the
	// operator's mistake, not the caller's.
	{mfa.ErrUnknownFactor, errInternal},
	{mfa.ErrUnsupported, errInternal},
	{mfa.ErrAlreadyEnrolled, errAlreadyEnabled},
	{mfa.ErrNoEnrollment, errNoPending},
	{mfa.ErrNotEnrolled, &statusError{http.StatusBadRequest, "MFA_NOT_ENABLED", "MFA is not enabled"}},
	{mfa.ErrNotFound, &statusError{http.StatusNotFound, "NOT_FOUND", "Not found"}},
	{mfa.ErrNoChallenge, &statusError{http.StatusBadRequest, "MFA_NO_CHALLENGE", "No verification in progress"}},
	{mfa.ErrInvalidParams, &statusError{http.StatusBadRequest, "INVALID_PARAMETERS", "The request contains invalid parameters or malformed data"}},
	{mfa.ErrInvalidCode, errInvalidCode},
	// A lapsed enrollment is no enrollment in progress; the remedy is the same.
	{mfa.ErrExpired, errNoPending},
	// Confirming raced another confirmation that won: MFA is now enabled.
	{mfa.ErrReplayed, errAlreadyEnabled},
	{mfa.ErrChallengeSpent, errTooManyAttempts},
	{mfa.ErrLocked, errTooManyAttempts},
	{mfa.ErrThrottled, &statusError{http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests, please try again later."}},
	{mfa.ErrUnavailable, &statusError{http.StatusServiceUnavailable, "MFA_UNAVAILABLE", "MFA is temporarily unavailable, please try again later."}},
	{mfa.ErrFactorFailed, &statusError{http.StatusBadGateway, "MFA_FACTOR_ERROR", "The second factor failed to handle the request, please try again later."}},
	{mfa.ErrCredentialBroken, errInternal},
	{mfa.ErrBusy, &statusError{http.StatusConflict, "MFA_BUSY", "The request conflicts with a concurrent change, please try again."}},
}

// errorBody is SlugBase's documented error shape. Details is, as in the
// document's samples, a list of fieldErrors on a 400 and the machine reason
// (a string) otherwise.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
	Details any    `json:"details,omitempty"`
}

// fieldError is one entry of a 400's details: the request field at fault
// (absent when the request as a whole is, as with no enrollment in
// progress) and what is wrong with it.
type fieldError struct {
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// details returns the details of f's body.
func (f *statusError) details() any {
	switch {
	case f.status == http.StatusBadRequest:
		return []fieldError{{Field: fieldOf(f.reason), Message: f.message}}
	case f.reason == "":
		return nil
	}
	return f.reason
}

// fieldOf names the request field a 400's reason is about, or "".
func fieldOf(reason string) string {
	switch reason {
	case "CODE_REQUIRED", "INVALID_CODE":
		return "code"
	case "INVALID_JSON", "INVALID_CONTENT_TYPE", "INVALID_BODY", "UNKNOWN_FIELD":
		return "body"
	case "VALIDATION_ERROR":
		return "email"
	case "INVALID_PARAMETERS":
		return "params"
	}
	return ""
}

// writeError answers with the SlugBase failure err maps to. Server failures
// are logged with their cause; their text never reaches the client.
func (s *slugBase) writeError(w http.ResponseWriter, r *http.Request, err error) {
	f := s.failure(r, err)
	if f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable {
		if d, ok := mfa.RetryAfter(err); ok {
			w.Header().Set("Retry-After", httpx.RetryAfter(d))
		}
	}
	s.writeJSON(w, r, f.status, errorBody{Error: http.StatusText(f.status), Message: f.message, Code: f.status, Details: f.details()})
}

// failure maps err to its SlugBase failure.
func (s *slugBase) failure(r *http.Request, err error) *statusError {
	f, ok := errors.AsType[*statusError](err)
	if !ok {
		for _, l := range lifecycleFailures {
			if errors.Is(err, l.kind) {
				f = l.failure
				break
			}
		}
	}
	switch {
	case f == nil && r.Context().Err() != nil:
		s.d.Logger.DebugContext(r.Context(), "slugbase: request cancelled", "method", r.Method, "route", r.Pattern, "error", err)
		return errInternal
	case f == nil:
		f = errInternal
	}
	if f.status >= http.StatusInternalServerError {
		s.d.Logger.ErrorContext(r.Context(), "slugbase: request failed", "method", r.Method, "route", r.Pattern, "status", f.status, "error", err)
	}
	return f
}
