// Package sdk is what a Factorgate factor author imports: the Factor interface
// and its optional capabilities, the request and response types of the factor
// contract, helpers for codes and randomness, and Serve, which turns a Factor
// into a plugin binary in one line:
//
//	func main() { sdk.Serve(myfactor.New()) }
//
// Authors never see protobuf or go-plugin. A factor is stateless: the host hands
// it the state it returned earlier on every call, seals that state at rest and
// commits new state with compare-and-swap, so a factor only reports what it
// matched and the host makes a code single-use.
//
// The building blocks most factors need are here too: StateCodec (versioned,
// checksummed state), OneTimeCode and LatestCode (codes sent to a user),
// SentCodeFactor (a whole factor for sent codes), DecodeSettings (operator
// settings into a struct) and PostJSON (handing a message to a gateway).
package sdk

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Factor is the part of the contract every factor implements.
type Factor interface {
	// Describe says what the factor is. It must not fail.
	Describe() Description
	// Verify checks a proof against an enrolled credential. A wrong proof is a
	// Result, not an error; errors are for state that cannot be read or for
	// failures outside the factor's control.
	Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error)
}

// Enroller is implemented by factors that enroll users themselves (most do;
// an externally provisioned factor may not).
type Enroller interface {
	BeginEnrollment(ctx context.Context, req BeginEnrollmentRequest) (BeginEnrollmentResponse, error)
	FinishEnrollment(ctx context.Context, req FinishEnrollmentRequest) (FinishEnrollmentResponse, error)
}

// Challenger is implemented by factors that must act before a verification
// (send an SMS, issue WebAuthn request options).
type Challenger interface {
	Challenge(ctx context.Context, req ChallengeRequest) (ChallengeResponse, error)
}

// Configurer is implemented by factors that take operator settings. Configure
// returns a new Factor with the settings applied and leaves the receiver
// unchanged, so that one plugin process can serve several factor instances
// (for example 6- and 7-digit SMS codes). Unknown settings should be rejected
// with ErrInvalidSettings.
type Configurer interface {
	Configure(ctx context.Context, settings json.RawMessage) (Factor, error)
}

// Capability names an optional interface a factor implements.
type Capability string

// The capabilities a factor can have.
const (
	CapabilityEnroll    Capability = "enroll"
	CapabilityChallenge Capability = "challenge"
	CapabilityConfigure Capability = "configure"
	// CapabilityDestination: the factor names where it sends (DestinationNamer).
	CapabilityDestination Capability = "destination"
	// CapabilityCredentialKey: the factor names the credential a proof
	// refers to (CredentialKeyer), for passwordless sign-in.
	CapabilityCredentialKey Capability = "credential_key"
)

// ProofKind is how a user proves a factor. The host's doors decide what to
// offer and how to ask for the proof from it, never from a factor's name or
// AMR values.
type ProofKind string

// The proof kinds a factor can declare.
const (
	// ProofUnspecified: the factor did not say. Doors offer it only where a
	// typed code works.
	ProofUnspecified ProofKind = ""
	// ProofTypedCode: the user types a code they already hold (an
	// authenticator app, a backup code) as Proof.Code.
	ProofTypedCode ProofKind = "typed_code"
	// ProofSentCode: the factor sends a code (text message, email) in
	// Challenge and BeginEnrollment and the user types it back as Proof.Code.
	// The factor must implement Challenger.
	ProofSentCode ProofKind = "sent_code"
	// ProofBrowserCeremony: the user's browser runs a ceremony (WebAuthn) with
	// Display.OptionsJSON and answers with Proof.Payload. The factor must
	// implement Challenger.
	ProofBrowserCeremony ProofKind = "browser_ceremony"
)

// Description says what a factor is.
type Description struct {
	// Name is the machine name ("totp"): lowercase letters, digits and dashes.
	Name string
	// DisplayName is for people ("Authenticator app").
	DisplayName string
	// Version is the factor implementation's semantic version.
	Version string
	// AMR lists the RFC 8176 authentication method reference values the factor
	// proves ("otp", "sms", "hwk", ...).
	AMR []string
	// Capabilities is filled in by the SDK from the interfaces the factor implements.
	Capabilities []Capability
	// EnrollmentTTL is how long an unconfirmed enrollment stays valid.
	EnrollmentTTL time.Duration
	// ConfirmsWithoutProof says FinishEnrollment accepts an empty proof (backup
	// codes are active once shown), so the host confirms as soon as it begins.
	ConfirmsWithoutProof bool
	// ProofKind is how the user proves the factor.
	ProofKind ProofKind
	// EnrollParams are what an enrollment asks the user for, in form order;
	// they arrive in BeginEnrollmentRequest.Params under their names.
	EnrollParams []EnrollParam
	// MultipleCredentials says a user may hold several active credentials
	// of the factor (a phone passkey and two security keys): FinishEnrollment
	// returns a CredentialKey, and Challenge and Verify get every active
	// credential in Credentials (see the .proto for the whole contract).
	MultipleCredentials bool
}

// EnrollParam is one value an enrollment asks the user for.
type EnrollParam struct {
	// Name is the key in BeginEnrollmentRequest.Params ("phone").
	Name string
	// Label is for people ("Mobile number").
	Label string
	// InputType is the kind of value as an HTML input type: InputTel,
	// InputEmail or InputText.
	InputType string
	// Optional: the enrollment works without it.
	Optional bool
}

// Input types of an EnrollParam.
const (
	InputTel   = "tel"
	InputEmail = "email"
	InputText  = "text"
)

// Proof returns the declared proof kind or, for a factor that declares none,
// the kind its capabilities imply: a factor with a challenge step sends its
// code, any other is proven with a typed code.
func (d Description) Proof() ProofKind {
	switch {
	case d.ProofKind != ProofUnspecified:
		return d.ProofKind
	case d.Has(CapabilityChallenge):
		return ProofSentCode
	}
	return ProofTypedCode
}

// Has reports whether the description lists capability c.
func (d Description) Has(c Capability) bool { return slices.Contains(d.Capabilities, c) }

// CapabilitiesOf lists the optional interfaces f implements.
func CapabilitiesOf(f Factor) []Capability {
	var caps []Capability
	if _, ok := f.(Enroller); ok {
		caps = append(caps, CapabilityEnroll)
	}
	if _, ok := f.(Challenger); ok {
		caps = append(caps, CapabilityChallenge)
	}
	if _, ok := f.(Configurer); ok {
		caps = append(caps, CapabilityConfigure)
	}
	if _, ok := f.(DestinationNamer); ok {
		caps = append(caps, CapabilityDestination)
	}
	if _, ok := f.(CredentialKeyer); ok {
		caps = append(caps, CapabilityCredentialKey)
	}
	return caps
}

// describe returns f's description with its capabilities filled in.
func describe(f Factor) Description {
	d := f.Describe()
	d.Capabilities = CapabilitiesOf(f)
	return d
}
