package webauthn

import (
	"errors"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps three kinds of state, which the host stores sealed and
// hands back on every call; each is an sdk.StateCodec envelope around JSON.
//
// Kind "webauthn-ceremony", version 1: a registration (pending state) or an
// authentication (challenge state) under way:
//
//	{"challenge":"<base64url>","user_handle":"<base64>","user_verification":"preferred",
//	 "allowed":["<base64>",...],"expires":"<RFC 3339>","used":false}
//
// user_handle is empty for a discoverable authentication (no user known);
// allowed lists the credential IDs offered; used marks a challenge answered.
//
// Kind "webauthn-credential", version 1: one registered authenticator:
//
//	{"id":"<base64>","public_key":"<base64 COSE key>","user_handle":"<base64>",
//	 "attestation_type":"none","attestation_format":"none","transports":["usb"],
//	 "aaguid":"<base64>","sign_count":7,"backup_eligible":false,"backup_state":false,
//	 "user_verified":true,"created":"<RFC 3339>"}
const stateVersion = 1

// ceremony is a registration or authentication under way.
type ceremony struct {
	Challenge        string    `json:"challenge"`
	UserHandle       []byte    `json:"user_handle"`
	UserVerification string    `json:"user_verification"`
	Allowed          [][]byte  `json:"allowed"`
	Expires          time.Time `json:"expires"`
	Used             bool      `json:"used"`
}

// credential is one registered authenticator.
type credential struct {
	ID                []byte    `json:"id"`
	PublicKey         []byte    `json:"public_key"`
	UserHandle        []byte    `json:"user_handle"`
	AttestationType   string    `json:"attestation_type"`
	AttestationFormat string    `json:"attestation_format"`
	Transports        []string  `json:"transports"`
	AAGUID            []byte    `json:"aaguid"`
	SignCount         uint32    `json:"sign_count"`
	BackupEligible    bool      `json:"backup_eligible"`
	BackupState       bool      `json:"backup_state"`
	UserVerified      bool      `json:"user_verified"`
	Created           time.Time `json:"created"`
}

var (
	ceremonies = sdk.StateCodec[ceremony]{Kind: "webauthn-ceremony", Version: stateVersion, Validate: validCeremony, MaxLen: 16 << 10}
	credStates = sdk.StateCodec[credential]{Kind: "webauthn-credential", Version: stateVersion, Validate: validCredential, MaxLen: 16 << 10}
)

func validCeremony(c *ceremony) error {
	switch {
	case len(c.Challenge) < 22:
		return errors.New("challenge too short")
	case c.Expires.IsZero():
		return errors.New("no expiry")
	case len(c.UserHandle) > 64:
		return errors.New("user handle too long")
	}
	return nil
}

func validCredential(c *credential) error {
	switch {
	case len(c.ID) == 0 || len(c.ID) > 1023:
		return errors.New("credential id missing or too long")
	case len(c.PublicKey) == 0:
		return errors.New("no public key")
	case len(c.UserHandle) == 0 || len(c.UserHandle) > 64:
		return errors.New("user handle missing or too long")
	}
	return nil
}
