package accounting

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// accountingError is a failure found by the dialect itself.
type accountingError struct {
	status  int
	message string
}

func (e *accountingError) Error() string {
	return fmt.Sprintf("accounting: %d %s", e.status, e.message)
}

func accountingBadRequest(message string) *accountingError {
	return &accountingError{status: http.StatusBadRequest, message: message}
}

// accountingInternalMessage is ASP.NET's message for a server failure; the
// cause is logged, never sent.
const accountingInternalMessage = "An error has occurred."

var (
	errAccountingUnauthorized = &accountingError{status: http.StatusUnauthorized}
	errAccountingMethod       = &accountingError{status: http.StatusMethodNotAllowed, message: "The requested resource does not support this HTTP method. Use POST."}
	errAccountingBadMobile    = accountingBadRequest("The MobileNumber field is not a valid mobile number.")
)

// accountingLifecycleErrors maps each lifecycle failure to its status and
// message, once. 429s carry Retry-After.
var accountingLifecycleErrors = []struct {
	kind    error
	status  int
	message string
}{
	{mfa.ErrUserNotFound, http.StatusUnauthorized, ""},
	{mfa.ErrInvalidParams, http.StatusBadRequest, errAccountingBadMobile.message},
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
	{mfa.ErrUnknownFactor, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrUnsupported, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrCredentialBroken, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrUnavailable, http.StatusServiceUnavailable, "2FA is temporarily unavailable. Try again later."},
}

// accountingStatus maps err to its status and message.
func accountingStatus(ctx context.Context, err error) (int, string) {
	if ae, ok := errors.AsType[*accountingError](err); ok {
		return ae.status, ae.message
	}
	for _, e := range accountingLifecycleErrors {
		if errors.Is(err, e.kind) {
			return e.status, e.message
		}
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return http.StatusServiceUnavailable, "The request was cancelled or timed out."
	}
	return http.StatusInternalServerError, accountingInternalMessage
}

// writeError answers with the status and message err maps to: 401 with an
// empty body, anything else as {"Message": ...} or <Error><Message>.
func (a *accounting) writeError(w http.ResponseWriter, r *http.Request, f accountingFormat, err error) {
	ctx := r.Context()
	status, message := accountingStatus(ctx, err)
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
	case http.StatusTooManyRequests:
		d, _ := mfa.RetryAfter(err)
		h.Set("Retry-After", httpx.RetryAfter(d))
	}
	var body []byte
	if f.xml {
		body, err = accountingMarshalXMLError(message)
	} else {
		body, err = accountingMarshalJSON(struct {
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
