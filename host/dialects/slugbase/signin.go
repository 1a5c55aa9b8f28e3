package slugbase

// SlugBase's sign-in.
//
// POST /api/auth/login {"email","password"} checks the password. A user
// with an active second factor gets {"mfa_required":true} and a pending
// cookie that lives five minutes; anyone else the session cookie at once.
// POST /api/auth/mfa/verify {"code"} with the pending cookie proves a TOTP
// code or a backup code and sets the session cookie. Both answer with the
// signed-in user, as SlugBase does.

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
)

// SlugBase's sign-in wire names.
const (
	// MFAPendingCookie carries the pending second step of a login.
	MFAPendingCookie = "slugbase.mfa_pending"

	loginPath     = "/api/auth/login"
	mfaVerifyPath = "/api/auth/mfa/verify"
	// pendingPath scopes the pending cookie to the sign-in endpoints.
	pendingPath = "/api/auth"
	// maxCredential bounds email and password as sent.
	maxCredential = 256
	// maxTOTPDigits: a code of at most this many digits is a TOTP
	// code; anything else is a backup code.
	maxTOTPDigits = 8
)

// signInClient is the built-in client that owns SlugBase's pending logins;
// a completed login is a browser session, not tokens.
func signInClient() signin.Client {
	return signin.Client{ID: "factorgate-slugbase", Name: "SlugBase API sign-in", Session: true}
}

// Failures of the sign-in.
var (
	errCredentialsRequired = &statusError{http.StatusBadRequest, "VALIDATION_ERROR", "Email and password are required"}
	errBadCredentials      = &statusError{http.StatusUnauthorized, "INVALID_CREDENTIALS", "Invalid email or password"}
	errPendingInvalid      = &statusError{http.StatusUnauthorized, "MFA_PENDING_INVALID", "MFA session expired. Please sign in again."}
	errWrongCode           = &statusError{http.StatusUnauthorized, "INVALID_CODE", "Invalid code"}
	errMFAUnavailable      = &statusError{http.StatusForbidden, "MFA_METHOD_UNAVAILABLE", "The account's second factor cannot be used to sign in here"}
)

type mfaRequired struct {
	MFARequired bool `json:"mfa_required"`
}

// signedInUser is the signed-in user, as SlugBase answers a login.
type signedInUser struct {
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
	fields, err := decodeBody(r, body, "email", "username", "password")
	if err != nil {
		return err
	}
	email, _ := jsonString(fields["email"])
	if email == "" {
		email, _ = jsonString(fields["username"])
	}
	password, _ := jsonString(fields["password"])
	if email == "" || password == "" {
		return errCredentialsRequired
	}
	if len(email) > maxCredential || len(password) > maxCredential {
		return errBadCredentials
	}
	started, err := s.d.SignIn.Begin(r.Context(), signin.Start{
		Client: signInClient(), Meta: s.d.SignInMeta(r, via), Username: email, Password: password,
		Factors: []string{s.totp, s.backupCodes},
	})
	if errors.Is(err, signin.ErrNoUsableFactor) {
		return errMFAUnavailable
	}
	if err != nil {
		return err
	}
	if started.Done != nil {
		s.signedIn(w, r, *started.Done)
		return nil
	}
	state := started.State
	http.SetCookie(w, auth.Cookie(MFAPendingCookie, state, pendingPath, s.d.SignIn.SecureCookies(), 5*time.Minute))
	s.writeJSON(w, r, http.StatusOK, mfaRequired{MFARequired: true})
	return nil
}

// mfaVerify serves POST /api/auth/mfa/verify.
func (s *slugBase) mfaVerify(w http.ResponseWriter, r *http.Request) {
	if err := s.verifyStep(w, r); err != nil {
		f := s.signInFailure(err)
		if f == errPendingInvalid {
			http.SetCookie(w, auth.ExpiredCookie(MFAPendingCookie, pendingPath, s.d.SignIn.SecureCookies()))
		}
		s.writeError(w, r, f)
	}
}

func (s *slugBase) verifyStep(w http.ResponseWriter, r *http.Request) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	c, err := r.Cookie(MFAPendingCookie)
	if err != nil || c.Value == "" {
		return errPendingInvalid
	}
	fields, err := decodeBody(r, body, "code")
	if err != nil {
		return err
	}
	code, ok := jsonString(fields["code"])
	if !ok {
		return errCodeRequired
	}
	code = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, code)
	if code == "" || len(code) > maxCode || !printable(code) {
		return errWrongCode
	}
	factor := s.codeFactor(code)
	if factor == "" {
		return errWrongCode
	}
	done, err := s.d.SignIn.Complete(r.Context(), signInClient(), s.d.SignInMeta(r, via), c.Value, signin.Proof{Factor: factor, Code: code})
	if err != nil {
		return err
	}
	http.SetCookie(w, auth.ExpiredCookie(MFAPendingCookie, pendingPath, s.d.SignIn.SecureCookies()))
	s.signedIn(w, r, done)
	return nil
}

// codeFactor routes a code: a short all-digit code is a TOTP code, anything
// else a backup code ("" when no backup-code factor is routed).
func (s *slugBase) codeFactor(code string) string {
	digits := len(code) <= maxTOTPDigits && strings.IndexFunc(code, func(r rune) bool { return r < '0' || r > '9' }) < 0
	if digits {
		return s.totp
	}
	return s.backupCodes
}

// signedIn sets the session cookie and answers with the user.
func (s *slugBase) signedIn(w http.ResponseWriter, r *http.Request, done signin.SignedIn) {
	http.SetCookie(w, auth.Cookie(SessionCookie, done.Session.Secret, "/", s.d.SignIn.SecureCookies(), done.SessionMaxAge))
	u := done.User
	s.writeJSON(w, r, http.StatusOK, signedInUser{ID: u.ID, Email: u.Email, Name: u.Name, IsAdmin: u.Admin})
}

// signInFailure maps the sign-in's own failures; a wrong, used or expired
// code (or one for a factor the user lacks) is 401 INVALID_CODE as in
// SlugBase, and the rest keep their usual answers.
func (s *slugBase) signInFailure(err error) error {
	switch {
	case errors.Is(err, signin.ErrBadCredentials):
		return errBadCredentials
	case errors.Is(err, signin.ErrStepInvalid):
		return errPendingInvalid
	case errors.Is(err, mfa.ErrInvalidCode), errors.Is(err, mfa.ErrReplayed), errors.Is(err, mfa.ErrExpired),
		errors.Is(err, mfa.ErrNotEnrolled), errors.Is(err, mfa.ErrNotFound):
		return errWrongCode
	}
	return err
}
