// Package api is the host's native HTTP API under /v1: enroll, confirm,
// challenge and verify second factors, list and remove a user's credentials,
// create users and list factor instances, the operator's routes for admin
// tokens (list, show, disable, enable, delete, set the password of and
// unlock users; list and revoke API tokens; read the audit log), plus
// liveness and readiness probes and the OpenAPI document (openapi.json) that
// describes every route.
//
// Callers authenticate with a personal API token as `Authorization: Bearer`
// on everything under /v1 except the OpenAPI document. In a path, "me" is the
// caller; acting on another user needs a principal that may act on them (an
// admin token), and is refused with 403 before anything about that user is
// looked up.
//
// Request bodies are JSON objects, limited in size, decoded strictly (unknown
// fields and trailing data are rejected) and validated field by field. Every
// error is an RFC 9457 problem (application/problem+json) with a stable type
// URI under [ProblemBase] and a stable machine code; problems.go maps each
// lifecycle failure to its status exactly once:
//
//	400 invalid-request, invalid-params, unsupported
//	401 unauthorized (with WWW-Authenticate: Bearer)
//	403 forbidden
//	404 not-found, user-not-found, unknown-factor, not-enrolled, no-enrollment, credential-not-found, token-not-found
//	405 method-not-allowed (with Allow)
//	409 already-enrolled, no-challenge, busy, user-exists
//	413 body-too-large
//	415 unsupported-media-type
//	422 invalid-code, expired, replayed, challenge-spent
//	429 locked, throttled (with Retry-After and retry_after)
//	500 internal-error, credential-broken
//	503 unavailable, not-ready, timeout
//
// A wrong, replayed or expired code is 422 (the request was well formed but
// the proof is not acceptable), with a distinct type per cause. A lockout is
// 429 rather than 423: like throttling it ends by itself, and clients handle
// both by waiting Retry-After seconds.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/store"
)

// MFA is the lifecycle service the API translates to (*mfa.Service).
type MFA interface {
	BeginEnrollment(ctx context.Context, m mfa.Meta, req mfa.BeginRequest) (mfa.Enrollment, error)
	ConfirmEnrollment(ctx context.Context, m mfa.Meta, req mfa.ConfirmRequest) (mfa.Confirmed, error)
	CancelEnrollment(ctx context.Context, m mfa.Meta, userID, factor string) (mfa.Removed, error)
	Challenge(ctx context.Context, m mfa.Meta, req mfa.ChallengeRequest) (mfa.Challenge, error)
	Verify(ctx context.Context, m mfa.Meta, req mfa.VerifyRequest) (mfa.Verified, error)
	ListCredentials(ctx context.Context, userID string) ([]mfa.CredentialInfo, error)
	RemoveCredential(ctx context.Context, m mfa.Meta, userID, credentialID string) (mfa.Removed, error)
}

// Users creates users and finds the organisation they join (store.Store).
type Users interface {
	CreateUser(ctx context.Context, u store.User) (store.User, error)
	EnsureDefaultOrg(ctx context.Context) (store.Org, error)
}

// Authenticator resolves a bearer token to its principal (*auth.Tokens). It
// returns auth.ErrBadToken for a token that is unknown or expired.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// Factors lists the configured factor instances (*plugins.Manager).
type Factors interface {
	Instances() []plugins.InstanceInfo
}

// Readiness says whether the host can serve requests (database reachable,
// plugins healthy). [ReadyChecks] builds one from named checks.
type Readiness interface {
	Ready(ctx context.Context) error
}

// PasswordHasher turns a password into the string stored with the user.
type PasswordHasher interface {
	HashPassword(password string) (string, error)
}

// PasswordHasherFunc adapts a function to [PasswordHasher].
type PasswordHasherFunc func(password string) (string, error)

// HashPassword calls f.
func (f PasswordHasherFunc) HashPassword(password string) (string, error) { return f(password) }

// Deps are what the API needs. MFA, Users, Auth and Factors are required;
// the rest have defaults.
type Deps struct {
	MFA     MFA
	Users   Users
	Auth    Authenticator
	Factors Factors
	// Ready reports readiness for /readyz; nil means always ready.
	Ready Readiness
	// Passwords hashes the password of a new user; nil means the API refuses
	// to set passwords.
	Passwords PasswordHasher
	// Operator serves the admin routes (users, tokens, audit); nil answers
	// them with 404.
	Operator Operator
	// Logger receives one debug line per request and the causes of 5xx
	// responses (default: discard).
	Logger *slog.Logger
	// MaxBodyBytes limits a request body (default 64 KiB).
	MaxBodyBytes int64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// NewID returns the id of a new user (default: random UUIDv4).
	NewID func() string
	// TrustedProxies are the peers whose X-Forwarded-For is believed when
	// finding the client's address for the audit log.
	TrustedProxies []netip.Prefix
}

// DefaultMaxBodyBytes is the request body limit when Deps.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 64 << 10

// The real implementations satisfy the interfaces.
var (
	_ MFA           = (*mfa.Service)(nil)
	_ Users         = store.Store(nil)
	_ Authenticator = (*auth.Tokens)(nil)
	_ Factors       = (*plugins.Manager)(nil)
)

// server is the API over its dependencies.
type server struct {
	deps Deps
	log  *slog.Logger
	mux  *http.ServeMux
}

// handlerFunc serves one route; a returned error becomes a problem response.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one method and path the API serves.
type route struct {
	method string
	path   string
	// public routes need no bearer token.
	public bool
	handle handlerFunc
}

// Pattern is the route's http.ServeMux pattern.
func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes lists every route. The OpenAPI document must describe exactly these.
func (s *server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/healthz", public: true, handle: s.healthz},
		{method: http.MethodGet, path: "/readyz", public: true, handle: s.readyz},
		{method: http.MethodGet, path: "/v1/openapi.json", public: true, handle: s.openapi},

		{method: http.MethodGet, path: "/v1/factors", handle: s.listFactors},

		{method: http.MethodGet, path: "/v1/users/me", handle: s.me},
		{method: http.MethodPost, path: "/v1/users", handle: s.createUser},

		// The operator's routes (admin tokens only).
		{method: http.MethodGet, path: "/v1/users", handle: s.listUsers},
		{method: http.MethodGet, path: "/v1/users/{user}", handle: s.showUser},
		{method: http.MethodDelete, path: "/v1/users/{user}", handle: s.deleteUser},
		{method: http.MethodPost, path: "/v1/users/{user}/disable", handle: s.disableUser},
		{method: http.MethodPost, path: "/v1/users/{user}/enable", handle: s.enableUser},
		{method: http.MethodPost, path: "/v1/users/{user}/unlock", handle: s.unlockUser},
		{method: http.MethodPut, path: "/v1/users/{user}/password", handle: s.setPassword},
		{method: http.MethodGet, path: "/v1/tokens", handle: s.listTokens},
		{method: http.MethodDelete, path: "/v1/tokens/{token}", handle: s.revokeToken},
		{method: http.MethodGet, path: "/v1/audit", handle: s.readAudit},

		{method: http.MethodGet, path: "/v1/users/{user}/factors", handle: s.listCredentials},
		{method: http.MethodDelete, path: "/v1/users/{user}/factors/{credential}", handle: s.removeCredential},

		{method: http.MethodPost, path: "/v1/users/{user}/factors/{factor}/enrollments", handle: s.beginEnrollment},
		{method: http.MethodPost, path: "/v1/users/{user}/factors/{factor}/enrollments/{enrollment}/confirm", handle: s.confirmEnrollment},
		{method: http.MethodDelete, path: "/v1/users/{user}/factors/{factor}/enrollments/pending", handle: s.cancelEnrollment},

		{method: http.MethodPost, path: "/v1/users/{user}/factors/{factor}/challenge", handle: s.challenge},
		{method: http.MethodPost, path: "/v1/users/{user}/factors/{factor}/verify", handle: s.verify},
	}
}

// New returns the API handler. It panics when a required dependency is
// missing, which is a wiring mistake.
func New(deps Deps) http.Handler {
	return newServer(deps)
}

func newServer(deps Deps) *server {
	for _, req := range []struct {
		name    string
		missing bool
	}{
		{"MFA", deps.MFA == nil}, {"Users", deps.Users == nil}, {"Auth", deps.Auth == nil}, {"Factors", deps.Factors == nil},
	} {
		if req.missing {
			panic(fmt.Sprintf("api.New: Deps.%s is required", req.name))
		}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.MaxBodyBytes <= 0 {
		deps.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.NewID == nil {
		deps.NewID = uuid.NewString
	}
	s := &server{deps: deps, log: deps.Logger, mux: http.NewServeMux()}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern(), s.wrap(rt))
	}
	return s
}

// ServeHTTP sets the security headers, limits the body, routes the request
// (answering unknown paths and methods with problems) and logs one line.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	r.Body = http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes)

	_, pattern := s.mux.Handler(r)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "api: panic serving request", "method", r.Method, "route", pattern, "panic", v)
			if !rec.wroteHeader {
				s.writeProblem(rec, r, problemFor(kindInternal, ""))
			}
		}
		route := pattern
		if route == "" {
			route = "unmatched"
		}
		s.log.DebugContext(r.Context(), "api request", "method", r.Method, "route", route,
			"status", rec.status(), "duration", time.Since(start))
	}()
	if pattern == "" && s.unrouted(rec, r) {
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// unrouted answers a request no route matches with a 404 or 405 problem,
// asking the mux which of the two it is. It reports false for anything else
// the mux would do (a redirect to a cleaned path), which the mux then serves.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) bool {
	h, _ := s.mux.Handler(r)
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeProblem(w, r, problemFor(kindMethodNotAllowed, fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, probe.header.Get("Allow"))))
		return true
	case http.StatusNotFound:
		s.writeProblem(w, r, problemFor(kindNotFound, "no such endpoint"))
		return true
	}
	return false
}

// wrap authenticates the caller of a non-public route and turns the route's
// error into a problem response.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.public {
			p, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		}
		if err := rt.handle(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate resolves the request's bearer token.
func (s *server) authenticate(r *http.Request) (auth.Principal, error) {
	secret, err := auth.BearerToken(r)
	if errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, &apiError{kind: kindUnauthorized, detail: "send a personal API token as Authorization: Bearer <token>"}
	}
	if err != nil {
		return auth.Principal{}, &apiError{kind: kindUnauthorized, detail: "the Authorization header is not a bearer token", invalidToken: true}
	}
	p, err := s.deps.Auth.Authenticate(r.Context(), secret)
	if errors.Is(err, auth.ErrBadToken) || errors.Is(err, auth.ErrNoCredentials) {
		return auth.Principal{}, &apiError{kind: kindUnauthorized, detail: "the token is invalid or expired", invalidToken: true}
	}
	if err != nil {
		return auth.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	return p, nil
}

// principal returns the authenticated caller of a non-public route.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

// meta says who is acting and from where, for the audit log.
func (s *server) meta(r *http.Request) mfa.Meta {
	return mfa.Meta{Actor: principal(r).Actor(), RemoteAddr: clientIP(r, s.deps.TrustedProxies), Via: "api", UserAgent: httpx.UserAgentSummary(r)}
}

// writeJSON writes v as the JSON response body with status.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.log.ErrorContext(r.Context(), "api: encode response", "error", err)
		s.writeProblem(w, r, problemFor(kindInternal, ""))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusRecorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// probeWriter captures what the mux's fallback handler would answer.
type probeWriter struct {
	header http.Header
	code   int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) Write(b []byte) (int, error) {
	if p.code == 0 {
		p.code = http.StatusOK
	}
	return len(b), nil
}

func (p *probeWriter) WriteHeader(code int) {
	if p.code == 0 {
		p.code = code
	}
}
