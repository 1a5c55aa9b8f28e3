package dialects

// Zitadel's user service v2, the TOTP methods: RegisterTOTP,
// VerifyTOTPRegistration and RemoveTOTP, over REST in grpc-gateway's JSON
// mapping and as the gRPC service zitadel.user.v2.UserService for gRPC,
// gRPC-Web and Connect clients on the same port.
//
//	POST   /v2/users/{userId}/totp         {}                 -> {"details":{...},"uri":"otpauth://...","secret":"..."}
//	POST   /v2/users/{userId}/totp/verify  {"code":"123456"}  -> {"details":{...}}
//	DELETE /v2/users/{userId}/totp                            -> {"details":{...}}
//	POST   /zitadel.user.v2.UserService/{RegisterTOTP,VerifyTOTPRegistration,RemoveTOTP}
//
// Registering starts a pending enrollment (again: a new secret replaces the
// pending one), verifying confirms it, removing deletes the active or pending
// one. The caller authenticates with a personal API token as
// `Authorization: Bearer` (gRPC metadata "authorization"); a user acts on
// itself, an admin token on anyone.
//
// Requests are checked in Zitadel's order: the body is decoded first (as the
// gateway does), then the caller authenticated, then the request validated
// (user_id and code 1–200 runes, as Zitadel's validation rules say), then the
// permission checked. Every error has grpc-gateway's shape, with the HTTP
// status grpc-gateway derives from the gRPC code:
//
//	{"code":3,"message":"Invalid code (EVENT-8isk2)","details":[{"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"EVENT-8isk2","message":"Invalid code"}]}
//
// Errors Zitadel raises before its own error handling (a missing auth
// header, a failed validation rule, an unparsable body, a wrong method) carry
// no ErrorDetail, as in Zitadel. zitadelErrorTable maps every failure to its
// code, ID and text once; gRPC, gRPC-Web and Connect clients get the same
// code, message and ErrorDetail.
//
// details.sequence is the id of the audit event the change committed (the
// store numbers audit events in increasing order, so a user's sequences only
// grow), details.changeDate that event's time, details.creationDate the same
// (as in Zitadel's documented example) and details.resourceOwner the user's
// organisation id.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

const (
	zitadelVia = "zitadel"
	// zitadelMaxRunes is Zitadel's validation limit for user_id and code.
	zitadelMaxRunes = 200
	// zitadelAuditWindow is how many of the user's newest audit events are
	// searched for the one a change committed.
	zitadelAuditWindow = 16
	// zitadelErrorDetailType is the type URL of Zitadel's error detail.
	zitadelErrorDetailType = "type.googleapis.com/zitadel.v1.ErrorDetail"
)

// zitadelAuditLog reads the audit log (store.Store does): the id of the event
// a change committed is the change's sequence.
type zitadelAuditLog interface {
	ListAudit(ctx context.Context, userID string, limit int) ([]store.AuditEvent, error)
}

var (
	_ zitadelAuditLog                     = store.Store(nil)
	_ zitadelpbconnect.UserServiceHandler = (*zitadel)(nil)
	_ error                               = (*zitadelError)(nil)
)

// zitadel serves the dialect for one factor instance.
type zitadel struct {
	d      Deps
	factor string
	audit  zitadelAuditLog
}

// RegisterZitadel serves Zitadel's user service v2 TOTP methods on mux, over
// REST and over gRPC, gRPC-Web and Connect at /zitadel.user.v2.UserService/,
// for the factor instance the route table assigns to RouteZitadelTOTP;
// nothing is served when the route is absent. Plain-HTTP gRPC clients need the
// server to accept unencrypted HTTP/2 (http.Server.Protocols with
// UnencryptedHTTP2).
//
// d.Users must also read the audit log, as store.Store does, because every
// response reports the audit event its change committed; RegisterZitadel
// panics otherwise, as ServeMux.Handle does for a conflicting pattern.
func RegisterZitadel(mux *http.ServeMux, d Deps) {
	d = d.withDefaults()
	factor, ok := d.factor(RouteZitadelTOTP)
	if !ok {
		return
	}
	audit, ok := d.Users.(zitadelAuditLog)
	if !ok {
		panic("dialects: the Zitadel dialect needs Deps.Users to read the audit log (pass the store)")
	}
	z := &zitadel{d: d, factor: factor, audit: audit}
	mux.HandleFunc("POST /v2/users/{userId}/totp", z.serveRegister)
	mux.HandleFunc("POST /v2/users/{userId}/totp/verify", z.serveVerify)
	mux.HandleFunc("DELETE /v2/users/{userId}/totp", z.serveRemove)
	// Other methods on the same paths get the gateway's 405, not the mux's plain text.
	mux.HandleFunc("/v2/users/{userId}/totp", z.methodNotAllowed("POST, DELETE"))
	mux.HandleFunc("/v2/users/{userId}/totp/verify", z.methodNotAllowed("POST"))
	limit := int(min(d.MaxBodyBytes, math.MaxInt32))
	path, h := zitadelpbconnect.NewUserServiceHandler(z, connect.WithReadMaxBytes(limit))
	mux.Handle(path, h)
}

// The operations, shared by REST and the RPC protocols. r carries what says
// who is calling: the Authorization header and the client's address.

func (z *zitadel) register(ctx context.Context, r *http.Request, req *zitadelpb.RegisterTOTPRequest) (*zitadelpb.RegisterTOTPResponse, error) {
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	en, err := z.d.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: user.ID, Factor: z.factor})
	if err != nil {
		return nil, fmt.Errorf("register totp: %w", err)
	}
	details, err := z.details(ctx, user, en.ID)
	if err != nil {
		return nil, err
	}
	return &zitadelpb.RegisterTOTPResponse{Details: details, Uri: en.Display.URI, Secret: en.Display.Secret}, nil
}

func (z *zitadel) verify(ctx context.Context, r *http.Request, req *zitadelpb.VerifyTOTPRegistrationRequest) (*zitadelpb.VerifyTOTPRegistrationResponse, error) {
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	c, err := z.d.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: user.ID, Factor: z.factor, Proof: sdk.Proof{Code: req.GetCode()}})
	if err != nil {
		return nil, fmt.Errorf("verify totp registration: %w", z.alreadyVerified(ctx, user.ID, err))
	}
	details, err := z.details(ctx, user, c.Credential.ID)
	if err != nil {
		return nil, err
	}
	return &zitadelpb.VerifyTOTPRegistrationResponse{Details: details}, nil
}

func (z *zitadel) remove(ctx context.Context, r *http.Request, req *zitadelpb.RemoveTOTPRequest) (*zitadelpb.RemoveTOTPResponse, error) {
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	id, err := z.removeCredential(ctx, meta, user.ID)
	if err != nil {
		return nil, fmt.Errorf("remove totp: %w", err)
	}
	details, err := z.details(ctx, user, id)
	if err != nil {
		return nil, err
	}
	return &zitadelpb.RemoveTOTPResponse{Details: details}, nil
}

// removeCredential removes the user's active credential of the factor or,
// when there is none, the pending enrollment (Zitadel removes a TOTP in
// either state), and returns its id.
func (z *zitadel) removeCredential(ctx context.Context, meta mfa.Meta, userID string) (string, error) {
	active, err := z.d.MFA.ActiveCredential(ctx, userID, z.factor)
	if err == nil {
		return active.ID, z.d.MFA.RemoveCredential(ctx, meta, userID, active.ID)
	}
	if !errors.Is(err, mfa.ErrNotEnrolled) {
		return "", err
	}
	pending, err := z.d.MFA.PendingEnrollment(ctx, userID, z.factor)
	if err == nil {
		err = z.d.MFA.CancelEnrollment(ctx, meta, userID, z.factor)
	}
	if errors.Is(err, mfa.ErrNoEnrollment) {
		// Nothing to remove in either state.
		return "", mfa.ErrNotEnrolled
	}
	return pending.ID, err
}

// alreadyVerified tells a verification that found nothing to confirm because
// the registration is already verified (Zitadel's COMMAND-qx4ls) from one
// that found nothing at all.
func (z *zitadel) alreadyVerified(ctx context.Context, userID string, err error) error {
	if !errors.Is(err, mfa.ErrNoEnrollment) && !errors.Is(err, mfa.ErrReplayed) && !errors.Is(err, mfa.ErrAlreadyEnrolled) {
		return err
	}
	if _, aerr := z.d.MFA.ActiveCredential(ctx, userID, z.factor); aerr == nil {
		return errZitadelAlreadyVerified
	}
	return err
}

// zitadelUserRequest is what every request of the dialect has.
type zitadelUserRequest interface {
	proto.Message
	GetUserId() string
}

// target authenticates the caller, validates the request and resolves the
// user it acts on, in Zitadel's order. A caller without permission is refused
// before anything about the user is looked up.
func (z *zitadel) target(ctx context.Context, r *http.Request, req zitadelUserRequest) (mfa.Meta, store.User, error) {
	p, err := z.authenticate(ctx, r)
	if err != nil {
		return mfa.Meta{}, store.User{}, err
	}
	if err := validateZitadelRequest(req); err != nil {
		return mfa.Meta{}, store.User{}, err
	}
	if !p.CanActOn(req.GetUserId()) {
		return mfa.Meta{}, store.User{}, errZitadelForbidden
	}
	user, err := z.d.Users.GetUser(ctx, req.GetUserId())
	if errors.Is(err, store.ErrNotFound) {
		return mfa.Meta{}, store.User{}, fmt.Errorf("look up user: %w", mfa.ErrUserNotFound)
	}
	if err != nil {
		return mfa.Meta{}, store.User{}, fmt.Errorf("look up user: %w", err)
	}
	return z.d.meta(r, p, zitadelVia), user, nil
}

func (z *zitadel) authenticate(ctx context.Context, r *http.Request) (auth.Principal, error) {
	secret, err := auth.BearerToken(r)
	if errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, errZitadelNoAuthHeader
	}
	if err != nil {
		return auth.Principal{}, errZitadelBadAuthHeader
	}
	p, err := z.d.Tokens.Authenticate(ctx, secret)
	if errors.Is(err, auth.ErrBadToken) {
		return auth.Principal{}, errZitadelBadToken
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// validateZitadelRequest applies Zitadel's validation rules (user_id and
// code of 1–200 runes) with the messages its validator gives. A user_id must
// also be valid UTF-8 without control characters, which a database key
// cannot hold.
func validateZitadelRequest(req zitadelUserRequest) error {
	name := string(req.ProtoReflect().Descriptor().Name())
	id := req.GetUserId()
	if err := zitadelCheckLength(name, "UserId", id); err != nil {
		return err
	}
	if !utf8.ValidString(id) || zitadelHasControl(id) {
		return zitadelInvalid(name, "UserId", "value must be valid UTF-8 without control characters")
	}
	if c, ok := req.(interface{ GetCode() string }); ok {
		return zitadelCheckLength(name, "Code", c.GetCode())
	}
	return nil
}

func zitadelCheckLength(message, field, value string) error {
	if n := utf8.RuneCountInString(value); n < 1 || n > zitadelMaxRunes {
		return zitadelInvalid(message, field, fmt.Sprintf("value length must be between 1 and %d runes, inclusive", zitadelMaxRunes))
	}
	return nil
}

func zitadelInvalid(message, field, reason string) error {
	return &zitadelError{code: connect.CodeInvalidArgument, message: fmt.Sprintf("invalid %s.%s: %s", message, field, reason)}
}

func zitadelHasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// details describe the change the credential's newest audit event records.
func (z *zitadel) details(ctx context.Context, user store.User, credentialID string) (*zitadelpb.Details, error) {
	events, err := z.audit.ListAudit(ctx, user.ID, zitadelAuditWindow)
	if err != nil {
		return nil, fmt.Errorf("read the audit event of the change: %w", err)
	}
	if len(events) == 0 {
		return nil, errors.New("read the audit event of the change: the user has none")
	}
	// Newest first. When other events of the user crowded the change's own out
	// of the window, the newest is later still, so the sequence keeps growing.
	seq, at := events[0].ID, z.d.Now()
	for _, e := range events {
		if e.CredentialID == credentialID {
			seq, at = e.ID, e.Time
			break
		}
	}
	ts := timestamppb.New(at.UTC())
	return &zitadelpb.Details{
		Sequence:      uint64(seq),
		ChangeDate:    ts,
		ResourceOwner: strconv.FormatInt(user.OrgID, 10),
		CreationDate:  ts,
	}, nil
}

// REST, in grpc-gateway's JSON mapping.

func (z *zitadel) serveRegister(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.RegisterTOTPRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId = r.PathValue("userId")
	resp, err := z.register(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) serveVerify(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.VerifyTOTPRegistrationRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId = r.PathValue("userId")
	resp, err := z.verify(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) serveRemove(w http.ResponseWriter, r *http.Request) {
	// The route has no body; it is read only to hold it to the limit.
	if err := z.readBody(w, r, nil); err != nil {
		z.writeError(w, r, err)
		return
	}
	resp, err := z.remove(r.Context(), r, &zitadelpb.RemoveTOTPRequest{UserId: r.PathValue("userId")})
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		z.writeError(w, r, errZitadelMethodNotAllowed)
	}
}

// readBody reads the size-limited body into msg as the gateway does: an
// empty body is an empty message, and unknown fields are ignored.
func (z *zitadel) readBody(w http.ResponseWriter, r *http.Request, msg proto.Message) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, z.d.MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errZitadelBodyTooLarge
	}
	if err != nil {
		return &zitadelError{code: connect.CodeInvalidArgument, message: "the request body could not be read"}
	}
	if msg == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, msg); err != nil {
		// protojson's own messages are deliberately unstable; this one is not.
		return &zitadelError{code: connect.CodeInvalidArgument, message: fmt.Sprintf("the request body is not a valid %s in JSON", msg.ProtoReflect().Descriptor().FullName())}
	}
	return nil
}

func (z *zitadel) writeResult(w http.ResponseWriter, r *http.Request, resp proto.Message, err error) {
	if err != nil {
		z.writeError(w, r, err)
		return
	}
	body, err := protojson.Marshal(resp)
	if err == nil {
		// protojson varies its whitespace on purpose; the gateway's bytes are compact.
		var compact bytes.Buffer
		if err = json.Compact(&compact, body); err == nil {
			z.writeJSON(w, r, http.StatusOK, compact.Bytes())
			return
		}
	}
	z.writeError(w, r, fmt.Errorf("encode response: %w", err))
}

// zitadelStatusJSON is google.rpc.Status as the gateway renders it.
type zitadelStatusJSON struct {
	Code    int                 `json:"code"`
	Message string              `json:"message"`
	Details []zitadelDetailJSON `json:"details,omitempty"`
}

type zitadelDetailJSON struct {
	Type    string `json:"@type"`
	ID      string `json:"id"`
	Message string `json:"message"`
}

func (z *zitadel) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := z.translate(r.Context(), err)
	st := zitadelStatusJSON{Code: int(e.code), Message: e.text()}
	if e.id != "" {
		st.Details = []zitadelDetailJSON{{Type: zitadelErrorDetailType, ID: e.id, Message: e.message}}
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", zitadelRetryAfter(e.retryAfter))
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

func (z *zitadel) writeJSON(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(body); err != nil {
		z.d.Logger.DebugContext(r.Context(), "zitadel: write response", "error", err)
	}
}

// gRPC, gRPC-Web and Connect.

func (z *zitadel) RegisterTOTP(ctx context.Context, req *connect.Request[zitadelpb.RegisterTOTPRequest]) (*connect.Response[zitadelpb.RegisterTOTPResponse], error) {
	resp, err := z.register(ctx, zitadelCaller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) VerifyTOTPRegistration(ctx context.Context, req *connect.Request[zitadelpb.VerifyTOTPRegistrationRequest]) (*connect.Response[zitadelpb.VerifyTOTPRegistrationResponse], error) {
	resp, err := z.verify(ctx, zitadelCaller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) RemoveTOTP(ctx context.Context, req *connect.Request[zitadelpb.RemoveTOTPRequest]) (*connect.Response[zitadelpb.RemoveTOTPResponse], error) {
	resp, err := z.remove(ctx, zitadelCaller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

// zitadelCaller is the part of an RPC's HTTP request that says who calls:
// its headers (metadata) and the peer's address, which is what
// authentication and the audit record read.
func zitadelCaller(req connect.AnyRequest) *http.Request {
	return &http.Request{Header: req.Header(), RemoteAddr: req.Peer().Addr}
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
		cerr.Meta().Set("Retry-After", zitadelRetryAfter(e.retryAfter))
	}
	return cerr
}

// Errors.

// zitadelError is a failure as Zitadel reports it: a gRPC code, Zitadel's
// stable error ID and its text. Failures Zitadel reports before its own error
// handling have no ID (and so no ErrorDetail).
type zitadelError struct {
	code    connect.Code
	id      string
	message string
	// status overrides the HTTP status grpc-gateway derives from the code.
	status     int
	retryAfter time.Duration
}

func (e *zitadelError) Error() string { return e.text() }

// text is the status message: Zitadel appends the ID to the text.
func (e *zitadelError) text() string {
	if e.id == "" {
		return e.message
	}
	return e.message + " (" + e.id + ")"
}

// httpStatus is grpc-gateway's HTTP status for the code.
func (e *zitadelError) httpStatus() int {
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
	errZitadelNoAuthHeader     = errors.New("zitadel: no authorization header")
	errZitadelBadAuthHeader    = errors.New("zitadel: malformed authorization header")
	errZitadelBadToken         = errors.New("zitadel: unknown or expired token")
	errZitadelForbidden        = errors.New("zitadel: not allowed to act on this user")
	errZitadelAlreadyVerified  = errors.New("zitadel: totp registration already verified")
	errZitadelBodyTooLarge     = errors.New("zitadel: request body too large")
	errZitadelMethodNotAllowed = errors.New("zitadel: method not allowed")
)

// zitadelErrorRow maps one failure to Zitadel's report of it.
type zitadelErrorRow struct {
	err     error
	code    connect.Code
	id      string
	message string
	status  int
}

// zitadelErrorTable maps each failure once. Zitadel's own IDs and texts are
// used where Zitadel has the failure; the texts of two of them are
// translation keys because Zitadel has no translation for them and shows the
// key. Failures only Factorgate has get FACTORGATE- IDs.
func zitadelErrorTable() []zitadelErrorRow {
	const (
		otpNotExisting = "Multifactor OTP (OneTimePassword) doesn't exist"
		otpReady       = "Multifactor OTP (OneTimePassword) is already set up"
	)
	return []zitadelErrorRow{
		{err: errZitadelNoAuthHeader, code: connect.CodeUnauthenticated, message: "auth header missing"},
		{err: errZitadelBadAuthHeader, code: connect.CodeUnauthenticated, id: "AUTH-7fs1e", message: "invalid auth header"},
		{err: errZitadelBadToken, code: connect.CodeUnauthenticated, id: "APP-BxUSiL", message: "invalid token"},
		{err: errZitadelForbidden, code: connect.CodePermissionDenied, id: "AUTHZ-HKJD33", message: "Errors.PermissionDenied"},
		{err: errZitadelAlreadyVerified, code: connect.CodeFailedPrecondition, id: "COMMAND-qx4ls", message: "Errors.Users.MFA.OTP.AlreadyReady"},
		{err: errZitadelBodyTooLarge, code: connect.CodeResourceExhausted, id: "FACTORGATE-b0dy1", message: "Request body too large", status: http.StatusRequestEntityTooLarge},
		{err: errZitadelMethodNotAllowed, code: connect.CodeUnimplemented, message: "Method Not Allowed", status: http.StatusMethodNotAllowed},

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
func (z *zitadel) translate(ctx context.Context, err error) *zitadelError {
	if e, ok := errors.AsType[*zitadelError](err); ok {
		return e
	}
	// A failure the table does not know is internal.
	row := zitadelErrorRow{code: connect.CodeInternal, id: "FACTORGATE-1nt3r", message: "An internal error occurred"}
	for _, r := range zitadelErrorTable() {
		if errors.Is(err, r.err) {
			row = r
			break
		}
	}
	e := &zitadelError{code: row.code, id: row.id, message: row.message, status: row.status}
	if d, ok := mfa.RetryAfter(err); ok {
		e.retryAfter = d
	}
	if e.httpStatus() >= 500 {
		z.d.Logger.ErrorContext(ctx, "zitadel: request failed", "factor", z.factor, "id", e.id, "error", err)
	}
	return e
}

// zitadelRetryAfter renders a wait as whole seconds, rounded up.
func zitadelRetryAfter(d time.Duration) string {
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}
