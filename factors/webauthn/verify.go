package webauthn

import (
	"bytes"
	"context"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/factorgate/factorgate/sdk"
)

// Verify checks an assertion (Proof.Payload, the PublicKeyCredential JSON
// navigator.credentials.get returned) against the challenge and the user's
// credentials. It answers with the key of the credential used and its new
// state (signature counter, backup state), and marks the challenge used.
func (f *Factor) Verify(_ context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	cer, err := ceremonies.Decode(req.ChallengeState)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("webauthn: challenge state: %w", err)
	}
	creds, err := heldCredentials(req.Credentials, req.CredentialState)
	if err != nil {
		return sdk.VerifyResponse{}, err
	}
	switch {
	case cer.Used:
		return refusal(sdk.ResultReplayed, "", "this sign-in was already answered; start again"), nil
	case !req.Now.Before(cer.Expires):
		return refusal(sdk.ResultExpired, "", "the sign-in timed out; start again"), nil
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(req.Proof.Payload)
	if err != nil {
		return refusal(sdk.ResultInvalid, "", "the browser's answer could not be read"), nil
	}
	used, ok := findCredential(creds, parsed.RawID)
	if !ok {
		return refusal(sdk.ResultInvalid, "", "this security key or passkey is not registered for this account"), nil
	}
	data := parsed.Response.AuthenticatorData
	if reason := f.ceremonyMismatch(parsed.Response.CollectedClientData, data.RPIDHash, data.Flags, cer.UserVerification); reason != "" {
		return refusal(sdk.ResultInvalid, used.key, reason), nil
	}
	validated, err := f.validate(cer, used, creds, req.User.ID, parsed)
	if err != nil {
		return refusal(sdk.ResultInvalid, used.key, "the security key's answer was not valid: "+protocolDetail(err)), nil
	}
	if validated.Authenticator.CloneWarning {
		return refusal(sdk.ResultInvalid, used.key, fmt.Sprintf(
			"the signature counter went backwards (%d after %d): this security key may have been cloned",
			data.Counter, used.cred.SignCount)), nil
	}
	return f.accepted(cer, used, validated, data.Flags.HasUserVerified())
}

// validate runs go-webauthn's checks of the assertion against one
// credential. For a discoverable sign-in the user is the credential's owner.
// creds are all the credentials handed in (an allowCredentials list names
// them all); userID, when set, must own the credential.
func (f *Factor) validate(cer ceremony, used held, creds []held, userID string, parsed *protocol.ParsedCredentialAssertionData) (*gowebauthn.Credential, error) {
	handle := cer.UserHandle
	if len(handle) == 0 {
		handle = used.cred.UserHandle
	}
	if !bytes.Equal(handle, used.cred.UserHandle) || (userID != "" && !bytes.Equal(handle, []byte(userID))) {
		return nil, protocol.ErrBadRequest.WithDetails("the credential belongs to another account")
	}
	session := gowebauthn.SessionData{Challenge: cer.Challenge, RelyingPartyID: f.settings.RPID, UserID: handle,
		AllowedCredentialIDs: cer.Allowed, UserVerification: protocol.UserVerificationRequirement(cer.UserVerification)}
	return f.rp.ValidateLogin(withCredentials(rpUser{handle: handle}, creds), session, parsed)
}

// accepted builds the success answer: the credential's new state, the
// challenge marked used, and what the assertion proved (uv: this assertion's
// authenticator data has the user verified flag).
func (f *Factor) accepted(cer ceremony, used held, v *gowebauthn.Credential, uv bool) (sdk.VerifyResponse, error) {
	next := used.cred
	next.SignCount = v.Authenticator.SignCount
	next.BackupState = v.Flags.BackupState
	next.UserVerified = v.Flags.UserVerified
	credState, err := credStates.Encode(next)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("webauthn: %w", err)
	}
	cer.Used = true
	chState, err := ceremonies.Encode(cer)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("webauthn: %w", err)
	}
	return sdk.VerifyResponse{Result: sdk.ResultOK, CredentialKey: used.key, CredentialState: credState,
		ChallengeState: chState, AMR: provedAMR(uv), UserVerified: uv}, nil
}

// provedAMR is what one ceremony proved: the key, and the user when the
// authenticator verified them (a PIN or biometric).
func provedAMR(userVerified bool) []string {
	if userVerified {
		return []string{"hwk", "user"}
	}
	return []string{"hwk"}
}

func refusal(r sdk.Result, key, reason string) sdk.VerifyResponse {
	return sdk.VerifyResponse{Result: r, CredentialKey: key, Reason: reason}
}

func findCredential(creds []held, id []byte) (held, bool) {
	for _, h := range creds {
		if bytes.Equal(h.cred.ID, id) {
			return h, true
		}
	}
	return held{}, false
}

// rpCredential is the go-webauthn view of a stored credential.
func (c credential) rpCredential() gowebauthn.Credential {
	out := gowebauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat,
		Flags:         gowebauthn.CredentialFlags{UserPresent: true, UserVerified: c.UserVerified, BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: gowebauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
	for _, t := range c.Transports {
		out.Transport = append(out.Transport, protocol.AuthenticatorTransport(t))
	}
	return out
}
