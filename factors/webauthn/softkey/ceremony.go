package softkey

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

var b64 = base64.RawURLEncoding

// Authenticator data flags (WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// creationOptions is the part of PublicKeyCredentialCreationOptions the
// authenticator reads.
type creationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	AuthenticatorSelection struct {
		ResidentKey      string `json:"residentKey"`
		UserVerification string `json:"userVerification"`
	} `json:"authenticatorSelection"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptions the
// authenticator reads.
type requestOptions struct {
	Challenge        string `json:"challenge"`
	RPID             string `json:"rpId"`
	UserVerification string `json:"userVerification"`
	AllowCredentials []struct {
		ID string `json:"id"`
	} `json:"allowCredentials"`
}

// Create answers creation options (navigator.credentials.create) with the
// registration response JSON (PublicKeyCredential.toJSON()).
func (a *Authenticator) Create(optionsJSON []byte, c Ceremony) ([]byte, error) {
	var opts creationOptions
	if err := json.Unmarshal(optionsJSON, &opts); err != nil {
		return nil, fmt.Errorf("softkey: creation options: %w", err)
	}
	rpID, claimed := opts.RP.ID, opts.RP.ID
	if c.RPID != "" {
		claimed = c.RPID
	}
	handle, err := b64.DecodeString(opts.User.ID)
	if err != nil {
		return nil, fmt.Errorf("softkey: user id: %w", err)
	}
	k, err := a.credentialKey(rpID, handle)
	if err != nil {
		return nil, err
	}
	if rk := opts.AuthenticatorSelection.ResidentKey; rk == "required" || rk == "preferred" {
		a.remember(rpID, handle)
	}
	authData, err := a.authData(claimed, a.flags(opts.AuthenticatorSelection.UserVerification)|flagAT, 0, &k)
	if err != nil {
		return nil, err
	}
	cd := clientData("webauthn.create", opts.Challenge, c.Origin)
	attObj, err := a.attestationObject(authData, cd, k)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "cross-platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(attObj),
			"transports": a.transports(),
		},
	})
}

// Get answers request options (navigator.credentials.get) with the
// authentication response JSON. Without allowCredentials it uses the newest
// discoverable credential it holds for the RP ID.
func (a *Authenticator) Get(optionsJSON []byte, c Ceremony) ([]byte, error) {
	var opts requestOptions
	if err := json.Unmarshal(optionsJSON, &opts); err != nil {
		return nil, fmt.Errorf("softkey: request options: %w", err)
	}
	rpID, claimed := opts.RPID, opts.RPID
	if c.RPID != "" {
		claimed = c.RPID
	}
	handle, err := a.chooseCredential(opts, rpID)
	if err != nil {
		return nil, err
	}
	k, err := a.credentialKey(rpID, handle)
	if err != nil {
		return nil, err
	}
	authData, err := a.authData(claimed, a.flags(opts.UserVerification), a.nextCounter(c), nil)
	if err != nil {
		return nil, err
	}
	cd := clientData("webauthn.get", opts.Challenge, c.Origin)
	sig, err := sign(k.priv, authData, cd)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "cross-platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(authData),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(handle),
		},
	})
}

// chooseCredential picks the first allowed credential this authenticator
// made, or a discoverable one when none is listed.
func (a *Authenticator) chooseCredential(opts requestOptions, rpID string) ([]byte, error) {
	if len(opts.AllowCredentials) == 0 {
		if h, ok := a.residentHandle(rpID); ok {
			return h, nil
		}
		return nil, errors.New("softkey: no discoverable credential for this RP ID")
	}
	for _, allowed := range opts.AllowCredentials {
		id, err := b64.DecodeString(allowed.ID)
		if err != nil {
			continue
		}
		if h, ok := a.userHandleOf(rpID, id); ok {
			return h, nil
		}
	}
	return nil, errors.New("softkey: none of the allowed credentials is on this authenticator")
}

func (a *Authenticator) flags(userVerification string) byte {
	f := byte(flagUP)
	if userVerification != "discouraged" && !a.SkipUserVerification {
		f |= flagUV
	}
	if a.BackupEligible {
		f |= flagBE | flagBS
	}
	return f
}

func (a *Authenticator) transports() []string {
	if len(a.Transports) == 0 {
		return []string{"usb"}
	}
	return a.Transports
}

// authData builds authenticator data; with k, it carries the attested
// credential data of k.
func (a *Authenticator) authData(rpID string, flags byte, counter uint32, k *key) ([]byte, error) {
	rpHash := sha256.Sum256([]byte(rpID))
	out := append(rpHash[:], flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	if k == nil {
		return out, nil
	}
	aaguid := make([]byte, 16)
	copy(aaguid, a.AAGUID)
	out = append(out, aaguid...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
	out = append(out, k.id...)
	cose, err := coseKey(&k.priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return append(out, cose...), nil
}

func coseKey(pub *ecdsa.PublicKey) ([]byte, error) {
	raw, err := pub.Bytes() // 0x04 | X | Y
	if err != nil || len(raw) != 65 {
		return nil, fmt.Errorf("softkey: public key: %w", err)
	}
	return webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         1,
		XCoord:        raw[1:33],
		YCoord:        raw[33:],
	})
}

// attestationObject wraps authData in the configured attestation format.
func (a *Authenticator) attestationObject(authData, clientDataJSON []byte, k key) ([]byte, error) {
	obj := map[string]any{"fmt": AttestationNone, "attStmt": map[string]any{}, "authData": authData}
	switch a.Attestation {
	case "", AttestationNone:
	case AttestationPacked:
		sig, err := sign(k.priv, authData, clientDataJSON)
		if err != nil {
			return nil, err
		}
		obj["fmt"] = AttestationPacked
		obj["attStmt"] = map[string]any{"alg": int64(webauthncose.AlgES256), "sig": sig}
	default:
		return nil, fmt.Errorf("softkey: unknown attestation format %q", a.Attestation)
	}
	return webauthncbor.Marshal(obj)
}

// sign signs authData || SHA-256(clientDataJSON) with ES256 (ASN.1 DER).
func sign(priv *ecdsa.PrivateKey, authData, clientDataJSON []byte) ([]byte, error) {
	cdHash := sha256.Sum256(clientDataJSON)
	digest := sha256.Sum256(append(append([]byte{}, authData...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		return nil, fmt.Errorf("softkey: sign: %w", err)
	}
	return sig, nil
}

// WithOtherChallenge returns credentialJSON with its client data naming
// another challenge: a well-formed answer to a ceremony that never began,
// which a relying party must refuse.
func WithOtherChallenge(credentialJSON []byte) ([]byte, error) {
	var cred map[string]any
	if err := json.Unmarshal(credentialJSON, &cred); err != nil {
		return nil, fmt.Errorf("softkey: credential: %w", err)
	}
	resp, ok := cred["response"].(map[string]any)
	if !ok {
		return nil, errors.New("softkey: credential without a response")
	}
	encoded, _ := resp["clientDataJSON"].(string)
	cd, err := b64.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("softkey: client data: %w", err)
	}
	var client map[string]any
	if err := json.Unmarshal(cd, &client); err != nil {
		return nil, fmt.Errorf("softkey: client data: %w", err)
	}
	client["challenge"] = b64.EncodeToString([]byte("a challenge never issued here"))
	if cd, err = json.Marshal(client); err != nil {
		return nil, fmt.Errorf("softkey: client data: %w", err)
	}
	resp["clientDataJSON"] = b64.EncodeToString(cd)
	return json.Marshal(cred)
}
