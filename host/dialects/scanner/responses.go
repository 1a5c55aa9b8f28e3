package scanner

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// successBody is the body of every success.
type successBody struct {
	Status string `json:"status"`
	Method string `json:"method,omitempty"`
	// Secret and OTPAuthURL let the user add a TOTP key to an app.
	Secret     string `json:"secret,omitempty"`
	OTPAuthURL string `json:"otpauth_url,omitempty"`
}

// write sends v as compact JSON without a trailing newline, as the vendor
// does, and without HTML escaping (messages show <token>). Only plain structs
// of strings are sent, which always encode.
func (s *scanner) write(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	body := []byte(`{"error":"internal error"}`)
	if err := enc.Encode(v); err != nil {
		s.d.Logger.ErrorContext(r.Context(), "scanner: encode response", "error", err)
		status = http.StatusInternalServerError
	} else {
		body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client went away; there is no one to tell.
	_, _ = w.Write(body)
}
