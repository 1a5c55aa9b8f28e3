package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// displayJSON is what a factor shows the user; empty fields are left out.
type displayJSON struct {
	Secret            string            `json:"secret,omitempty"`
	OTPAuthURI        string            `json:"otpauth_uri,omitempty"`
	QRPNG             string            `json:"qr_png,omitempty"`
	MaskedDestination string            `json:"masked_destination,omitempty"`
	Codes             []string          `json:"codes,omitempty"`
	Remaining         int               `json:"remaining,omitempty"`
	Options           json.RawMessage   `json:"options,omitempty"`
	Message           string            `json:"message,omitempty"`
	ExpiresAt         time.Time         `json:"expires_at,omitzero"`
	Extra             map[string]string `json:"extra,omitempty"`
}

// toDisplay converts a factor's display. Options that are not a JSON object
// are dropped rather than sent as something a client cannot parse.
func toDisplay(d sdk.Display) displayJSON {
	out := displayJSON{
		Secret: d.Secret, OTPAuthURI: d.URI, MaskedDestination: d.MaskedDestination,
		Codes: d.Codes, Remaining: d.Remaining, Message: d.Message, Extra: d.Extra,
	}
	if len(d.QRPNG) > 0 {
		out.QRPNG = base64.StdEncoding.EncodeToString(d.QRPNG)
	}
	if opts := []byte(d.OptionsJSON); len(opts) > 0 && opts[0] == '{' && json.Valid(opts) {
		out.Options = opts
	}
	if !d.ExpiresAt.IsZero() {
		out.ExpiresAt = d.ExpiresAt.UTC()
	}
	return out
}

func (d displayJSON) empty() bool {
	return d.Secret == "" && d.OTPAuthURI == "" && d.QRPNG == "" && d.MaskedDestination == "" &&
		len(d.Codes) == 0 && d.Remaining == 0 && len(d.Options) == 0 && d.Message == "" &&
		d.ExpiresAt.IsZero() && len(d.Extra) == 0
}

// pendingJSON is a pending enrollment or an outstanding challenge: its id,
// factor, deadline and what to show the user. Status, on enrollments, is
// "pending", or "active" for a factor that needs no confirmation (backup
// codes are active once shown; the id is then the credential's).
type pendingJSON struct {
	ID        string      `json:"id"`
	Factor    string      `json:"factor"`
	Status    string      `json:"status,omitempty"`
	ExpiresAt time.Time   `json:"expires_at,omitzero"`
	Display   displayJSON `json:"display"`
}

type beginEnrollmentBody struct {
	Params map[string]string `json:"params"`
	// Replace enrolls again while the factor is active; the new credential
	// replaces the old one when confirmed (a new set of backup codes).
	Replace bool `json:"replace"`
}

// beginEnrollment serves POST /v1/users/{user}/factors/{factor}/enrollments.
func (s *server) beginEnrollment(w http.ResponseWriter, r *http.Request) error {
	userID, factor, err := userAndFactor(r)
	if err != nil {
		return err
	}
	var body beginEnrollmentBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if err := checkParams(body.Params); err != nil {
		return err
	}
	e, err := s.deps.MFA.BeginEnrollment(r.Context(), s.meta(r), mfa.BeginRequest{
		UserID: userID, Factor: factor, Params: body.Params, Replace: body.Replace,
	})
	if err != nil {
		return err
	}
	status := "pending"
	if e.Active {
		status = "active"
	}
	s.writeJSON(w, r, http.StatusCreated, pendingJSON{ID: e.ID, Factor: e.Factor, Status: status, ExpiresAt: e.ExpiresAt.UTC(), Display: toDisplay(e.Display)})
	return nil
}

type confirmBody struct {
	Code string `json:"code"`
	// Payload is a structured proof (a WebAuthn response) instead of a code.
	Payload json.RawMessage `json:"payload"`
	// Credential is the PublicKeyCredential a browser returned (its
	// toJSON() form), the same as Payload under the name WebAuthn uses.
	Credential json.RawMessage `json:"credential"`
	// Replace must match the enrollment's replace.
	Replace bool `json:"replace"`
}

type confirmedJSON struct {
	Credential credentialJSON `json:"credential"`
	Display    displayJSON    `json:"display"`
}

// confirmEnrollment serves POST /v1/users/{user}/factors/{factor}/enrollments/{enrollment}/confirm.
func (s *server) confirmEnrollment(w http.ResponseWriter, r *http.Request) error {
	userID, factor, err := userAndFactor(r)
	if err != nil {
		return err
	}
	enrollment, err := idParam(r, "enrollment")
	if err != nil {
		return err
	}
	var body confirmBody
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	proof, err := checkProof(body.Code, body.Payload, body.Credential)
	if err != nil {
		return err
	}
	c, err := s.deps.MFA.ConfirmEnrollment(r.Context(), s.meta(r), mfa.ConfirmRequest{
		UserID: userID, EnrollmentID: enrollment, Factor: factor, Proof: proof, Replace: body.Replace,
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, confirmedJSON{Credential: toCredential(c.Credential), Display: toDisplay(c.Display)})
	return nil
}

// cancelEnrollment serves DELETE /v1/users/{user}/factors/{factor}/enrollments/pending.
func (s *server) cancelEnrollment(w http.ResponseWriter, r *http.Request) error {
	userID, factor, err := userAndFactor(r)
	if err != nil {
		return err
	}
	if _, err := s.deps.MFA.CancelEnrollment(r.Context(), s.meta(r), userID, factor); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userAndFactor validates the {user} and {factor} path segments.
func userAndFactor(r *http.Request) (userID, factor string, err error) {
	if userID, err = targetUser(r); err != nil {
		return "", "", err
	}
	if factor, err = factorParam(r); err != nil {
		return "", "", err
	}
	return userID, factor, nil
}

// checkProof validates a code or structured proof (a payload, or a WebAuthn
// credential); one of them is required.
func checkProof(code string, payload, credential json.RawMessage) (sdk.Proof, error) {
	payload, err := checkPayload("payload", payload)
	if err != nil {
		return sdk.Proof{}, err
	}
	credential, err = checkPayload("credential", credential)
	switch {
	case err != nil:
		return sdk.Proof{}, err
	case credential != nil && payload != nil:
		return sdk.Proof{}, invalid("credential", "give credential or payload, not both")
	case credential != nil:
		payload = credential
	}
	if code == "" && payload == nil {
		return sdk.Proof{}, invalid("code", "code (or credential) is required")
	}
	if code != "" {
		if err := checkCode(code); err != nil {
			return sdk.Proof{}, err
		}
	}
	return sdk.Proof{Code: code, Payload: payload}, nil
}
