// The factor contract between the Factorgate host and a factor plugin.
//
// Plugins are stateless: the host owns every byte of state, seals it at rest and
// hands it back with each call. A plugin returns new state; the host commits it
// with compare-and-swap, which is what makes a code single-use across hosts.
// `now` comes from the host on every call so that all plugins share one clock.
//
// A plugin process may serve several factor instances (for example "sms" with
// 6-digit codes and "sms-7" with 7): the host configures each instance by name
// with Configure and names the instance on every later call.
//
// # The wire, for plugins in any language
//
// A plugin is an executable that speaks hashicorp/go-plugin's gRPC protocol. Go
// authors get all of this from sdk.Serve; an author in another language
// implements it as follows.
//
// Start. The host runs the executable with no arguments, an empty working
// environment and these variables only (go-plugin's SkipHostEnv: no PATH, no
// HOME, none of the host's variables, so no host secret leaks into a plugin):
//
//   FACTORGATE_PLUGIN=d3b2a1c4-factorgate-factor-plugin-7f9e   the magic cookie
//   PLUGIN_PROTOCOL_VERSIONS=1        application protocol versions the host speaks
//   PLUGIN_MIN_PORT, PLUGIN_MAX_PORT  the TCP port range to listen in
//   PLUGIN_CLIENT_CERT                the host's certificate (PEM), for AutoMTLS
//
// A plugin started without the magic cookie is being run by hand: it prints a
// short explanation to stderr and exits with a non-zero status. The cookie is
// not a security measure. Because there is no PATH, an interpreted plugin's
// executable must name its interpreter by absolute path (a `#!/bin/sh` launcher
// that execs /usr/bin/node, for example); `#!/usr/bin/env node` finds node only
// where the C library's default search path happens to hold it.
//
// Handshake. The plugin listens on 127.0.0.1 (any port in the range) or on a
// Unix socket, then prints one line to stdout and writes nothing else there:
//
//   1|1|tcp|127.0.0.1:41234|grpc|<server certificate>
//
// The fields are go-plugin's core protocol version (always 1), the factor
// protocol version (1, this file), the network ("tcp" or "unix"), the address,
// the protocol ("grpc"), and the sixth field, the plugin's certificate.
//
// AutoMTLS. The host always sets PLUGIN_CLIENT_CERT. The plugin makes a fresh
// self-signed certificate and key for each start (go-plugin uses ECDSA P-521;
// P-256 works too) with the DNS name "localhost", extended key usages server
// and client authentication, and the CA flag set. It serves TLS 1.2 or later
// with that certificate, requires a client certificate and trusts only
// PLUGIN_CLIENT_CERT. The sixth handshake field is the certificate's DER bytes
// in standard base64 without padding. A plugin that answers without the
// sixth field is refused, as the host's TLS cannot reach it.
//
// Services. Besides FactorService below, the plugin's gRPC server serves:
//   - grpc.health.v1.Health: Check with service "plugin" answers SERVING. The
//     host pings it to tell a live process from a dead one.
//   - plugin.GRPCController (go-plugin): Shutdown(Empty) returns Empty and
//     then ends the process. The host calls it to stop a plugin and kills a
//     process still running two seconds later.
//   - plugin.GRPCStdio (go-plugin): StreamStdio(google.protobuf.Empty) returns
//     a stream of StdioData that may stay open and empty until shutdown.
//     Without it the host logs a warning and carries on.
//
// Logging. Write log lines to stderr as JSON objects, one a line, in hclog's
// form: "@level" (trace, debug, info, warn, error), "@message", "@timestamp"
// ("2006-01-02T15:04:05.000000Z07:00" in Go's notation, UTC), other keys as
// fields. The host re-logs each line with its level and fields under the
// plugin's name; any other line is kept as plain text. Never log a code, a
// secret or a full phone number or email address.
//
// Timeouts. The host gives a plugin 10 seconds to start and print its
// handshake, and every call a gRPC deadline (15 seconds unless the door has a
// shorter one); a factor that sends a message keeps its whole send, retries
// included, within the deadline. A call that is not answered in time fails
// with the deadline's error; the host commits nothing from it.
//
// Errors. A wrong, expired or replayed proof is a Result, never an error. A
// failure that is not a result is a gRPC status with exactly one
// google.rpc.ErrorInfo detail whose domain is "factorgate.dev/factor" and
// whose reason is one of:
//
//   reason              code                 what the host does
//   BAD_STATE           INVALID_ARGUMENT     the state handed in cannot be read: the
//                                            credential is treated as broken
//   INVALID_PARAMS      INVALID_ARGUMENT     the user's parameters are refused (400); the
//                                            status message is shown to the user as is
//   INVALID_SETTINGS    INVALID_ARGUMENT     Configure refused the operator's settings:
//                                            the host does not start
//   UNSUPPORTED         UNIMPLEMENTED        the factor lacks the capability called
//   NOT_CONFIGURED      FAILED_PRECONDITION  the call named an instance never configured:
//                                            503 with Retry-After
//   TEMPORARY           UNAVAILABLE          a failure outside the factor that may pass
//                                            (a gateway down): 503 with Retry-After; the
//                                            factor must have changed no state
//   CANCELED            CANCELLED            the call's context was cancelled
//   DEADLINE_EXCEEDED   DEADLINE_EXCEEDED    the call's deadline passed inside the factor
//   FACTOR_PANIC        INTERNAL             the factor crashed on this input (500)
//   FACTOR_ERROR        INTERNAL             any other failure of the factor (500)
//
// The status message is for the log, except for INVALID_PARAMS; it never holds a
// code or a secret. An unknown reason in the factor's domain is kept as a factor
// error (500; the process stays in service). A plain gRPC status without the
// detail did not come from the factor: the host takes it for a dead process,
// replaces the process and retries the call once on the new one, so a plugin
// must never answer with one.
//
// Checking a plugin. `factorgate plugins check PATH` runs the conformance kit
// against any plugin executable; see the README's section for plugin authors.

// Code generated by protoc-gen-go-grpc. DO NOT EDIT.
// versions:
// - protoc-gen-go-grpc v1.6.2
// - protoc             (unknown)
// source: factor.proto

package factorv1

import (
	context "context"
	grpc "google.golang.org/grpc"
	codes "google.golang.org/grpc/codes"
	status "google.golang.org/grpc/status"
)

// This is a compile-time assertion to ensure that this generated file
// is compatible with the grpc package it is being compiled against.
// Requires gRPC-Go v1.64.0 or later.
const _ = grpc.SupportPackageIsVersion9

const (
	FactorService_Describe_FullMethodName         = "/factorgate.factor.v1.FactorService/Describe"
	FactorService_Configure_FullMethodName        = "/factorgate.factor.v1.FactorService/Configure"
	FactorService_BeginEnrollment_FullMethodName  = "/factorgate.factor.v1.FactorService/BeginEnrollment"
	FactorService_FinishEnrollment_FullMethodName = "/factorgate.factor.v1.FactorService/FinishEnrollment"
	FactorService_Challenge_FullMethodName        = "/factorgate.factor.v1.FactorService/Challenge"
	FactorService_Verify_FullMethodName           = "/factorgate.factor.v1.FactorService/Verify"
	FactorService_Destination_FullMethodName      = "/factorgate.factor.v1.FactorService/Destination"
	FactorService_CredentialKey_FullMethodName    = "/factorgate.factor.v1.FactorService/CredentialKey"
)

// FactorServiceClient is the client API for FactorService service.
//
// For semantics around ctx use and closing/ending streaming RPCs, please refer to https://pkg.go.dev/google.golang.org/grpc/?tab=doc#ClientConn.NewStream.
type FactorServiceClient interface {
	// Describe says what the plugin (or one configured instance of it) is.
	Describe(ctx context.Context, in *DescribeRequest, opts ...grpc.CallOption) (*DescribeResponse, error)
	// Configure creates or replaces the factor instance `instance` with operator settings.
	Configure(ctx context.Context, in *ConfigureRequest, opts ...grpc.CallOption) (*ConfigureResponse, error)
	// BeginEnrollment starts enrolling a user: it returns pending state and what to show.
	BeginEnrollment(ctx context.Context, in *BeginEnrollmentRequest, opts ...grpc.CallOption) (*BeginEnrollmentResponse, error)
	// FinishEnrollment checks the user's proof against the pending state.
	FinishEnrollment(ctx context.Context, in *FinishEnrollmentRequest, opts ...grpc.CallOption) (*FinishEnrollmentResponse, error)
	// Challenge starts a verification that needs one (an SMS sent, WebAuthn options).
	Challenge(ctx context.Context, in *ChallengeRequest, opts ...grpc.CallOption) (*ChallengeResponse, error)
	// Verify checks a proof against an enrolled credential.
	Verify(ctx context.Context, in *VerifyRequest, opts ...grpc.CallOption) (*VerifyResponse, error)
	// Destination names where BeginEnrollment or Challenge would send a code,
	// as an opaque key, before anything is sent, so the host can count what
	// one destination is sent across users and refuse. Optional: only a
	// factor that lists CAPABILITY_DESTINATION is asked.
	Destination(ctx context.Context, in *DestinationRequest, opts ...grpc.CallOption) (*DestinationResponse, error)
	// CredentialKey names the credential a proof refers to (a WebAuthn
	// assertion names its credential ID), without checking the proof and
	// without side effects, so the host can find the user of a discoverable
	// credential (passwordless sign-in) before it calls Verify. Optional: only
	// a factor that lists CAPABILITY_CREDENTIAL_KEY is asked.
	CredentialKey(ctx context.Context, in *CredentialKeyRequest, opts ...grpc.CallOption) (*CredentialKeyResponse, error)
}

type factorServiceClient struct {
	cc grpc.ClientConnInterface
}

func NewFactorServiceClient(cc grpc.ClientConnInterface) FactorServiceClient {
	return &factorServiceClient{cc}
}

func (c *factorServiceClient) Describe(ctx context.Context, in *DescribeRequest, opts ...grpc.CallOption) (*DescribeResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DescribeResponse)
	err := c.cc.Invoke(ctx, FactorService_Describe_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) Configure(ctx context.Context, in *ConfigureRequest, opts ...grpc.CallOption) (*ConfigureResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ConfigureResponse)
	err := c.cc.Invoke(ctx, FactorService_Configure_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) BeginEnrollment(ctx context.Context, in *BeginEnrollmentRequest, opts ...grpc.CallOption) (*BeginEnrollmentResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(BeginEnrollmentResponse)
	err := c.cc.Invoke(ctx, FactorService_BeginEnrollment_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) FinishEnrollment(ctx context.Context, in *FinishEnrollmentRequest, opts ...grpc.CallOption) (*FinishEnrollmentResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(FinishEnrollmentResponse)
	err := c.cc.Invoke(ctx, FactorService_FinishEnrollment_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) Challenge(ctx context.Context, in *ChallengeRequest, opts ...grpc.CallOption) (*ChallengeResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(ChallengeResponse)
	err := c.cc.Invoke(ctx, FactorService_Challenge_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) Verify(ctx context.Context, in *VerifyRequest, opts ...grpc.CallOption) (*VerifyResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(VerifyResponse)
	err := c.cc.Invoke(ctx, FactorService_Verify_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) Destination(ctx context.Context, in *DestinationRequest, opts ...grpc.CallOption) (*DestinationResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(DestinationResponse)
	err := c.cc.Invoke(ctx, FactorService_Destination_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *factorServiceClient) CredentialKey(ctx context.Context, in *CredentialKeyRequest, opts ...grpc.CallOption) (*CredentialKeyResponse, error) {
	cOpts := append([]grpc.CallOption{grpc.StaticMethod()}, opts...)
	out := new(CredentialKeyResponse)
	err := c.cc.Invoke(ctx, FactorService_CredentialKey_FullMethodName, in, out, cOpts...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FactorServiceServer is the server API for FactorService service.
// All implementations must embed UnimplementedFactorServiceServer
// for forward compatibility.
type FactorServiceServer interface {
	// Describe says what the plugin (or one configured instance of it) is.
	Describe(context.Context, *DescribeRequest) (*DescribeResponse, error)
	// Configure creates or replaces the factor instance `instance` with operator settings.
	Configure(context.Context, *ConfigureRequest) (*ConfigureResponse, error)
	// BeginEnrollment starts enrolling a user: it returns pending state and what to show.
	BeginEnrollment(context.Context, *BeginEnrollmentRequest) (*BeginEnrollmentResponse, error)
	// FinishEnrollment checks the user's proof against the pending state.
	FinishEnrollment(context.Context, *FinishEnrollmentRequest) (*FinishEnrollmentResponse, error)
	// Challenge starts a verification that needs one (an SMS sent, WebAuthn options).
	Challenge(context.Context, *ChallengeRequest) (*ChallengeResponse, error)
	// Verify checks a proof against an enrolled credential.
	Verify(context.Context, *VerifyRequest) (*VerifyResponse, error)
	// Destination names where BeginEnrollment or Challenge would send a code,
	// as an opaque key, before anything is sent, so the host can count what
	// one destination is sent across users and refuse. Optional: only a
	// factor that lists CAPABILITY_DESTINATION is asked.
	Destination(context.Context, *DestinationRequest) (*DestinationResponse, error)
	// CredentialKey names the credential a proof refers to (a WebAuthn
	// assertion names its credential ID), without checking the proof and
	// without side effects, so the host can find the user of a discoverable
	// credential (passwordless sign-in) before it calls Verify. Optional: only
	// a factor that lists CAPABILITY_CREDENTIAL_KEY is asked.
	CredentialKey(context.Context, *CredentialKeyRequest) (*CredentialKeyResponse, error)
	mustEmbedUnimplementedFactorServiceServer()
}

// UnimplementedFactorServiceServer must be embedded to have
// forward compatible implementations.
//
// NOTE: this should be embedded by value instead of pointer to avoid a nil
// pointer dereference when methods are called.
type UnimplementedFactorServiceServer struct{}

func (UnimplementedFactorServiceServer) Describe(context.Context, *DescribeRequest) (*DescribeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Describe not implemented")
}
func (UnimplementedFactorServiceServer) Configure(context.Context, *ConfigureRequest) (*ConfigureResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Configure not implemented")
}
func (UnimplementedFactorServiceServer) BeginEnrollment(context.Context, *BeginEnrollmentRequest) (*BeginEnrollmentResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method BeginEnrollment not implemented")
}
func (UnimplementedFactorServiceServer) FinishEnrollment(context.Context, *FinishEnrollmentRequest) (*FinishEnrollmentResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method FinishEnrollment not implemented")
}
func (UnimplementedFactorServiceServer) Challenge(context.Context, *ChallengeRequest) (*ChallengeResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Challenge not implemented")
}
func (UnimplementedFactorServiceServer) Verify(context.Context, *VerifyRequest) (*VerifyResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Verify not implemented")
}
func (UnimplementedFactorServiceServer) Destination(context.Context, *DestinationRequest) (*DestinationResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method Destination not implemented")
}
func (UnimplementedFactorServiceServer) CredentialKey(context.Context, *CredentialKeyRequest) (*CredentialKeyResponse, error) {
	return nil, status.Error(codes.Unimplemented, "method CredentialKey not implemented")
}
func (UnimplementedFactorServiceServer) mustEmbedUnimplementedFactorServiceServer() {}
func (UnimplementedFactorServiceServer) testEmbeddedByValue()                       {}

// UnsafeFactorServiceServer may be embedded to opt out of forward compatibility for this service.
// Use of this interface is not recommended, as added methods to FactorServiceServer will
// result in compilation errors.
type UnsafeFactorServiceServer interface {
	mustEmbedUnimplementedFactorServiceServer()
}

func RegisterFactorServiceServer(s grpc.ServiceRegistrar, srv FactorServiceServer) {
	// If the following call panics, it indicates UnimplementedFactorServiceServer was
	// embedded by pointer and is nil.  This will cause panics if an
	// unimplemented method is ever invoked, so we test this at initialization
	// time to prevent it from happening at runtime later due to I/O.
	if t, ok := srv.(interface{ testEmbeddedByValue() }); ok {
		t.testEmbeddedByValue()
	}
	s.RegisterService(&FactorService_ServiceDesc, srv)
}

func _FactorService_Describe_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DescribeRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).Describe(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_Describe_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).Describe(ctx, req.(*DescribeRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_Configure_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ConfigureRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).Configure(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_Configure_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).Configure(ctx, req.(*ConfigureRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_BeginEnrollment_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(BeginEnrollmentRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).BeginEnrollment(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_BeginEnrollment_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).BeginEnrollment(ctx, req.(*BeginEnrollmentRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_FinishEnrollment_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(FinishEnrollmentRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).FinishEnrollment(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_FinishEnrollment_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).FinishEnrollment(ctx, req.(*FinishEnrollmentRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_Challenge_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(ChallengeRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).Challenge(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_Challenge_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).Challenge(ctx, req.(*ChallengeRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_Verify_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(VerifyRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).Verify(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_Verify_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).Verify(ctx, req.(*VerifyRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_Destination_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(DestinationRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).Destination(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_Destination_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).Destination(ctx, req.(*DestinationRequest))
	}
	return interceptor(ctx, in, info, handler)
}

func _FactorService_CredentialKey_Handler(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
	in := new(CredentialKeyRequest)
	if err := dec(in); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return srv.(FactorServiceServer).CredentialKey(ctx, in)
	}
	info := &grpc.UnaryServerInfo{
		Server:     srv,
		FullMethod: FactorService_CredentialKey_FullMethodName,
	}
	handler := func(ctx context.Context, req interface{}) (interface{}, error) {
		return srv.(FactorServiceServer).CredentialKey(ctx, req.(*CredentialKeyRequest))
	}
	return interceptor(ctx, in, info, handler)
}

// FactorService_ServiceDesc is the grpc.ServiceDesc for FactorService service.
// It's only intended for direct use with grpc.RegisterService,
// and not to be introspected or modified (even as a copy)
var FactorService_ServiceDesc = grpc.ServiceDesc{
	ServiceName: "factorgate.factor.v1.FactorService",
	HandlerType: (*FactorServiceServer)(nil),
	Methods: []grpc.MethodDesc{
		{
			MethodName: "Describe",
			Handler:    _FactorService_Describe_Handler,
		},
		{
			MethodName: "Configure",
			Handler:    _FactorService_Configure_Handler,
		},
		{
			MethodName: "BeginEnrollment",
			Handler:    _FactorService_BeginEnrollment_Handler,
		},
		{
			MethodName: "FinishEnrollment",
			Handler:    _FactorService_FinishEnrollment_Handler,
		},
		{
			MethodName: "Challenge",
			Handler:    _FactorService_Challenge_Handler,
		},
		{
			MethodName: "Verify",
			Handler:    _FactorService_Verify_Handler,
		},
		{
			MethodName: "Destination",
			Handler:    _FactorService_Destination_Handler,
		},
		{
			MethodName: "CredentialKey",
			Handler:    _FactorService_CredentialKey_Handler,
		},
	},
	Streams:  []grpc.StreamDesc{},
	Metadata: "factor.proto",
}
