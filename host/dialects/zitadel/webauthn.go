package zitadel

// Zitadel's user service v2, the passkey and U2F registration methods,
// each served by the WebAuthn factor instance its route names
// (dialects.RouteZitadelPasskey, dialects.RouteZitadelU2F):
//
//	POST /v2/users/{userId}/passkeys            {"authenticator":"...","domain":"..."}      -> {"details":{...},"passkeyId":"...","publicKeyCredentialCreationOptions":{"publicKey":{...}}}
//	POST /v2/users/{userId}/passkeys/{passkeyId} {"publicKeyCredential":{...},"passkeyName":"..."} -> {"details":{...}}
//	POST /v2/users/{userId}/u2f                 {"domain":"..."}                              -> {"details":{...},"u2fId":"...","publicKeyCredentialCreationOptions":{"publicKey":{...}}}
//	POST /v2/users/{userId}/u2f/{u2fId}          {"publicKeyCredential":{...},"tokenName":"..."}   -> {"details":{...}}
//	POST /zitadel.user.v2.UserService/{RegisterPasskey,VerifyPasskeyRegistration,RegisterU2F,VerifyU2FRegistration}
//
// The passkey or token id is the pending enrollment's id, which becomes the
// credential's id once verified. A user holds several passkeys and tokens;
// each registration adds one. The domain, when given, must be the factor's
// RP ID. A registration code (Zitadel's registration links) is refused: the
// caller authenticates as for every method of the dialect.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/factorgate/factorgate/host/dialects/zitadelpb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

var (
	errNotRouted        = errors.New("zitadel: no factor serves this method")
	errRegistrationCode = errors.New("zitadel: passkey registration codes are not supported")
	errNoCredential     = errors.New("zitadel: public key credential missing")
)

// registerKeys adds the REST routes of the passkey and U2F methods whose
// routes are present.
func (z *zitadel) registerKeys(mux *http.ServeMux) {
	if z.passkey != "" {
		mux.HandleFunc("POST /v2/users/{userId}/passkeys", z.serveRegisterPasskey)
		mux.HandleFunc("POST /v2/users/{userId}/passkeys/{id}", z.serveVerifyPasskey)
		mux.HandleFunc("/v2/users/{userId}/passkeys", z.methodNotAllowed("POST"))
	}
	if z.u2f != "" {
		mux.HandleFunc("POST /v2/users/{userId}/u2f", z.serveRegisterU2F)
		mux.HandleFunc("POST /v2/users/{userId}/u2f/{id}", z.serveVerifyU2F)
		mux.HandleFunc("/v2/users/{userId}/u2f", z.methodNotAllowed("POST"))
	}
}

// keyRegistration is a passkey or U2F registration the dialect began.
type keyRegistration struct {
	id      string
	options *structpb.Struct
	details *zitadelpb.Details
}

// beginKey starts registering a security key or passkey with factor.
func (z *zitadel) beginKey(ctx context.Context, r *http.Request, req userRequest, factor string, params map[string]string) (keyRegistration, error) {
	if factor == "" {
		return keyRegistration{}, errNotRouted
	}
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return keyRegistration{}, err
	}
	en, err := z.d.MFA.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: user.ID, Factor: factor, Params: params})
	if err != nil {
		return keyRegistration{}, fmt.Errorf("register key: %w", err)
	}
	var options map[string]any
	if err := json.Unmarshal(en.Display.OptionsJSON, &options); err != nil {
		return keyRegistration{}, fmt.Errorf("register key: the factor's creation options: %w", err)
	}
	// Zitadel returns the whole CredentialCreationOptions: {"publicKey": ...}.
	s, err := structpb.NewStruct(map[string]any{"publicKey": options})
	if err != nil {
		return keyRegistration{}, fmt.Errorf("register key: %w", err)
	}
	return keyRegistration{id: en.ID, options: s, details: changeDetails(user, en.Event)}, nil
}

// verifyKey confirms the registration id with the credential the browser
// returned, naming the new credential name.
func (z *zitadel) verifyKey(ctx context.Context, r *http.Request, req userRequest, factor, id, name string, credential *structpb.Struct) (*zitadelpb.Details, error) {
	if factor == "" {
		return nil, errNotRouted
	}
	meta, user, err := z.target(ctx, r, req)
	if err != nil {
		return nil, err
	}
	for field, v := range map[string]string{"Id": id, "Name": name} {
		if err := checkLength(string(req.ProtoReflect().Descriptor().Name()), field, v); err != nil {
			return nil, err
		}
	}
	if credential == nil || len(credential.GetFields()) == 0 {
		return nil, errNoCredential
	}
	payload, err := credential.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("verify key: %w", err)
	}
	c, err := z.d.MFA.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: user.ID, EnrollmentID: id, Factor: factor,
		Proof: sdk.Proof{Payload: payload}, Name: name})
	if err != nil {
		return nil, fmt.Errorf("verify key registration: %w", err)
	}
	return changeDetails(user, c.Event), nil
}

// passkeyParams are the factor's enrollment parameters for a passkey
// registration request.
func passkeyParams(req *zitadelpb.RegisterPasskeyRequest) (map[string]string, error) {
	if req.Code != nil {
		return nil, errRegistrationCode
	}
	params := map[string]string{}
	switch req.GetAuthenticator() {
	case zitadelpb.PasskeyAuthenticator_PASSKEY_AUTHENTICATOR_PLATFORM:
		params["authenticator_attachment"] = "platform"
	case zitadelpb.PasskeyAuthenticator_PASSKEY_AUTHENTICATOR_CROSS_PLATFORM:
		params["authenticator_attachment"] = "cross-platform"
	}
	if d := req.GetDomain(); d != "" {
		params["rp_id"] = d
	}
	return params, nil
}

func (z *zitadel) registerPasskey(ctx context.Context, r *http.Request, req *zitadelpb.RegisterPasskeyRequest) (*zitadelpb.RegisterPasskeyResponse, error) {
	params, err := passkeyParams(req)
	if err != nil {
		return nil, err
	}
	k, err := z.beginKey(ctx, r, req, z.passkey, params)
	if err != nil {
		return nil, err
	}
	return &zitadelpb.RegisterPasskeyResponse{Details: k.details, PasskeyId: k.id, PublicKeyCredentialCreationOptions: k.options}, nil
}

func (z *zitadel) verifyPasskey(ctx context.Context, r *http.Request, req *zitadelpb.VerifyPasskeyRegistrationRequest) (*zitadelpb.VerifyPasskeyRegistrationResponse, error) {
	d, err := z.verifyKey(ctx, r, req, z.passkey, req.GetPasskeyId(), req.GetPasskeyName(), req.GetPublicKeyCredential())
	if err != nil {
		return nil, err
	}
	return &zitadelpb.VerifyPasskeyRegistrationResponse{Details: d}, nil
}

func (z *zitadel) registerU2F(ctx context.Context, r *http.Request, req *zitadelpb.RegisterU2FRequest) (*zitadelpb.RegisterU2FResponse, error) {
	params := map[string]string{}
	if d := req.GetDomain(); d != "" {
		params["rp_id"] = d
	}
	k, err := z.beginKey(ctx, r, req, z.u2f, params)
	if err != nil {
		return nil, err
	}
	return &zitadelpb.RegisterU2FResponse{Details: k.details, U2FId: k.id, PublicKeyCredentialCreationOptions: k.options}, nil
}

func (z *zitadel) verifyU2F(ctx context.Context, r *http.Request, req *zitadelpb.VerifyU2FRegistrationRequest) (*zitadelpb.VerifyU2FRegistrationResponse, error) {
	d, err := z.verifyKey(ctx, r, req, z.u2f, req.GetU2FId(), req.GetTokenName(), req.GetPublicKeyCredential())
	if err != nil {
		return nil, err
	}
	return &zitadelpb.VerifyU2FRegistrationResponse{Details: d}, nil
}

// REST, in grpc-gateway's JSON mapping.

func (z *zitadel) serveRegisterPasskey(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.RegisterPasskeyRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId = r.PathValue("userId")
	resp, err := z.registerPasskey(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) serveVerifyPasskey(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.VerifyPasskeyRegistrationRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId, req.PasskeyId = r.PathValue("userId"), r.PathValue("id")
	resp, err := z.verifyPasskey(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) serveRegisterU2F(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.RegisterU2FRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId = r.PathValue("userId")
	resp, err := z.registerU2F(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

func (z *zitadel) serveVerifyU2F(w http.ResponseWriter, r *http.Request) {
	req := &zitadelpb.VerifyU2FRegistrationRequest{}
	if err := z.readBody(w, r, req); err != nil {
		z.writeError(w, r, err)
		return
	}
	req.UserId, req.U2FId = r.PathValue("userId"), r.PathValue("id")
	resp, err := z.verifyU2F(r.Context(), r, req)
	z.writeResult(w, r, resp, err)
}

// gRPC, gRPC-Web and Connect.

func (z *zitadel) RegisterPasskey(ctx context.Context, req *connect.Request[zitadelpb.RegisterPasskeyRequest]) (*connect.Response[zitadelpb.RegisterPasskeyResponse], error) {
	resp, err := z.registerPasskey(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) VerifyPasskeyRegistration(ctx context.Context, req *connect.Request[zitadelpb.VerifyPasskeyRegistrationRequest]) (*connect.Response[zitadelpb.VerifyPasskeyRegistrationResponse], error) {
	resp, err := z.verifyPasskey(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) RegisterU2F(ctx context.Context, req *connect.Request[zitadelpb.RegisterU2FRequest]) (*connect.Response[zitadelpb.RegisterU2FResponse], error) {
	resp, err := z.registerU2F(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}

func (z *zitadel) VerifyU2FRegistration(ctx context.Context, req *connect.Request[zitadelpb.VerifyU2FRegistrationRequest]) (*connect.Response[zitadelpb.VerifyU2FRegistrationResponse], error) {
	resp, err := z.verifyU2F(ctx, caller(req), req.Msg)
	if err != nil {
		return nil, z.connectError(ctx, err)
	}
	return connect.NewResponse(resp), nil
}
