package webauthn

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	gowebauthn "github.com/go-webauthn/webauthn/webauthn"

	"github.com/factorgate/factorgate/sdk"
)

// Challenge starts an authentication: the request options the browser passes
// to navigator.credentials.get (Display.OptionsJSON), offering every
// credential of the user, or, without a user, any discoverable credential
// (passwordless sign-in).
func (f *Factor) Challenge(_ context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	var creds []held
	allow, err := descriptors(singleOr(req.Credentials, req.CredentialState), &creds)
	if err != nil {
		return sdk.ChallengeResponse{}, err
	}
	cer := ceremony{Expires: req.Now.Add(time.Duration(f.settings.Timeout)).UTC()}
	var options any
	if req.User.ID == "" {
		assertion, session, err := f.rp.BeginDiscoverableLogin()
		if err != nil {
			return sdk.ChallengeResponse{}, fmt.Errorf("webauthn: begin discoverable login: %w", err)
		}
		options, cer.Challenge, cer.UserVerification = assertion.Response, session.Challenge, string(session.UserVerification)
	} else {
		if len(creds) == 0 {
			return sdk.ChallengeResponse{}, fmt.Errorf("webauthn: %w: the user has no security key or passkey", sdk.ErrInvalidParams)
		}
		user := rpUser{handle: creds[0].cred.UserHandle, name: userLabel(req.User), creds: nil}
		assertion, session, err := f.rp.BeginLogin(withCredentials(user, creds), gowebauthn.WithAllowedCredentials(allow))
		if err != nil {
			return sdk.ChallengeResponse{}, fmt.Errorf("webauthn: begin login: %w", err)
		}
		options, cer.Challenge, cer.UserVerification = assertion.Response, session.Challenge, string(session.UserVerification)
		cer.UserHandle, cer.Allowed = session.UserID, session.AllowedCredentialIDs
	}
	state, err := ceremonies.Encode(cer)
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("webauthn: %w", err)
	}
	optionsJSON, err := json.Marshal(options)
	if err != nil {
		return sdk.ChallengeResponse{}, fmt.Errorf("webauthn: request options: %w", err)
	}
	return sdk.ChallengeResponse{Result: sdk.ResultOK, ChallengeState: state, Display: sdk.Display{
		OptionsJSON: optionsJSON, ExpiresAt: cer.Expires,
		Message: "Use your security key or passkey to sign in.",
	}}, nil
}

// singleOr returns list, or the single credential state as a list of one.
func singleOr(list []sdk.Credential, single []byte) []sdk.Credential {
	if len(list) == 0 && len(single) > 0 {
		return []sdk.Credential{{State: single}}
	}
	return list
}

// withCredentials gives user the go-webauthn view of creds.
func withCredentials(user rpUser, creds []held) rpUser {
	for _, h := range creds {
		user.creds = append(user.creds, h.cred.rpCredential())
	}
	return user
}
