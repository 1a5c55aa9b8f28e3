package accounting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
)

// Request types (the root element of an XML body) and their members. The
// opt-in's request type is not documented; its name follows the route.
const (
	optInRequestType  = "OptInTo2FARequest"
	verifyRequestType = "Verify2FAOptInRequest"
	fieldMobileNumber = "MobileNumber"
	fieldProviderUser = "ProviderUserId"
	fieldOTP          = "Otp"
)

// mobilePattern is what a MobileNumber may hold once spaces and
// punctuation are removed; the SMS factor decides whether it is a real number.
var mobilePattern = regexp.MustCompile(`^\+?[0-9]{4,20}$`)

// queryParams holds the query parameters the dialect reads; their
// names match in any case, as in ASP.NET model binding.
type queryParams struct {
	rawFileID   string
	wsAccessKey string
}

func parseQuery(raw string) (queryParams, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return queryParams{}, badRequest("The request URI query is malformed.")
	}
	var q queryParams
	var fileIDs, keys int
	for k, vs := range values {
		switch {
		case strings.EqualFold(k, "FileId"):
			fileIDs += len(vs)
			q.rawFileID = vs[0]
		case strings.EqualFold(k, "WsAccessKey"):
			keys += len(vs)
			q.wsAccessKey = vs[0]
		}
	}
	if fileIDs > 1 {
		return queryParams{}, badRequest("The FileId parameter must be given once.")
	}
	if keys > 1 {
		return queryParams{}, badRequest("The WsAccessKey parameter must be given once.")
	}
	return q, nil
}

// fileID returns the required FileId parameter.
func (q queryParams) fileID() (int64, error) {
	raw := strings.TrimSpace(q.rawFileID)
	if raw == "" {
		return 0, badRequest("The FileId parameter is required.")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, badRequest("The FileId parameter must be an integer.")
	}
	return id, nil
}

// authenticate resolves the caller's API token: an Authorization: Bearer
// header, or else the legacy WsAccessKey query parameter.
func (a *accounting) authenticate(ctx context.Context, r *http.Request, q queryParams) (auth.Principal, error) {
	secret, err := auth.BearerToken(r)
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		if q.wsAccessKey == "" {
			return auth.Principal{}, errUnauthorized
		}
		secret = q.wsAccessKey
	case err != nil:
		return auth.Principal{}, errUnauthorized
	}
	p, err := a.d.Tokens.Authenticate(ctx, secret)
	if errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, errUnauthorized
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("accounting: authenticate: %w", err)
	}
	return p, nil
}

// mediaTypes are the media types of bodies, mapped to whether
// they are XML.
var mediaTypes = map[string]bool{
	"application/json": false,
	"text/json":        false,
	"application/xml":  true,
	"text/xml":         true,
}

// utf8BOM starts bodies that .NET clients write with a UTF-8 encoder.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readBody reads the bounded request body and tells its format from
// Content-Type.
func (a *accounting) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool, error) {
	body, err := httpx.ReadBody(w, r, a.d.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, httpx.ErrBodyTooLarge) {
			return nil, false, &statusError{status: http.StatusRequestEntityTooLarge, message: "The request body is too large."}
		}
		return nil, false, badRequest("The request body could not be read.")
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, badRequest("The request body is required.")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isXML, known := mediaTypes[mt]
	if err != nil || !known || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return nil, false, &statusError{
			status:  http.StatusUnsupportedMediaType,
			message: "The request entity's media type is not supported for this resource. Send application/json, text/json, application/xml or text/xml in UTF-8.",
		}
	}
	return body, isXML, nil
}

// fieldKind is what a request body member holds.
type fieldKind int

const (
	fieldNull   fieldKind = iota // JSON null
	fieldString                  // JSON string
	fieldNumber                  // JSON number
	fieldText                    // XML element text: a string or a number
	fieldOther                   // JSON true, false, object or array
)

// bodyField is one member of a request body as sent.
type bodyField struct {
	kind fieldKind
	// text is the string, the number's literal or the element's text.
	text string
}

// bodyFields decodes a request body of type typeName whose members are
// all among names, each at most once.
func bodyFields(body []byte, isXML bool, typeName string, names ...string) (map[string]bodyField, error) {
	if isXML {
		return xmlFields(body, typeName, names)
	}
	return jsonFields(body, names)
}

// jsonFields decodes a JSON object. Member names match in any case,
// as Json.NET matches them; an unknown or repeated member is refused.
func jsonFields(body []byte, names []string) (map[string]bodyField, error) {
	malformed := badRequest("The request body is not valid JSON.")
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, badRequest("The request body must be a JSON object.")
	}
	fields := make(map[string]bodyField, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		key, _ := tok.(string)
		name, err := member(key, names, fields)
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, malformed
		}
		switch x := v.(type) {
		case nil:
			fields[name] = bodyField{kind: fieldNull}
		case string:
			fields[name] = bodyField{kind: fieldString, text: x}
		case json.Number:
			fields[name] = bodyField{kind: fieldNumber, text: x.String()}
		default:
			fields[name] = bodyField{kind: fieldOther}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, malformed
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badRequest("The request body has data after the JSON object.")
	}
	return fields, nil
}

// member resolves a member name to the documented one it matches
// case-insensitively, refusing unknown and repeated members. The name sent is
// not echoed.
func member(key string, names []string, seen map[string]bodyField) (string, error) {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			if _, dup := seen[n]; dup {
				return "", badRequest("The " + n + " field must be given once.")
			}
			return n, nil
		}
	}
	return "", badRequest("The request body has a field that is not part of the request.")
}

// present reports whether the member was sent with a value.
func present(fields map[string]bodyField, name string) (bodyField, bool) {
	f, ok := fields[name]
	return f, ok && f.kind != fieldNull
}

// parseOptIn returns the opt-in's MobileNumber without spaces and
// punctuation.
func parseOptIn(body []byte, isXML bool) (string, error) {
	fields, err := bodyFields(body, isXML, optInRequestType, fieldMobileNumber)
	if err != nil {
		return "", err
	}
	f, ok := present(fields, fieldMobileNumber)
	if !ok || ((f.kind == fieldString || f.kind == fieldText) && strings.TrimSpace(f.text) == "") {
		return "", badRequest("The MobileNumber field is required.")
	}
	if f.kind != fieldString && f.kind != fieldText {
		return "", badRequest("The MobileNumber field must be a string.")
	}
	if len(f.text) > maxMobileLen {
		return "", errBadMobile
	}
	mobile := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, f.text)
	if !mobilePattern.MatchString(mobile) {
		return "", errBadMobile
	}
	return mobile, nil
}

// verifyRequest is a validated Verify2FAOptInRequest.
type verifyRequest struct {
	providerUserID int32
	otp            string
}

func parseVerify(body []byte, isXML bool) (verifyRequest, error) {
	fields, err := bodyFields(body, isXML, verifyRequestType, fieldProviderUser, fieldOTP)
	if err != nil {
		return verifyRequest{}, err
	}
	var req verifyRequest
	id, ok := present(fields, fieldProviderUser)
	if !ok || (id.kind == fieldText && strings.TrimSpace(id.text) == "") {
		return verifyRequest{}, badRequest("The ProviderUserId field is required.")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id.text), 10, 32)
	if (id.kind != fieldNumber && id.kind != fieldText) || err != nil || n <= 0 {
		return verifyRequest{}, badRequest("The ProviderUserId field must be a positive integer.")
	}
	req.providerUserID = int32(n)
	otp, ok := present(fields, fieldOTP)
	if !ok || ((otp.kind == fieldString || otp.kind == fieldText) && strings.TrimSpace(otp.text) == "") {
		return verifyRequest{}, badRequest("The Otp field is required.")
	}
	if otp.kind != fieldString && otp.kind != fieldText {
		return verifyRequest{}, badRequest("The Otp field must be a string.")
	}
	req.otp = strings.TrimSpace(otp.text)
	if len(req.otp) > maxOTPLen || !printableASCII(req.otp) {
		return verifyRequest{}, badRequest(fmt.Sprintf("The Otp field must be at most %d printable characters.", maxOTPLen))
	}
	return req, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
