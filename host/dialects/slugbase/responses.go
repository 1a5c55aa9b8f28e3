package slugbase

import (
	"encoding/json"
	"net/http"
)

type beginResponse struct {
	OTPAuthURL string `json:"otpauth_url"`
	Secret     string `json:"secret"`
}

type confirmResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

type statusResponse struct {
	Enabled    bool    `json:"enabled"`
	EnrolledAt *string `json:"enrolled_at"`
}

type okResponse struct {
	OK bool `json:"ok"`
}

type csrfResponse struct {
	CSRFToken string `json:"csrfToken"`
}

// writeJSON writes v compactly, as SlugBase does. Responses carry secrets
// and codes, so nothing may cache them.
func (s *slugBase) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // the response types always encode
		s.d.Logger.ErrorContext(r.Context(), "slugbase: encode response", "error", err)
		status = http.StatusInternalServerError
		body = []byte(`{"error":"Internal Server Error","message":"Request failed","code":500,"details":"INTERNAL_ERROR"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
