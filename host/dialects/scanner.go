package dialects

// The security scanner's "User 2FA" endpoints (API v5, /v2/user/mfa/...).
//
// Its documentation describes one endpoint, PUT
// /v2/user/mfa/verify_installation?method=sms|totp&otp_attempt=CODE, which
// answers 200 {"status":"verified"}, 401 or 422. Enabling a method (which
// sends the SMS or shows the TOTP key) and disabling one are its companions
// here, in the same style: PUT, parameters in the query string only, JSON
// answers.
//
// Every request carries two credentials: x-api-key, an operator-issued key
// that says which application calls, and Authorization, which says which user
// it calls for: `Bearer <token>`, or `Basic <token>` with the raw token (not
// base64 of user:password). The vendor does not document its error bodies;
// errors here are {"error":"<message>"} with the statuses below, each
// lifecycle failure mapped once in scannerLifecycleErrors:
//
//	401 missing or bad x-api-key or Authorization
//	405 a method other than PUT (with Allow: PUT)
//	409 too much contention on the credential; try again
//	413 a request body over the limit (bodies are otherwise ignored)
//	422 a missing, unknown or malformed parameter, a method not routed here,
//	    a wrong, expired or used code, nothing pending, already enabled, ...
//	429 locked out after failed attempts, or throttled (with Retry-After)
//	500 an unusable stored credential or an unexpected failure
//	503 the factor behind the method is unavailable

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// APIKeys checks the operator-issued API key an application sends with each
// request (*auth.APIKeys). Check returns auth.ErrBadAPIKey for a key that is
// unknown or revoked.
type APIKeys interface {
	Check(ctx context.Context, key string) error
}

var _ APIKeys = (*auth.APIKeys)(nil)

// Scanner paths.
const (
	scannerPathVerify  = "/v2/user/mfa/verify_installation"
	scannerPathEnable  = "/v2/user/mfa/enable"
	scannerPathDisable = "/v2/user/mfa/disable"
	scannerPathSignIn  = "/auth/sign_in"
)

const (
	scannerVia          = "scanner"
	scannerAPIKeyHeader = "X-Api-Key"
	// scannerMaxCode bounds otp_attempt; no factor's code comes close.
	scannerMaxCode = 64
	// scannerMaxPhone bounds phone_number as sent, separators included.
	scannerMaxPhone = 32
)

// Query parameters.
const (
	scannerParamMethod  = "method"
	scannerParamCode    = "otp_attempt"
	scannerParamPhone   = "phone_number"
	scannerParamCountry = "country_code"
)

var (
	scannerCallingCode = regexp.MustCompile(`^\+?[1-9][0-9]{0,2}$`)
	scannerRegion      = regexp.MustCompile(`^[A-Za-z]{2}$`)
	scannerParamName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)
)

// scanner serves the dialect over its dependencies.
type scanner struct {
	d    Deps
	keys APIKeys
	// factors maps each routed method= value to its factor instance.
	factors map[string]string
	// methods lists the routed method= values, sorted, for messages.
	methods string
}

// RegisterScanner serves the security scanner's 2FA endpoints on mux, for the
// methods the route table assigns (RouteScannerTOTP, RouteScannerSMS). With
// neither route configured nothing is registered. keys checks the x-api-key
// of every request. It panics when a required dependency is missing, which is
// a wiring mistake.
func RegisterScanner(mux *http.ServeMux, d Deps, keys APIKeys) {
	d = d.withDefaults()
	switch {
	case d.MFA == nil:
		panic("dialects.RegisterScanner: Deps.MFA is required")
	case d.Tokens == nil:
		panic("dialects.RegisterScanner: Deps.Tokens is required")
	case keys == nil:
		panic("dialects.RegisterScanner: an APIKeys is required")
	}
	s := &scanner{d: d, keys: keys, factors: map[string]string{}}
	var methods []string
	for _, m := range []struct{ method, route string }{{"sms", RouteScannerSMS}, {"totp", RouteScannerTOTP}} {
		if f, ok := d.factor(m.route); ok {
			s.factors[m.method] = f
			methods = append(methods, m.method)
		}
	}
	if len(methods) == 0 {
		return
	}
	s.methods = strings.Join(methods, ", ")
	// Registered without an HTTP method, so that other methods get this
	// dialect's 405 rather than the mux's plain-text one.
	mux.Handle(scannerPathVerify, s.handle(s.verifyInstallation, scannerParamMethod, scannerParamCode))
	mux.Handle(scannerPathEnable, s.handle(s.enable, scannerParamMethod, scannerParamPhone, scannerParamCountry))
	mux.Handle(scannerPathDisable, s.handle(s.disable, scannerParamMethod, scannerParamCode))
	if d.SignIn != nil {
		mux.Handle(scannerPathSignIn, http.HandlerFunc(s.signIn))
	}
}

// scannerCall is one authenticated, parsed request.
type scannerCall struct {
	principal auth.Principal
	meta      mfa.Meta
	query     map[string]string
	// method is the method= value, factor the instance it routes to.
	method string
	factor string
}

type scannerOp func(ctx context.Context, w http.ResponseWriter, r *http.Request, c scannerCall) error

// handle checks what every endpoint shares (body size, PUT, both
// credentials, known query parameters, a routed method) before op runs, and
// renders any failure in the dialect's shape.
func (s *scanner) handle(op scannerOp, params ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		// The body goes first, so that an oversized one is 413 whatever
		// else is wrong with the request.
		if err := s.discardBody(w, r); err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method != http.MethodPut {
			w.Header().Set("Allow", http.MethodPut)
			s.fail(w, r, scannerErrorf(http.StatusMethodNotAllowed, "method not allowed; use PUT"))
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		query, err := scannerQuery(r.URL.RawQuery, params)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c := scannerCall{principal: p, meta: s.d.meta(r, p, scannerVia), query: query}
		if c.method, c.factor, err = s.method(query); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := op(r.Context(), w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// discardBody reads and drops the body, which no endpoint uses, so that an
// oversized one is refused with 413 however the client sent it.
func (s *scanner) discardBody(w http.ResponseWriter, r *http.Request) error {
	tooLarge := scannerErrorf(http.StatusRequestEntityTooLarge, "request body too large")
	if r.ContentLength > s.d.MaxBodyBytes {
		return tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	_, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, s.d.MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge
	}
	if err != nil {
		return scannerErrorf(http.StatusBadRequest, "the request body could not be read")
	}
	return nil
}

// authenticate checks the application's API key, then resolves the user's
// access token.
func (s *scanner) authenticate(r *http.Request) (auth.Principal, error) {
	keys := r.Header.Values(scannerAPIKeyHeader)
	if len(keys) == 0 || keys[0] == "" {
		return auth.Principal{}, scannerErrorf(http.StatusUnauthorized, "missing x-api-key header")
	}
	if len(keys) > 1 {
		return auth.Principal{}, scannerErrorf(http.StatusUnauthorized, "send one x-api-key header")
	}
	if err := s.keys.Check(r.Context(), keys[0]); errors.Is(err, auth.ErrBadAPIKey) {
		return auth.Principal{}, scannerErrorf(http.StatusUnauthorized, "invalid API key")
	} else if err != nil {
		return auth.Principal{}, fmt.Errorf("check API key: %w", err)
	}
	token, err := scannerAccessToken(r)
	if err != nil {
		return auth.Principal{}, err
	}
	p, err := s.d.Tokens.Authenticate(r.Context(), token)
	if errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, scannerErrorf(http.StatusUnauthorized, "invalid or expired access token")
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate access token: %w", err)
	}
	return p, nil
}

// scannerAccessToken returns the token of `Authorization: Bearer <token>` or
// `Authorization: Basic <token>`; the vendor's clients send the raw token
// with either scheme.
func scannerAccessToken(r *http.Request) (string, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 0 || hs[0] == "" {
		return "", scannerErrorf(http.StatusUnauthorized, "missing Authorization header")
	}
	scheme, token, _ := strings.Cut(hs[0], " ")
	token = strings.TrimSpace(token)
	if len(hs) > 1 || token == "" || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Basic")) {
		return "", scannerErrorf(http.StatusUnauthorized, "send Authorization: Bearer <token> or Basic <token>")
	}
	return token, nil
}

// scannerQuery parses a query string into the allowed parameters. A '+' is a
// literal plus, not a space: it begins E.164 numbers and calling codes, which
// clients often send unescaped, and no value of this API holds a space that
// matters. A parameter named twice, or not allowed, is refused.
func scannerQuery(raw string, allowed []string) (map[string]string, error) {
	out := map[string]string{}
	for piece := range strings.SplitSeq(raw, "&") {
		if piece == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err1 := url.PathUnescape(rawName)
		value, err2 := url.PathUnescape(rawValue)
		if err1 != nil || err2 != nil {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "malformed query string")
		}
		if !slices.Contains(allowed, name) {
			if scannerParamName.MatchString(name) {
				return nil, scannerErrorf(http.StatusUnprocessableEntity, "unknown parameter %s", name)
			}
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "unknown parameter")
		}
		if _, dup := out[name]; dup {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "%s is given more than once", name)
		}
		out[name] = value
	}
	return out, nil
}

// method returns the routed method the query names and its factor instance.
// A method with no route is as unknown as one the vendor never had.
func (s *scanner) method(query map[string]string) (method, factor string, err error) {
	method = query[scannerParamMethod]
	if method == "" {
		return "", "", scannerErrorf(http.StatusUnprocessableEntity, "method is required (one of: %s)", s.methods)
	}
	factor, ok := s.factors[method]
	if !ok {
		return "", "", scannerErrorf(http.StatusUnprocessableEntity, "method must be one of: %s", s.methods)
	}
	return method, factor, nil
}

// scannerCode validates otp_attempt.
func scannerCode(query map[string]string) (string, error) {
	code := query[scannerParamCode]
	if code == "" {
		return "", scannerErrorf(http.StatusUnprocessableEntity, "otp_attempt is required")
	}
	if len(code) > scannerMaxCode || !scannerPrintableASCII(code) {
		return "", scannerErrorf(http.StatusUnprocessableEntity, "otp_attempt must be 1 to %d printable ASCII characters", scannerMaxCode)
	}
	return code, nil
}

func scannerPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// verifyInstallation serves PUT /v2/user/mfa/verify_installation: the code
// confirms the pending enrollment of the method.
func (s *scanner) verifyInstallation(ctx context.Context, w http.ResponseWriter, r *http.Request, c scannerCall) error {
	code, err := scannerCode(c.query)
	if err != nil {
		return err
	}
	if _, err := s.d.MFA.ConfirmEnrollment(ctx, c.meta, mfa.ConfirmRequest{
		UserID: c.principal.User.ID, Factor: c.factor, Proof: sdk.Proof{Code: code},
	}); err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, scannerStatus{Status: "verified"})
	return nil
}

// scannerStatus is the body of every success.
type scannerStatus struct {
	Status string `json:"status"`
	Method string `json:"method,omitempty"`
	// Secret and OTPAuthURL let the user add a TOTP key to an app.
	Secret     string `json:"secret,omitempty"`
	OTPAuthURL string `json:"otpauth_url,omitempty"`
}

// enable serves PUT /v2/user/mfa/enable: begin enrolling the method. For sms
// the factor sends the code to the number; for totp the answer carries the
// key. A second call replaces the pending enrollment (and sends a new code).
func (s *scanner) enable(ctx context.Context, w http.ResponseWriter, r *http.Request, c scannerCall) error {
	var params map[string]string
	if c.method == "sms" {
		var err error
		if params, err = scannerPhone(c.query[scannerParamPhone], c.query[scannerParamCountry]); err != nil {
			return err
		}
	} else if _, ok := c.query[scannerParamPhone]; ok {
		return scannerErrorf(http.StatusUnprocessableEntity, "phone_number applies only to method sms")
	} else if _, ok := c.query[scannerParamCountry]; ok {
		return scannerErrorf(http.StatusUnprocessableEntity, "country_code applies only to method sms")
	}
	e, err := s.d.MFA.BeginEnrollment(ctx, c.meta, mfa.BeginRequest{UserID: c.principal.User.ID, Factor: c.factor, Params: params})
	if err != nil {
		return err
	}
	// What the factor displays decides, not the method's name, so a factor
	// routed behind either method shows its key.
	s.write(w, r, http.StatusOK, scannerStatus{Status: "queued", Secret: e.Display.Secret, OTPAuthURL: e.Display.URI})
	return nil
}

// scannerPhone turns phone_number and country_code into the SMS factor's
// parameters: "phone" (E.164 when it can be built here) and, for a national
// number with an ISO country, "country".
//
// phone_number holds digits, an optional leading '+' and the separators
// space, '-', '.', '(', ')' and any later '+' (a space as some clients encode
// it). country_code is a calling code ("61" or "+61") or an ISO 3166-1
// alpha-2 code ("AU"). With a calling code, a national number loses one
// leading trunk '0' and gets the code in front; an international number must
// start with that code. With an ISO code the factor reads the number by that
// country's rules. Without country_code the number goes to the factor as sent.
func scannerPhone(number, country string) (map[string]string, error) {
	if number == "" {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number is required for method sms")
	}
	if len(number) > scannerMaxPhone {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number is too long")
	}
	var digits strings.Builder
	international := false
	for i, r := range number {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			international = true
		case strings.ContainsRune(" -.()+", r):
		default:
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number may hold only digits, a leading + and the separators space - . ( )")
		}
	}
	d := digits.String()
	if d == "" || len(d) > 15 {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number must hold 1 to 15 digits")
	}
	country = strings.TrimSpace(country)
	switch {
	case country == "":
		if international {
			return map[string]string{"phone": "+" + d}, nil
		}
		return map[string]string{"phone": d}, nil
	case scannerRegion.MatchString(country):
		if international {
			d = "+" + d
		}
		return map[string]string{"phone": d, "country": strings.ToUpper(country)}, nil
	case scannerCallingCode.MatchString(country):
		cc := strings.TrimPrefix(country, "+")
		if international {
			if !strings.HasPrefix(d, cc) {
				return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number does not start with country_code")
			}
			return map[string]string{"phone": "+" + d}, nil
		}
		national := strings.TrimPrefix(d, "0")
		if national == "" || len(cc)+len(national) > 15 {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "phone_number with country_code must hold at most 15 digits")
		}
		return map[string]string{"phone": "+" + cc + national}, nil
	}
	return nil, scannerErrorf(http.StatusUnprocessableEntity, "country_code must be a calling code such as 61 or +61, or an ISO 3166-1 alpha-2 code such as AU")
}

// disable serves PUT /v2/user/mfa/disable: a valid current code (for sms,
// the code of the newest challenge) removes the method's credential.
func (s *scanner) disable(ctx context.Context, w http.ResponseWriter, r *http.Request, c scannerCall) error {
	code, err := scannerCode(c.query)
	if err != nil {
		return err
	}
	v, err := s.d.MFA.Verify(ctx, c.meta, mfa.VerifyRequest{UserID: c.principal.User.ID, Factor: c.factor, Proof: sdk.Proof{Code: code}})
	if err != nil {
		return err
	}
	if err := s.d.MFA.RemoveCredential(ctx, c.meta, c.principal.User.ID, v.Credential.ID); err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, scannerStatus{Status: "disabled", Method: c.method})
	return nil
}

// scannerError is a failure with its status and user-safe message.
type scannerError struct {
	status     int
	message    string
	retryAfter time.Duration
}

func (e *scannerError) Error() string { return e.message }

func scannerErrorf(status int, format string, args ...any) *scannerError {
	return &scannerError{status: status, message: fmt.Sprintf(format, args...)}
}

// scannerLifecycleError is how one lifecycle failure kind is answered.
type scannerLifecycleError struct {
	kind    error
	status  int
	message string
	// reason prefers the factor's or lifecycle's own user-safe reason.
	reason bool
	// retry answers with Retry-After.
	retry bool
}

// scannerLifecycleErrors maps every lifecycle failure kind once.
func scannerLifecycleErrors() []scannerLifecycleError {
	const unprocessable = http.StatusUnprocessableEntity
	return []scannerLifecycleError{
		{kind: mfa.ErrUserNotFound, status: http.StatusUnauthorized, message: "invalid or expired access token"},
		{kind: mfa.ErrUnknownFactor, status: http.StatusServiceUnavailable, message: "this method is temporarily unavailable"},
		{kind: mfa.ErrUnavailable, status: http.StatusServiceUnavailable, message: "this method is temporarily unavailable", retry: true},
		{kind: mfa.ErrFactorFailed, status: http.StatusBadGateway, message: "this method failed to handle the request; try again later"},
		{kind: mfa.ErrUnsupported, status: unprocessable, message: "this method does not support this operation", reason: true},
		{kind: mfa.ErrInvalidParams, status: unprocessable, message: "invalid parameters", reason: true},
		{kind: mfa.ErrAlreadyEnrolled, status: unprocessable, message: "this method is already enabled; disable it first"},
		{kind: mfa.ErrNoEnrollment, status: unprocessable, message: "no installation of this method is pending; enable it first"},
		{kind: mfa.ErrNotEnrolled, status: unprocessable, message: "this method is not enabled"},
		{kind: mfa.ErrNotFound, status: unprocessable, message: "this method is not enabled"},
		{kind: mfa.ErrNoChallenge, status: unprocessable, message: "no code has been sent for this method; request a code, then send it as otp_attempt"},
		{kind: mfa.ErrInvalidCode, status: unprocessable, message: "invalid code"},
		{kind: mfa.ErrExpired, status: unprocessable, message: "the code has expired", reason: true},
		{kind: mfa.ErrReplayed, status: unprocessable, message: "the code was already used"},
		{kind: mfa.ErrChallengeSpent, status: unprocessable, message: "too many attempts for this code; request a new one"},
		{kind: mfa.ErrBusy, status: http.StatusConflict, message: "too many concurrent requests for this method; try again"},
		{kind: mfa.ErrLocked, status: http.StatusTooManyRequests, message: "too many failed attempts; try again later", retry: true},
		{kind: mfa.ErrThrottled, status: http.StatusTooManyRequests, message: "too many requests; try again later", reason: true, retry: true},
		{kind: mfa.ErrCredentialBroken, status: http.StatusInternalServerError, message: "the stored 2FA credential cannot be used; disable it with support's help and enable it again"},
	}
}

// scannerErrorFor maps err to its answer. Texts of unexpected errors never
// reach the client.
func scannerErrorFor(ctx context.Context, err error) *scannerError {
	if se, ok := errors.AsType[*scannerError](err); ok {
		return se
	}
	for _, le := range scannerLifecycleErrors() {
		if !errors.Is(err, le.kind) {
			continue
		}
		out := &scannerError{status: le.status, message: le.message}
		if r := mfa.Reason(err); le.reason && r != "" {
			out.message = r
		}
		if le.retry {
			d, _ := mfa.RetryAfter(err)
			out.retryAfter = max(d, time.Second)
		}
		return out
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return scannerErrorf(http.StatusServiceUnavailable, "the request was cancelled or timed out")
	}
	return scannerErrorf(http.StatusInternalServerError, "internal error")
}

// fail answers with the error err maps to, logging the cause of server
// failures (never a code, token or number: no error here carries one).
func (s *scanner) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := scannerErrorFor(r.Context(), err)
	if e.status >= http.StatusInternalServerError {
		s.d.Logger.ErrorContext(r.Context(), "scanner: request failed", "path", r.URL.Path, "status", e.status, "error", err)
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="factorgate"`)
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(scannerRetrySeconds(e.retryAfter)))
	}
	s.write(w, r, e.status, struct {
		Error string `json:"error"`
	}{e.message})
}

// scannerRetrySeconds rounds a wait up to whole seconds.
func scannerRetrySeconds(d time.Duration) int {
	return int(min(math.Ceil(d.Seconds()), math.MaxInt32))
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

// --- sign-in ---

// scannerClient is the built-in OAuth client the scanner's sign-in issues
// its JWT access tokens to (registered at first use when absent).
func scannerClient() oauth.SignInClient {
	return oauth.SignInClient{ID: "factorgate-scanner", Name: "Security scanner API sign-in"}
}

// scannerSignInFields are the members a sign-in body may hold: the password
// step's, or the second step's.
func scannerSignInFields() []string {
	return []string{"username", "password", "otp_attempt", "otp_session_state"}
}

// scannerMaxCredential bounds username and password as sent.
const scannerMaxCredential = 256

// scannerSignInState is the password step's answer when a second factor is
// required.
type scannerSignInState struct {
	OTPSessionState string `json:"otp_session_state"`
}

// scannerToken is a completed sign-in's answer.
type scannerToken struct {
	Token string `json:"token"`
}

// signIn serves POST /auth/sign_in. With {"username","password"} it checks
// the password; a user with an active second factor gets
// {"otp_session_state"} (and, when the factor is SMS, a code), anyone else
// {"token"} at once. With {"otp_attempt","otp_session_state"} it proves the
// second factor and answers {"token"}. The token is a JWT access token of the
// OAuth provider, accepted as Bearer (or Basic) by this API's endpoints and
// by the native API. Like every request to this API it carries x-api-key.
func (s *scanner) signIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := s.signInBody(w, r)
	if err == nil {
		err = s.checkAPIKey(r)
	}
	if err == nil {
		if _, ok := body["otp_session_state"]; ok {
			err = s.signInSecondStep(w, r, body)
		} else {
			err = s.signInPassword(w, r, body)
		}
	}
	if err != nil {
		s.fail(w, r, s.signInError(err))
	}
}

// signInBody reads the JSON object of a sign-in: string members among
// scannerSignInFields, each once.
func (s *scanner) signInBody(w http.ResponseWriter, r *http.Request) (map[string]string, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, scannerErrorf(http.StatusMethodNotAllowed, "method not allowed; use POST")
	}
	if r.ContentLength > s.d.MaxBodyBytes {
		return nil, scannerErrorf(http.StatusRequestEntityTooLarge, "request body too large")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.d.MaxBodyBytes))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, scannerErrorf(http.StatusRequestEntityTooLarge, "request body too large")
	}
	if err != nil {
		return nil, scannerErrorf(http.StatusBadRequest, "the request body could not be read")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		name, _ := tok.(string)
		if err != nil || !slices.Contains(scannerSignInFields(), name) {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "the request body may hold only %s", strings.Join(scannerSignInFields(), ", "))
		}
		if _, dup := out[name]; dup {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "%s is given more than once", name)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, scannerErrorf(http.StatusUnprocessableEntity, "%s must be a string", name)
		}
		out[name] = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, scannerErrorf(http.StatusUnprocessableEntity, "the request body must be a JSON object")
	}
	return out, nil
}

// checkAPIKey checks the application's x-api-key.
func (s *scanner) checkAPIKey(r *http.Request) error {
	keys := r.Header.Values(scannerAPIKeyHeader)
	if len(keys) != 1 || keys[0] == "" {
		return scannerErrorf(http.StatusUnauthorized, "send one x-api-key header")
	}
	if err := s.keys.Check(r.Context(), keys[0]); errors.Is(err, auth.ErrBadAPIKey) {
		return scannerErrorf(http.StatusUnauthorized, "invalid API key")
	} else if err != nil {
		return fmt.Errorf("check API key: %w", err)
	}
	return nil
}

// signInPassword is the password step.
func (s *scanner) signInPassword(w http.ResponseWriter, r *http.Request, body map[string]string) error {
	username, password := body["username"], body["password"]
	if _, ok := body["otp_attempt"]; ok {
		return scannerErrorf(http.StatusUnprocessableEntity, "otp_attempt is sent with otp_session_state")
	}
	if username == "" || password == "" {
		return scannerErrorf(http.StatusUnprocessableEntity, "username and password are required")
	}
	if len(username) > scannerMaxCredential || len(password) > scannerMaxCredential {
		return oauth.ErrBadCredentials
	}
	ctx := r.Context()
	user, err := s.d.SignIn.CheckSignInPassword(ctx, r, scannerClient(), username, password)
	if err != nil {
		return err
	}
	active, err := s.d.activeFactors(ctx, user.ID)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		done, err := s.d.SignIn.FinishSignIn(ctx, r, scannerClient(), user)
		if err != nil {
			return err
		}
		s.write(w, r, http.StatusOK, scannerToken{Token: done.Tokens.AccessToken})
		return nil
	}
	// The user's factor among this API's methods: TOTP first, then SMS.
	var step oauth.SignInStep
	for _, method := range []string{"totp", "sms"} {
		if f, ok := s.factors[method]; ok && active[f] {
			step.Factor = f
			break
		}
	}
	if step.Factor == "" {
		return scannerErrorf(http.StatusUnprocessableEntity, "the account's second factor cannot be used with this API")
	}
	if step.Factor == s.factors["sms"] {
		p := auth.Principal{User: user}
		ch, err := s.d.MFA.Challenge(ctx, s.d.meta(r, p, scannerVia), mfa.ChallengeRequest{UserID: user.ID, Factor: step.Factor})
		if err != nil {
			return err
		}
		step.ChallengeID = ch.ID
	}
	state, err := s.d.SignIn.BeginSignIn(ctx, scannerClient(), user, step)
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, scannerSignInState{OTPSessionState: state})
	return nil
}

// signInSecondStep proves the second factor of a pending sign-in.
func (s *scanner) signInSecondStep(w http.ResponseWriter, r *http.Request, body map[string]string) error {
	if _, ok := body["username"]; ok {
		return scannerErrorf(http.StatusUnprocessableEntity, "send either username and password, or otp_attempt and otp_session_state")
	}
	if _, ok := body["password"]; ok {
		return scannerErrorf(http.StatusUnprocessableEntity, "send either username and password, or otp_attempt and otp_session_state")
	}
	code, err := scannerCode(map[string]string{scannerParamCode: body["otp_attempt"]})
	if err != nil {
		return err
	}
	done, err := s.d.SignIn.CompleteSignIn(r.Context(), r, scannerClient(), body["otp_session_state"], func(ctx context.Context, step oauth.SignInStep) ([]string, error) {
		p := auth.Principal{User: store.User{ID: step.UserID}}
		v, err := s.d.MFA.Verify(ctx, s.d.meta(r, p, scannerVia), mfa.VerifyRequest{
			UserID: step.UserID, Factor: step.Factor, ChallengeID: step.ChallengeID, Proof: sdk.Proof{Code: code},
		})
		if err != nil {
			return nil, err
		}
		return v.AMR, nil
	})
	if err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, scannerToken{Token: done.Tokens.AccessToken})
	return nil
}

// signInError maps the sign-in's own failures; lifecycle failures keep
// their usual answers.
func (s *scanner) signInError(err error) error {
	switch {
	case errors.Is(err, oauth.ErrBadCredentials):
		return scannerErrorf(http.StatusUnauthorized, "invalid username or password")
	case errors.Is(err, oauth.ErrSignInState):
		return scannerErrorf(http.StatusUnauthorized, "invalid or expired otp_session_state; sign in again")
	}
	return err
}
