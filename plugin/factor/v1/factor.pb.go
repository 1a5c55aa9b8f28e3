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

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        (unknown)
// source: factor.proto

package factorv1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	durationpb "google.golang.org/protobuf/types/known/durationpb"
	timestamppb "google.golang.org/protobuf/types/known/timestamppb"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// Result is the outcome of checking a proof. A wrong code is a result, not an RPC error.
type Result int32

const (
	Result_RESULT_UNSPECIFIED Result = 0
	// The proof is valid; any state returned must be committed.
	Result_RESULT_OK Result = 1
	// The proof is wrong or malformed.
	Result_RESULT_INVALID Result = 2
	// The enrollment, challenge or code is past its lifetime.
	Result_RESULT_EXPIRED Result = 3
	// The proof was valid once and has been used already.
	Result_RESULT_REPLAYED Result = 4
	// The factor refuses further attempts on this state (for example a code's attempts are spent).
	Result_RESULT_LOCKED_BY_FACTOR Result = 5
	// The request came too soon after the previous one (for example an SMS resend); see retry_after.
	Result_RESULT_THROTTLED Result = 6
)

// Enum value maps for Result.
var (
	Result_name = map[int32]string{
		0: "RESULT_UNSPECIFIED",
		1: "RESULT_OK",
		2: "RESULT_INVALID",
		3: "RESULT_EXPIRED",
		4: "RESULT_REPLAYED",
		5: "RESULT_LOCKED_BY_FACTOR",
		6: "RESULT_THROTTLED",
	}
	Result_value = map[string]int32{
		"RESULT_UNSPECIFIED":      0,
		"RESULT_OK":               1,
		"RESULT_INVALID":          2,
		"RESULT_EXPIRED":          3,
		"RESULT_REPLAYED":         4,
		"RESULT_LOCKED_BY_FACTOR": 5,
		"RESULT_THROTTLED":        6,
	}
)

func (x Result) Enum() *Result {
	p := new(Result)
	*p = x
	return p
}

func (x Result) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Result) Descriptor() protoreflect.EnumDescriptor {
	return file_factor_proto_enumTypes[0].Descriptor()
}

func (Result) Type() protoreflect.EnumType {
	return &file_factor_proto_enumTypes[0]
}

func (x Result) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Result.Descriptor instead.
func (Result) EnumDescriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{0}
}

// Capability is an optional part of the contract that a factor implements.
type Capability int32

const (
	Capability_CAPABILITY_UNSPECIFIED Capability = 0
	// BeginEnrollment and FinishEnrollment.
	Capability_CAPABILITY_ENROLL Capability = 1
	// Challenge before Verify.
	Capability_CAPABILITY_CHALLENGE Capability = 2
	// Configure accepts operator settings.
	Capability_CAPABILITY_CONFIGURE Capability = 3
	// Destination names where a code would be sent.
	Capability_CAPABILITY_DESTINATION Capability = 4
	// CredentialKey names the credential a proof refers to.
	Capability_CAPABILITY_CREDENTIAL_KEY Capability = 5
)

// Enum value maps for Capability.
var (
	Capability_name = map[int32]string{
		0: "CAPABILITY_UNSPECIFIED",
		1: "CAPABILITY_ENROLL",
		2: "CAPABILITY_CHALLENGE",
		3: "CAPABILITY_CONFIGURE",
		4: "CAPABILITY_DESTINATION",
		5: "CAPABILITY_CREDENTIAL_KEY",
	}
	Capability_value = map[string]int32{
		"CAPABILITY_UNSPECIFIED":    0,
		"CAPABILITY_ENROLL":         1,
		"CAPABILITY_CHALLENGE":      2,
		"CAPABILITY_CONFIGURE":      3,
		"CAPABILITY_DESTINATION":    4,
		"CAPABILITY_CREDENTIAL_KEY": 5,
	}
)

func (x Capability) Enum() *Capability {
	p := new(Capability)
	*p = x
	return p
}

func (x Capability) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Capability) Descriptor() protoreflect.EnumDescriptor {
	return file_factor_proto_enumTypes[1].Descriptor()
}

func (Capability) Type() protoreflect.EnumType {
	return &file_factor_proto_enumTypes[1]
}

func (x Capability) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Capability.Descriptor instead.
func (Capability) EnumDescriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{1}
}

// ProofKind is how a user proves a factor, which tells every door what to
// offer and how to ask for the proof.
type ProofKind int32

const (
	// Not declared. The doors offer such a factor only where a typed code works.
	ProofKind_PROOF_KIND_UNSPECIFIED ProofKind = 0
	// The user types a code they already hold (an authenticator app, a backup
	// code): Proof.code, no Challenge needed before Verify.
	ProofKind_PROOF_KIND_TYPED_CODE ProofKind = 1
	// The factor sends a code to the user (text message, email) in Challenge and
	// in BeginEnrollment; the user types it back as Proof.code. Requires
	// CAPABILITY_CHALLENGE.
	ProofKind_PROOF_KIND_SENT_CODE ProofKind = 2
	// The user's browser or device runs a ceremony (WebAuthn) with the options in
	// Display.options_json and returns its answer as Proof.payload. Requires
	// CAPABILITY_CHALLENGE.
	ProofKind_PROOF_KIND_BROWSER_CEREMONY ProofKind = 3
)

// Enum value maps for ProofKind.
var (
	ProofKind_name = map[int32]string{
		0: "PROOF_KIND_UNSPECIFIED",
		1: "PROOF_KIND_TYPED_CODE",
		2: "PROOF_KIND_SENT_CODE",
		3: "PROOF_KIND_BROWSER_CEREMONY",
	}
	ProofKind_value = map[string]int32{
		"PROOF_KIND_UNSPECIFIED":      0,
		"PROOF_KIND_TYPED_CODE":       1,
		"PROOF_KIND_SENT_CODE":        2,
		"PROOF_KIND_BROWSER_CEREMONY": 3,
	}
)

func (x ProofKind) Enum() *ProofKind {
	p := new(ProofKind)
	*p = x
	return p
}

func (x ProofKind) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (ProofKind) Descriptor() protoreflect.EnumDescriptor {
	return file_factor_proto_enumTypes[2].Descriptor()
}

func (ProofKind) Type() protoreflect.EnumType {
	return &file_factor_proto_enumTypes[2]
}

func (x ProofKind) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use ProofKind.Descriptor instead.
func (ProofKind) EnumDescriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{2}
}

// User is who the call is about. Factors use it for labels (the otpauth account
// name) and destinations (a phone number given at enrollment).
type User struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Id            string                 `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	Name          string                 `protobuf:"bytes,2,opt,name=name,proto3" json:"name,omitempty"`
	Phone         string                 `protobuf:"bytes,3,opt,name=phone,proto3" json:"phone,omitempty"`
	Email         string                 `protobuf:"bytes,4,opt,name=email,proto3" json:"email,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *User) Reset() {
	*x = User{}
	mi := &file_factor_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *User) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*User) ProtoMessage() {}

func (x *User) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use User.ProtoReflect.Descriptor instead.
func (*User) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{0}
}

func (x *User) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *User) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *User) GetPhone() string {
	if x != nil {
		return x.Phone
	}
	return ""
}

func (x *User) GetEmail() string {
	if x != nil {
		return x.Email
	}
	return ""
}

// Proof is what the user presents: a typed code, or a structured payload such as a
// WebAuthn assertion in JSON.
type Proof struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Code          string                 `protobuf:"bytes,1,opt,name=code,proto3" json:"code,omitempty"`
	Payload       []byte                 `protobuf:"bytes,2,opt,name=payload,proto3" json:"payload,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Proof) Reset() {
	*x = Proof{}
	mi := &file_factor_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Proof) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Proof) ProtoMessage() {}

func (x *Proof) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Proof.ProtoReflect.Descriptor instead.
func (*Proof) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{1}
}

func (x *Proof) GetCode() string {
	if x != nil {
		return x.Code
	}
	return ""
}

func (x *Proof) GetPayload() []byte {
	if x != nil {
		return x.Payload
	}
	return nil
}

// Display is what the host may show the user. Every field is optional.
type Display struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// A shared secret to type into an authenticator app (base32 for TOTP).
	Secret string `protobuf:"bytes,1,opt,name=secret,proto3" json:"secret,omitempty"`
	// A provisioning URI such as otpauth://totp/...
	Uri string `protobuf:"bytes,2,opt,name=uri,proto3" json:"uri,omitempty"`
	// A QR code of uri as a PNG image.
	QrPng []byte `protobuf:"bytes,3,opt,name=qr_png,json=qrPng,proto3" json:"qr_png,omitempty"`
	// Where a code was sent, masked ("+61 4** *** 789").
	MaskedDestination string `protobuf:"bytes,4,opt,name=masked_destination,json=maskedDestination,proto3" json:"masked_destination,omitempty"`
	// One-time codes shown once (backup codes).
	Codes []string `protobuf:"bytes,5,rep,name=codes,proto3" json:"codes,omitempty"`
	// How many one-time codes remain unused, when the factor counts them.
	Remaining int32 `protobuf:"varint,6,opt,name=remaining,proto3" json:"remaining,omitempty"`
	// Options for a client-side ceremony as JSON (WebAuthn creation/request options).
	OptionsJson []byte `protobuf:"bytes,7,opt,name=options_json,json=optionsJson,proto3" json:"options_json,omitempty"`
	// A short message for the user, never containing a secret.
	Message string `protobuf:"bytes,8,opt,name=message,proto3" json:"message,omitempty"`
	// When the enrollment, challenge or code stops being accepted.
	ExpiresAt *timestamppb.Timestamp `protobuf:"bytes,9,opt,name=expires_at,json=expiresAt,proto3" json:"expires_at,omitempty"`
	// Factor-specific values a front end may show.
	Extra         map[string]string `protobuf:"bytes,10,rep,name=extra,proto3" json:"extra,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Display) Reset() {
	*x = Display{}
	mi := &file_factor_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Display) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Display) ProtoMessage() {}

func (x *Display) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Display.ProtoReflect.Descriptor instead.
func (*Display) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{2}
}

func (x *Display) GetSecret() string {
	if x != nil {
		return x.Secret
	}
	return ""
}

func (x *Display) GetUri() string {
	if x != nil {
		return x.Uri
	}
	return ""
}

func (x *Display) GetQrPng() []byte {
	if x != nil {
		return x.QrPng
	}
	return nil
}

func (x *Display) GetMaskedDestination() string {
	if x != nil {
		return x.MaskedDestination
	}
	return ""
}

func (x *Display) GetCodes() []string {
	if x != nil {
		return x.Codes
	}
	return nil
}

func (x *Display) GetRemaining() int32 {
	if x != nil {
		return x.Remaining
	}
	return 0
}

func (x *Display) GetOptionsJson() []byte {
	if x != nil {
		return x.OptionsJson
	}
	return nil
}

func (x *Display) GetMessage() string {
	if x != nil {
		return x.Message
	}
	return ""
}

func (x *Display) GetExpiresAt() *timestamppb.Timestamp {
	if x != nil {
		return x.ExpiresAt
	}
	return nil
}

func (x *Display) GetExtra() map[string]string {
	if x != nil {
		return x.Extra
	}
	return nil
}

type DescribeRequest struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The configured instance to describe; empty describes the plugin itself.
	Instance      string `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DescribeRequest) Reset() {
	*x = DescribeRequest{}
	mi := &file_factor_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DescribeRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DescribeRequest) ProtoMessage() {}

func (x *DescribeRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DescribeRequest.ProtoReflect.Descriptor instead.
func (*DescribeRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{3}
}

func (x *DescribeRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

type DescribeResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// Machine name of the factor ("totp"), lowercase letters, digits and dashes.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// Human name ("Authenticator app").
	DisplayName string `protobuf:"bytes,2,opt,name=display_name,json=displayName,proto3" json:"display_name,omitempty"`
	// Version of the factor implementation (semantic version).
	Version string `protobuf:"bytes,3,opt,name=version,proto3" json:"version,omitempty"`
	// Authentication method reference values this factor proves (RFC 8176: "otp", "sms", "hwk").
	Amr          []string     `protobuf:"bytes,4,rep,name=amr,proto3" json:"amr,omitempty"`
	Capabilities []Capability `protobuf:"varint,5,rep,packed,name=capabilities,proto3,enum=factorgate.factor.v1.Capability" json:"capabilities,omitempty"`
	// How long an unconfirmed enrollment stays valid.
	EnrollmentTtl *durationpb.Duration `protobuf:"bytes,6,opt,name=enrollment_ttl,json=enrollmentTtl,proto3" json:"enrollment_ttl,omitempty"`
	// FinishEnrollment accepts an empty proof (backup codes are active once
	// shown), so the host confirms the enrollment as soon as it begins.
	ConfirmsWithoutProof bool `protobuf:"varint,7,opt,name=confirms_without_proof,json=confirmsWithoutProof,proto3" json:"confirms_without_proof,omitempty"`
	// How the user proves the factor. The host's doors decide what to offer and
	// how to ask for the proof from this, never from the factor's name or AMR.
	ProofKind ProofKind `protobuf:"varint,8,opt,name=proof_kind,json=proofKind,proto3,enum=factorgate.factor.v1.ProofKind" json:"proof_kind,omitempty"`
	// What an enrollment asks the user for (a phone number, an email address),
	// in the order a form shows them; they arrive as BeginEnrollmentRequest's
	// params under their names.
	EnrollParams []*EnrollParam `protobuf:"bytes,9,rep,name=enroll_params,json=enrollParams,proto3" json:"enroll_params,omitempty"`
	// A user may hold several active credentials of this factor instance (a
	// phone passkey and two security keys). Such a factor:
	//   - returns a credential_key from FinishEnrollment: a public, stable
	//     identifier of the new credential (the WebAuthn credential ID in
	//     base64url), unique within the instance; the host stores it beside
	//     the credential and refuses a second credential with the same key;
	//   - gets every active credential of the user in `credentials` (key and
	//     state) in BeginEnrollment, Challenge and Verify, with
	//     credential_state empty, so one call builds the options or checks a
	//     proof against all of them;
	//   - answers Verify with the credential_key of the credential the proof
	//     used, and that credential's new state in credential_state. The host
	//     commits it with compare-and-swap on that one credential.
	//
	// The host lists each credential with the name the user gave it at
	// enrollment (the "name" enrollment parameter) and removes them one by one.
	// A factor that leaves this false (every factor written before it existed)
	// has at most one active credential per user, as before.
	MultipleCredentials bool `protobuf:"varint,10,opt,name=multiple_credentials,json=multipleCredentials,proto3" json:"multiple_credentials,omitempty"`
	unknownFields       protoimpl.UnknownFields
	sizeCache           protoimpl.SizeCache
}

func (x *DescribeResponse) Reset() {
	*x = DescribeResponse{}
	mi := &file_factor_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DescribeResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DescribeResponse) ProtoMessage() {}

func (x *DescribeResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DescribeResponse.ProtoReflect.Descriptor instead.
func (*DescribeResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{4}
}

func (x *DescribeResponse) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *DescribeResponse) GetDisplayName() string {
	if x != nil {
		return x.DisplayName
	}
	return ""
}

func (x *DescribeResponse) GetVersion() string {
	if x != nil {
		return x.Version
	}
	return ""
}

func (x *DescribeResponse) GetAmr() []string {
	if x != nil {
		return x.Amr
	}
	return nil
}

func (x *DescribeResponse) GetCapabilities() []Capability {
	if x != nil {
		return x.Capabilities
	}
	return nil
}

func (x *DescribeResponse) GetEnrollmentTtl() *durationpb.Duration {
	if x != nil {
		return x.EnrollmentTtl
	}
	return nil
}

func (x *DescribeResponse) GetConfirmsWithoutProof() bool {
	if x != nil {
		return x.ConfirmsWithoutProof
	}
	return false
}

func (x *DescribeResponse) GetProofKind() ProofKind {
	if x != nil {
		return x.ProofKind
	}
	return ProofKind_PROOF_KIND_UNSPECIFIED
}

func (x *DescribeResponse) GetEnrollParams() []*EnrollParam {
	if x != nil {
		return x.EnrollParams
	}
	return nil
}

func (x *DescribeResponse) GetMultipleCredentials() bool {
	if x != nil {
		return x.MultipleCredentials
	}
	return false
}

// Credential is one active credential of a user, for a factor with
// multiple_credentials.
type Credential struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The credential_key FinishEnrollment returned for it.
	Key string `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	// Its state, as last committed.
	State         []byte `protobuf:"bytes,2,opt,name=state,proto3" json:"state,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Credential) Reset() {
	*x = Credential{}
	mi := &file_factor_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Credential) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Credential) ProtoMessage() {}

func (x *Credential) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Credential.ProtoReflect.Descriptor instead.
func (*Credential) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{5}
}

func (x *Credential) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *Credential) GetState() []byte {
	if x != nil {
		return x.State
	}
	return nil
}

// EnrollParam is one value an enrollment asks the user for.
type EnrollParam struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The key in BeginEnrollmentRequest.params ("phone", "email").
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// A label for people ("Mobile number").
	Label string `protobuf:"bytes,2,opt,name=label,proto3" json:"label,omitempty"`
	// What kind of value it is, as an HTML input type: "tel", "email" or "text".
	// Doors choose how to ask from it (an OAuth MFA API maps "tel" to the sms
	// channel and "email" to the email channel).
	InputType string `protobuf:"bytes,3,opt,name=input_type,json=inputType,proto3" json:"input_type,omitempty"`
	// The enrollment works without it (the factor falls back, e.g. to the
	// user's own email address).
	Optional      bool `protobuf:"varint,4,opt,name=optional,proto3" json:"optional,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *EnrollParam) Reset() {
	*x = EnrollParam{}
	mi := &file_factor_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *EnrollParam) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*EnrollParam) ProtoMessage() {}

func (x *EnrollParam) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use EnrollParam.ProtoReflect.Descriptor instead.
func (*EnrollParam) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{6}
}

func (x *EnrollParam) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *EnrollParam) GetLabel() string {
	if x != nil {
		return x.Label
	}
	return ""
}

func (x *EnrollParam) GetInputType() string {
	if x != nil {
		return x.InputType
	}
	return ""
}

func (x *EnrollParam) GetOptional() bool {
	if x != nil {
		return x.Optional
	}
	return false
}

type ConfigureRequest struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	Instance string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	// Operator settings as a JSON object.
	SettingsJson []byte `protobuf:"bytes,2,opt,name=settings_json,json=settingsJson,proto3" json:"settings_json,omitempty"`
	// A secret key (32 bytes) for naming destinations in Destination: the
	// same for every process and every host sharing a database, never stored
	// by the host in plain form. A factor keys a hash of the destination with
	// it, so that whoever reads the host's database cannot recover a phone
	// number from its name by trying every number. Empty when the host gives
	// none; a factor then answers Destination with an empty destination.
	DestinationKey []byte `protobuf:"bytes,3,opt,name=destination_key,json=destinationKey,proto3" json:"destination_key,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *ConfigureRequest) Reset() {
	*x = ConfigureRequest{}
	mi := &file_factor_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ConfigureRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ConfigureRequest) ProtoMessage() {}

func (x *ConfigureRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ConfigureRequest.ProtoReflect.Descriptor instead.
func (*ConfigureRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{7}
}

func (x *ConfigureRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *ConfigureRequest) GetSettingsJson() []byte {
	if x != nil {
		return x.SettingsJson
	}
	return nil
}

func (x *ConfigureRequest) GetDestinationKey() []byte {
	if x != nil {
		return x.DestinationKey
	}
	return nil
}

type ConfigureResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// The instance as configured.
	Description   *DescribeResponse `protobuf:"bytes,1,opt,name=description,proto3" json:"description,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ConfigureResponse) Reset() {
	*x = ConfigureResponse{}
	mi := &file_factor_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ConfigureResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ConfigureResponse) ProtoMessage() {}

func (x *ConfigureResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ConfigureResponse.ProtoReflect.Descriptor instead.
func (*ConfigureResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{8}
}

func (x *ConfigureResponse) GetDescription() *DescribeResponse {
	if x != nil {
		return x.Description
	}
	return nil
}

type BeginEnrollmentRequest struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	Instance string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	User     *User                  `protobuf:"bytes,2,opt,name=user,proto3" json:"user,omitempty"`
	// Enrollment parameters from the user ("phone" for SMS, "label", ...).
	Params map[string]string      `protobuf:"bytes,3,rep,name=params,proto3" json:"params,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Now    *timestamppb.Timestamp `protobuf:"bytes,4,opt,name=now,proto3" json:"now,omitempty"`
	// For a factor with multiple_credentials: the user's active credentials,
	// so the factor can keep the same authenticator from registering twice.
	Credentials   []*Credential `protobuf:"bytes,5,rep,name=credentials,proto3" json:"credentials,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BeginEnrollmentRequest) Reset() {
	*x = BeginEnrollmentRequest{}
	mi := &file_factor_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BeginEnrollmentRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BeginEnrollmentRequest) ProtoMessage() {}

func (x *BeginEnrollmentRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BeginEnrollmentRequest.ProtoReflect.Descriptor instead.
func (*BeginEnrollmentRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{9}
}

func (x *BeginEnrollmentRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *BeginEnrollmentRequest) GetUser() *User {
	if x != nil {
		return x.User
	}
	return nil
}

func (x *BeginEnrollmentRequest) GetParams() map[string]string {
	if x != nil {
		return x.Params
	}
	return nil
}

func (x *BeginEnrollmentRequest) GetNow() *timestamppb.Timestamp {
	if x != nil {
		return x.Now
	}
	return nil
}

func (x *BeginEnrollmentRequest) GetCredentials() []*Credential {
	if x != nil {
		return x.Credentials
	}
	return nil
}

type BeginEnrollmentResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	PendingState  []byte                 `protobuf:"bytes,1,opt,name=pending_state,json=pendingState,proto3" json:"pending_state,omitempty"`
	Display       *Display               `protobuf:"bytes,2,opt,name=display,proto3" json:"display,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *BeginEnrollmentResponse) Reset() {
	*x = BeginEnrollmentResponse{}
	mi := &file_factor_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *BeginEnrollmentResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*BeginEnrollmentResponse) ProtoMessage() {}

func (x *BeginEnrollmentResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use BeginEnrollmentResponse.ProtoReflect.Descriptor instead.
func (*BeginEnrollmentResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{10}
}

func (x *BeginEnrollmentResponse) GetPendingState() []byte {
	if x != nil {
		return x.PendingState
	}
	return nil
}

func (x *BeginEnrollmentResponse) GetDisplay() *Display {
	if x != nil {
		return x.Display
	}
	return nil
}

type FinishEnrollmentRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Instance      string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	User          *User                  `protobuf:"bytes,2,opt,name=user,proto3" json:"user,omitempty"`
	PendingState  []byte                 `protobuf:"bytes,3,opt,name=pending_state,json=pendingState,proto3" json:"pending_state,omitempty"`
	Proof         *Proof                 `protobuf:"bytes,4,opt,name=proof,proto3" json:"proof,omitempty"`
	Now           *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=now,proto3" json:"now,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *FinishEnrollmentRequest) Reset() {
	*x = FinishEnrollmentRequest{}
	mi := &file_factor_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *FinishEnrollmentRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*FinishEnrollmentRequest) ProtoMessage() {}

func (x *FinishEnrollmentRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use FinishEnrollmentRequest.ProtoReflect.Descriptor instead.
func (*FinishEnrollmentRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{11}
}

func (x *FinishEnrollmentRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *FinishEnrollmentRequest) GetUser() *User {
	if x != nil {
		return x.User
	}
	return nil
}

func (x *FinishEnrollmentRequest) GetPendingState() []byte {
	if x != nil {
		return x.PendingState
	}
	return nil
}

func (x *FinishEnrollmentRequest) GetProof() *Proof {
	if x != nil {
		return x.Proof
	}
	return nil
}

func (x *FinishEnrollmentRequest) GetNow() *timestamppb.Timestamp {
	if x != nil {
		return x.Now
	}
	return nil
}

type FinishEnrollmentResponse struct {
	state  protoimpl.MessageState `protogen:"open.v1"`
	Result Result                 `protobuf:"varint,1,opt,name=result,proto3,enum=factorgate.factor.v1.Result" json:"result,omitempty"`
	// The enrolled credential's state; set when result is RESULT_OK.
	CredentialState []byte `protobuf:"bytes,2,opt,name=credential_state,json=credentialState,proto3" json:"credential_state,omitempty"`
	// Replacement pending state (an attempt counted, for example); absent means unchanged.
	PendingState []byte   `protobuf:"bytes,3,opt,name=pending_state,json=pendingState,proto3,oneof" json:"pending_state,omitempty"`
	Display      *Display `protobuf:"bytes,4,opt,name=display,proto3" json:"display,omitempty"`
	// A short, user-safe reason for a result other than OK.
	Reason     string               `protobuf:"bytes,5,opt,name=reason,proto3" json:"reason,omitempty"`
	RetryAfter *durationpb.Duration `protobuf:"bytes,6,opt,name=retry_after,json=retryAfter,proto3" json:"retry_after,omitempty"`
	// For a factor with multiple_credentials: the new credential's public key
	// (see DescribeResponse.multiple_credentials); required with RESULT_OK.
	CredentialKey string `protobuf:"bytes,7,opt,name=credential_key,json=credentialKey,proto3" json:"credential_key,omitempty"`
	// The authentication method reference values this enrollment's proof
	// proved, when they differ from the description's (as in VerifyResponse:
	// "user" only when a WebAuthn registration verified the user). Empty means
	// the description's amr.
	Amr []string `protobuf:"bytes,8,rep,name=amr,proto3" json:"amr,omitempty"`
	// The authenticator verified the user as part of the proof (as in
	// VerifyResponse).
	UserVerified  bool `protobuf:"varint,9,opt,name=user_verified,json=userVerified,proto3" json:"user_verified,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *FinishEnrollmentResponse) Reset() {
	*x = FinishEnrollmentResponse{}
	mi := &file_factor_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *FinishEnrollmentResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*FinishEnrollmentResponse) ProtoMessage() {}

func (x *FinishEnrollmentResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use FinishEnrollmentResponse.ProtoReflect.Descriptor instead.
func (*FinishEnrollmentResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{12}
}

func (x *FinishEnrollmentResponse) GetResult() Result {
	if x != nil {
		return x.Result
	}
	return Result_RESULT_UNSPECIFIED
}

func (x *FinishEnrollmentResponse) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *FinishEnrollmentResponse) GetPendingState() []byte {
	if x != nil {
		return x.PendingState
	}
	return nil
}

func (x *FinishEnrollmentResponse) GetDisplay() *Display {
	if x != nil {
		return x.Display
	}
	return nil
}

func (x *FinishEnrollmentResponse) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *FinishEnrollmentResponse) GetRetryAfter() *durationpb.Duration {
	if x != nil {
		return x.RetryAfter
	}
	return nil
}

func (x *FinishEnrollmentResponse) GetCredentialKey() string {
	if x != nil {
		return x.CredentialKey
	}
	return ""
}

func (x *FinishEnrollmentResponse) GetAmr() []string {
	if x != nil {
		return x.Amr
	}
	return nil
}

func (x *FinishEnrollmentResponse) GetUserVerified() bool {
	if x != nil {
		return x.UserVerified
	}
	return false
}

type ChallengeRequest struct {
	state    protoimpl.MessageState `protogen:"open.v1"`
	Instance string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	// Empty (no id) for a challenge of a discoverable credential, when the
	// user is not known yet (passwordless sign-in): the factor then issues
	// options that let the authenticator choose any of its credentials.
	User            *User                  `protobuf:"bytes,2,opt,name=user,proto3" json:"user,omitempty"`
	CredentialState []byte                 `protobuf:"bytes,3,opt,name=credential_state,json=credentialState,proto3" json:"credential_state,omitempty"`
	Params          map[string]string      `protobuf:"bytes,4,rep,name=params,proto3" json:"params,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	Now             *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=now,proto3" json:"now,omitempty"`
	// For a factor with multiple_credentials: the user's active credentials
	// (empty for a discoverable challenge); credential_state is then empty.
	Credentials   []*Credential `protobuf:"bytes,6,rep,name=credentials,proto3" json:"credentials,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *ChallengeRequest) Reset() {
	*x = ChallengeRequest{}
	mi := &file_factor_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ChallengeRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ChallengeRequest) ProtoMessage() {}

func (x *ChallengeRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ChallengeRequest.ProtoReflect.Descriptor instead.
func (*ChallengeRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{13}
}

func (x *ChallengeRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *ChallengeRequest) GetUser() *User {
	if x != nil {
		return x.User
	}
	return nil
}

func (x *ChallengeRequest) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *ChallengeRequest) GetParams() map[string]string {
	if x != nil {
		return x.Params
	}
	return nil
}

func (x *ChallengeRequest) GetNow() *timestamppb.Timestamp {
	if x != nil {
		return x.Now
	}
	return nil
}

func (x *ChallengeRequest) GetCredentials() []*Credential {
	if x != nil {
		return x.Credentials
	}
	return nil
}

type ChallengeResponse struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// RESULT_OK, or RESULT_THROTTLED with retry_after.
	Result         Result `protobuf:"varint,1,opt,name=result,proto3,enum=factorgate.factor.v1.Result" json:"result,omitempty"`
	ChallengeState []byte `protobuf:"bytes,2,opt,name=challenge_state,json=challengeState,proto3" json:"challenge_state,omitempty"`
	// Replacement credential state (the time of the last send, for example); absent means unchanged.
	CredentialState []byte               `protobuf:"bytes,3,opt,name=credential_state,json=credentialState,proto3,oneof" json:"credential_state,omitempty"`
	Display         *Display             `protobuf:"bytes,4,opt,name=display,proto3" json:"display,omitempty"`
	Reason          string               `protobuf:"bytes,5,opt,name=reason,proto3" json:"reason,omitempty"`
	RetryAfter      *durationpb.Duration `protobuf:"bytes,6,opt,name=retry_after,json=retryAfter,proto3" json:"retry_after,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *ChallengeResponse) Reset() {
	*x = ChallengeResponse{}
	mi := &file_factor_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *ChallengeResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*ChallengeResponse) ProtoMessage() {}

func (x *ChallengeResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use ChallengeResponse.ProtoReflect.Descriptor instead.
func (*ChallengeResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{14}
}

func (x *ChallengeResponse) GetResult() Result {
	if x != nil {
		return x.Result
	}
	return Result_RESULT_UNSPECIFIED
}

func (x *ChallengeResponse) GetChallengeState() []byte {
	if x != nil {
		return x.ChallengeState
	}
	return nil
}

func (x *ChallengeResponse) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *ChallengeResponse) GetDisplay() *Display {
	if x != nil {
		return x.Display
	}
	return nil
}

func (x *ChallengeResponse) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *ChallengeResponse) GetRetryAfter() *durationpb.Duration {
	if x != nil {
		return x.RetryAfter
	}
	return nil
}

type VerifyRequest struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	Instance        string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	User            *User                  `protobuf:"bytes,2,opt,name=user,proto3" json:"user,omitempty"`
	CredentialState []byte                 `protobuf:"bytes,3,opt,name=credential_state,json=credentialState,proto3" json:"credential_state,omitempty"`
	// The state from Challenge; empty for factors without challenges.
	ChallengeState []byte                 `protobuf:"bytes,4,opt,name=challenge_state,json=challengeState,proto3" json:"challenge_state,omitempty"`
	Proof          *Proof                 `protobuf:"bytes,5,opt,name=proof,proto3" json:"proof,omitempty"`
	Now            *timestamppb.Timestamp `protobuf:"bytes,6,opt,name=now,proto3" json:"now,omitempty"`
	// For a factor with multiple_credentials: the user's active credentials
	// the proof may use; credential_state is then empty. For a discoverable
	// sign-in, only the credential CredentialKey named.
	Credentials   []*Credential `protobuf:"bytes,7,rep,name=credentials,proto3" json:"credentials,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *VerifyRequest) Reset() {
	*x = VerifyRequest{}
	mi := &file_factor_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *VerifyRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*VerifyRequest) ProtoMessage() {}

func (x *VerifyRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use VerifyRequest.ProtoReflect.Descriptor instead.
func (*VerifyRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{15}
}

func (x *VerifyRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *VerifyRequest) GetUser() *User {
	if x != nil {
		return x.User
	}
	return nil
}

func (x *VerifyRequest) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *VerifyRequest) GetChallengeState() []byte {
	if x != nil {
		return x.ChallengeState
	}
	return nil
}

func (x *VerifyRequest) GetProof() *Proof {
	if x != nil {
		return x.Proof
	}
	return nil
}

func (x *VerifyRequest) GetNow() *timestamppb.Timestamp {
	if x != nil {
		return x.Now
	}
	return nil
}

func (x *VerifyRequest) GetCredentials() []*Credential {
	if x != nil {
		return x.Credentials
	}
	return nil
}

type VerifyResponse struct {
	state  protoimpl.MessageState `protogen:"open.v1"`
	Result Result                 `protobuf:"varint,1,opt,name=result,proto3,enum=factorgate.factor.v1.Result" json:"result,omitempty"`
	// Replacement credential state; absent means unchanged.
	CredentialState []byte `protobuf:"bytes,2,opt,name=credential_state,json=credentialState,proto3,oneof" json:"credential_state,omitempty"`
	// Replacement challenge state (an attempt counted); absent means unchanged.
	ChallengeState []byte               `protobuf:"bytes,3,opt,name=challenge_state,json=challengeState,proto3,oneof" json:"challenge_state,omitempty"`
	Display        *Display             `protobuf:"bytes,4,opt,name=display,proto3" json:"display,omitempty"`
	Reason         string               `protobuf:"bytes,5,opt,name=reason,proto3" json:"reason,omitempty"`
	RetryAfter     *durationpb.Duration `protobuf:"bytes,6,opt,name=retry_after,json=retryAfter,proto3" json:"retry_after,omitempty"`
	// For a factor with multiple_credentials: the key of the credential the
	// proof used (one of VerifyRequest.credentials); credential_state, when
	// set, replaces that credential's state. Set it on a refusal too when the
	// proof named a known credential, so the host audits which one.
	CredentialKey string `protobuf:"bytes,7,opt,name=credential_key,json=credentialKey,proto3" json:"credential_key,omitempty"`
	// The authentication method reference values this verification proved,
	// when they differ from the description's (a WebAuthn assertion proves
	// "user" only when the authenticator verified the user). Empty means the
	// description's amr.
	Amr []string `protobuf:"bytes,8,rep,name=amr,proto3" json:"amr,omitempty"`
	// The authenticator verified the user (a PIN or biometric) as part of
	// the proof, so the proof on its own is two factors: possession and
	// knowledge or inherence. The host lets only such a proof sign a user in
	// without a password.
	UserVerified  bool `protobuf:"varint,9,opt,name=user_verified,json=userVerified,proto3" json:"user_verified,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *VerifyResponse) Reset() {
	*x = VerifyResponse{}
	mi := &file_factor_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *VerifyResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*VerifyResponse) ProtoMessage() {}

func (x *VerifyResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use VerifyResponse.ProtoReflect.Descriptor instead.
func (*VerifyResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{16}
}

func (x *VerifyResponse) GetResult() Result {
	if x != nil {
		return x.Result
	}
	return Result_RESULT_UNSPECIFIED
}

func (x *VerifyResponse) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *VerifyResponse) GetChallengeState() []byte {
	if x != nil {
		return x.ChallengeState
	}
	return nil
}

func (x *VerifyResponse) GetDisplay() *Display {
	if x != nil {
		return x.Display
	}
	return nil
}

func (x *VerifyResponse) GetReason() string {
	if x != nil {
		return x.Reason
	}
	return ""
}

func (x *VerifyResponse) GetRetryAfter() *durationpb.Duration {
	if x != nil {
		return x.RetryAfter
	}
	return nil
}

func (x *VerifyResponse) GetCredentialKey() string {
	if x != nil {
		return x.CredentialKey
	}
	return ""
}

func (x *VerifyResponse) GetAmr() []string {
	if x != nil {
		return x.Amr
	}
	return nil
}

func (x *VerifyResponse) GetUserVerified() bool {
	if x != nil {
		return x.UserVerified
	}
	return false
}

// CredentialKeyRequest asks which credential a proof refers to.
type CredentialKeyRequest struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Instance      string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	Proof         *Proof                 `protobuf:"bytes,2,opt,name=proof,proto3" json:"proof,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CredentialKeyRequest) Reset() {
	*x = CredentialKeyRequest{}
	mi := &file_factor_proto_msgTypes[17]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CredentialKeyRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CredentialKeyRequest) ProtoMessage() {}

func (x *CredentialKeyRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[17]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CredentialKeyRequest.ProtoReflect.Descriptor instead.
func (*CredentialKeyRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{17}
}

func (x *CredentialKeyRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *CredentialKeyRequest) GetProof() *Proof {
	if x != nil {
		return x.Proof
	}
	return nil
}

// CredentialKeyResponse names the credential. A proof that names none (it
// cannot be read) is INVALID_PARAMS.
type CredentialKeyResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	CredentialKey string                 `protobuf:"bytes,1,opt,name=credential_key,json=credentialKey,proto3" json:"credential_key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *CredentialKeyResponse) Reset() {
	*x = CredentialKeyResponse{}
	mi := &file_factor_proto_msgTypes[18]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *CredentialKeyResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*CredentialKeyResponse) ProtoMessage() {}

func (x *CredentialKeyResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[18]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use CredentialKeyResponse.ProtoReflect.Descriptor instead.
func (*CredentialKeyResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{18}
}

func (x *CredentialKeyResponse) GetCredentialKey() string {
	if x != nil {
		return x.CredentialKey
	}
	return ""
}

// DestinationRequest asks where a code would be sent: for an enrollment, from
// params as BeginEnrollment would read them (credential_state empty); for a
// challenge, from the credential state (params as Challenge gets them).
type DestinationRequest struct {
	state           protoimpl.MessageState `protogen:"open.v1"`
	Instance        string                 `protobuf:"bytes,1,opt,name=instance,proto3" json:"instance,omitempty"`
	User            *User                  `protobuf:"bytes,2,opt,name=user,proto3" json:"user,omitempty"`
	Params          map[string]string      `protobuf:"bytes,3,rep,name=params,proto3" json:"params,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	CredentialState []byte                 `protobuf:"bytes,4,opt,name=credential_state,json=credentialState,proto3" json:"credential_state,omitempty"`
	Now             *timestamppb.Timestamp `protobuf:"bytes,5,opt,name=now,proto3" json:"now,omitempty"`
	unknownFields   protoimpl.UnknownFields
	sizeCache       protoimpl.SizeCache
}

func (x *DestinationRequest) Reset() {
	*x = DestinationRequest{}
	mi := &file_factor_proto_msgTypes[19]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DestinationRequest) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DestinationRequest) ProtoMessage() {}

func (x *DestinationRequest) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[19]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DestinationRequest.ProtoReflect.Descriptor instead.
func (*DestinationRequest) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{19}
}

func (x *DestinationRequest) GetInstance() string {
	if x != nil {
		return x.Instance
	}
	return ""
}

func (x *DestinationRequest) GetUser() *User {
	if x != nil {
		return x.User
	}
	return nil
}

func (x *DestinationRequest) GetParams() map[string]string {
	if x != nil {
		return x.Params
	}
	return nil
}

func (x *DestinationRequest) GetCredentialState() []byte {
	if x != nil {
		return x.CredentialState
	}
	return nil
}

func (x *DestinationRequest) GetNow() *timestamppb.Timestamp {
	if x != nil {
		return x.Now
	}
	return nil
}

// DestinationResponse names the destination. The call has no side effect and
// sends nothing. The same destination (one phone number, however typed) must
// get the same name from every process given the same destination_key, and
// different destinations different names: an HMAC-SHA256 of the normalised
// destination under destination_key, in base64url, is the intended form. A
// destination the factor refuses (an invalid number, a region the operator
// does not allow) is INVALID_PARAMS with a user-safe message, as
// BeginEnrollment would answer.
type DestinationResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Destination   string                 `protobuf:"bytes,1,opt,name=destination,proto3" json:"destination,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *DestinationResponse) Reset() {
	*x = DestinationResponse{}
	mi := &file_factor_proto_msgTypes[20]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *DestinationResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*DestinationResponse) ProtoMessage() {}

func (x *DestinationResponse) ProtoReflect() protoreflect.Message {
	mi := &file_factor_proto_msgTypes[20]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use DestinationResponse.ProtoReflect.Descriptor instead.
func (*DestinationResponse) Descriptor() ([]byte, []int) {
	return file_factor_proto_rawDescGZIP(), []int{20}
}

func (x *DestinationResponse) GetDestination() string {
	if x != nil {
		return x.Destination
	}
	return ""
}

var File_factor_proto protoreflect.FileDescriptor

const file_factor_proto_rawDesc = "" +
	"\n" +
	"\ffactor.proto\x12\x14factorgate.factor.v1\x1a\x1egoogle/protobuf/duration.proto\x1a\x1fgoogle/protobuf/timestamp.proto\"V\n" +
	"\x04User\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12\x12\n" +
	"\x04name\x18\x02 \x01(\tR\x04name\x12\x14\n" +
	"\x05phone\x18\x03 \x01(\tR\x05phone\x12\x14\n" +
	"\x05email\x18\x04 \x01(\tR\x05email\"5\n" +
	"\x05Proof\x12\x12\n" +
	"\x04code\x18\x01 \x01(\tR\x04code\x12\x18\n" +
	"\apayload\x18\x02 \x01(\fR\apayload\"\x9f\x03\n" +
	"\aDisplay\x12\x16\n" +
	"\x06secret\x18\x01 \x01(\tR\x06secret\x12\x10\n" +
	"\x03uri\x18\x02 \x01(\tR\x03uri\x12\x15\n" +
	"\x06qr_png\x18\x03 \x01(\fR\x05qrPng\x12-\n" +
	"\x12masked_destination\x18\x04 \x01(\tR\x11maskedDestination\x12\x14\n" +
	"\x05codes\x18\x05 \x03(\tR\x05codes\x12\x1c\n" +
	"\tremaining\x18\x06 \x01(\x05R\tremaining\x12!\n" +
	"\foptions_json\x18\a \x01(\fR\voptionsJson\x12\x18\n" +
	"\amessage\x18\b \x01(\tR\amessage\x129\n" +
	"\n" +
	"expires_at\x18\t \x01(\v2\x1a.google.protobuf.TimestampR\texpiresAt\x12>\n" +
	"\x05extra\x18\n" +
	" \x03(\v2(.factorgate.factor.v1.Display.ExtraEntryR\x05extra\x1a8\n" +
	"\n" +
	"ExtraEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"-\n" +
	"\x0fDescribeRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\"\xee\x03\n" +
	"\x10DescribeResponse\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12!\n" +
	"\fdisplay_name\x18\x02 \x01(\tR\vdisplayName\x12\x18\n" +
	"\aversion\x18\x03 \x01(\tR\aversion\x12\x10\n" +
	"\x03amr\x18\x04 \x03(\tR\x03amr\x12D\n" +
	"\fcapabilities\x18\x05 \x03(\x0e2 .factorgate.factor.v1.CapabilityR\fcapabilities\x12@\n" +
	"\x0eenrollment_ttl\x18\x06 \x01(\v2\x19.google.protobuf.DurationR\renrollmentTtl\x124\n" +
	"\x16confirms_without_proof\x18\a \x01(\bR\x14confirmsWithoutProof\x12>\n" +
	"\n" +
	"proof_kind\x18\b \x01(\x0e2\x1f.factorgate.factor.v1.ProofKindR\tproofKind\x12F\n" +
	"\renroll_params\x18\t \x03(\v2!.factorgate.factor.v1.EnrollParamR\fenrollParams\x121\n" +
	"\x14multiple_credentials\x18\n" +
	" \x01(\bR\x13multipleCredentials\"4\n" +
	"\n" +
	"Credential\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05state\x18\x02 \x01(\fR\x05state\"r\n" +
	"\vEnrollParam\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x14\n" +
	"\x05label\x18\x02 \x01(\tR\x05label\x12\x1d\n" +
	"\n" +
	"input_type\x18\x03 \x01(\tR\tinputType\x12\x1a\n" +
	"\boptional\x18\x04 \x01(\bR\boptional\"|\n" +
	"\x10ConfigureRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12#\n" +
	"\rsettings_json\x18\x02 \x01(\fR\fsettingsJson\x12'\n" +
	"\x0fdestination_key\x18\x03 \x01(\fR\x0edestinationKey\"]\n" +
	"\x11ConfigureResponse\x12H\n" +
	"\vdescription\x18\x01 \x01(\v2&.factorgate.factor.v1.DescribeResponseR\vdescription\"\xe3\x02\n" +
	"\x16BeginEnrollmentRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12.\n" +
	"\x04user\x18\x02 \x01(\v2\x1a.factorgate.factor.v1.UserR\x04user\x12P\n" +
	"\x06params\x18\x03 \x03(\v28.factorgate.factor.v1.BeginEnrollmentRequest.ParamsEntryR\x06params\x12,\n" +
	"\x03now\x18\x04 \x01(\v2\x1a.google.protobuf.TimestampR\x03now\x12B\n" +
	"\vcredentials\x18\x05 \x03(\v2 .factorgate.factor.v1.CredentialR\vcredentials\x1a9\n" +
	"\vParamsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"w\n" +
	"\x17BeginEnrollmentResponse\x12#\n" +
	"\rpending_state\x18\x01 \x01(\fR\fpendingState\x127\n" +
	"\adisplay\x18\x02 \x01(\v2\x1d.factorgate.factor.v1.DisplayR\adisplay\"\xeb\x01\n" +
	"\x17FinishEnrollmentRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12.\n" +
	"\x04user\x18\x02 \x01(\v2\x1a.factorgate.factor.v1.UserR\x04user\x12#\n" +
	"\rpending_state\x18\x03 \x01(\fR\fpendingState\x121\n" +
	"\x05proof\x18\x04 \x01(\v2\x1b.factorgate.factor.v1.ProofR\x05proof\x12,\n" +
	"\x03now\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x03now\"\xa2\x03\n" +
	"\x18FinishEnrollmentResponse\x124\n" +
	"\x06result\x18\x01 \x01(\x0e2\x1c.factorgate.factor.v1.ResultR\x06result\x12)\n" +
	"\x10credential_state\x18\x02 \x01(\fR\x0fcredentialState\x12(\n" +
	"\rpending_state\x18\x03 \x01(\fH\x00R\fpendingState\x88\x01\x01\x127\n" +
	"\adisplay\x18\x04 \x01(\v2\x1d.factorgate.factor.v1.DisplayR\adisplay\x12\x16\n" +
	"\x06reason\x18\x05 \x01(\tR\x06reason\x12:\n" +
	"\vretry_after\x18\x06 \x01(\v2\x19.google.protobuf.DurationR\n" +
	"retryAfter\x12%\n" +
	"\x0ecredential_key\x18\a \x01(\tR\rcredentialKey\x12\x10\n" +
	"\x03amr\x18\b \x03(\tR\x03amr\x12#\n" +
	"\ruser_verified\x18\t \x01(\bR\fuserVerifiedB\x10\n" +
	"\x0e_pending_state\"\x82\x03\n" +
	"\x10ChallengeRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12.\n" +
	"\x04user\x18\x02 \x01(\v2\x1a.factorgate.factor.v1.UserR\x04user\x12)\n" +
	"\x10credential_state\x18\x03 \x01(\fR\x0fcredentialState\x12J\n" +
	"\x06params\x18\x04 \x03(\v22.factorgate.factor.v1.ChallengeRequest.ParamsEntryR\x06params\x12,\n" +
	"\x03now\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x03now\x12B\n" +
	"\vcredentials\x18\x06 \x03(\v2 .factorgate.factor.v1.CredentialR\vcredentials\x1a9\n" +
	"\vParamsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xc4\x02\n" +
	"\x11ChallengeResponse\x124\n" +
	"\x06result\x18\x01 \x01(\x0e2\x1c.factorgate.factor.v1.ResultR\x06result\x12'\n" +
	"\x0fchallenge_state\x18\x02 \x01(\fR\x0echallengeState\x12.\n" +
	"\x10credential_state\x18\x03 \x01(\fH\x00R\x0fcredentialState\x88\x01\x01\x127\n" +
	"\adisplay\x18\x04 \x01(\v2\x1d.factorgate.factor.v1.DisplayR\adisplay\x12\x16\n" +
	"\x06reason\x18\x05 \x01(\tR\x06reason\x12:\n" +
	"\vretry_after\x18\x06 \x01(\v2\x19.google.protobuf.DurationR\n" +
	"retryAfterB\x13\n" +
	"\x11_credential_state\"\xd4\x02\n" +
	"\rVerifyRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12.\n" +
	"\x04user\x18\x02 \x01(\v2\x1a.factorgate.factor.v1.UserR\x04user\x12)\n" +
	"\x10credential_state\x18\x03 \x01(\fR\x0fcredentialState\x12'\n" +
	"\x0fchallenge_state\x18\x04 \x01(\fR\x0echallengeState\x121\n" +
	"\x05proof\x18\x05 \x01(\v2\x1b.factorgate.factor.v1.ProofR\x05proof\x12,\n" +
	"\x03now\x18\x06 \x01(\v2\x1a.google.protobuf.TimestampR\x03now\x12B\n" +
	"\vcredentials\x18\a \x03(\v2 .factorgate.factor.v1.CredentialR\vcredentials\"\xb8\x03\n" +
	"\x0eVerifyResponse\x124\n" +
	"\x06result\x18\x01 \x01(\x0e2\x1c.factorgate.factor.v1.ResultR\x06result\x12.\n" +
	"\x10credential_state\x18\x02 \x01(\fH\x00R\x0fcredentialState\x88\x01\x01\x12,\n" +
	"\x0fchallenge_state\x18\x03 \x01(\fH\x01R\x0echallengeState\x88\x01\x01\x127\n" +
	"\adisplay\x18\x04 \x01(\v2\x1d.factorgate.factor.v1.DisplayR\adisplay\x12\x16\n" +
	"\x06reason\x18\x05 \x01(\tR\x06reason\x12:\n" +
	"\vretry_after\x18\x06 \x01(\v2\x19.google.protobuf.DurationR\n" +
	"retryAfter\x12%\n" +
	"\x0ecredential_key\x18\a \x01(\tR\rcredentialKey\x12\x10\n" +
	"\x03amr\x18\b \x03(\tR\x03amr\x12#\n" +
	"\ruser_verified\x18\t \x01(\bR\fuserVerifiedB\x13\n" +
	"\x11_credential_stateB\x12\n" +
	"\x10_challenge_state\"e\n" +
	"\x14CredentialKeyRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x121\n" +
	"\x05proof\x18\x02 \x01(\v2\x1b.factorgate.factor.v1.ProofR\x05proof\">\n" +
	"\x15CredentialKeyResponse\x12%\n" +
	"\x0ecredential_key\x18\x01 \x01(\tR\rcredentialKey\"\xc2\x02\n" +
	"\x12DestinationRequest\x12\x1a\n" +
	"\binstance\x18\x01 \x01(\tR\binstance\x12.\n" +
	"\x04user\x18\x02 \x01(\v2\x1a.factorgate.factor.v1.UserR\x04user\x12L\n" +
	"\x06params\x18\x03 \x03(\v24.factorgate.factor.v1.DestinationRequest.ParamsEntryR\x06params\x12)\n" +
	"\x10credential_state\x18\x04 \x01(\fR\x0fcredentialState\x12,\n" +
	"\x03now\x18\x05 \x01(\v2\x1a.google.protobuf.TimestampR\x03now\x1a9\n" +
	"\vParamsEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"7\n" +
	"\x13DestinationResponse\x12 \n" +
	"\vdestination\x18\x01 \x01(\tR\vdestination*\x9f\x01\n" +
	"\x06Result\x12\x16\n" +
	"\x12RESULT_UNSPECIFIED\x10\x00\x12\r\n" +
	"\tRESULT_OK\x10\x01\x12\x12\n" +
	"\x0eRESULT_INVALID\x10\x02\x12\x12\n" +
	"\x0eRESULT_EXPIRED\x10\x03\x12\x13\n" +
	"\x0fRESULT_REPLAYED\x10\x04\x12\x1b\n" +
	"\x17RESULT_LOCKED_BY_FACTOR\x10\x05\x12\x14\n" +
	"\x10RESULT_THROTTLED\x10\x06*\xae\x01\n" +
	"\n" +
	"Capability\x12\x1a\n" +
	"\x16CAPABILITY_UNSPECIFIED\x10\x00\x12\x15\n" +
	"\x11CAPABILITY_ENROLL\x10\x01\x12\x18\n" +
	"\x14CAPABILITY_CHALLENGE\x10\x02\x12\x18\n" +
	"\x14CAPABILITY_CONFIGURE\x10\x03\x12\x1a\n" +
	"\x16CAPABILITY_DESTINATION\x10\x04\x12\x1d\n" +
	"\x19CAPABILITY_CREDENTIAL_KEY\x10\x05*}\n" +
	"\tProofKind\x12\x1a\n" +
	"\x16PROOF_KIND_UNSPECIFIED\x10\x00\x12\x19\n" +
	"\x15PROOF_KIND_TYPED_CODE\x10\x01\x12\x18\n" +
	"\x14PROOF_KIND_SENT_CODE\x10\x02\x12\x1f\n" +
	"\x1bPROOF_KIND_BROWSER_CEREMONY\x10\x032\xac\x06\n" +
	"\rFactorService\x12Y\n" +
	"\bDescribe\x12%.factorgate.factor.v1.DescribeRequest\x1a&.factorgate.factor.v1.DescribeResponse\x12\\\n" +
	"\tConfigure\x12&.factorgate.factor.v1.ConfigureRequest\x1a'.factorgate.factor.v1.ConfigureResponse\x12n\n" +
	"\x0fBeginEnrollment\x12,.factorgate.factor.v1.BeginEnrollmentRequest\x1a-.factorgate.factor.v1.BeginEnrollmentResponse\x12q\n" +
	"\x10FinishEnrollment\x12-.factorgate.factor.v1.FinishEnrollmentRequest\x1a..factorgate.factor.v1.FinishEnrollmentResponse\x12\\\n" +
	"\tChallenge\x12&.factorgate.factor.v1.ChallengeRequest\x1a'.factorgate.factor.v1.ChallengeResponse\x12S\n" +
	"\x06Verify\x12#.factorgate.factor.v1.VerifyRequest\x1a$.factorgate.factor.v1.VerifyResponse\x12b\n" +
	"\vDestination\x12(.factorgate.factor.v1.DestinationRequest\x1a).factorgate.factor.v1.DestinationResponse\x12h\n" +
	"\rCredentialKey\x12*.factorgate.factor.v1.CredentialKeyRequest\x1a+.factorgate.factor.v1.CredentialKeyResponseB<Z:github.com/factorgate/factorgate/plugin/factor/v1;factorv1b\x06proto3"

var (
	file_factor_proto_rawDescOnce sync.Once
	file_factor_proto_rawDescData []byte
)

func file_factor_proto_rawDescGZIP() []byte {
	file_factor_proto_rawDescOnce.Do(func() {
		file_factor_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_factor_proto_rawDesc), len(file_factor_proto_rawDesc)))
	})
	return file_factor_proto_rawDescData
}

var file_factor_proto_enumTypes = make([]protoimpl.EnumInfo, 3)
var file_factor_proto_msgTypes = make([]protoimpl.MessageInfo, 25)
var file_factor_proto_goTypes = []any{
	(Result)(0),                      // 0: factorgate.factor.v1.Result
	(Capability)(0),                  // 1: factorgate.factor.v1.Capability
	(ProofKind)(0),                   // 2: factorgate.factor.v1.ProofKind
	(*User)(nil),                     // 3: factorgate.factor.v1.User
	(*Proof)(nil),                    // 4: factorgate.factor.v1.Proof
	(*Display)(nil),                  // 5: factorgate.factor.v1.Display
	(*DescribeRequest)(nil),          // 6: factorgate.factor.v1.DescribeRequest
	(*DescribeResponse)(nil),         // 7: factorgate.factor.v1.DescribeResponse
	(*Credential)(nil),               // 8: factorgate.factor.v1.Credential
	(*EnrollParam)(nil),              // 9: factorgate.factor.v1.EnrollParam
	(*ConfigureRequest)(nil),         // 10: factorgate.factor.v1.ConfigureRequest
	(*ConfigureResponse)(nil),        // 11: factorgate.factor.v1.ConfigureResponse
	(*BeginEnrollmentRequest)(nil),   // 12: factorgate.factor.v1.BeginEnrollmentRequest
	(*BeginEnrollmentResponse)(nil),  // 13: factorgate.factor.v1.BeginEnrollmentResponse
	(*FinishEnrollmentRequest)(nil),  // 14: factorgate.factor.v1.FinishEnrollmentRequest
	(*FinishEnrollmentResponse)(nil), // 15: factorgate.factor.v1.FinishEnrollmentResponse
	(*ChallengeRequest)(nil),         // 16: factorgate.factor.v1.ChallengeRequest
	(*ChallengeResponse)(nil),        // 17: factorgate.factor.v1.ChallengeResponse
	(*VerifyRequest)(nil),            // 18: factorgate.factor.v1.VerifyRequest
	(*VerifyResponse)(nil),           // 19: factorgate.factor.v1.VerifyResponse
	(*CredentialKeyRequest)(nil),     // 20: factorgate.factor.v1.CredentialKeyRequest
	(*CredentialKeyResponse)(nil),    // 21: factorgate.factor.v1.CredentialKeyResponse
	(*DestinationRequest)(nil),       // 22: factorgate.factor.v1.DestinationRequest
	(*DestinationResponse)(nil),      // 23: factorgate.factor.v1.DestinationResponse
	nil,                              // 24: factorgate.factor.v1.Display.ExtraEntry
	nil,                              // 25: factorgate.factor.v1.BeginEnrollmentRequest.ParamsEntry
	nil,                              // 26: factorgate.factor.v1.ChallengeRequest.ParamsEntry
	nil,                              // 27: factorgate.factor.v1.DestinationRequest.ParamsEntry
	(*timestamppb.Timestamp)(nil),    // 28: google.protobuf.Timestamp
	(*durationpb.Duration)(nil),      // 29: google.protobuf.Duration
}
var file_factor_proto_depIdxs = []int32{
	28, // 0: factorgate.factor.v1.Display.expires_at:type_name -> google.protobuf.Timestamp
	24, // 1: factorgate.factor.v1.Display.extra:type_name -> factorgate.factor.v1.Display.ExtraEntry
	1,  // 2: factorgate.factor.v1.DescribeResponse.capabilities:type_name -> factorgate.factor.v1.Capability
	29, // 3: factorgate.factor.v1.DescribeResponse.enrollment_ttl:type_name -> google.protobuf.Duration
	2,  // 4: factorgate.factor.v1.DescribeResponse.proof_kind:type_name -> factorgate.factor.v1.ProofKind
	9,  // 5: factorgate.factor.v1.DescribeResponse.enroll_params:type_name -> factorgate.factor.v1.EnrollParam
	7,  // 6: factorgate.factor.v1.ConfigureResponse.description:type_name -> factorgate.factor.v1.DescribeResponse
	3,  // 7: factorgate.factor.v1.BeginEnrollmentRequest.user:type_name -> factorgate.factor.v1.User
	25, // 8: factorgate.factor.v1.BeginEnrollmentRequest.params:type_name -> factorgate.factor.v1.BeginEnrollmentRequest.ParamsEntry
	28, // 9: factorgate.factor.v1.BeginEnrollmentRequest.now:type_name -> google.protobuf.Timestamp
	8,  // 10: factorgate.factor.v1.BeginEnrollmentRequest.credentials:type_name -> factorgate.factor.v1.Credential
	5,  // 11: factorgate.factor.v1.BeginEnrollmentResponse.display:type_name -> factorgate.factor.v1.Display
	3,  // 12: factorgate.factor.v1.FinishEnrollmentRequest.user:type_name -> factorgate.factor.v1.User
	4,  // 13: factorgate.factor.v1.FinishEnrollmentRequest.proof:type_name -> factorgate.factor.v1.Proof
	28, // 14: factorgate.factor.v1.FinishEnrollmentRequest.now:type_name -> google.protobuf.Timestamp
	0,  // 15: factorgate.factor.v1.FinishEnrollmentResponse.result:type_name -> factorgate.factor.v1.Result
	5,  // 16: factorgate.factor.v1.FinishEnrollmentResponse.display:type_name -> factorgate.factor.v1.Display
	29, // 17: factorgate.factor.v1.FinishEnrollmentResponse.retry_after:type_name -> google.protobuf.Duration
	3,  // 18: factorgate.factor.v1.ChallengeRequest.user:type_name -> factorgate.factor.v1.User
	26, // 19: factorgate.factor.v1.ChallengeRequest.params:type_name -> factorgate.factor.v1.ChallengeRequest.ParamsEntry
	28, // 20: factorgate.factor.v1.ChallengeRequest.now:type_name -> google.protobuf.Timestamp
	8,  // 21: factorgate.factor.v1.ChallengeRequest.credentials:type_name -> factorgate.factor.v1.Credential
	0,  // 22: factorgate.factor.v1.ChallengeResponse.result:type_name -> factorgate.factor.v1.Result
	5,  // 23: factorgate.factor.v1.ChallengeResponse.display:type_name -> factorgate.factor.v1.Display
	29, // 24: factorgate.factor.v1.ChallengeResponse.retry_after:type_name -> google.protobuf.Duration
	3,  // 25: factorgate.factor.v1.VerifyRequest.user:type_name -> factorgate.factor.v1.User
	4,  // 26: factorgate.factor.v1.VerifyRequest.proof:type_name -> factorgate.factor.v1.Proof
	28, // 27: factorgate.factor.v1.VerifyRequest.now:type_name -> google.protobuf.Timestamp
	8,  // 28: factorgate.factor.v1.VerifyRequest.credentials:type_name -> factorgate.factor.v1.Credential
	0,  // 29: factorgate.factor.v1.VerifyResponse.result:type_name -> factorgate.factor.v1.Result
	5,  // 30: factorgate.factor.v1.VerifyResponse.display:type_name -> factorgate.factor.v1.Display
	29, // 31: factorgate.factor.v1.VerifyResponse.retry_after:type_name -> google.protobuf.Duration
	4,  // 32: factorgate.factor.v1.CredentialKeyRequest.proof:type_name -> factorgate.factor.v1.Proof
	3,  // 33: factorgate.factor.v1.DestinationRequest.user:type_name -> factorgate.factor.v1.User
	27, // 34: factorgate.factor.v1.DestinationRequest.params:type_name -> factorgate.factor.v1.DestinationRequest.ParamsEntry
	28, // 35: factorgate.factor.v1.DestinationRequest.now:type_name -> google.protobuf.Timestamp
	6,  // 36: factorgate.factor.v1.FactorService.Describe:input_type -> factorgate.factor.v1.DescribeRequest
	10, // 37: factorgate.factor.v1.FactorService.Configure:input_type -> factorgate.factor.v1.ConfigureRequest
	12, // 38: factorgate.factor.v1.FactorService.BeginEnrollment:input_type -> factorgate.factor.v1.BeginEnrollmentRequest
	14, // 39: factorgate.factor.v1.FactorService.FinishEnrollment:input_type -> factorgate.factor.v1.FinishEnrollmentRequest
	16, // 40: factorgate.factor.v1.FactorService.Challenge:input_type -> factorgate.factor.v1.ChallengeRequest
	18, // 41: factorgate.factor.v1.FactorService.Verify:input_type -> factorgate.factor.v1.VerifyRequest
	22, // 42: factorgate.factor.v1.FactorService.Destination:input_type -> factorgate.factor.v1.DestinationRequest
	20, // 43: factorgate.factor.v1.FactorService.CredentialKey:input_type -> factorgate.factor.v1.CredentialKeyRequest
	7,  // 44: factorgate.factor.v1.FactorService.Describe:output_type -> factorgate.factor.v1.DescribeResponse
	11, // 45: factorgate.factor.v1.FactorService.Configure:output_type -> factorgate.factor.v1.ConfigureResponse
	13, // 46: factorgate.factor.v1.FactorService.BeginEnrollment:output_type -> factorgate.factor.v1.BeginEnrollmentResponse
	15, // 47: factorgate.factor.v1.FactorService.FinishEnrollment:output_type -> factorgate.factor.v1.FinishEnrollmentResponse
	17, // 48: factorgate.factor.v1.FactorService.Challenge:output_type -> factorgate.factor.v1.ChallengeResponse
	19, // 49: factorgate.factor.v1.FactorService.Verify:output_type -> factorgate.factor.v1.VerifyResponse
	23, // 50: factorgate.factor.v1.FactorService.Destination:output_type -> factorgate.factor.v1.DestinationResponse
	21, // 51: factorgate.factor.v1.FactorService.CredentialKey:output_type -> factorgate.factor.v1.CredentialKeyResponse
	44, // [44:52] is the sub-list for method output_type
	36, // [36:44] is the sub-list for method input_type
	36, // [36:36] is the sub-list for extension type_name
	36, // [36:36] is the sub-list for extension extendee
	0,  // [0:36] is the sub-list for field type_name
}

func init() { file_factor_proto_init() }
func file_factor_proto_init() {
	if File_factor_proto != nil {
		return
	}
	file_factor_proto_msgTypes[12].OneofWrappers = []any{}
	file_factor_proto_msgTypes[14].OneofWrappers = []any{}
	file_factor_proto_msgTypes[16].OneofWrappers = []any{}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_factor_proto_rawDesc), len(file_factor_proto_rawDesc)),
			NumEnums:      3,
			NumMessages:   25,
			NumExtensions: 0,
			NumServices:   1,
		},
		GoTypes:           file_factor_proto_goTypes,
		DependencyIndexes: file_factor_proto_depIdxs,
		EnumInfos:         file_factor_proto_enumTypes,
		MessageInfos:      file_factor_proto_msgTypes,
	}.Build()
	File_factor_proto = out.File
	file_factor_proto_goTypes = nil
	file_factor_proto_depIdxs = nil
}
