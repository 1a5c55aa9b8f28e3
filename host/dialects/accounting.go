package dialects

// The accounting dialect: the accounting service's two-step SMS opt-in,
//
//	POST /User/opt-in-to-2fa?FileId=N     {"MobileNumber": "0499999999"} -> {"ProviderUserId": 123}
//	POST /User/verify-2fa-opt-in?FileId=N {"ProviderUserId": 123, "Otp": "1234567"} -> BaseResponseModel
//
// in the shape of its ASP.NET Web API: query parameter names in any case,
// bodies in JSON or XML chosen by Content-Type and Accept, errors as
// {"Message": "..."} (or <Error><Message>...</Message></Error>) and 401 with
// an empty body. The opt-in begins an enrollment of the SMS factor instance
// routed as RouteAccountingSMS (which sends the code); the verification
// confirms it.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Paths of the accounting dialect, as documented (matched case-sensitively).
const (
	accountingOptInPath  = "/User/opt-in-to-2fa"
	accountingVerifyPath = "/User/verify-2fa-opt-in"
	// The OAuth 2 password-grant endpoints; both behave alike.
	accountingTokenPath    = "/authorisation/token"
	accountingToken2FAPath = "/authorisation/token-2fa"
)

const (
	// accountingVia names the dialect in audit records.
	accountingVia = "accounting"
	// accountingDefaultRegion is the region of a MobileNumber in national
	// form (0499 999 999): the accounting service is Australian.
	accountingDefaultRegion = "AU"
	// accountingAPIVersion is the only X-Api-Version the service accepts.
	accountingAPIVersion = "1.0"
	// Limits of request fields.
	accountingMaxOTPLen    = 64
	accountingMaxMobileLen = 32
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

// accountingVerifiedMessage is the StatusMessage of a verified opt-in.
const accountingVerifiedMessage = "2FA opt-in verified. Two-factor authentication is now enabled for this user."

// accountingMobile is what a MobileNumber may hold once spaces and
// punctuation are removed; the SMS factor decides whether it is a real number.
var accountingMobile = regexp.MustCompile(`^\+?[0-9]{4,20}$`)

// RegisterAccounting serves the accounting service's 2FA opt-in endpoints on
// mux, when the route table names a factor instance for RouteAccountingSMS.
// It panics when Deps.MFA or Deps.Tokens is missing, a wiring mistake.
func RegisterAccounting(mux *http.ServeMux, d Deps) {
	d = d.withDefaults()
	factor, ok := d.factor(RouteAccountingSMS)
	if !ok {
		return
	}
	if d.MFA == nil || d.Tokens == nil {
		panic("dialects.RegisterAccounting: Deps.MFA and Deps.Tokens are required")
	}
	a := &accounting{d: d, factor: factor}
	// Registered for every method, so that other methods get a 405 in the
	// dialect's own shape rather than the mux's plain text.
	mux.Handle(accountingOptInPath, a.handle(a.optIn))
	mux.Handle(accountingVerifyPath, a.handle(a.verify))
	if d.SignIn != nil {
		mux.Handle(accountingTokenPath, http.HandlerFunc(a.token))
		mux.Handle(accountingToken2FAPath, http.HandlerFunc(a.token))
	}
}

// accounting serves the dialect with the factor instance its route names.
type accounting struct {
	d      Deps
	factor string
}

// accountingCall is an authenticated request with its body read.
type accountingCall struct {
	principal auth.Principal
	meta      mfa.Meta
	fileID    int64
	body      []byte
	xml       bool // the body is XML (else JSON)
}

// accountingOp serves one endpoint once the request is authenticated.
type accountingOp func(ctx context.Context, c *accountingCall) (accountingBody, error)

// accountingBody is a success response: a JSON value and its XML form.
type accountingBody interface {
	xmlValue() any
}

var (
	_ accountingBody = accountingBaseResponse{}
	_ accountingBody = accountingOptInResponse{}
)

func (a *accounting) handle(op accountingOp) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		out := accountingResponseFormat(r)
		resp, err := a.serve(w, r, op)
		if err != nil {
			a.writeError(w, r, out, err)
			return
		}
		a.write(w, r, out, resp)
	})
}

// serve checks the request in a fixed order (method, version, query,
// credentials, file, body) and runs op. Credentials come before the FileId
// and the body, so an unauthenticated caller learns nothing about either.
func (a *accounting) serve(w http.ResponseWriter, r *http.Request, op accountingOp) (accountingBody, error) {
	if r.Method != http.MethodPost {
		return nil, errAccountingMethod
	}
	if v := r.Header.Values("X-Api-Version"); len(v) > 1 || (len(v) == 1 && strings.TrimSpace(v[0]) != accountingAPIVersion) {
		return nil, accountingBadRequest("The X-Api-Version header must be " + accountingAPIVersion + ".")
	}
	q, err := parseAccountingQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	p, err := a.authenticate(r.Context(), r, q)
	if err != nil {
		return nil, err
	}
	fileID, err := q.fileID()
	if err != nil {
		return nil, err
	}
	// A file is the caller's organisation; another one is not theirs to
	// act on, and whether it exists is not said.
	if fileID != p.User.OrgID {
		return nil, errAccountingUnauthorized
	}
	body, isXML, err := a.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return op(r.Context(), &accountingCall{principal: p, meta: a.d.meta(r, p, accountingVia), fileID: fileID, body: body, xml: isXML})
}

// optIn begins the SMS enrollment, which sends the code, and answers with
// the ProviderUserId that the verification names it by.
func (a *accounting) optIn(ctx context.Context, c *accountingCall) (accountingBody, error) {
	mobile, err := parseAccountingOptIn(c.body, c.xml)
	if err != nil {
		return nil, err
	}
	params := map[string]string{"phone": mobile}
	if !strings.HasPrefix(mobile, "+") {
		params["country"] = accountingDefaultRegion
	}
	en, err := a.d.MFA.BeginEnrollment(ctx, c.meta, mfa.BeginRequest{UserID: c.principal.User.ID, Factor: a.factor, Params: params})
	if err != nil {
		return nil, fmt.Errorf("accounting opt-in: %w", err)
	}
	return accountingOptInResponse{ProviderUserID: accountingProviderUserID(en.ID)}, nil
}

// verify confirms the caller's pending enrollment that ProviderUserId names.
func (a *accounting) verify(ctx context.Context, c *accountingCall) (accountingBody, error) {
	req, err := parseAccountingVerify(c.body, c.xml)
	if err != nil {
		return nil, err
	}
	userID := c.principal.User.ID
	// Only the caller's own pending enrollment is looked at, so a
	// ProviderUserId can never reach another user's enrollment.
	pending, err := a.d.MFA.PendingEnrollment(ctx, userID, a.factor)
	if err != nil {
		return nil, fmt.Errorf("accounting verify: pending enrollment: %w", err)
	}
	if accountingProviderUserID(pending.ID) != req.providerUserID {
		// An id of an earlier, replaced opt-in, or a wrong one.
		return nil, &mfa.Error{Kind: mfa.ErrNoEnrollment}
	}
	_, err = a.d.MFA.ConfirmEnrollment(ctx, c.meta, mfa.ConfirmRequest{UserID: userID, EnrollmentID: pending.ID, Proof: sdk.Proof{Code: req.otp}})
	if err != nil {
		return nil, fmt.Errorf("accounting verify: %w", err)
	}
	return accountingBaseResponse{
		StatusMessage: accountingVerifiedMessage,
		Links: []accountingLink{{
			Rel: "self", Href: accountingVerifyPath + "?FileId=" + strconv.FormatInt(c.fileID, 10),
			Method: http.MethodPost, Title: "Verify 2FA opt-in",
		}},
	}, nil
}

// accountingProviderUserID is the ProviderUserId of a pending enrollment: a
// positive 31-bit number (the service's ids are Int32) derived from the
// enrollment's id. It needs no storage because it names an enrollment only
// among the caller's own: verify compares it with the caller's pending one.
func accountingProviderUserID(enrollmentID string) int32 {
	sum := sha256.Sum256([]byte("factorgate accounting ProviderUserId\x00" + enrollmentID))
	id := int32(binary.BigEndian.Uint32(sum[:4]) & math.MaxInt32)
	if id == 0 {
		return 1
	}
	return id
}

// --- authentication and query ---

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

// --- request bodies ---

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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.d.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
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

// --- responses ---

// accountingFormat is the negotiated format of the response.
type accountingFormat struct {
	mediaType string
	xml       bool
}

// accountingResponseFormat negotiates as ASP.NET Web API does: the Accept
// type with the highest quality among those served, else the request's own
// Content-Type, else JSON. Media ranges (*/*, text/*) state no preference.
func accountingResponseFormat(r *http.Request) accountingFormat {
	best, bestQ := "", 0.0
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if _, ok := accountingMediaTypes[mt]; !ok {
				continue
			}
			q := 1.0
			if s, ok := params["q"]; ok {
				if q, err = strconv.ParseFloat(s, 64); err != nil || math.IsNaN(q) || q < 0 || q > 1 {
					continue
				}
			}
			if q > bestQ {
				best, bestQ = mt, q
			}
		}
	}
	if best == "" {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil {
			if _, ok := accountingMediaTypes[mt]; ok {
				best = mt
			}
		}
	}
	if best == "" {
		best = "application/json"
	}
	return accountingFormat{mediaType: best, xml: accountingMediaTypes[best]}
}

// accountingLink is a hypermedia link to a next action.
type accountingLink struct {
	Rel    string `json:"rel" xml:"rel"`
	Href   string `json:"href" xml:"href"`
	Method string `json:"method" xml:"method"`
	Title  string `json:"title" xml:"title"`
}

// accountingBaseResponse is the BaseResponseModel. Json.NET writes a derived
// class's members first, so in JSON StatusMessage precedes _links.
type accountingBaseResponse struct {
	StatusMessage string           `json:"StatusMessage"`
	Links         []accountingLink `json:"_links"`
}

// accountingOptInResponse is the opt-in's answer.
type accountingOptInResponse struct {
	ProviderUserID int32 `json:"ProviderUserId"`
}

// write renders a success in the negotiated format, indented as in the
// service's documentation.
func (a *accounting) write(w http.ResponseWriter, r *http.Request, f accountingFormat, v accountingBody) {
	var body []byte
	var err error
	if f.xml {
		body, err = accountingMarshalXML(v.xmlValue())
	} else {
		body, err = accountingMarshalJSON(v, "  ")
	}
	if err != nil {
		a.writeError(w, r, f, fmt.Errorf("accounting: encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", f.mediaType+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// accountingMarshalJSON encodes v without escaping HTML characters (as
// Json.NET) and without a trailing newline, indented when indent is set.
func accountingMarshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// --- errors ---

// accountingError is a failure found by the dialect itself.
type accountingError struct {
	status  int
	message string
}

func (e *accountingError) Error() string {
	return fmt.Sprintf("accounting: %d %s", e.status, e.message)
}

func accountingBadRequest(message string) *accountingError {
	return &accountingError{status: http.StatusBadRequest, message: message}
}

// accountingInternalMessage is ASP.NET's message for a server failure; the
// cause is logged, never sent.
const accountingInternalMessage = "An error has occurred."

var (
	errAccountingUnauthorized = &accountingError{status: http.StatusUnauthorized}
	errAccountingMethod       = &accountingError{status: http.StatusMethodNotAllowed, message: "The requested resource does not support this HTTP method. Use POST."}
	errAccountingBadMobile    = accountingBadRequest("The MobileNumber field is not a valid mobile number.")
)

// accountingLifecycleErrors maps each lifecycle failure to its status and
// message, once. 429s carry Retry-After.
var accountingLifecycleErrors = []struct {
	kind    error
	status  int
	message string
}{
	{mfa.ErrUserNotFound, http.StatusUnauthorized, ""},
	{mfa.ErrInvalidParams, http.StatusBadRequest, errAccountingBadMobile.message},
	{mfa.ErrAlreadyEnrolled, http.StatusBadRequest, "2FA is already enabled for this user."},
	{mfa.ErrNoEnrollment, http.StatusBadRequest, "No 2FA opt-in is pending for this ProviderUserId, or it has expired. Opt in again."},
	{mfa.ErrNotEnrolled, http.StatusBadRequest, "2FA is not enabled for this user."},
	{mfa.ErrNoChallenge, http.StatusBadRequest, "No OTP has been sent. Opt in again."},
	{mfa.ErrInvalidCode, http.StatusBadRequest, "The OTP is incorrect."},
	{mfa.ErrExpired, http.StatusBadRequest, "The OTP has expired. Opt in again to receive a new one."},
	{mfa.ErrReplayed, http.StatusBadRequest, "The OTP has already been used."},
	{mfa.ErrChallengeSpent, http.StatusBadRequest, "Too many incorrect OTPs. Opt in again to receive a new one."},
	{mfa.ErrNotFound, http.StatusNotFound, "The 2FA registration was not found."},
	{mfa.ErrBusy, http.StatusConflict, "Another request for this user is in progress. Try again."},
	{mfa.ErrLocked, http.StatusTooManyRequests, "Too many failed attempts. Try again later."},
	{mfa.ErrThrottled, http.StatusTooManyRequests, "Too many requests. Try again later."},
	{mfa.ErrUnknownFactor, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrUnsupported, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrCredentialBroken, http.StatusInternalServerError, accountingInternalMessage},
	{mfa.ErrUnavailable, http.StatusServiceUnavailable, "2FA is temporarily unavailable. Try again later."},
	{mfa.ErrFactorFailed, http.StatusBadGateway, "2FA failed to handle the request. Try again later."},
}

// accountingStatus maps err to its status and message.
func accountingStatus(ctx context.Context, err error) (int, string) {
	if ae, ok := errors.AsType[*accountingError](err); ok {
		return ae.status, ae.message
	}
	for _, e := range accountingLifecycleErrors {
		if errors.Is(err, e.kind) {
			return e.status, e.message
		}
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return http.StatusServiceUnavailable, "The request was cancelled or timed out."
	}
	return http.StatusInternalServerError, accountingInternalMessage
}

// writeError answers with the status and message err maps to: 401 with an
// empty body, anything else as {"Message": ...} or <Error><Message>.
func (a *accounting) writeError(w http.ResponseWriter, r *http.Request, f accountingFormat, err error) {
	ctx := r.Context()
	status, message := accountingStatus(ctx, err)
	if status >= http.StatusInternalServerError {
		a.d.Logger.ErrorContext(ctx, "accounting: request failed", "path", r.URL.Path, "status", status, "error", err)
	} else {
		a.d.Logger.DebugContext(ctx, "accounting: request refused", "path", r.URL.Path, "status", status)
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", "Bearer")
		h.Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	case http.StatusMethodNotAllowed:
		h.Set("Allow", http.MethodPost)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d, _ := mfa.RetryAfter(err)
		h.Set("Retry-After", strconv.Itoa(accountingRetrySeconds(d)))
	}
	var body []byte
	if f.xml {
		body, err = accountingMarshalXMLError(message)
	} else {
		body, err = accountingMarshalJSON(struct {
			Message string `json:"Message"`
		}{message}, "")
	}
	if err != nil { // a message always encodes
		a.d.Logger.ErrorContext(ctx, "accounting: encode error", "error", err)
		status, body = http.StatusInternalServerError, nil
	}
	h.Set("Content-Type", f.mediaType+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// accountingRetrySeconds rounds a wait up to whole seconds, at least one.
func accountingRetrySeconds(d time.Duration) int {
	secs := math.Ceil(d.Seconds())
	switch {
	case secs < 1:
		return 1
	case secs > math.MaxInt32:
		return math.MaxInt32
	}
	return int(secs)
}

// --- sign-in: the password credential grant ---
//
//	POST /authorisation/token      {"grant_type":"password","username","password","scope","verification_code"}
//	POST /authorisation/token-2fa  the same
//
// As the service does, a user with 2FA on gets 401 {"error":"2fa_code_required"}
// and an SMS with the code; the client posts the same request again with
// verification_code and gets {"access_token","token_type":"Bearer",
// "expires_in","refresh_token","scope"}. The tokens are the OAuth provider's,
// issued to the built-in client accountingClient; the refresh token works at
// the provider's token endpoint with grant_type=refresh_token and that
// client's id. Errors have OAuth's shape {"error","error_description"} in
// JSON whatever was asked for, as the service's OAuth server answers.

// accountingClient is the built-in OAuth client of the password grant.
func accountingClient() oauth.SignInClient {
	return oauth.SignInClient{ID: "factorgate-accounting", Name: "Accounting API sign-in", Refresh: true}
}

// The grant request's members and its XML root element.
const (
	accountingGrantRequestType = "OAuthPasswordCredentialsGrantRequest"
	accountingFieldGrantType   = "grant_type"
	accountingFieldUsername    = "username"
	accountingFieldPassword    = "password"
	accountingFieldScope       = "scope"
	accountingFieldCode        = "verification_code"
	accountingMaxCredential    = 256
)

// accountingGrant is a parsed grant request.
type accountingGrant struct {
	username, password, code string
}

// accountingTokenResponse is a successful grant. scope holds the caller's
// file id, as the service lists the files a token may access there.
type accountingTokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// accountingOAuthError is a failed grant.
type accountingOAuthError struct {
	status      int
	code        string
	description string
	retryAfter  time.Duration
}

func (e *accountingOAuthError) Error() string { return e.code + ": " + e.description }

func accountingInvalidRequest(description string) *accountingOAuthError {
	return &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_request", description: description}
}

// token serves both grant endpoints.
func (a *accounting) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	resp, err := a.grant(w, r)
	if err != nil {
		a.writeOAuthError(w, r, err)
		return
	}
	body, err := accountingMarshalJSON(resp, "")
	if err != nil {
		a.writeOAuthError(w, r, fmt.Errorf("accounting: encode token response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// grant checks the password, then the 2FA code when the user has 2FA on.
func (a *accounting) grant(w http.ResponseWriter, r *http.Request) (accountingTokenResponse, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "Use POST."}
	}
	g, err := a.parseGrant(w, r)
	if err != nil {
		return accountingTokenResponse{}, err
	}
	ctx := r.Context()
	client := accountingClient()
	user, err := a.d.SignIn.CheckSignInPassword(ctx, r, client, g.username, g.password)
	if err != nil {
		return accountingTokenResponse{}, err
	}
	active, err := a.d.activeFactors(ctx, user.ID)
	if err != nil {
		return accountingTokenResponse{}, err
	}
	if len(active) == 0 {
		done, err := a.d.SignIn.FinishSignIn(ctx, r, client, user)
		if err != nil {
			return accountingTokenResponse{}, err
		}
		return accountingTokens(user, done), nil
	}
	if !active[a.factor] {
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_grant",
			description: "Two-factor authentication is on for this user with a method this API cannot verify."}
	}
	meta := a.d.meta(r, auth.Principal{User: user}, accountingVia)
	if g.code == "" {
		if _, err := a.d.MFA.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: user.ID, Factor: a.factor}); err != nil {
			return accountingTokenResponse{}, err
		}
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusUnauthorized, code: "2fa_code_required",
			description: "Two-factor authentication is on for this user. A code was sent by SMS; post the request again with it as verification_code."}
	}
	done, err := a.d.SignIn.ProveSignIn(ctx, r, client, user, oauth.SignInStep{Factor: a.factor}, func(ctx context.Context, step oauth.SignInStep) ([]string, error) {
		v, err := a.d.MFA.Verify(ctx, meta, mfa.VerifyRequest{UserID: step.UserID, Factor: step.Factor, Proof: sdk.Proof{Code: g.code}})
		if err != nil {
			return nil, err
		}
		return v.AMR, nil
	})
	if err != nil {
		return accountingTokenResponse{}, err
	}
	return accountingTokens(user, done), nil
}

func accountingTokens(user store.User, done oauth.SignedIn) accountingTokenResponse {
	t := done.Tokens
	return accountingTokenResponse{
		AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second),
		RefreshToken: t.RefreshToken, Scope: strconv.FormatInt(user.OrgID, 10),
	}
}

// parseGrant reads the grant request: JSON or XML as the documented
// requests, or a form as OAuth clients send it. Member names match in any
// case; scope is accepted and ignored (a user has one file).
func (a *accounting) parseGrant(w http.ResponseWriter, r *http.Request) (accountingGrant, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.d.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return accountingGrant{}, &accountingOAuthError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: "The request body is too large."}
		}
		return accountingGrant{}, accountingInvalidRequest("The request body could not be read.")
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	names := []string{accountingFieldGrantType, accountingFieldUsername, accountingFieldPassword, accountingFieldScope, accountingFieldCode}
	values := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if isXML, ok := accountingMediaTypes[mt]; ok {
		fields, err := accountingFields(body, isXML, accountingGrantRequestType, names...)
		if err != nil {
			return accountingGrant{}, accountingInvalidRequest(accountingStatusMessage(err))
		}
		for name, f := range fields {
			switch f.kind {
			case accountingNull:
			case accountingString, accountingText:
				values[name] = f.text
			default:
				return accountingGrant{}, accountingInvalidRequest("The " + name + " field must be a string.")
			}
		}
	} else if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return accountingGrant{}, accountingInvalidRequest("The request body is not a valid form.")
		}
		for k, vs := range form {
			name, err := accountingMember(k, names, nil)
			if err != nil || len(vs) != 1 {
				return accountingGrant{}, accountingInvalidRequest("The request body has an unknown or repeated field.")
			}
			if _, dup := values[name]; dup {
				return accountingGrant{}, accountingInvalidRequest("The " + name + " field must be given once.")
			}
			values[name] = vs[0]
		}
	} else {
		return accountingGrant{}, &accountingOAuthError{status: http.StatusUnsupportedMediaType, code: "invalid_request",
			description: "Send the request as application/json, text/json, application/xml, text/xml or application/x-www-form-urlencoded."}
	}
	if values[accountingFieldGrantType] != "password" {
		return accountingGrant{}, &accountingOAuthError{status: http.StatusBadRequest, code: "unsupported_grant_type", description: "The grant_type must be password."}
	}
	g := accountingGrant{username: values[accountingFieldUsername], password: values[accountingFieldPassword], code: strings.TrimSpace(values[accountingFieldCode])}
	if g.username == "" || g.password == "" {
		return accountingGrant{}, accountingInvalidRequest("The username and password fields are required.")
	}
	if len(g.username) > accountingMaxCredential || len(g.password) > accountingMaxCredential {
		return accountingGrant{}, oauth.ErrBadCredentials
	}
	if len(g.code) > accountingMaxOTPLen || !accountingPrintableASCII(g.code) {
		return accountingGrant{}, accountingInvalidRequest(fmt.Sprintf("The verification_code field must be at most %d printable characters.", accountingMaxOTPLen))
	}
	return g, nil
}

// accountingStatusMessage is the message of a body-parsing failure.
func accountingStatusMessage(err error) string {
	if ae, ok := errors.AsType[*accountingError](err); ok {
		return ae.message
	}
	return "The request body is malformed."
}

// accountingGrantErrors maps each lifecycle failure of the 2FA code to the
// grant's answer, once.
func accountingGrantErrors() []struct {
	kind  error
	error *accountingOAuthError
} {
	invalid := func(d string) *accountingOAuthError {
		return &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_grant", description: d}
	}
	unavailable := &accountingOAuthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", description: "2FA is temporarily unavailable. Try again later."}
	internal := &accountingOAuthError{status: http.StatusInternalServerError, code: "server_error", description: accountingInternalMessage}
	return []struct {
		kind  error
		error *accountingOAuthError
	}{
		{mfa.ErrUserNotFound, invalid("The user name or password is incorrect.")},
		{mfa.ErrInvalidParams, invalid("The user's registered mobile number cannot receive the code.")},
		{mfa.ErrAlreadyEnrolled, internal},
		{mfa.ErrNoEnrollment, internal},
		{mfa.ErrNotEnrolled, invalid("2FA is not enabled for this user.")},
		{mfa.ErrNotFound, invalid("2FA is not enabled for this user.")},
		{mfa.ErrNoChallenge, invalid("No 2FA code has been sent. Post the request without verification_code to receive one.")},
		{mfa.ErrInvalidCode, invalid("The 2FA code is incorrect.")},
		{mfa.ErrExpired, invalid("The 2FA code has expired. Post the request without verification_code to receive a new one.")},
		{mfa.ErrReplayed, invalid("The 2FA code has already been used.")},
		{mfa.ErrChallengeSpent, invalid("Too many incorrect 2FA codes. Post the request without verification_code to receive a new one.")},
		{mfa.ErrBusy, &accountingOAuthError{status: http.StatusConflict, code: "invalid_request", description: "Another request for this user is in progress. Try again."}},
		{mfa.ErrLocked, &accountingOAuthError{status: http.StatusTooManyRequests, code: "too_many_attempts", description: "Too many failed attempts. Try again later."}},
		{mfa.ErrThrottled, &accountingOAuthError{status: http.StatusTooManyRequests, code: "too_many_requests", description: "Too many requests. Try again later."}},
		{mfa.ErrUnknownFactor, internal},
		{mfa.ErrUnsupported, internal},
		{mfa.ErrCredentialBroken, internal},
		{mfa.ErrUnavailable, unavailable},
		{mfa.ErrFactorFailed, &accountingOAuthError{status: http.StatusBadGateway, code: "server_error", description: "2FA failed to handle the request. Try again later."}},
	}
}

// oauthError maps err to the grant's answer.
func (a *accounting) oauthError(ctx context.Context, err error) *accountingOAuthError {
	if oe, ok := errors.AsType[*accountingOAuthError](err); ok {
		return oe
	}
	if errors.Is(err, oauth.ErrBadCredentials) {
		return &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_grant", description: "The user name or password is incorrect."}
	}
	for _, e := range accountingGrantErrors() {
		if errors.Is(err, e.kind) {
			out := *e.error
			if out.status == http.StatusTooManyRequests || out.status == http.StatusServiceUnavailable {
				out.retryAfter, _ = mfa.RetryAfter(err)
			}
			return &out
		}
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return &accountingOAuthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", description: "The request was cancelled or timed out."}
	}
	return &accountingOAuthError{status: http.StatusInternalServerError, code: "server_error", description: accountingInternalMessage}
}

// writeOAuthError answers a failed grant, logging the cause of server
// failures (no error here carries a password or a code).
func (a *accounting) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	e := a.oauthError(ctx, err)
	if e.status >= http.StatusInternalServerError {
		a.d.Logger.ErrorContext(ctx, "accounting: token request failed", "path", r.URL.Path, "status", e.status, "error", err)
	}
	if e.status == http.StatusTooManyRequests || e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(accountingRetrySeconds(e.retryAfter)))
	}
	body, _ := accountingMarshalJSON(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.code, e.description}, "")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
