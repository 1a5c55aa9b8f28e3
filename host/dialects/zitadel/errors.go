package zitadel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

func (z *zitadel) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := z.translate(r.Context(), err)
	st := statusJSON{Code: int(e.code), Message: e.text()}
	if e.id != "" {
		st.Details = []detailJSON{{Type: errorDetailType, ID: e.id, Message: e.message}}
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", httpx.RetryAfter(e.retryAfter))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		z.d.Logger.ErrorContext(r.Context(), "zitadel: encode error response", "error", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	z.writeJSON(w, r, e.httpStatus(), bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func (z *zitadel) connectError(ctx context.Context, err error) error {
	e := z.translate(ctx, err)
	cerr := connect.NewError(e.code, errors.New(e.text()))
	if e.id != "" {
		// Marshalling this two-string message cannot fail.
		if detail, derr := connect.NewErrorDetail(&zitadelpb.ErrorDetail{Id: e.id, Message: e.message}); derr == nil {
			cerr.AddDetail(detail)
		}
	}
	if e.retryAfter > 0 {
		cerr.Meta().Set("Retry-After", httpx.RetryAfter(e.retryAfter))
	}
	return cerr
}

// statusError is a failure as Zitadel reports it: a gRPC code, Zitadel's
// stable error ID and its text. Failures Zitadel reports before its own error
// handling have no ID (and so no ErrorDetail).
type statusError struct {
	code    connect.Code
	id      string
	message string
	// status overrides the HTTP status grpc-gateway derives from the code.
	status     int
	retryAfter time.Duration
}

func (e *statusError) Error() string { return e.text() }

// text is the status message: Zitadel appends the ID to the text.
func (e *statusError) text() string {
	if e.id == "" {
		return e.message
	}
	return e.message + " (" + e.id + ")"
}

// httpStatus is grpc-gateway's HTTP status for the code.
func (e *statusError) httpStatus() int {
	if e.status != 0 {
		return e.status
	}
	switch e.code {
	case connect.CodeCanceled:
		return 499
	case connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeOutOfRange:
		return http.StatusBadRequest
	case connect.CodeDeadlineExceeded:
		return http.StatusGatewayTimeout
	case connect.CodeNotFound:
		return http.StatusNotFound
	case connect.CodeAlreadyExists, connect.CodeAborted:
		return http.StatusConflict
	case connect.CodePermissionDenied:
		return http.StatusForbidden
	case connect.CodeUnauthenticated:
		return http.StatusUnauthorized
	case connect.CodeResourceExhausted:
		return http.StatusTooManyRequests
	case connect.CodeUnimplemented:
		return http.StatusNotImplemented
	case connect.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Failures of the dialect itself, beside the lifecycle's.
var (
	errNoAuthHeader     = errors.New("zitadel: no authorization header")
	errBadAuthHeader    = errors.New("zitadel: malformed authorization header")
	errBadToken         = errors.New("zitadel: unknown or expired token")
	errForbidden        = errors.New("zitadel: not allowed to act on this user")
	errAlreadyVerified  = errors.New("zitadel: totp registration already verified")
	errBodyTooLarge     = errors.New("zitadel: request body too large")
	errMethodNotAllowed = errors.New("zitadel: method not allowed")
)

// errorRow maps one failure to Zitadel's report of it.
type errorRow struct {
	err     error
	code    connect.Code
	id      string
	message string
	status  int
}

// errorTable maps each failure once. Zitadel's own IDs and texts are
// used where Zitadel has the failure; the texts of two of them are
// translation keys because Zitadel has no translation for them and shows the
// key. Failures only Factorgate has get FACTORGATE- IDs.
func errorTable() []errorRow {
	const (
		otpNotExisting = "Multifactor OTP (OneTimePassword) doesn't exist"
		otpReady       = "Multifactor OTP (OneTimePassword) is already set up"
	)
	return []errorRow{
		{err: errNoAuthHeader, code: connect.CodeUnauthenticated, message: "auth header missing"},
		{err: errBadAuthHeader, code: connect.CodeUnauthenticated, id: "AUTH-7fs1e", message: "invalid auth header"},
		{err: errBadToken, code: connect.CodeUnauthenticated, id: "APP-BxUSiL", message: "invalid token"},
		{err: errForbidden, code: connect.CodePermissionDenied, id: "AUTHZ-HKJD33", message: "Errors.PermissionDenied"},
		{err: errAlreadyVerified, code: connect.CodeFailedPrecondition, id: "COMMAND-qx4ls", message: "Errors.Users.MFA.OTP.AlreadyReady"},
		{err: errBodyTooLarge, code: connect.CodeResourceExhausted, id: "FACTORGATE-b0dy1", message: "Request body too large", status: http.StatusRequestEntityTooLarge},
		{err: errMethodNotAllowed, code: connect.CodeUnimplemented, message: "Method Not Allowed", status: http.StatusMethodNotAllowed},
		{err: errNotRouted, code: connect.CodeUnimplemented, id: "FACTORGATE-r0ut3", message: "This method is not served here"},
		{err: errRegistrationCode, code: connect.CodeUnimplemented, id: "FACTORGATE-c0d3l", message: "Passkey registration codes are not supported; authenticate the request instead"},
		{err: errNoCredential, code: connect.CodeInvalidArgument, message: "invalid request: public_key_credential is required"},

		{err: mfa.ErrUserNotFound, code: connect.CodeNotFound, id: "QUERY-ieJ2e", message: "User could not be found"},
		{err: mfa.ErrUnknownFactor, code: connect.CodeUnavailable, id: "FACTORGATE-f4ct0", message: "The TOTP factor is not installed"},
		{err: mfa.ErrUnsupported, code: connect.CodeFailedPrecondition, id: "FACTORGATE-uns9p", message: "The factor does not support this operation"},
		{err: mfa.ErrAlreadyEnrolled, code: connect.CodeAlreadyExists, id: "COMMAND-do9se", message: otpReady},
		{err: mfa.ErrNoEnrollment, code: connect.CodeNotFound, id: "COMMAND-3Mif9s", message: otpNotExisting},
		{err: mfa.ErrExpired, code: connect.CodeNotFound, id: "COMMAND-3Mif9s", message: otpNotExisting},
		{err: mfa.ErrNotEnrolled, code: connect.CodeNotFound, id: "COMMAND-Hd9sd", message: otpNotExisting},
		{err: mfa.ErrNotFound, code: connect.CodeNotFound, id: "COMMAND-Hd9sd", message: otpNotExisting},
		{err: mfa.ErrNoChallenge, code: connect.CodeFailedPrecondition, id: "FACTORGATE-ch4l1", message: "No challenge is pending"},
		{err: mfa.ErrInvalidParams, code: connect.CodeInvalidArgument, id: "FACTORGATE-p4r4m", message: "The factor rejected the parameters"},
		{err: mfa.ErrInvalidCode, code: connect.CodeInvalidArgument, id: "EVENT-8isk2", message: "Invalid code"},
		{err: mfa.ErrReplayed, code: connect.CodeInvalidArgument, id: "EVENT-8isk2", message: "Invalid code"},
		{err: mfa.ErrChallengeSpent, code: connect.CodeResourceExhausted, id: "FACTORGATE-sp3nt", message: "Too many attempts for this code; request a new one"},
		{err: mfa.ErrThrottled, code: connect.CodeResourceExhausted, id: "FACTORGATE-thr0t", message: "Too many requests; try again later"},
		{err: mfa.ErrLocked, code: connect.CodeResourceExhausted, id: "FACTORGATE-l0ck3", message: "Too many failed attempts; second factors are locked"},
		{err: mfa.ErrUnavailable, code: connect.CodeUnavailable, id: "FACTORGATE-un4v1", message: "The factor is temporarily unavailable"},
		{err: mfa.ErrFactorFailed, code: connect.CodeUnknown, id: "FACTORGATE-f4ct0", message: "The factor failed to handle the request", status: http.StatusBadGateway},
		{err: mfa.ErrCredentialBroken, code: connect.CodeInternal, id: "FACTORGATE-br0k3", message: "The TOTP registration cannot be used; remove it and register again"},
		{err: mfa.ErrBusy, code: connect.CodeAborted, id: "FACTORGATE-bu5y1", message: "Too much contention on this registration; try again"},

		{err: context.Canceled, code: connect.CodeCanceled, id: "FACTORGATE-c4nc1", message: "The request was cancelled"},
		{err: context.DeadlineExceeded, code: connect.CodeDeadlineExceeded, id: "FACTORGATE-d34d1", message: "The request timed out"},
	}
}

// translate finds err's report. Server-side failures are logged; their
// causes never reach the client.
func (z *zitadel) translate(ctx context.Context, err error) *statusError {
	if e, ok := errors.AsType[*statusError](err); ok {
		return e
	}
	// A failure the table does not know is internal.
	row := errorRow{code: connect.CodeInternal, id: "FACTORGATE-1nt3r", message: "An internal error occurred"}
	for _, r := range errorTable() {
		if errors.Is(err, r.err) {
			row = r
			break
		}
	}
	e := &statusError{code: row.code, id: row.id, message: row.message, status: row.status}
	if d, ok := mfa.RetryAfter(err); ok {
		e.retryAfter = d
	}
	if e.httpStatus() >= 500 {
		z.d.Logger.ErrorContext(ctx, "zitadel: request failed", "factor", z.factor, "id", e.id, "error", err)
	}
	return e
}
