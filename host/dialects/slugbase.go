package dialects

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// SlugBase's wire names.
const (
	// SlugBaseSessionCookie is the session cookie SlugBase's browser clients send.
	SlugBaseSessionCookie = "slugbase.sid"
	// SlugBaseCSRFHeader carries the CSRF token of a cookie-authenticated request.
	SlugBaseCSRFHeader = "X-CSRF-Token"

	slugBaseVia = "slugbase"
	// slugBaseMaxCode bounds a submitted code; longer input is no code of any
	// factor and never reaches one.
	slugBaseMaxCode = 64
)

// slugBaseFailure is a failure as SlugBase reports it: the status, the
// machine reason carried in "details" and a message for people.
type slugBaseFailure struct {
	status  int
	reason  string
	message string
}

func (f *slugBaseFailure) Error() string { return f.message }

var _ error = (*slugBaseFailure)(nil)

// Failures of the HTTP layer. The 401 body is the documented sample exactly,
// which has no details.
var (
	slugBaseUnauthorized     = &slugBaseFailure{http.StatusUnauthorized, "", "Authentication required. Please provide a valid API token"}
	slugBaseBadCSRF          = &slugBaseFailure{http.StatusForbidden, "INVALID_CSRF_TOKEN", "Invalid CSRF token"}
	slugBaseInvalidJSON      = &slugBaseFailure{http.StatusBadRequest, "INVALID_JSON", "The request body must be a single JSON object"}
	slugBaseContentType      = &slugBaseFailure{http.StatusBadRequest, "INVALID_CONTENT_TYPE", "Send the request body with Content-Type: application/json"}
	slugBaseCodeRequired     = &slugBaseFailure{http.StatusBadRequest, "CODE_REQUIRED", "Code is required"}
	slugBaseInvalidCode      = &slugBaseFailure{http.StatusBadRequest, "INVALID_CODE", "Invalid code"}
	slugBaseNoPending        = &slugBaseFailure{http.StatusBadRequest, "MFA_NO_PENDING", "No enrollment in progress"}
	slugBaseAlreadyEnabled   = &slugBaseFailure{http.StatusConflict, "MFA_ALREADY_ENABLED", "MFA is already enabled"}
	slugBaseTooManyAttempts  = &slugBaseFailure{http.StatusTooManyRequests, "TOO_MANY_ATTEMPTS", "Too many failed attempts, please try again later."}
	slugBaseMethodNotAllowed = &slugBaseFailure{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "The method is not allowed on this endpoint"}
	slugBaseInternal         = &slugBaseFailure{http.StatusInternalServerError, "INTERNAL_ERROR", "Request failed"}
)

// slugBaseLifecycle maps each lifecycle failure kind to its SlugBase failure,
// once. Several kinds may share a failure where SlugBase knows one answer.
var slugBaseLifecycle = []struct {
	kind    error
	failure *slugBaseFailure
}{
	// The caller's user vanished after authenticating: as SlugBase, unauthorized.
	{mfa.ErrUserNotFound, slugBaseUnauthorized},
	// The route names a factor that is not installed or cannot enroll: the
	// operator's mistake, not the caller's.
	{mfa.ErrUnknownFactor, slugBaseInternal},
	{mfa.ErrUnsupported, slugBaseInternal},
	{mfa.ErrAlreadyEnrolled, slugBaseAlreadyEnabled},
	{mfa.ErrNoEnrollment, slugBaseNoPending},
	{mfa.ErrNotEnrolled, &slugBaseFailure{http.StatusBadRequest, "MFA_NOT_ENABLED", "MFA is not enabled"}},
	{mfa.ErrNotFound, &slugBaseFailure{http.StatusNotFound, "NOT_FOUND", "Not found"}},
	{mfa.ErrNoChallenge, &slugBaseFailure{http.StatusBadRequest, "MFA_NO_CHALLENGE", "No verification in progress"}},
	{mfa.ErrInvalidParams, &slugBaseFailure{http.StatusBadRequest, "INVALID_PARAMETERS", "The request contains invalid parameters or malformed data"}},
	{mfa.ErrInvalidCode, slugBaseInvalidCode},
	// A lapsed enrollment is no enrollment in progress; the remedy is the same.
	{mfa.ErrExpired, slugBaseNoPending},
	// Confirming raced another confirmation that won: MFA is now enabled.
	{mfa.ErrReplayed, slugBaseAlreadyEnabled},
	{mfa.ErrChallengeSpent, slugBaseTooManyAttempts},
	{mfa.ErrLocked, slugBaseTooManyAttempts},
	{mfa.ErrThrottled, &slugBaseFailure{http.StatusTooManyRequests, "RATE_LIMITED", "Too many requests, please try again later."}},
	{mfa.ErrUnavailable, &slugBaseFailure{http.StatusServiceUnavailable, "MFA_UNAVAILABLE", "MFA is temporarily unavailable, please try again later."}},
	{mfa.ErrFactorFailed, &slugBaseFailure{http.StatusBadGateway, "MFA_FACTOR_ERROR", "The second factor failed to handle the request, please try again later."}},
	{mfa.ErrCredentialBroken, slugBaseInternal},
	{mfa.ErrBusy, &slugBaseFailure{http.StatusConflict, "MFA_BUSY", "The request conflicts with a concurrent change, please try again."}},
}

// slugBaseErrorBody is SlugBase's documented error shape.
type slugBaseErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Code    int    `json:"code"`
	Details string `json:"details,omitempty"`
}

type slugBaseBeginResponse struct {
	OTPAuthURL string `json:"otpauth_url"`
	Secret     string `json:"secret"`
}

type slugBaseConfirmResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

type slugBaseStatusResponse struct {
	Enabled    bool    `json:"enabled"`
	EnrolledAt *string `json:"enrolled_at"`
}

type slugBaseOKResponse struct {
	OK bool `json:"ok"`
}

type slugBaseCSRFResponse struct {
	CSRFToken string `json:"csrfToken"`
}

// slugBase serves SlugBase's MFA enrollment endpoints.
type slugBase struct {
	d    Deps
	totp string
	// backupCodes is the factor enrolled with a confirmed TOTP; empty when
	// the route table leaves it out.
	backupCodes string
}

// slugBaseHandler handles an authenticated request whose body has been read.
type slugBaseHandler func(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error

// RegisterSlugBase serves SlugBase's MFA endpoints on mux: enrollment of the
// route slugbase.totp's factor, confirmed together with a fresh set of the
// route slugbase.backup_codes's codes, its status, and the CSRF token that
// cookie-authenticated requests carry. Nothing is served when slugbase.totp
// is not routed.
func RegisterSlugBase(mux *http.ServeMux, d Deps) {
	d = d.withDefaults()
	totp, ok := d.factor(RouteSlugBaseTOTP)
	if !ok {
		d.Logger.Info("slugbase: endpoints not served: no factor routed", "route", RouteSlugBaseTOTP)
		return
	}
	backupCodes, _ := d.factor(RouteSlugBaseBackupCodes)
	s := &slugBase{d: d, totp: totp, backupCodes: backupCodes}
	routes := []struct {
		method, path string
		h            http.Handler
	}{
		{http.MethodGet, "/api/csrf-token", http.HandlerFunc(s.csrfToken)},
		{http.MethodGet, "/api/auth/mfa/status", s.serve(s.status, false)},
		{http.MethodPost, "/api/auth/mfa/enroll/begin", s.serve(s.begin, true)},
		{http.MethodPost, "/api/auth/mfa/enroll/confirm", s.serve(s.confirm, true)},
		{http.MethodPost, "/api/auth/mfa/enroll/cancel", s.serve(s.cancel, true)},
	}
	if d.SignIn != nil {
		routes = append(routes, []struct {
			method, path string
			h            http.Handler
		}{
			{http.MethodPost, slugBaseLoginPath, http.HandlerFunc(s.login)},
			{http.MethodPost, slugBaseMFAVerifyPath, http.HandlerFunc(s.mfaVerify)},
		}...)
	}
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, rt.h)
		// Any other method gets SlugBase's error shape, not the mux's text.
		mux.Handle(rt.path, s.methodNotAllowed(rt.method))
	}
}

// serve reads the body within the limit (so an oversized body is 413 before
// anything else, as SlugBase's body parser does), authenticates the caller,
// checks the CSRF token of a cookie-authenticated request when csrf is set,
// and runs h.
func (s *slugBase) serve(h slugBaseHandler, csrf bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := s.readBody(w, r)
		var p auth.Principal
		if err == nil {
			p, err = s.authenticate(r, csrf)
		}
		if err == nil {
			err = h(w, r, p, body)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// status serves GET /api/auth/mfa/status.
func (s *slugBase) status(w http.ResponseWriter, r *http.Request, p auth.Principal, _ []byte) error {
	cred, err := s.d.MFA.ActiveCredential(r.Context(), p.User.ID, s.totp)
	if errors.Is(err, mfa.ErrNotEnrolled) {
		s.writeJSON(w, r, http.StatusOK, slugBaseStatusResponse{})
		return nil
	}
	if err != nil {
		return fmt.Errorf("slugbase: status: %w", err)
	}
	at := cred.CreatedAt.UTC().Format(time.RFC3339)
	s.writeJSON(w, r, http.StatusOK, slugBaseStatusResponse{Enabled: true, EnrolledAt: &at})
	return nil
}

// begin serves POST /api/auth/mfa/enroll/begin. A new begin replaces an
// enrollment still in progress, as SlugBase draws a new secret each time.
func (s *slugBase) begin(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	if _, err := slugBaseDecode(r, body); err != nil {
		return err
	}
	en, err := s.d.MFA.BeginEnrollment(r.Context(), s.d.meta(r, p, slugBaseVia), mfa.BeginRequest{UserID: p.User.ID, Factor: s.totp})
	if err != nil {
		return fmt.Errorf("slugbase: begin enrollment: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, slugBaseBeginResponse{OTPAuthURL: en.Display.URI, Secret: en.Display.Secret})
	return nil
}

// confirm serves POST /api/auth/mfa/enroll/confirm. The checks come in
// SlugBase's order: a code at all, MFA already enabled, an enrollment in
// progress, then the code itself.
func (s *slugBase) confirm(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	fields, err := slugBaseDecode(r, body, "code")
	if err != nil {
		return err
	}
	code, ok := slugBaseCode(fields["code"])
	if !ok {
		return slugBaseCodeRequired
	}
	ctx := r.Context()
	if err := s.checkNotEnabled(ctx, p); err != nil {
		return err
	}
	if _, err := s.d.MFA.PendingEnrollment(ctx, p.User.ID, s.totp); err != nil {
		return s.noPending(ctx, p, fmt.Errorf("slugbase: confirm enrollment: %w", err))
	}
	code = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if code == "" || len(code) > slugBaseMaxCode || !slugBasePrintable(code) {
		return slugBaseInvalidCode
	}
	done, err := s.d.MFA.ConfirmEnrollment(ctx, s.d.meta(r, p, slugBaseVia), mfa.ConfirmRequest{
		UserID: p.User.ID, Factor: s.totp, Proof: sdk.Proof{Code: code}, AlsoEnroll: s.backupCodes,
	})
	if err != nil {
		return s.noPending(ctx, p, fmt.Errorf("slugbase: confirm enrollment: %w", err))
	}
	codes := []string{}
	if done.Also != nil {
		// SlugBase shows each code unbroken; the factor may group it with
		// dashes or spaces for reading and accepts it either way.
		ungroup := strings.NewReplacer("-", "", " ", "")
		for _, c := range done.Also.Display.Codes {
			codes = append(codes, ungroup.Replace(c))
		}
	}
	s.writeJSON(w, r, http.StatusOK, slugBaseConfirmResponse{BackupCodes: codes})
	return nil
}

// cancel serves POST /api/auth/mfa/enroll/cancel. As in SlugBase it succeeds
// when nothing is in progress, and refuses once MFA is enabled.
func (s *slugBase) cancel(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	if _, err := slugBaseDecode(r, body); err != nil {
		return err
	}
	if err := s.checkNotEnabled(r.Context(), p); err != nil {
		return err
	}
	err := s.d.MFA.CancelEnrollment(r.Context(), s.d.meta(r, p, slugBaseVia), p.User.ID, s.totp)
	if err != nil && !errors.Is(err, mfa.ErrNoEnrollment) {
		return fmt.Errorf("slugbase: cancel enrollment: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, slugBaseOKResponse{OK: true})
	return nil
}

// checkNotEnabled refuses with MFA_ALREADY_ENABLED when the user's TOTP is active.
func (s *slugBase) checkNotEnabled(ctx context.Context, p auth.Principal) error {
	_, err := s.d.MFA.ActiveCredential(ctx, p.User.ID, s.totp)
	switch {
	case err == nil:
		return slugBaseAlreadyEnabled
	case errors.Is(err, mfa.ErrNotEnrolled):
		return nil
	}
	return fmt.Errorf("slugbase: look up active credential: %w", err)
}

// noPending refines a missing enrollment: when a concurrent confirmation
// enabled MFA meanwhile, the answer is MFA_ALREADY_ENABLED, as SlugBase gives
// the loser of that race.
func (s *slugBase) noPending(ctx context.Context, p auth.Principal, err error) error {
	if !errors.Is(err, mfa.ErrNoEnrollment) {
		return err
	}
	if errors.Is(s.checkNotEnabled(ctx, p), slugBaseAlreadyEnabled) {
		return slugBaseAlreadyEnabled
	}
	return err
}

// csrfToken serves GET /api/csrf-token: the token derives from the session
// cookie, so only a request with a live session gets one.
func (s *slugBase) csrfToken(w http.ResponseWriter, r *http.Request) {
	if _, err := s.readBody(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	se, err := s.session(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, slugBaseCSRFResponse{CSRFToken: se.CSRFToken()})
}

// methodNotAllowed answers any method but allow on an endpoint.
func (s *slugBase) methodNotAllowed(allow string) http.Handler {
	if allow == http.MethodGet {
		allow += ", " + http.MethodHead
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body is read first here too, so an oversized one is 413 everywhere.
		if _, err := s.readBody(w, r); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Allow", allow)
		s.writeError(w, r, slugBaseMethodNotAllowed)
	})
}

// authenticate resolves the caller: an Authorization header is a personal API
// token and needs no CSRF token; otherwise the session cookie, whose
// state-changing requests must carry the session's CSRF token.
func (s *slugBase) authenticate(r *http.Request, csrf bool) (auth.Principal, error) {
	if len(r.Header.Values("Authorization")) > 0 {
		if s.d.Tokens == nil {
			return auth.Principal{}, slugBaseUnauthorized
		}
		secret, err := auth.BearerToken(r)
		if err != nil {
			return auth.Principal{}, slugBaseUnauthorized
		}
		p, err := s.d.Tokens.Authenticate(r.Context(), secret)
		if errors.Is(err, auth.ErrBadToken) {
			return auth.Principal{}, slugBaseUnauthorized
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
	if csrf && !auth.CheckCSRF(se.Secret, r.Header.Get(SlugBaseCSRFHeader)) {
		return auth.Principal{}, slugBaseBadCSRF
	}
	return se.Principal, nil
}

// session resolves the request's session cookie.
func (s *slugBase) session(r *http.Request) (auth.Session, error) {
	c, err := r.Cookie(SlugBaseSessionCookie)
	if err != nil || s.d.Sessions == nil {
		return auth.Session{}, slugBaseUnauthorized
	}
	se, err := s.d.Sessions.Authenticate(r.Context(), c.Value)
	if errors.Is(err, auth.ErrBadSession) {
		return auth.Session{}, slugBaseUnauthorized
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("slugbase: authenticate session: %w", err)
	}
	return se, nil
}

// readBody reads the whole request body within the size limit.
func (s *slugBase) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.d.MaxBodyBytes))
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &slugBaseFailure{http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("The request body exceeds %d bytes", mbe.Limit)}
		}
		return nil, &slugBaseFailure{http.StatusBadRequest, "INVALID_BODY", "The request body could not be read"}
	}
	return body, nil
}

// slugBaseDecode parses a request body: empty, or one JSON object, declared
// as JSON, naming only the allowed fields (matched exactly, as SlugBase's
// parser does). It returns each field's raw value.
func slugBaseDecode(r *http.Request, body []byte, allowed ...string) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	if !slugBaseIsJSON(r.Header.Get("Content-Type")) {
		return nil, slugBaseContentType
	}
	if body[0] != '{' {
		return nil, slugBaseInvalidJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return nil, slugBaseInvalidJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, slugBaseInvalidJSON
	}
	for name := range fields {
		if !slices.Contains(allowed, name) {
			return nil, slugBaseUnknownField(allowed)
		}
	}
	return fields, nil
}

// slugBaseUnknownField names what the endpoint accepts rather than echoing
// what the caller sent.
func slugBaseUnknownField(allowed []string) *slugBaseFailure {
	msg := "The request body must be empty or {}"
	if len(allowed) > 0 {
		msg = "The request body may only contain: " + strings.Join(allowed, ", ")
	}
	return &slugBaseFailure{http.StatusBadRequest, "UNKNOWN_FIELD", msg}
}

// slugBaseCode returns a JSON string value. As in SlugBase, a missing, null,
// empty or non-string code is no code.
func slugBaseCode(raw json.RawMessage) (string, bool) {
	var code string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &code) != nil || code == "" {
		return "", false
	}
	return code, true
}

func slugBaseIsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")))
}

// slugBasePrintable reports whether s is printable ASCII.
func slugBasePrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '!' || s[i] > '~' {
			return false
		}
	}
	return true
}

// writeError answers with the SlugBase failure err maps to. Server failures
// are logged with their cause; their text never reaches the client.
func (s *slugBase) writeError(w http.ResponseWriter, r *http.Request, err error) {
	f := s.failure(r, err)
	if f.status == http.StatusTooManyRequests || f.status == http.StatusServiceUnavailable {
		if d, ok := mfa.RetryAfter(err); ok {
			w.Header().Set("Retry-After", strconv.Itoa(slugBaseSeconds(d)))
		}
	}
	s.writeJSON(w, r, f.status, slugBaseErrorBody{Error: http.StatusText(f.status), Message: f.message, Code: f.status, Details: f.reason})
}

// failure maps err to its SlugBase failure.
func (s *slugBase) failure(r *http.Request, err error) *slugBaseFailure {
	f, ok := errors.AsType[*slugBaseFailure](err)
	if !ok {
		for _, l := range slugBaseLifecycle {
			if errors.Is(err, l.kind) {
				f = l.failure
				break
			}
		}
	}
	switch {
	case f == nil && r.Context().Err() != nil:
		s.d.Logger.DebugContext(r.Context(), "slugbase: request cancelled", "method", r.Method, "route", r.Pattern, "error", err)
		return slugBaseInternal
	case f == nil:
		f = slugBaseInternal
	}
	if f.status >= http.StatusInternalServerError {
		s.d.Logger.ErrorContext(r.Context(), "slugbase: request failed", "method", r.Method, "route", r.Pattern, "status", f.status, "error", err)
	}
	return f
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

// slugBaseSeconds rounds a wait up to whole seconds, at least one.
func slugBaseSeconds(d time.Duration) int {
	secs := math.Ceil(d.Seconds())
	switch {
	case secs < 1:
		return 1
	case secs > math.MaxInt32:
		return math.MaxInt32
	}
	return int(secs)
}

// --- sign-in ---
//
// POST /api/auth/login {"email","password"} checks the password. A user
// with an active second factor gets {"mfa_required":true} and a pending
// cookie that lives five minutes; anyone else the session cookie at once.
// POST /api/auth/mfa/verify {"code"} with the pending cookie proves a TOTP
// code or a backup code and sets the session cookie. Both answer with the
// signed-in user, as SlugBase does.

// SlugBase's sign-in wire names.
const (
	// SlugBaseMFAPendingCookie carries the pending second step of a login.
	SlugBaseMFAPendingCookie = "slugbase.mfa_pending"

	slugBaseLoginPath     = "/api/auth/login"
	slugBaseMFAVerifyPath = "/api/auth/mfa/verify"
	// slugBasePendingPath scopes the pending cookie to the sign-in endpoints.
	slugBasePendingPath = "/api/auth"
	// slugBaseMaxCredential bounds email and password as sent.
	slugBaseMaxCredential = 256
	// slugBaseMaxTOTPDigits: a code of at most this many digits is a TOTP
	// code; anything else is a backup code.
	slugBaseMaxTOTPDigits = 8
)

// slugBaseClient is the built-in client that owns SlugBase's pending logins;
// a completed login is a browser session, not tokens.
func slugBaseClient() oauth.SignInClient {
	return oauth.SignInClient{ID: "factorgate-slugbase", Name: "SlugBase API sign-in", Session: true}
}

// Failures of the sign-in.
var (
	slugBaseCredentialsRequired = &slugBaseFailure{http.StatusBadRequest, "VALIDATION_ERROR", "Email and password are required"}
	slugBaseBadCredentials      = &slugBaseFailure{http.StatusUnauthorized, "INVALID_CREDENTIALS", "Invalid email or password"}
	slugBasePendingInvalid      = &slugBaseFailure{http.StatusUnauthorized, "MFA_PENDING_INVALID", "MFA session expired. Please sign in again."}
	slugBaseWrongCode           = &slugBaseFailure{http.StatusUnauthorized, "INVALID_CODE", "Invalid code"}
	slugBaseMFAUnavailable      = &slugBaseFailure{http.StatusForbidden, "MFA_METHOD_UNAVAILABLE", "The account's second factor cannot be used to sign in here"}
)

type slugBaseMFARequired struct {
	MFARequired bool `json:"mfa_required"`
}

// slugBaseUser is the signed-in user, as SlugBase answers a login.
type slugBaseUser struct {
	ID      string `json:"id"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	IsAdmin bool   `json:"is_admin"`
}

// login serves POST /api/auth/login.
func (s *slugBase) login(w http.ResponseWriter, r *http.Request) {
	if err := s.loginStep(w, r); err != nil {
		s.writeError(w, r, s.signInFailure(err))
	}
}

func (s *slugBase) loginStep(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	fields, err := slugBaseDecode(r, body, "email", "username", "password")
	if err != nil {
		return err
	}
	email, _ := slugBaseCode(fields["email"])
	if email == "" {
		email, _ = slugBaseCode(fields["username"])
	}
	password, _ := slugBaseCode(fields["password"])
	if email == "" || password == "" {
		return slugBaseCredentialsRequired
	}
	if len(email) > slugBaseMaxCredential || len(password) > slugBaseMaxCredential {
		return slugBaseBadCredentials
	}
	ctx := r.Context()
	client := slugBaseClient()
	user, err := s.d.SignIn.CheckSignInPassword(ctx, r, client, email, password)
	if err != nil {
		return err
	}
	active, err := s.d.activeFactors(ctx, user.ID)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		done, err := s.d.SignIn.FinishSignIn(ctx, r, client, user)
		if err != nil {
			return err
		}
		s.signedIn(w, r, done)
		return nil
	}
	if !active[s.totp] && (s.backupCodes == "" || !active[s.backupCodes]) {
		return slugBaseMFAUnavailable
	}
	state, err := s.d.SignIn.BeginSignIn(ctx, client, user, oauth.SignInStep{})
	if err != nil {
		return err
	}
	http.SetCookie(w, auth.Cookie(SlugBaseMFAPendingCookie, state, slugBasePendingPath, s.d.SignIn.SecureCookies(), 5*time.Minute))
	s.writeJSON(w, r, http.StatusOK, slugBaseMFARequired{MFARequired: true})
	return nil
}

// mfaVerify serves POST /api/auth/mfa/verify.
func (s *slugBase) mfaVerify(w http.ResponseWriter, r *http.Request) {
	if err := s.verifyStep(w, r); err != nil {
		f := s.signInFailure(err)
		if f == slugBasePendingInvalid {
			http.SetCookie(w, auth.ExpiredCookie(SlugBaseMFAPendingCookie, slugBasePendingPath, s.d.SignIn.SecureCookies()))
		}
		s.writeError(w, r, f)
	}
}

func (s *slugBase) verifyStep(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	c, err := r.Cookie(SlugBaseMFAPendingCookie)
	if err != nil || c.Value == "" {
		return slugBasePendingInvalid
	}
	fields, err := slugBaseDecode(r, body, "code")
	if err != nil {
		return err
	}
	code, ok := slugBaseCode(fields["code"])
	if !ok {
		return slugBaseCodeRequired
	}
	code = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if code == "" || len(code) > slugBaseMaxCode || !slugBasePrintable(code) {
		return slugBaseWrongCode
	}
	factor := s.codeFactor(code)
	if factor == "" {
		return slugBaseWrongCode
	}
	done, err := s.d.SignIn.CompleteSignIn(r.Context(), r, slugBaseClient(), c.Value, func(ctx context.Context, step oauth.SignInStep) ([]string, error) {
		p := auth.Principal{User: store.User{ID: step.UserID}}
		v, err := s.d.MFA.Verify(ctx, s.d.meta(r, p, slugBaseVia), mfa.VerifyRequest{UserID: step.UserID, Factor: factor, Proof: sdk.Proof{Code: code}})
		if err != nil {
			return nil, err
		}
		return v.AMR, nil
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, auth.ExpiredCookie(SlugBaseMFAPendingCookie, slugBasePendingPath, s.d.SignIn.SecureCookies()))
	s.signedIn(w, r, done)
	return nil
}

// codeFactor routes a code: a short all-digit code is a TOTP code, anything
// else a backup code ("" when no backup-code factor is routed).
func (s *slugBase) codeFactor(code string) string {
	digits := len(code) <= slugBaseMaxTOTPDigits && strings.IndexFunc(code, func(r rune) bool { return r < '0' || r > '9' }) < 0
	if digits {
		return s.totp
	}
	return s.backupCodes
}

// signedIn sets the session cookie and answers with the user.
func (s *slugBase) signedIn(w http.ResponseWriter, r *http.Request, done oauth.SignedIn) {
	http.SetCookie(w, auth.Cookie(SlugBaseSessionCookie, done.Session.Secret, "/", s.d.SignIn.SecureCookies(), done.SessionMaxAge))
	u := done.User
	s.writeJSON(w, r, http.StatusOK, slugBaseUser{ID: u.ID, Email: u.Email, Name: u.Name, IsAdmin: u.Admin})
}

// signInFailure maps the sign-in's own failures; a wrong, used or expired
// code (or one for a factor the user lacks) is 401 INVALID_CODE as in
// SlugBase, and the rest keep their usual answers.
func (s *slugBase) signInFailure(err error) error {
	switch {
	case errors.Is(err, oauth.ErrBadCredentials):
		return slugBaseBadCredentials
	case errors.Is(err, oauth.ErrSignInState):
		return slugBasePendingInvalid
	case errors.Is(err, mfa.ErrInvalidCode), errors.Is(err, mfa.ErrReplayed), errors.Is(err, mfa.ErrExpired),
		errors.Is(err, mfa.ErrNotEnrolled), errors.Is(err, mfa.ErrNotFound):
		return slugBaseWrongCode
	}
	return err
}
