package api

import (
	"net/http"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// credentialJSON is one of a user's credentials, without its state.
type credentialJSON struct {
	ID          string    `json:"id"`
	Factor      string    `json:"factor"`
	Status      string    `json:"status"`
	DisplayName string    `json:"display_name"`
	AMR         []string  `json:"amr"`
	CreatedAt   time.Time `json:"created_at"`
	LastUsedAt  time.Time `json:"last_used_at,omitzero"`
	// ExpiresAt is when a pending enrollment lapses.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Name is the name the user gave the credential (a security key's).
	Name string `json:"name,omitempty"`
	// Key is the factor's public key of the credential (a WebAuthn
	// credential ID), for a factor whose users hold several.
	Key string `json:"key,omitempty"`
}

func toCredential(c mfa.CredentialInfo) credentialJSON {
	out := credentialJSON{
		ID: c.ID, Factor: c.Factor, Status: string(c.Status), DisplayName: c.DisplayName,
		AMR: nonNil(c.AMR), CreatedAt: c.CreatedAt.UTC(), Name: c.Name, Key: c.Key,
	}
	if !c.LastUsedAt.IsZero() {
		out.LastUsedAt = c.LastUsedAt.UTC()
	}
	if !c.ExpiresAt.IsZero() {
		out.ExpiresAt = c.ExpiresAt.UTC()
	}
	return out
}

type credentialListJSON struct {
	Factors []credentialJSON `json:"factors"`
}

// listCredentials serves GET /v1/users/{user}/factors.
func (s *server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	userID, err := targetUser(r)
	if err != nil {
		return err
	}
	creds, err := s.deps.MFA.ListCredentials(r.Context(), userID)
	if err != nil {
		return err
	}
	out := credentialListJSON{Factors: make([]credentialJSON, 0, len(creds))}
	for _, c := range creds {
		out.Factors = append(out.Factors, toCredential(c))
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

// removeCredential serves DELETE /v1/users/{user}/factors/{credential}.
func (s *server) removeCredential(w http.ResponseWriter, r *http.Request) error {
	userID, err := targetUser(r)
	if err != nil {
		return err
	}
	credential, err := idParam(r, "credential")
	if err != nil {
		return err
	}
	if _, err := s.deps.MFA.RemoveCredential(r.Context(), s.meta(r), userID, credential); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// factorJSON is one configured factor instance.
type factorJSON struct {
	Name         string   `json:"name"`
	Plugin       string   `json:"plugin"`
	DisplayName  string   `json:"display_name"`
	Version      string   `json:"version"`
	AMR          []string `json:"amr"`
	Capabilities []string `json:"capabilities"`
	// ProofKind and EnrollParams tell a client how to ask its user for the
	// factor: a typed code, a code the factor sends, a browser ceremony; and
	// what an enrollment needs.
	ProofKind    string            `json:"proof_kind"`
	EnrollParams []enrollParamJSON `json:"enroll_params"`
	// MultipleCredentials says a user may hold several credentials of the
	// factor (security keys and passkeys), each enrolled and removed apart.
	MultipleCredentials bool   `json:"multiple_credentials"`
	Health              string `json:"health"`
	InProcess           bool   `json:"in_process"`
}

// enrollParamJSON is a value an enrollment asks for.
type enrollParamJSON struct {
	Name      string `json:"name"`
	Label     string `json:"label"`
	InputType string `json:"input_type"`
	Optional  bool   `json:"optional"`
}

type factorListJSON struct {
	Factors []factorJSON `json:"factors"`
}

// listFactors serves GET /v1/factors.
func (s *server) listFactors(w http.ResponseWriter, r *http.Request) error {
	infos := s.deps.Factors.Instances()
	out := factorListJSON{Factors: make([]factorJSON, 0, len(infos))}
	for _, in := range infos {
		out.Factors = append(out.Factors, factorJSON{
			Name: in.Name, Plugin: in.Plugin, DisplayName: in.Description.DisplayName,
			Version: in.Description.Version, AMR: nonNil(in.Description.AMR),
			Capabilities: capabilities(in.Description.Capabilities), Health: string(in.Health), InProcess: in.InProcess,
			ProofKind: string(in.Description.Proof()), EnrollParams: enrollParams(in.Description.EnrollParams),
			MultipleCredentials: in.Description.MultipleCredentials,
		})
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}

func enrollParams(ps []sdk.EnrollParam) []enrollParamJSON {
	out := make([]enrollParamJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, enrollParamJSON{Name: p.Name, Label: p.Label, InputType: p.InputType, Optional: p.Optional})
	}
	return out
}

func capabilities(caps []sdk.Capability) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		out = append(out, string(c))
	}
	return out
}
