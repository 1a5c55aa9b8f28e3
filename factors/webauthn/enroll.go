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

// BeginEnrollment starts a registration: it returns the creation options the
// browser passes to navigator.credentials.create (Display.OptionsJSON), with
// the user's registered authenticators excluded, and keeps the ceremony in
// the pending state.
func (f *Factor) BeginEnrollment(_ context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if req.User.ID == "" {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("webauthn: %w: a user is required", sdk.ErrInvalidParams)
	}
	exclude, err := descriptors(req.Credentials, nil)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	opts, err := f.registrationOptions(req.Params)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	user := rpUser{handle: []byte(req.User.ID), name: userLabel(req.User)}
	creation, session, err := f.rp.BeginRegistration(user, append(opts, gowebauthn.WithExclusions(exclude))...)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	expires := req.Now.Add(time.Duration(f.settings.Timeout)).UTC()
	pending, err := ceremonies.Encode(ceremony{Challenge: session.Challenge, UserHandle: session.UserID,
		UserVerification: string(session.UserVerification), Expires: expires})
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("webauthn: %w", err)
	}
	options, err := json.Marshal(creation.Response)
	if err != nil {
		return sdk.BeginEnrollmentResponse{}, fmt.Errorf("webauthn: creation options: %w", err)
	}
	return sdk.BeginEnrollmentResponse{PendingState: pending, Display: sdk.Display{
		OptionsJSON: options, ExpiresAt: expires,
		Message: "Touch your security key or confirm with your passkey to register it.",
	}}, nil
}

// Enrollment parameters a caller (a dialect) may give besides the name.
const (
	// ParamAttachment asks for a "platform" or "cross-platform"
	// authenticator for this registration.
	ParamAttachment = "authenticator_attachment"
	// ParamRPID names the RP ID the caller expects; it must be the
	// instance's rp_id.
	ParamRPID = "rp_id"
)

// registrationOptions applies the parameters of one registration.
func (f *Factor) registrationOptions(params map[string]string) ([]gowebauthn.RegistrationOption, error) {
	if id := params[ParamRPID]; id != "" && id != f.settings.RPID {
		return nil, fmt.Errorf("webauthn: %w: this factor registers for %s, not %s", sdk.ErrInvalidParams, f.settings.RPID, id)
	}
	a := params[ParamAttachment]
	switch a {
	case "":
		return nil, nil
	case string(protocol.Platform), string(protocol.CrossPlatform):
		sel := f.rp.Config.AuthenticatorSelection
		sel.AuthenticatorAttachment = protocol.AuthenticatorAttachment(a)
		return []gowebauthn.RegistrationOption{gowebauthn.WithAuthenticatorSelection(sel)}, nil
	}
	return nil, fmt.Errorf("webauthn: %w: authenticator_attachment must be platform or cross-platform", sdk.ErrInvalidParams)
}

// userLabel is the name an authenticator shows for the account.
func userLabel(u sdk.User) string {
	for _, s := range []string{u.Name, u.Email, u.ID} {
		if s != "" {
			return s
		}
	}
	return u.ID
}

// FinishEnrollment checks the PublicKeyCredential the browser returned
// (Proof.Payload, in its toJSON() form) against the pending ceremony and
// returns the new credential's state, keyed by its credential ID.
func (f *Factor) FinishEnrollment(_ context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	cer, err := ceremonies.Decode(req.PendingState)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("webauthn: pending state: %w", err)
	}
	if !req.Now.Before(cer.Expires) {
		return refuseEnrollment(sdk.ResultExpired, "the registration timed out; start again"), nil
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(req.Proof.Payload)
	if err != nil {
		return refuseEnrollment(sdk.ResultInvalid, "the browser's answer could not be read"), nil
	}
	data := parsed.Response.AttestationObject.AuthData
	if reason := f.ceremonyMismatch(parsed.Response.CollectedClientData, data.RPIDHash, data.Flags, cer.UserVerification); reason != "" {
		return refuseEnrollment(sdk.ResultInvalid, reason), nil
	}
	session := gowebauthn.SessionData{Challenge: cer.Challenge, RelyingPartyID: f.settings.RPID, UserID: cer.UserHandle,
		UserVerification: protocol.UserVerificationRequirement(cer.UserVerification), CredParams: gowebauthn.CredentialParametersDefault()}
	created, err := f.rp.CreateCredential(rpUser{handle: cer.UserHandle}, session, parsed)
	if err != nil {
		return refuseEnrollment(sdk.ResultInvalid, "the security key's answer was not valid: "+protocolDetail(err)), nil
	}
	if reason := f.attestationRefusal(created); reason != "" {
		return refuseEnrollment(sdk.ResultInvalid, reason), nil
	}
	cred := newCredential(created, cer.UserHandle, req.Now)
	state, err := credStates.Encode(cred)
	if err != nil {
		return sdk.FinishEnrollmentResponse{}, fmt.Errorf("webauthn: %w", err)
	}
	uv := created.Flags.UserVerified
	return sdk.FinishEnrollmentResponse{Result: sdk.ResultOK, CredentialState: state, CredentialKey: keyOf(cred.ID),
		AMR: provedAMR(uv), UserVerified: uv,
		Display: sdk.Display{Message: "Security key or passkey registered.", Extra: credentialExtra(cred)}}, nil
}

func refuseEnrollment(r sdk.Result, reason string) sdk.FinishEnrollmentResponse {
	return sdk.FinishEnrollmentResponse{Result: r, Reason: reason}
}

// attestationRefusal applies allowed_aaguids: a model outside the list, or
// one that did not attest at all, is refused.
func (f *Factor) attestationRefusal(c *gowebauthn.Credential) string {
	if len(f.aaguids) == 0 {
		return ""
	}
	aaguid, err := uuid.FromBytes(c.Authenticator.AAGUID)
	switch {
	case err != nil || aaguid == uuid.Nil:
		return "this authenticator does not say which model it is, and this site accepts only certain models"
	case c.AttestationFormat == "" || c.AttestationFormat == "none":
		return "this authenticator did not attest its model, and this site accepts only certain models"
	}
	for _, a := range f.aaguids {
		if a == aaguid {
			return ""
		}
	}
	return "this authenticator model is not accepted here"
}

func newCredential(c *gowebauthn.Credential, userHandle []byte, now time.Time) credential {
	transports := make([]string, 0, len(c.Transport))
	for _, t := range c.Transport {
		transports = append(transports, string(t))
	}
	return credential{
		ID: c.ID, PublicKey: c.PublicKey, UserHandle: userHandle,
		AttestationType: c.AttestationType, AttestationFormat: c.AttestationFormat, Transports: transports,
		AAGUID: c.Authenticator.AAGUID, SignCount: c.Authenticator.SignCount,
		BackupEligible: c.Flags.BackupEligible, BackupState: c.Flags.BackupState, UserVerified: c.Flags.UserVerified,
		Created: now.UTC(),
	}
}

// credentialExtra is what a front end may show about a credential.
func credentialExtra(c credential) map[string]string {
	extra := map[string]string{"credential_id": keyOf(c.ID), "synced": fmt.Sprint(c.BackupEligible)}
	if id, err := uuid.FromBytes(c.AAGUID); err == nil && id != uuid.Nil {
		extra["aaguid"] = id.String()
	}
	return extra
}
