package webauthn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/factorgate/factorgate/sdk"
)

// keyOf is a credential's key for the host: its ID in base64url.
func keyOf(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// held is one of the user's credentials as handed in, decoded.
type held struct {
	key  string
	cred credential
}

// heldCredentials decodes the credentials of a request: the list a host
// with multiple credentials hands in, or the single credential state of a
// caller that has one.
func heldCredentials(list []sdk.Credential, single []byte) ([]held, error) {
	if len(list) == 0 && len(single) > 0 {
		list = []sdk.Credential{{State: single}}
	}
	out := make([]held, 0, len(list))
	for _, c := range list {
		cred, err := credStates.Decode(c.State)
		if err != nil {
			return nil, fmt.Errorf("webauthn: credential state: %w", err)
		}
		key := keyOf(cred.ID)
		if c.Key != "" && c.Key != key {
			return nil, fmt.Errorf("webauthn: %w: credential %q holds the state of %q", sdk.ErrBadState, c.Key, key)
		}
		out = append(out, held{key: key, cred: cred})
	}
	return out, nil
}

// descriptors lists credentials as the options name them; it decodes the
// states into *decoded when that is not nil.
func descriptors(list []sdk.Credential, decoded *[]held) ([]protocol.CredentialDescriptor, error) {
	creds, err := heldCredentials(list, nil)
	if err != nil {
		return nil, err
	}
	if decoded != nil {
		*decoded = creds
	}
	out := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, h := range creds {
		d := protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: h.cred.ID}
		for _, t := range h.cred.Transports {
			d.Transport = append(d.Transport, protocol.AuthenticatorTransport(t))
		}
		out = append(out, d)
	}
	return out, nil
}

// CredentialKey names the credential an assertion (Proof.Payload) was made
// with, without checking it.
func (f *Factor) CredentialKey(_ context.Context, proof sdk.Proof) (string, error) {
	var answer struct {
		RawID string `json:"rawId"`
		ID    string `json:"id"`
	}
	if err := json.Unmarshal(proof.Payload, &answer); err != nil {
		return "", fmt.Errorf("webauthn: %w: the answer is not a credential", sdk.ErrInvalidParams)
	}
	raw := answer.RawID
	if raw == "" {
		raw = answer.ID
	}
	id, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(id) == 0 {
		return "", fmt.Errorf("webauthn: %w: the answer names no credential", sdk.ErrInvalidParams)
	}
	return keyOf(id), nil
}

// ceremonyMismatch names, for people, why an answer is for another site or
// lacks the user verification asked for; empty when it is none of these.
// go-webauthn checks the same and more afterwards.
func (f *Factor) ceremonyMismatch(cd protocol.CollectedClientData, rpIDHash []byte, flags protocol.AuthenticatorFlags, uv string) string {
	want := sha256.Sum256([]byte(f.settings.RPID))
	switch {
	case !slices.Contains(f.settings.Origins, cd.Origin):
		return fmt.Sprintf("the answer came from the origin %q, which is not this site", cd.Origin)
	case !bytes.Equal(rpIDHash, want[:]):
		return "the answer is for another relying party (RP ID), not this site"
	case uv == string(protocol.VerificationRequired) && !flags.HasUserVerified():
		return "the authenticator did not verify you (PIN or biometric), which this site requires"
	}
	return ""
}

// protocolDetail is go-webauthn's short description of a refusal.
func protocolDetail(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Details != "" {
		return perr.Details
	}
	return "verification failed"
}
