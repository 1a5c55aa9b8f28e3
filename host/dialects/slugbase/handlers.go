// Package slugbase serves SlugBase's MFA enrollment endpoints and its
// sign-in, as SlugBase documents them, translated to host/mfa and
// host/signin. What every dialect shares is in host/dialects.
package slugbase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// SlugBase's wire names.
const (
	// SessionCookie is the session cookie SlugBase's browser clients send.
	SessionCookie = "slugbase.sid"
	// CSRFHeader carries the CSRF token of a cookie-authenticated request.
	CSRFHeader = "X-CSRF-Token"

	via = "slugbase"
	// maxCode bounds a submitted code; longer input is no code of any
	// factor and never reaches one.
	maxCode = 64
)

// slugBase serves SlugBase's MFA enrollment endpoints.
type slugBase struct {
	d    dialects.Deps
	totp string
	// backupCodes is the factor enrolled with a confirmed TOTP; empty when
	// the route table leaves it out.
	backupCodes string
}

// endpoint handles an authenticated request whose body has been read.
type endpoint func(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error

// Register serves SlugBase's MFA endpoints on mux: enrollment of the
// route slugbase.totp's factor, confirmed together with a fresh set of the
// route slugbase.backup_codes's codes, its status, and the CSRF token that
// cookie-authenticated requests carry. Nothing is served when slugbase.totp
// is not routed.
func Register(mux *http.ServeMux, d dialects.Deps) {
	d = d.WithDefaults()
	totp, ok := d.Factor(dialects.RouteSlugBaseTOTP)
	if !ok {
		d.Logger.Info("slugbase: endpoints not served: no factor routed", "route", dialects.RouteSlugBaseTOTP)
		return
	}
	backupCodes, _ := d.Factor(dialects.RouteSlugBaseBackupCodes)
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
			{http.MethodPost, loginPath, http.HandlerFunc(s.login)},
			{http.MethodPost, mfaVerifyPath, http.HandlerFunc(s.mfaVerify)},
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
func (s *slugBase) serve(h endpoint, csrf bool) http.Handler {
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
		s.writeJSON(w, r, http.StatusOK, statusResponse{})
		return nil
	}
	if err != nil {
		return fmt.Errorf("slugbase: status: %w", err)
	}
	at := cred.CreatedAt.UTC().Format(time.RFC3339)
	s.writeJSON(w, r, http.StatusOK, statusResponse{Enabled: true, EnrolledAt: &at})
	return nil
}

// begin serves POST /api/auth/mfa/enroll/begin. A new begin replaces an
// enrollment still in progress, as SlugBase draws a new secret each time.
func (s *slugBase) begin(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	if _, err := decodeBody(r, body); err != nil {
		return err
	}
	en, err := s.d.MFA.BeginEnrollment(r.Context(), s.d.Meta(r, p, via), mfa.BeginRequest{UserID: p.User.ID, Factor: s.totp})
	if err != nil {
		return fmt.Errorf("slugbase: begin enrollment: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, beginResponse{OTPAuthURL: en.Display.URI, Secret: en.Display.Secret})
	return nil
}

// confirm serves POST /api/auth/mfa/enroll/confirm. The checks come in
// SlugBase's order: a code at all, MFA already enabled, an enrollment in
// progress, then the code itself.
func (s *slugBase) confirm(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	fields, err := decodeBody(r, body, "code")
	if err != nil {
		return err
	}
	code, ok := jsonString(fields["code"])
	if !ok {
		return errCodeRequired
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
	if code == "" || len(code) > maxCode || !printable(code) {
		return errInvalidCode
	}
	done, err := s.d.MFA.ConfirmEnrollment(ctx, s.d.Meta(r, p, via), mfa.ConfirmRequest{
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
	s.writeJSON(w, r, http.StatusOK, confirmResponse{BackupCodes: codes})
	return nil
}

// cancel serves POST /api/auth/mfa/enroll/cancel. As in SlugBase it succeeds
// when nothing is in progress, and refuses once MFA is enabled.
func (s *slugBase) cancel(w http.ResponseWriter, r *http.Request, p auth.Principal, body []byte) error {
	if _, err := decodeBody(r, body); err != nil {
		return err
	}
	if err := s.checkNotEnabled(r.Context(), p); err != nil {
		return err
	}
	_, err := s.d.MFA.CancelEnrollment(r.Context(), s.d.Meta(r, p, via), p.User.ID, s.totp)
	if err != nil && !errors.Is(err, mfa.ErrNoEnrollment) {
		return fmt.Errorf("slugbase: cancel enrollment: %w", err)
	}
	s.writeJSON(w, r, http.StatusOK, okResponse{OK: true})
	return nil
}

// checkNotEnabled refuses with MFA_ALREADY_ENABLED when the user's TOTP is active.
func (s *slugBase) checkNotEnabled(ctx context.Context, p auth.Principal) error {
	_, err := s.d.MFA.ActiveCredential(ctx, p.User.ID, s.totp)
	switch {
	case err == nil:
		return errAlreadyEnabled
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
	if errors.Is(s.checkNotEnabled(ctx, p), errAlreadyEnabled) {
		return errAlreadyEnabled
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
	s.writeJSON(w, r, http.StatusOK, csrfResponse{CSRFToken: se.CSRFToken()})
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
		s.writeError(w, r, errMethodNotAllowed)
	})
}
