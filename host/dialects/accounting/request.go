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
	accountingOptInRequestType  = "OptInTo2FARequest"
	accountingVerifyRequestType = "Verify2FAOptInRequest"
	accountingFieldMobileNumber = "MobileNumber"
	accountingFieldProviderUser = "ProviderUserId"
	accountingFieldOTP          = "Otp"
)

// accountingMobile is what a MobileNumber may hold once spaces and
// punctuation are removed; the SMS factor decides whether it is a real number.
var accountingMobile = regexp.MustCompile(`^\+?[0-9]{4,20}$`)

// accountingQuery holds the query parameters the dialect reads; their
// names match in any case, as in ASP.NET model binding.
type accountingQuery struct {
	rawFileID   string
	wsAccessKey string
}

func parseAccountingQuery(raw string) (accountingQuery, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return accountingQuery{}, accountingBadRequest("The request URI query is malformed.")
	}
	var q accountingQuery
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
		return accountingQuery{}, accountingBadRequest("The FileId parameter must be given once.")
	}
	if keys > 1 {
		return accountingQuery{}, accountingBadRequest("The WsAccessKey parameter must be given once.")
	}
	return q, nil
}

// fileID returns the required FileId parameter.
func (q accountingQuery) fileID() (int64, error) {
	raw := strings.TrimSpace(q.rawFileID)
	if raw == "" {
		return 0, accountingBadRequest("The FileId parameter is required.")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, accountingBadRequest("The FileId parameter must be an integer.")
	}
	return id, nil
}

// authenticate resolves the caller's API token: an Authorization: Bearer
// header, or else the legacy WsAccessKey query parameter.
func (a *accounting) authenticate(ctx context.Context, r *http.Request, q accountingQuery) (auth.Principal, error) {
	secret, err := auth.BearerToken(r)
	switch {
	case errors.Is(err, auth.ErrNoCredentials):
		if q.wsAccessKey == "" {
			return auth.Principal{}, errAccountingUnauthorized
		}
		secret = q.wsAccessKey
	case err != nil:
		return auth.Principal{}, errAccountingUnauthorized
	}
	p, err := a.d.Tokens.Authenticate(ctx, secret)
	if errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, errAccountingUnauthorized
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("accounting: authenticate: %w", err)
	}
	return p, nil
}

// accountingMediaTypes are the media types of bodies, mapped to whether
// they are XML.
var accountingMediaTypes = map[string]bool{
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
			return nil, false, &accountingError{status: http.StatusRequestEntityTooLarge, message: "The request body is too large."}
		}
		return nil, false, accountingBadRequest("The request body could not be read.")
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, false, accountingBadRequest("The request body is required.")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isXML, known := accountingMediaTypes[mt]
	if err != nil || !known || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return nil, false, &accountingError{
			status:  http.StatusUnsupportedMediaType,
			message: "The request entity's media type is not supported for this resource. Send application/json, text/json, application/xml or text/xml in UTF-8.",
		}
	}
	return body, isXML, nil
}

// accountingFieldKind is what a request body member holds.
type accountingFieldKind int

const (
	accountingNull   accountingFieldKind = iota // JSON null
	accountingString                            // JSON string
	accountingNumber                            // JSON number
	accountingText                              // XML element text: a string or a number
	accountingOther                             // JSON true, false, object or array
)

// accountingField is one member of a request body as sent.
type accountingField struct {
	kind accountingFieldKind
	// text is the string, the number's literal or the element's text.
	text string
}

// accountingFields decodes a request body of type typeName whose members are
// all among names, each at most once.
func accountingFields(body []byte, isXML bool, typeName string, names ...string) (map[string]accountingField, error) {
	if isXML {
		return accountingXMLFields(body, typeName, names)
	}
	return accountingJSONFields(body, names)
}

// accountingJSONFields decodes a JSON object. Member names match in any case,
// as Json.NET matches them; an unknown or repeated member is refused.
func accountingJSONFields(body []byte, names []string) (map[string]accountingField, error) {
	malformed := accountingBadRequest("The request body is not valid JSON.")
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, accountingBadRequest("The request body must be a JSON object.")
	}
	fields := make(map[string]accountingField, len(names))
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		key, _ := tok.(string)
		name, err := accountingMember(key, names, fields)
		if err != nil {
			return nil, err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, malformed
		}
		switch x := v.(type) {
		case nil:
			fields[name] = accountingField{kind: accountingNull}
		case string:
			fields[name] = accountingField{kind: accountingString, text: x}
		case json.Number:
			fields[name] = accountingField{kind: accountingNumber, text: x.String()}
		default:
			fields[name] = accountingField{kind: accountingOther}
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, malformed
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, accountingBadRequest("The request body has data after the JSON object.")
	}
	return fields, nil
}

// accountingMember resolves a member name to the documented one it matches
// case-insensitively, refusing unknown and repeated members. The name sent is
// not echoed.
func accountingMember(key string, names []string, seen map[string]accountingField) (string, error) {
	for _, n := range names {
		if strings.EqualFold(key, n) {
			if _, dup := seen[n]; dup {
				return "", accountingBadRequest("The " + n + " field must be given once.")
			}
			return n, nil
		}
	}
	return "", accountingBadRequest("The request body has a field that is not part of the request.")
}

// present reports whether the member was sent with a value.
func accountingPresent(fields map[string]accountingField, name string) (accountingField, bool) {
	f, ok := fields[name]
	return f, ok && f.kind != accountingNull
}

// parseAccountingOptIn returns the opt-in's MobileNumber without spaces and
// punctuation.
func parseAccountingOptIn(body []byte, isXML bool) (string, error) {
	fields, err := accountingFields(body, isXML, accountingOptInRequestType, accountingFieldMobileNumber)
	if err != nil {
		return "", err
	}
	f, ok := accountingPresent(fields, accountingFieldMobileNumber)
	if !ok || ((f.kind == accountingString || f.kind == accountingText) && strings.TrimSpace(f.text) == "") {
		return "", accountingBadRequest("The MobileNumber field is required.")
	}
	if f.kind != accountingString && f.kind != accountingText {
		return "", accountingBadRequest("The MobileNumber field must be a string.")
	}
	if len(f.text) > accountingMaxMobileLen {
		return "", errAccountingBadMobile
	}
	mobile := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '(', ')', '.':
			return -1
		}
		return r
	}, f.text)
	if !accountingMobile.MatchString(mobile) {
		return "", errAccountingBadMobile
	}
	return mobile, nil
}

// accountingVerifyRequest is a validated Verify2FAOptInRequest.
type accountingVerifyRequest struct {
	providerUserID int32
	otp            string
}

func parseAccountingVerify(body []byte, isXML bool) (accountingVerifyRequest, error) {
	fields, err := accountingFields(body, isXML, accountingVerifyRequestType, accountingFieldProviderUser, accountingFieldOTP)
	if err != nil {
		return accountingVerifyRequest{}, err
	}
	var req accountingVerifyRequest
	id, ok := accountingPresent(fields, accountingFieldProviderUser)
	if !ok || (id.kind == accountingText && strings.TrimSpace(id.text) == "") {
		return accountingVerifyRequest{}, accountingBadRequest("The ProviderUserId field is required.")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(id.text), 10, 32)
	if (id.kind != accountingNumber && id.kind != accountingText) || err != nil || n <= 0 {
		return accountingVerifyRequest{}, accountingBadRequest("The ProviderUserId field must be a positive integer.")
	}
	req.providerUserID = int32(n)
	otp, ok := accountingPresent(fields, accountingFieldOTP)
	if !ok || ((otp.kind == accountingString || otp.kind == accountingText) && strings.TrimSpace(otp.text) == "") {
		return accountingVerifyRequest{}, accountingBadRequest("The Otp field is required.")
	}
	if otp.kind != accountingString && otp.kind != accountingText {
		return accountingVerifyRequest{}, accountingBadRequest("The Otp field must be a string.")
	}
	req.otp = strings.TrimSpace(otp.text)
	if len(req.otp) > accountingMaxOTPLen || !accountingPrintableASCII(req.otp) {
		return accountingVerifyRequest{}, accountingBadRequest(fmt.Sprintf("The Otp field must be at most %d printable characters.", accountingMaxOTPLen))
	}
	return req, nil
}

func accountingPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
