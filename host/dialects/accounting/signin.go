package accounting

// Sign-in: the password credential grant,
//
//	POST /authorisation/token      {"grant_type":"password","username","password","scope","verification_code"}
//	POST /authorisation/token-2fa  the same
//
// As the service does, a user with 2FA on gets 401 {"error":"2fa_code_required"}
// and an SMS with the code; the client posts the same request again with
// verification_code and gets {"access_token","token_type":"Bearer",
// "expires_in","refresh_token","scope"}. The tokens are the OAuth provider's,
// issued to the built-in client signInClient; the refresh token works at
// the provider's token endpoint with grant_type=refresh_token and that
// client's id. Errors have OAuth's shape {"error","error_description"} in
// JSON whatever was asked for, as the service's OAuth server answers.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// signInClient is the built-in OAuth client of the password grant.
func signInClient() signin.Client {
	return signin.Client{ID: "factorgate-accounting", Name: "Accounting API sign-in", Refresh: true}
}

// The grant request's members and its XML root element.
const (
	grantRequestType = "OAuthPasswordCredentialsGrantRequest"
	fieldGrantType   = "grant_type"
	fieldUsername    = "username"
	fieldPassword    = "password"
	fieldScope       = "scope"
	fieldCode        = "verification_code"
	maxCredential    = 256
)

// grantRequest is a parsed grant request.
type grantRequest struct {
	username, password, code string
}

// tokenResponse is a successful grant. scope holds the caller's
// file id, as the service lists the files a token may access there.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// grantError is a failed grant.
type grantError struct {
	status      int
	code        string
	description string
	retryAfter  time.Duration
}

func (e *grantError) Error() string { return e.code + ": " + e.description }

func invalidRequest(description string) *grantError {
	return &grantError{status: http.StatusBadRequest, code: "invalid_request", description: description}
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
	body, err := marshalJSON(resp, "")
	if err != nil {
		a.writeOAuthError(w, r, fmt.Errorf("accounting: encode token response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// grant checks the password, then the 2FA code when the user has 2FA on.
func (a *accounting) grant(w http.ResponseWriter, r *http.Request) (tokenResponse, error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return tokenResponse{}, &grantError{status: http.StatusMethodNotAllowed, code: "invalid_request", description: "Use POST."}
	}
	g, err := a.parseGrant(w, r)
	if err != nil {
		return tokenResponse{}, err
	}
	done, err := a.d.SignIn.SignInWithCode(r.Context(), signin.Start{
		Client: signInClient(), Meta: a.d.SignInMeta(r, via), Username: g.username, Password: g.password,
		Factors: []string{a.factor},
	}, g.code)
	switch {
	case errors.Is(err, signin.ErrNoUsableFactor):
		return tokenResponse{}, &grantError{status: http.StatusBadRequest, code: "invalid_grant",
			description: "Two-factor authentication is on for this user with a method this API cannot verify."}
	case errors.Is(err, signin.ErrCodeSent):
		return tokenResponse{}, &grantError{status: http.StatusUnauthorized, code: "2fa_code_required",
			description: "Two-factor authentication is on for this user. A code was sent by SMS; post the request again with it as verification_code."}
	case errors.Is(err, signin.ErrCodeRequired):
		return tokenResponse{}, &grantError{status: http.StatusUnauthorized, code: "2fa_code_required",
			description: "Two-factor authentication is on for this user; post the request again with the code as verification_code."}
	case err != nil:
		return tokenResponse{}, err
	}
	return tokenResponseFor(done.User, done), nil
}

func tokenResponseFor(user store.User, done signin.SignedIn) tokenResponse {
	t := done.Tokens
	return tokenResponse{
		AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: int64(t.ExpiresIn / time.Second),
		RefreshToken: t.RefreshToken, Scope: strconv.FormatInt(user.OrgID, 10),
	}
}

// parseGrant reads the grant request: JSON or XML as the documented
// requests, or a form as OAuth clients send it. Member names match in any
// case; scope is accepted and ignored (a user has one file).
func (a *accounting) parseGrant(w http.ResponseWriter, r *http.Request) (grantRequest, error) {
	body, err := httpx.ReadBody(w, r, a.d.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, httpx.ErrBodyTooLarge) {
			return grantRequest{}, &grantError{status: http.StatusRequestEntityTooLarge, code: "invalid_request", description: "The request body is too large."}
		}
		return grantRequest{}, invalidRequest("The request body could not be read.")
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	names := []string{fieldGrantType, fieldUsername, fieldPassword, fieldScope, fieldCode}
	values := map[string]string{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if isXML, ok := mediaTypes[mt]; ok {
		fields, err := bodyFields(body, isXML, grantRequestType, names...)
		if err != nil {
			return grantRequest{}, invalidRequest(parseErrorMessage(err))
		}
		for name, f := range fields {
			switch f.kind {
			case fieldNull:
			case fieldString, fieldText:
				values[name] = f.text
			default:
				return grantRequest{}, invalidRequest("The " + name + " field must be a string.")
			}
		}
	} else if mt == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return grantRequest{}, invalidRequest("The request body is not a valid form.")
		}
		for k, vs := range form {
			name, err := member(k, names, nil)
			if err != nil || len(vs) != 1 {
				return grantRequest{}, invalidRequest("The request body has an unknown or repeated field.")
			}
			if _, dup := values[name]; dup {
				return grantRequest{}, invalidRequest("The " + name + " field must be given once.")
			}
			values[name] = vs[0]
		}
	} else {
		return grantRequest{}, &grantError{status: http.StatusUnsupportedMediaType, code: "invalid_request",
			description: "Send the request as application/json, text/json, application/xml, text/xml or application/x-www-form-urlencoded."}
	}
	if values[fieldGrantType] != "password" {
		return grantRequest{}, &grantError{status: http.StatusBadRequest, code: "unsupported_grant_type", description: "The grant_type must be password."}
	}
	g := grantRequest{username: values[fieldUsername], password: values[fieldPassword], code: strings.TrimSpace(values[fieldCode])}
	if g.username == "" || g.password == "" {
		return grantRequest{}, invalidRequest("The username and password fields are required.")
	}
	if len(g.username) > maxCredential || len(g.password) > maxCredential {
		return grantRequest{}, signin.ErrBadCredentials
	}
	if len(g.code) > maxOTPLen || !printableASCII(g.code) {
		return grantRequest{}, invalidRequest(fmt.Sprintf("The verification_code field must be at most %d printable characters.", maxOTPLen))
	}
	return g, nil
}

// parseErrorMessage is the message of a body-parsing failure.
func parseErrorMessage(err error) string {
	if ae, ok := errors.AsType[*statusError](err); ok {
		return ae.message
	}
	return "The request body is malformed."
}

// grantErrors maps each lifecycle failure of the 2FA code to the
// grant's answer, once.
func grantErrors() []struct {
	kind  error
	error *grantError
} {
	invalid := func(d string) *grantError {
		return &grantError{status: http.StatusBadRequest, code: "invalid_grant", description: d}
	}
	unavailable := &grantError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", description: "2FA is temporarily unavailable. Try again later."}
	internal := &grantError{status: http.StatusInternalServerError, code: "server_error", description: internalMessage}
	return []struct {
		kind  error
		error *grantError
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
		{mfa.ErrBusy, &grantError{status: http.StatusConflict, code: "invalid_request", description: "Another request for this user is in progress. Try again."}},
		{mfa.ErrLocked, &grantError{status: http.StatusTooManyRequests, code: "too_many_attempts", description: "Too many failed attempts. Try again later."}},
		{mfa.ErrThrottled, &grantError{status: http.StatusTooManyRequests, code: "too_many_requests", description: "Too many requests. Try again later."}},
		{mfa.ErrUnknownFactor, internal},
		{mfa.ErrUnsupported, internal},
		{mfa.ErrCredentialBroken, internal},
		{mfa.ErrUnavailable, unavailable},
		{mfa.ErrFactorFailed, &grantError{status: http.StatusBadGateway, code: "server_error", description: "2FA failed to handle the request. Try again later."}},
	}
}

// oauthError maps err to the grant's answer.
func (a *accounting) oauthError(ctx context.Context, err error) *grantError {
	if oe, ok := errors.AsType[*grantError](err); ok {
		return oe
	}
	if errors.Is(err, signin.ErrBadCredentials) {
		return &grantError{status: http.StatusBadRequest, code: "invalid_grant", description: "The user name or password is incorrect."}
	}
	for _, e := range grantErrors() {
		if errors.Is(err, e.kind) {
			out := *e.error
			if out.status == http.StatusTooManyRequests || out.status == http.StatusServiceUnavailable {
				out.retryAfter, _ = mfa.RetryAfter(err)
			}
			return &out
		}
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return &grantError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", description: "The request was cancelled or timed out."}
	}
	return &grantError{status: http.StatusInternalServerError, code: "server_error", description: internalMessage}
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
		w.Header().Set("Retry-After", httpx.RetryAfter(e.retryAfter))
	}
	body, _ := marshalJSON(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.code, e.description}, "")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
