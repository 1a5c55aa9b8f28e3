package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
)

type challengeBody struct {
	Params map[string]string `json:"params"`
}

// challenge serves POST /v1/users/{user}/factors/{factor}/challenge: the
// factor sends a code or issues options; the response names the challenge a
// verification answers.
func (s *server) challenge(w http.ResponseWriter, r *http.Request) error {
	userID, factor, err := userAndFactor(r)
	if err != nil {
		return err
	}
	var body challengeBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := checkParams(body.Params); err != nil {
		return err
	}
	ch, err := s.deps.MFA.Challenge(r.Context(), s.meta(r), mfa.ChallengeRequest{UserID: userID, Factor: factor, Params: body.Params})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, pendingJSON{ID: ch.ID, Factor: ch.Factor, ExpiresAt: ch.ExpiresAt.UTC(), Display: toDisplay(ch.Display)})
	return nil
}

type verifyBody struct {
	Code string `json:"code"`
	// Payload is a structured proof (a WebAuthn assertion) instead of a code.
	Payload json.RawMessage `json:"payload"`
	// Credential is the PublicKeyCredential navigator.credentials.get
	// returned (its toJSON() form), the same as Payload.
	Credential json.RawMessage `json:"credential"`
	// ChallengeID names the challenge answered; empty means the newest.
	ChallengeID string `json:"challenge_id"`
}

type verifiedJSON struct {
	Result       string    `json:"result"`
	CredentialID string    `json:"credential_id"`
	Factor       string    `json:"factor"`
	AMR          []string  `json:"amr"`
	VerifiedAt   time.Time `json:"verified_at"`
	// UserVerified says a security key or passkey verified the user (PIN
	// or biometric) as part of the proof.
	UserVerified bool         `json:"user_verified,omitempty"`
	Display      *displayJSON `json:"display,omitempty"`
}

// verify serves POST /v1/users/{user}/factors/{factor}/verify.
func (s *server) verify(w http.ResponseWriter, r *http.Request) error {
	userID, factor, err := userAndFactor(r)
	if err != nil {
		return err
	}
	var body verifyBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	proof, err := checkProof(body.Code, body.Payload, body.Credential)
	if err != nil {
		return err
	}
	if body.ChallengeID != "" {
		if err := checkID("challenge_id", body.ChallengeID); err != nil {
			return err
		}
	}
	v, err := s.deps.MFA.Verify(r.Context(), s.meta(r), mfa.VerifyRequest{UserID: userID, Factor: factor, Proof: proof, ChallengeID: body.ChallengeID})
	if err != nil {
		return err
	}
	out := verifiedJSON{
		Result: "ok", CredentialID: v.Credential.ID, Factor: factor,
		AMR: nonNil(v.AMR), VerifiedAt: v.At.UTC(), UserVerified: v.UserVerified,
	}
	if d := toDisplay(v.Display); !d.empty() {
		out.Display = &d
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// nonNil makes a nil list encode as [] rather than null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
