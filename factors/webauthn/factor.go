package webauthn

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/factorgate/factorgate/sdk"
)

// Compile-time checks of the parts of the contract the factor implements.
var (
	_ sdk.Factor          = (*Factor)(nil)
	_ sdk.Enroller        = (*Factor)(nil)
	_ sdk.Challenger      = (*Factor)(nil)
	_ sdk.Configurer      = (*Factor)(nil)
	_ sdk.CredentialKeyer = (*Factor)(nil)
)

// Description values.
const (
	name        = "webauthn"
	displayName = "Security key or passkey"
	version     = "1.0.0"
	// ParamName is the enrollment parameter that names the authenticator.
	ParamName = "name"
)

// Factor is the WebAuthn factor. Its zero value is not usable; call New. A
// Factor is immutable and safe for concurrent use.
type Factor struct {
	settings settings
	aaguids  []uuid.UUID
	rp       *gowebauthn.WebAuthn
}

// New returns a WebAuthn factor with the default settings (RP ID localhost,
// origin http://localhost:8080), for tests and a first run; a deployment
// configures its own.
func New() *Factor {
	f, err := newFactor(defaultSettings())
	if err != nil {
		// The defaults are constants that validate; failing here is a bug.
		panic(fmt.Sprintf("webauthn: default settings: %v", err))
	}
	return f
}

func newFactor(s settings) (*Factor, error) {
	aaguids, err := s.aaguids()
	if err != nil {
		return nil, err
	}
	requireResidentKey := s.ResidentKey == "required"
	rp, err := gowebauthn.New(&gowebauthn.Config{
		RPID:                  s.RPID,
		RPDisplayName:         s.RPDisplayName,
		RPOrigins:             s.Origins,
		AttestationPreference: protocol.ConveyancePreference(s.Attestation),
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			AuthenticatorAttachment: protocol.AuthenticatorAttachment(s.AuthenticatorAttachment),
			ResidentKey:             protocol.ResidentKeyRequirement(s.ResidentKey),
			RequireResidentKey:      &requireResidentKey,
			UserVerification:        protocol.UserVerificationRequirement(s.UserVerification),
		},
		Timeouts: gowebauthn.TimeoutsConfig{
			Login:        gowebauthn.TimeoutConfig{Timeout: time.Duration(s.Timeout), TimeoutUVD: time.Duration(s.Timeout)},
			Registration: gowebauthn.TimeoutConfig{Timeout: time.Duration(s.Timeout), TimeoutUVD: time.Duration(s.Timeout)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w: %w", sdk.ErrInvalidSettings, err)
	}
	return &Factor{settings: s, aaguids: aaguids, rp: rp}, nil
}

// Describe says what the factor is.
func (f *Factor) Describe() sdk.Description {
	return sdk.Description{
		Name:                name,
		DisplayName:         displayName,
		Version:             version,
		AMR:                 []string{"hwk"},
		EnrollmentTTL:       time.Duration(f.settings.Timeout),
		ProofKind:           sdk.ProofBrowserCeremony,
		MultipleCredentials: true,
		EnrollParams: []sdk.EnrollParam{
			{Name: ParamName, Label: "A name for this security key or passkey", InputType: sdk.InputText, Optional: true},
		},
	}
}

// Configure returns a new Factor with settings applied over the defaults.
// Unknown keys and wrong values are refused with an error wrapping
// sdk.ErrInvalidSettings that names the setting.
func (f *Factor) Configure(_ context.Context, raw json.RawMessage) (sdk.Factor, error) {
	s := defaultSettings()
	if err := sdk.DecodeSettings(raw, &s); err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return newFactor(s)
}

// rpUser is the user as go-webauthn sees it during one ceremony.
type rpUser struct {
	handle []byte
	name   string
	creds  []gowebauthn.Credential
}

func (u rpUser) WebAuthnID() []byte                           { return u.handle }
func (u rpUser) WebAuthnName() string                         { return u.name }
func (u rpUser) WebAuthnDisplayName() string                  { return u.name }
func (u rpUser) WebAuthnCredentials() []gowebauthn.Credential { return u.creds }
