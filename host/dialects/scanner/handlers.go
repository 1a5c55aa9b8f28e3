// Package scanner serves the security scanner's "User 2FA" endpoints and its
// sign-in, as the vendor documents them, translated to host/mfa and
// host/signin. What every dialect shares is in host/dialects.
package scanner

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
// lifecycle failure mapped once in lifecycleErrors:
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
	"context"
	"net/http"
	"strings"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/mfa"
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
	pathVerify  = "/v2/user/mfa/verify_installation"
	pathEnable  = "/v2/user/mfa/enable"
	pathDisable = "/v2/user/mfa/disable"
	pathSignIn  = "/auth/sign_in"
)

// scanner serves the dialect over its dependencies.
type scanner struct {
	d    dialects.Deps
	keys APIKeys
	// factors maps each routed method= value to its factor instance.
	factors map[string]string
	// methods lists the routed method= values, sorted, for messages.
	methods string
}

// Register serves the security scanner's 2FA endpoints on mux, for the
// methods the route table assigns (dialects.RouteScannerTOTP,
// dialects.RouteScannerSMS), and its sign-in when d.SignIn is set. With
// neither route configured nothing is registered. keys checks the x-api-key
// of every request. It panics when a required dependency is missing, which is
// a wiring mistake.
func Register(mux *http.ServeMux, d dialects.Deps, keys APIKeys) {
	d = d.WithDefaults()
	switch {
	case d.MFA == nil:
		panic("scanner.Register: Deps.MFA is required")
	case d.Tokens == nil:
		panic("scanner.Register: Deps.Tokens is required")
	case keys == nil:
		panic("scanner.Register: an APIKeys is required")
	}
	s := &scanner{d: d, keys: keys, factors: map[string]string{}}
	var methods []string
	for _, m := range []struct{ method, route string }{{"sms", dialects.RouteScannerSMS}, {"totp", dialects.RouteScannerTOTP}} {
		if f, ok := d.Factor(m.route); ok {
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
	mux.Handle(pathVerify, s.handle(s.verifyInstallation, paramMethod, paramCode))
	mux.Handle(pathEnable, s.handle(s.enable, paramMethod, paramPhone, paramCountry))
	mux.Handle(pathDisable, s.handle(s.disable, paramMethod, paramCode))
	if d.SignIn != nil {
		mux.Handle(pathSignIn, http.HandlerFunc(s.signIn))
	}
}

type operation func(ctx context.Context, w http.ResponseWriter, r *http.Request, c call) error

// handle checks what every endpoint shares (body size, PUT, both
// credentials, known query parameters, a routed method) before op runs, and
// renders any failure in the dialect's shape.
func (s *scanner) handle(op operation, params ...string) http.Handler {
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
			s.fail(w, r, errorf(http.StatusMethodNotAllowed, "method not allowed; use PUT"))
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		query, err := parseQuery(r.URL.RawQuery, params)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c := call{principal: p, meta: s.d.Meta(r, p, via), query: query}
		if c.method, c.factor, err = s.method(query); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := op(r.Context(), w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
}

// verifyInstallation serves PUT /v2/user/mfa/verify_installation: the code
// confirms the pending enrollment of the method.
func (s *scanner) verifyInstallation(ctx context.Context, w http.ResponseWriter, r *http.Request, c call) error {
	code, err := otpAttempt(c.query)
	if err != nil {
		return err
	}
	if _, err := s.d.MFA.ConfirmEnrollment(ctx, c.meta, mfa.ConfirmRequest{
		UserID: c.principal.User.ID, Factor: c.factor, Proof: sdk.Proof{Code: code},
	}); err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, successBody{Status: "verified"})
	return nil
}

// enable serves PUT /v2/user/mfa/enable: begin enrolling the method. For sms
// the factor sends the code to the number; for totp the answer carries the
// key. A second call replaces the pending enrollment (and sends a new code).
func (s *scanner) enable(ctx context.Context, w http.ResponseWriter, r *http.Request, c call) error {
	var params map[string]string
	if c.method == "sms" {
		var err error
		if params, err = phoneParams(c.query[paramPhone], c.query[paramCountry]); err != nil {
			return err
		}
	} else if _, ok := c.query[paramPhone]; ok {
		return errorf(http.StatusUnprocessableEntity, "phone_number applies only to method sms")
	} else if _, ok := c.query[paramCountry]; ok {
		return errorf(http.StatusUnprocessableEntity, "country_code applies only to method sms")
	}
	e, err := s.d.MFA.BeginEnrollment(ctx, c.meta, mfa.BeginRequest{UserID: c.principal.User.ID, Factor: c.factor, Params: params})
	if err != nil {
		return err
	}
	// What the factor displays decides, not the method's name, so a factor
	// routed behind either method shows its key.
	s.write(w, r, http.StatusOK, successBody{Status: "queued", Secret: e.Display.Secret, OTPAuthURL: e.Display.URI})
	return nil
}

// disable serves PUT /v2/user/mfa/disable: a valid current code (for sms,
// the code of the newest challenge) removes the method's credential.
func (s *scanner) disable(ctx context.Context, w http.ResponseWriter, r *http.Request, c call) error {
	code, err := otpAttempt(c.query)
	if err != nil {
		return err
	}
	v, err := s.d.MFA.Verify(ctx, c.meta, mfa.VerifyRequest{UserID: c.principal.User.ID, Factor: c.factor, Proof: sdk.Proof{Code: code}})
	if err != nil {
		return err
	}
	if _, err := s.d.MFA.RemoveCredential(ctx, c.meta, c.principal.User.ID, v.Credential.ID); err != nil {
		return err
	}
	s.write(w, r, http.StatusOK, successBody{Status: "disabled", Method: c.method})
	return nil
}
