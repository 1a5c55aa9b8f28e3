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
// issued to the built-in client accountingClient; the refresh token works at
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

// accountingClient is the built-in OAuth client of the password grant.
func accountingClient() signin.Client {
	return signin.Client{ID: "factorgate-accounting", Name: "Accounting API sign-in", Refresh: true}
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
	done, err := a.d.SignIn.SignInWithCode(r.Context(), signin.Start{
		Client: accountingClient(), Meta: a.d.SignInMeta(r, accountingVia), Username: g.username, Password: g.password,
		Factors: []string{a.factor},
	}, g.code)
	switch {
	case errors.Is(err, signin.ErrNoUsableFactor):
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_grant",
			description: "Two-factor authentication is on for this user with a method this API cannot verify."}
	case errors.Is(err, signin.ErrCodeSent):
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusUnauthorized, code: "2fa_code_required",
			description: "Two-factor authentication is on for this user. A code was sent by SMS; post the request again with it as verification_code."}
	case errors.Is(err, signin.ErrCodeRequired):
		return accountingTokenResponse{}, &accountingOAuthError{status: http.StatusUnauthorized, code: "2fa_code_required",
			description: "Two-factor authentication is on for this user; post the request again with the code as verification_code."}
	case err != nil:
		return accountingTokenResponse{}, err
	}
	return accountingTokens(done.User, done), nil
}

func accountingTokens(user store.User, done signin.SignedIn) accountingTokenResponse {
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
	body, err := httpx.ReadBody(w, r, a.d.MaxBodyBytes)
	if err != nil {
		if errors.Is(err, httpx.ErrBodyTooLarge) {
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
		return accountingGrant{}, signin.ErrBadCredentials
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
	}
}

// oauthError maps err to the grant's answer.
func (a *accounting) oauthError(ctx context.Context, err error) *accountingOAuthError {
	if oe, ok := errors.AsType[*accountingOAuthError](err); ok {
		return oe
	}
	if errors.Is(err, signin.ErrBadCredentials) {
		return &accountingOAuthError{status: http.StatusBadRequest, code: "invalid_grant", description: "The user name or password is incorrect."}
	}
	for _, e := range accountingGrantErrors() {
		if errors.Is(err, e.kind) {
			out := *e.error
			if out.status == http.StatusTooManyRequests {
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
	if e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", httpx.RetryAfter(e.retryAfter))
	}
	body, _ := accountingMarshalJSON(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.code, e.description}, "")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}
