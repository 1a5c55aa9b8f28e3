package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/mail"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/factorgate/factorgate/host/internal/httpx"
)

// Limits of request fields.
const (
	maxCodeLen       = 64
	maxIDLen         = 128
	maxParams        = 16
	maxParamValueLen = 512
	minPasswordLen   = 8
	maxPasswordLen   = 256
	maxEmailLen      = 254
)

var (
	factorName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	paramKey   = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	userName   = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
)

// decodeBody decodes the request's JSON object into dst. An empty body leaves
// dst untouched; a present body must be declared JSON, fit the size limit,
// hold exactly one object and name only fields dst has, each once.
func decodeBody(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return &apiError{kind: kindBodyTooLarge, detail: fmt.Sprintf("the request body exceeds %d bytes", mbe.Limit)}
		}
		return &apiError{kind: kindInvalidRequest, detail: "the request body could not be read"}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return &apiError{kind: kindUnsupportedMediaType, detail: "send the request body with Content-Type: application/json"}
	}
	if body[0] != '{' {
		return invalid("", "the request body must be a JSON object")
	}
	if err := httpx.CheckDuplicateKeys(body); err != nil {
		return invalid("", "%s", err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return invalid("", "unexpected data after the JSON object")
	}
	return nil
}

// isJSON reports whether a Content-Type names JSON (application/json or a
// +json type).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// jsonError explains a decoding failure without echoing the body.
func jsonError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return invalid("", "malformed JSON at byte %d", se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return invalid("", "the request body must be a JSON object")
		}
		return invalid(te.Field, "%s must be %s, not a %s", te.Field, jsonTypeName(te.Type), te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("", "malformed JSON: the body ends too early")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field := strings.Trim(name, `"`)
		return invalid(field, "unknown field %q", field)
	}
	return invalid("", "malformed JSON")
}

func jsonTypeName(t reflect.Type) string {
	if t == nil {
		return "a value of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a value of another type"
}

// targetUser resolves the {user} path segment: "me" is the caller, and any
// other user needs a caller that may act on them. The refusal does not depend
// on whether that user exists.
func targetUser(r *http.Request) (string, error) {
	p := principal(r)
	id := r.PathValue("user")
	if id == "me" {
		return p.User.ID, nil
	}
	if err := checkID("user", id); err != nil {
		return "", err
	}
	if !p.CanActOn(id) {
		return "", &apiError{kind: kindForbidden}
	}
	return id, nil
}

// factorParam returns the validated {factor} path segment.
func factorParam(r *http.Request) (string, error) {
	name := r.PathValue("factor")
	if !factorName.MatchString(name) {
		return "", invalid("factor", "factor must be 1–63 lowercase letters, digits and dashes, starting with a letter")
	}
	return name, nil
}

// idParam returns the validated id path segment called name.
func idParam(r *http.Request, name string) (string, error) {
	id := r.PathValue(name)
	return id, checkID(name, id)
}

// checkID validates an identifier: 1–128 printable ASCII characters without
// spaces.
func checkID(field, id string) error {
	if id == "" || len(id) > maxIDLen || !printableASCII(id, false) {
		return invalid(field, "%s must be 1–%d printable ASCII characters without spaces", field, maxIDLen)
	}
	return nil
}

// checkCode validates a one-time code: 1–64 printable ASCII characters.
func checkCode(code string) error {
	if code == "" || len(code) > maxCodeLen || !printableASCII(code, true) {
		return invalid("code", "code must be 1–%d printable ASCII characters", maxCodeLen)
	}
	return nil
}

// checkPayload validates a structured proof: absent, null or a JSON object.
func checkPayload(field string, payload json.RawMessage) (json.RawMessage, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || string(payload) == "null" {
		return nil, nil
	}
	if payload[0] != '{' {
		return nil, invalid(field, "%s must be a JSON object", field)
	}
	return payload, nil
}

// checkParams validates factor parameters: at most 16, lowercase keys, short
// values of printable text.
func checkParams(params map[string]string) error {
	if len(params) > maxParams {
		return invalid("params", "at most %d params are allowed", maxParams)
	}
	for k, v := range params {
		if !paramKey.MatchString(k) {
			return invalid("params", "param name %q must be 1–32 lowercase letters, digits and underscores, starting with a letter", k)
		}
		if utf8.RuneCountInString(v) > maxParamValueLen || !printableText(v) {
			return invalid("params."+k, "params.%s must be at most %d printable characters", k, maxParamValueLen)
		}
	}
	return nil
}

// checkUserName validates a user name: 1–64 letters, digits and ._@-.
func checkUserName(name string) error {
	if !userName.MatchString(name) {
		return invalid("name", "name must be 1–64 letters, digits and . _ @ -")
	}
	return nil
}

// checkPassword validates a password: 8–256 printable characters.
func checkPassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < minPasswordLen || n > maxPasswordLen || !printableText(pw) {
		return invalid("password", "password must be %d–%d printable characters", minPasswordLen, maxPasswordLen)
	}
	return nil
}

// checkEmail validates a bare email address.
func checkEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || len(email) > maxEmailLen {
		return invalid("email", "email must be a plain address such as user@example.com")
	}
	return nil
}

// printableASCII reports whether s holds only printable ASCII, spaces
// included when allowed.
func printableASCII(s string, space bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > '~' || c < ' ' || (c == ' ' && !space) {
			return false
		}
	}
	return true
}

// printableText reports whether s is valid UTF-8 without control characters.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// clientIP is the client's address for the audit log.
func clientIP(r *http.Request, trusted []netip.Prefix) string { return httpx.ClientIP(r, trusted) }
