package slugbase

import (
	"errors"
	"net/http"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// slugBaseFailure is a failure as SlugBase reports it: the status, the
// machine reason carried in "details" and a message for people.
type slugBaseFailure struct {
	status  int
	reason  string
	message string
}

func (f *slugBaseFailure) Error() string { return f.message }

var _ error = (*slugBaseFailure)(nil)

// Failures of the HTTP layer. The 401 body is the documented sample exactly,
// which has no details.
var (
	slugBaseUnauthorized     = &slugBaseFailure{http.StatusUnauthorized, "", "Authentication required. Please provide a valid API token"}
	slugBaseBadCSRF          = &slugBaseFailure{http.StatusForbidden, "INVALID_CSRF_TOKEN", "Invalid CSRF token"}
	slugBaseInvalidJSON      = &slugBaseFailure{http.StatusBadRequest, "INVALID_JSON", "The request body must be a single JSON object"}
	slugBaseContentType      = &slugBaseFailure{http.StatusBadRequest, "INVALID_CONTENT_TYPE", "Send the request body with Content-Type: application/json"}
	slugBaseCodeRequired     = &slugBaseFailure{http.StatusBadRequest, "CODE_REQUIRED", "Code is required"}
	slugBaseInvalidCode      = &slugBaseFailure{http.StatusBadRequest, "INVALID_CODE", "Invalid code"}
	slugBaseNoPending        = &slugBaseFailure{http.StatusBadRequest, "MFA_NO_PENDING", "No enrollment in progress"}
	slugBaseAlreadyEnabled   = &slugBaseFailure{http.StatusConflict, "MFA_ALREADY_ENABLED", "MFA is already enabled"}
	slugBaseTooManyAttempts  = &slugBaseFailure{http.StatusTooManyRequests, "TOO_MANY_ATTEMPTS", "Too many failed attempts, please try again later."}
	slugBaseMethodNotAllowed = &slugBaseFailure{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "The method is not allowed on this endpoint"}
	slugBaseInternal         = &slugBaseFailure{http.StatusInternalServerError, "INTERNAL_ERROR", "Request failed"}
)

// slugBaseLifecycle maps each lifecycle failure kind to its SlugBase failure,
// once. Several kinds may share a failure where SlugBase knows one answer.
var slugBaseLifecycle = []struct {
	kind    error
	failure *slugBaseFailure
}{
	// The caller's user vanished after authenticating: as SlugBase, unauthorized.
	{mfa.ErrUserNotFound, slugBaseUnauthorized},
	// The route names a factor that is not installed or cannot enroll: the
	// operator's mistake, not the caller's.
	{mfa.ErrUnknownFactor, slugBaseInternal},
	{mfa.ErrUnsupported, slugBaseInternal},
	{mfa.ErrAlreadyEnrolled, slugBaseAlreadyEnabled},
	{mfa.ErrNoEnrollment, slugBaseNoPending},
	{mfa.ErrNotEnrolled, &slugBaseFailure{http.StatusBadRequest, "MFA_NOT_ENABLED", "MFA is not enabled"}},
	{mfa.ErrNotFound, &slugBaseFailure{http.StatusNotFound, "NOT_FOUND", "Not found"}},
	{mfa.ErrNoChallenge, &slugBaseFailure{http.StatusBadRequest, "MFA_NO_CHALLENGE", "No verification in progress"}},
	{mfa.ErrInvalidParams, &slugBaseFailure{http.StatusBadRequest, "INVALID_PARAMETERS", "The request contains invalid parameters or malformed data"}},
	{mfa.ErrInvalidCode, slugBaseInvalidCode},
	// A lapsed enrollment is no enrollment in progress; the remedy is the same.
	{mfa.ErrExpired, slugBaseNoPending},
	// Confirming raced another confirmation that won: MFA is now enabled.
	{mfa.ErrReplayed, slugBaseAlreadyEnabled},
	{mfa.ErrChallengeSpent, slugBaseTooManyAttempts},
	{mfa.ErrLocked, slugBaseTooManyAttempts},
	{mfa.ErrThrottled, &slugBaseFailure{http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests, please try again later."}},
	{mfa.ErrUnavailable, &slugBaseFailure{http.StatusServiceUnavailable, "MFA_UNAVAILABLE", "MFA is temporarily unavailable, please try again later."}},
	{mfa.ErrCredentialBroken, slugBaseInternal},
	{mfa.ErrBusy, &slugBaseFailure{http.StatusConflict, "MFA_BUSY", "The request conflicts with a concurrent change, please try again."}},
}

// slugBaseErrorBody is SlugBase's documented error shape.
type slugBaseErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
	Details string `json:"details,omitempty"`
}

// writeError answers with the SlugBase failure err maps to. Server failures
// are logged with their cause; their text never reaches the client.
func (s *slugBase) writeError(w http.ResponseWriter, r *http.Request, err error) {
	f := s.failure(r, err)
	if f.status == http.StatusTooManyRequests {
		if d, ok := mfa.RetryAfter(err); ok {
			w.Header().Set("Retry-After", httpx.RetryAfter(d))
		}
	}
	s.writeJSON(w, r, f.status, slugBaseErrorBody{Error: http.StatusText(f.status), Message: f.message, Code: f.status, Details: f.reason})
}

// failure maps err to its SlugBase failure.
func (s *slugBase) failure(r *http.Request, err error) *slugBaseFailure {
	f, ok := errors.AsType[*slugBaseFailure](err)
	if !ok {
		for _, l := range slugBaseLifecycle {
			if errors.Is(err, l.kind) {
				f = l.failure
				break
			}
		}
	}
	switch {
	case f == nil && r.Context().Err() != nil:
		s.d.Logger.DebugContext(r.Context(), "slugbase: request cancelled", "method", r.Method, "route", r.Pattern, "error", err)
		return slugBaseInternal
	case f == nil:
		f = slugBaseInternal
	}
	if f.status >= http.StatusInternalServerError {
		s.d.Logger.ErrorContext(r.Context(), "slugbase: request failed", "method", r.Method, "route", r.Pattern, "status", f.status, "error", err)
	}
	return f
}
