package accounting

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// statusError is a failure found by the dialect itself.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("accounting: %d %s", e.status, e.message)
}

func badRequest(message string) *statusError {
	return &statusError{status: http.StatusBadRequest, message: message}
}

// internalMessage is ASP.NET's message for a server failure; the
// cause is logged, never sent.
const internalMessage = "An error has occurred."

var (
	errUnauthorized = &statusError{status: http.StatusUnauthorized}
	errMethod       = &statusError{status: http.StatusMethodNotAllowed, message: "The requested resource does not support this HTTP method. Use POST."}
	errBadMobile    = badRequest("The MobileNumber field is not a valid mobile number.")
)

// lifecycleErrors maps each lifecycle failure to its status and
// message, once. 429s carry Retry-After.
var lifecycleErrors = []struct {
	kind    error
	status  int
	message string
}{
	{mfa.ErrUserNotFound, http.StatusUnauthorized, ""},
	{mfa.ErrInvalidParams, http.StatusBadRequest, errBadMobile.message},
	{mfa.ErrAlreadyEnrolled, http.StatusBadRequest, "2FA is already enabled for this user."},
	{mfa.ErrNoEnrollment, http.StatusBadRequest, "No 2FA opt-in is pending for this ProviderUserId, or it has expired. Opt in again."},
	{mfa.ErrNotEnrolled, http.StatusBadRequest, "2FA is not enabled for this user."},
	{mfa.ErrNoChallenge, http.StatusBadRequest, "No OTP has been sent. Opt in again."},
	{mfa.ErrInvalidCode, http.StatusBadRequest, "The OTP is incorrect."},
	{mfa.ErrExpired, http.StatusBadRequest, "The OTP has expired. Opt in again to receive a new one."},
	{mfa.ErrReplayed, http.StatusBadRequest, "The OTP has already been used."},
	{mfa.ErrChallengeSpent, http.StatusBadRequest, "Too many incorrect OTPs. Opt in again to receive a new one."},
	{mfa.ErrNotFound, http.StatusNotFound, "The 2FA registration was not found."},
	{mfa.ErrBusy, http.StatusConflict, "Another request for this user is in progress. Try again."},
	{mfa.ErrLocked, http.StatusTooManyRequests, "Too many failed attempts. Try again later."},
	{mfa.ErrThrottled, http.StatusTooManyRequests, "Too many requests. Try again later."},
	{mfa.ErrUnknownFactor, http.StatusInternalServerError, internalMessage},
	{mfa.ErrUnsupported, http.StatusInternalServerError, internalMessage},
	{mfa.ErrCredentialBroken, http.StatusInternalServerError, internalMessage},
	{mfa.ErrUnavailable, http.StatusServiceUnavailable, "2FA is temporarily unavailable. Try again later."},
	{mfa.ErrFactorFailed, http.StatusBadGateway, "2FA failed to handle the request. Try again later."},
}

// errorStatus maps err to its status and message.
func errorStatus(ctx context.Context, err error) (int, string) {
	if ae, ok := errors.AsType[*statusError](err); ok {
		return ae.status, ae.message
	}
	for _, e := range lifecycleErrors {
		if errors.Is(err, e.kind) {
			return e.status, e.message
		}
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return http.StatusServiceUnavailable, "The request was cancelled or timed out."
	}
	return http.StatusInternalServerError, internalMessage
}

// writeError answers with the status and message err maps to: 401 with an
// empty body, anything else as {"Message": ...} or <Error><Message>.
func (a *accounting) writeError(w http.ResponseWriter, r *http.Request, f format, err error) {
	ctx := r.Context()
	status, message := errorStatus(ctx, err)
	if status >= http.StatusInternalServerError {
		a.d.Logger.ErrorContext(ctx, "accounting: request failed", "path", r.URL.Path, "status", status, "error", err)
	} else {
		a.d.Logger.DebugContext(ctx, "accounting: request refused", "path", r.URL.Path, "status", status)
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
		h.Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	case http.StatusMethodNotAllowed:
		h.Set("Allow", http.MethodPost)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d, _ := mfa.RetryAfter(err)
		h.Set("Retry-After", httpx.RetryAfter(d))
	}
	var body []byte
	if f.xml {
		body, err = marshalXMLError(message)
	} else {
		body, err = marshalJSON(struct {
			Message string `json:"Message"`
		}{message}, "")
	}
	if err != nil { // a message always encodes
		a.d.Logger.ErrorContext(ctx, "accounting: encode error", "error", err)
		status, body = http.StatusInternalServerError, nil
	}
	h.Set("Content-Type", f.mediaType+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
