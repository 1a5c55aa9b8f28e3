// Package zitadel serves the TOTP, passkey and U2F registration methods of
// Zitadel's user service v2 over REST and over gRPC, gRPC-Web and Connect,
// translated to host/mfa. What every dialect shares is in host/dialects.
package zitadel

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
// no ErrorDetail, as in Zitadel. errorTable maps every failure to its
// code, ID and text once; gRPC, gRPC-Web and Connect clients get the same
// code, message and ErrorDetail.
//
// details.sequence is the id of the audit event the change committed, as the
// lifecycle returns it with the change (the database numbers audit events in
// increasing order, so sequences only grow), details.changeDate that event's
// time, details.creationDate the same (as in Zitadel's documented example)
// and details.resourceOwner the user's organisation id.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

const (
	via = "zitadel"
	// maxRunes is Zitadel's validation limit for user_id and code.
	maxRunes = 200
	// errorDetailType is the type URL of Zitadel's error detail.
	errorDetailType = "type.googleapis.com/zitadel.v1.ErrorDetail"
)

var (
	_ zitadelpbconnect.UserServiceHandler = (*zitadel)(nil)
	_ error                               = (*statusError)(nil)
)

// zitadel serves the dialect: the TOTP methods with the instance factor,
// the passkey and U2F methods with the instances passkey and u2f ("" for a
// route that is absent).
type zitadel struct {
	d       dialects.Deps
	factor  string
	passkey string
	u2f     string
}

// Register serves Zitadel's user service v2 TOTP, passkey and U2F methods
// on mux, over REST and over gRPC, gRPC-Web and Connect at
// /zitadel.user.v2.UserService/, each for the factor instance the route
// table assigns to its route (dialects.RouteZitadelTOTP, RouteZitadelPasskey,
// RouteZitadelU2F); a method whose route is absent is not served over REST
// and is Unimplemented over RPC, and nothing is served without any route.
// Plain-HTTP gRPC clients need the server to accept unencrypted HTTP/2
// (http.Server.Protocols with UnencryptedHTTP2).
func Register(mux *http.ServeMux, d dialects.Deps) {
	d = d.WithDefaults()
	z := &zitadel{d: d}
	z.factor, _ = d.Factor(dialects.RouteZitadelTOTP)
	z.passkey, _ = d.Factor(dialects.RouteZitadelPasskey)
	z.u2f, _ = d.Factor(dialects.RouteZitadelU2F)
	if z.factor == "" && z.passkey == "" && z.u2f == "" {
		return
	}
	if z.factor != "" {
		mux.HandleFunc("POST /v2/users/{userId}/totp", z.serveRegister)
		mux.HandleFunc("POST /v2/users/{userId}/totp/verify", z.serveVerify)
		mux.HandleFunc("DELETE /v2/users/{userId}/totp", z.serveRemove)
		// Other methods on the same paths get the gateway's 405, not the mux's plain text.
		mux.HandleFunc("/v2/users/{userId}/totp", z.methodNotAllowed("POST, DELETE"))
		mux.HandleFunc("/v2/users/{userId}/totp/verify", z.methodNotAllowed("POST"))
	}
	z.registerKeys(mux)
	limit := int(min(d.MaxBodyBytes, math.MaxInt32))
	path, h := zitadelpbconnect.NewUserServiceHandler(z, connect.WithReadMaxBytes(limit))
	mux.Handle(path, h)
	registerReflection(mux)
}

// The operations, shared by REST and the RPC protocols. r carries what says
// who is calling: the Authorization header and the client's address.

func (z *zitadel) register(ctx context.Context, r *http.Request, req *zitadelpb.RegisterTOTPRequest) (*zitadelpb.RegisterTOTPResponse, error) {
	if z.factor == "" {
		return nil, errNotRouted
	}
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	en, err := z.d.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: user.ID, Factor: z.factor})
	if err != nil {
		return nil, fmt.Errorf("register totp: %w", err)
	}
	return &zitadelpb.RegisterTOTPResponse{Details: changeDetails(user, en.Event), Uri: en.Display.URI, Secret: en.Display.Secret}, nil
}

func (z *zitadel) verify(ctx context.Context, r *http.Request, req *zitadelpb.VerifyTOTPRegistrationRequest) (*zitadelpb.VerifyTOTPRegistrationResponse, error) {
	if z.factor == "" {
		return nil, errNotRouted
	}
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	c, err := z.d.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: user.ID, Factor: z.factor, Proof: sdk.Proof{Code: req.GetCode()}})
	if err != nil {
		return nil, fmt.Errorf("verify totp registration: %w", z.alreadyVerified(ctx, user.ID, err))
	}
	return &zitadelpb.VerifyTOTPRegistrationResponse{Details: changeDetails(user, c.Event)}, nil
}

func (z *zitadel) remove(ctx context.Context, r *http.Request, req *zitadelpb.RemoveTOTPRequest) (*zitadelpb.RemoveTOTPResponse, error) {
	if z.factor == "" {
		return nil, errNotRouted
	}
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	removed, err := z.removeCredential(ctx, meta, user.ID)
	if err != nil {
		return nil, fmt.Errorf("remove totp: %w", err)
	}
	return &zitadelpb.RemoveTOTPResponse{Details: changeDetails(user, removed.Event)}, nil
}

// removeCredential removes the user's active credential of the factor or,
// when there is none, the pending enrollment (Zitadel removes a TOTP in
// either state).
func (z *zitadel) removeCredential(ctx context.Context, meta mfa.Meta, userID string) (mfa.Removed, error) {
	active, err := z.d.MFA.ActiveCredential(ctx, userID, z.factor)
	if err == nil {
		return z.d.MFA.RemoveCredential(ctx, meta, userID, active.ID)
	}
	if !errors.Is(err, mfa.ErrNotEnrolled) {
		return mfa.Removed{}, err
	}
	var removed mfa.Removed
	if _, err = z.d.MFA.PendingEnrollment(ctx, userID, z.factor); err == nil {
		removed, err = z.d.MFA.CancelEnrollment(ctx, meta, userID, z.factor)
	}
	if errors.Is(err, mfa.ErrNoEnrollment) {
		// Nothing to remove in either state.
		return mfa.Removed{}, mfa.ErrNotEnrolled
	}
	return removed, err
}

// alreadyVerified tells a verification that found nothing to confirm because
// the registration is already verified (Zitadel's COMMAND-qx4ls) from one
// that found nothing at all.
func (z *zitadel) alreadyVerified(ctx context.Context, userID string, err error) error {
	if !errors.Is(err, mfa.ErrNoEnrollment) && !errors.Is(err, mfa.ErrReplayed) && !errors.Is(err, mfa.ErrAlreadyEnrolled) {
		return err
	}
	if _, aerr := z.d.MFA.ActiveCredential(ctx, userID, z.factor); aerr == nil {
		return errAlreadyVerified
	}
	return err
}

// target authenticates the caller, validates the request and resolves the
// user it acts on, in Zitadel's order. A caller without permission is refused
// before anything about the user is looked up.
func (z *zitadel) target(ctx context.Context, r *http.Request, req userRequest) (mfa.Meta, store.User, error) {
	p, err := z.authenticate(ctx, r)
	if err != nil {
		return mfa.Meta{}, store.User{}, err
	}
	if err := validateRequest(req); err != nil {
		return mfa.Meta{}, store.User{}, err
	}
	if !p.CanActOn(req.GetUserId()) {
		return mfa.Meta{}, store.User{}, errForbidden
	}
	user, err := z.d.Users.GetUser(ctx, req.GetUserId())
	if errors.Is(err, store.ErrNotFound) {
		return mfa.Meta{}, store.User{}, fmt.Errorf("look up user: %w", mfa.ErrUserNotFound)
	}
	if err != nil {
		return mfa.Meta{}, store.User{}, fmt.Errorf("look up user: %w", err)
	}
	return z.d.Meta(r, p, via), user, nil
}

// changeDetails describe the change whose audit event the lifecycle
// returned.
func changeDetails(user store.User, ev mfa.Event) *zitadelpb.Details {
	ts := timestamppb.New(ev.Time.UTC())
	return &zitadelpb.Details{
		Sequence:      uint64(ev.ID),
		ChangeDate:    ts,
		ResourceOwner: strconv.FormatInt(user.OrgID, 10),
		CreationDate:  ts,
	}
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
		z.writeError(w, r, errMethodNotAllowed)
	}
}

// gRPC, gRPC-Web and Connect.

func (z *zitadel) RegisterTOTP(ctx context.Context, req *connect.Request[zitadelpb.RegisterTOTPRequest]) (*connect.Response[zitadelpb.RegisterTOTPResponse], error) {
	resp, err := z.register(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) VerifyTOTPRegistration(ctx context.Context, req *connect.Request[zitadelpb.VerifyTOTPRegistrationRequest]) (*connect.Response[zitadelpb.VerifyTOTPRegistrationResponse], error) {
	resp, err := z.verify(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) RemoveTOTP(ctx context.Context, req *connect.Request[zitadelpb.RemoveTOTPRequest]) (*connect.Response[zitadelpb.RemoveTOTPResponse], error) {
	resp, err := z.remove(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

// caller is the part of an RPC's HTTP request that says who calls:
// its headers (metadata) and the peer's address, which is what
// authentication and the audit record read.
func caller(req connect.AnyRequest) *http.Request {
	return &http.Request{Header: req.Header(), RemoteAddr: req.Peer().Addr}
}
