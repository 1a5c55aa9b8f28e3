package slugbase

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
)

// authenticate resolves the caller: an Authorization header is a personal API
// token and needs no CSRF token; otherwise the session cookie, whose
// state-changing requests must carry the session's CSRF token.
func (s *slugBase) authenticate(r *http.Request, csrf bool) (auth.Principal, error) {
	if len(r.Header.Values("Authorization")) > 0 {
		if s.d.Tokens == nil {
			return auth.Principal{}, errUnauthorized
		}
		secret, err := auth.BearerToken(r)
		if err != nil {
			return auth.Principal{}, errUnauthorized
		}
		p, err := s.d.Tokens.Authenticate(r.Context(), secret)
		if errors.Is(err, auth.ErrBadToken) {
			return auth.Principal{}, errUnauthorized
		}
		if err != nil {
			return auth.Principal{}, fmt.Errorf("slugbase: authenticate token: %w", err)
		}
		return p, nil
	}
	se, err := s.session(r)
	if err != nil {
		return auth.Principal{}, err
	}
	if csrf && !auth.CheckCSRF(se.Secret, r.Header.Get(CSRFHeader)) {
		return auth.Principal{}, errBadCSRF
	}
	return se.Principal, nil
}

// session resolves the request's session cookie.
func (s *slugBase) session(r *http.Request) (auth.Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || s.d.Sessions == nil {
		return auth.Session{}, errUnauthorized
	}
	se, err := s.d.Sessions.Authenticate(r.Context(), c.Value)
	if errors.Is(err, auth.ErrBadSession) {
		return auth.Session{}, errUnauthorized
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("slugbase: authenticate session: %w", err)
	}
	return se, nil
}

// readBody reads the whole request body within the size limit.
func (s *slugBase) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := httpx.ReadBody(w, r, s.d.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, httpx.ErrBodyTooLarge) {
			return nil, &statusError{http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("The request body exceeds %d bytes", s.d.MaxBodyBytes)}
		}
		return nil, &statusError{http.StatusBadRequest, "INVALID_BODY", "The request body could not be read"}
	}
	return body, nil
}

// decodeBody parses a request body: empty, or one JSON object, declared
// as JSON, naming only the allowed fields (matched exactly, as SlugBase's
// parser does). It returns each field's raw value.
func decodeBody(r *http.Request, body []byte, allowed ...string) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, errContentType
	}
	if body[0] != '{' || httpx.CheckDuplicateKeys(body) != nil {
		return nil, errInvalidJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return nil, errInvalidJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errInvalidJSON
	}
	for name := range fields {
		if !slices.Contains(allowed, name) {
			return nil, unknownField(allowed)
		}
	}
	return fields, nil
}

// unknownField names what the endpoint accepts rather than echoing
// what the caller sent.
func unknownField(allowed []string) *statusError {
	msg := "The request body must be empty or {}"
	if len(allowed) > 0 {
		msg = "The request body may only contain: " + strings.Join(allowed, ", ")
	}
	return &statusError{http.StatusBadRequest, "UNKNOWN_FIELD", msg}
}

// jsonString returns a JSON string value. As in SlugBase, a missing, null,
// empty or non-string code is no code.
func jsonString(raw json.RawMessage) (string, bool) {
	var code string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &code) != nil || code == "" {
		return "", false
	}
	return code, true
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")))
}

// printable reports whether s is printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}
