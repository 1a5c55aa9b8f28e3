package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
)

// ProblemBase prefixes the type URI of every problem the API returns.
const ProblemBase = "https://factorgate.dev/problems/"

// Problem is an RFC 9457 problem detail, the body of every error response.
type Problem struct {
	// Type is a stable URI per failure kind (ProblemBase + "invalid-code").
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	// Detail explains this occurrence; it is safe to show to the user.
	Detail string `json:"detail,omitempty"`
	// Code is a stable machine string per failure kind ("invalid_code").
	Code string `json:"code,omitempty"`
	// RetryAfter is how many seconds to wait before trying again; the
	// Retry-After header says the same.
	RetryAfter int `json:"retry_after,omitempty"`
	// Field names the request field that was rejected.
	Field string `json:"field,omitempty"`
	// Failing names the readiness checks that failed.
	Failing []string `json:"failing,omitempty"`
}

// kind is one failure kind: its status, type and default wording.
type kind struct {
	status int
	// slug is the last segment of the type URI; the code is the slug with
	// underscores for dashes.
	slug   string
	title  string
	detail string
	// retry kinds carry Retry-After.
	retry bool
}

func (k *kind) typeURI() string { return ProblemBase + k.slug }
func (k *kind) code() string    { return strings.ReplaceAll(k.slug, "-", "_") }

// Failures of the HTTP layer itself.
var (
	kindInvalidRequest       = &kind{status: 400, slug: "invalid-request", title: "Invalid request", detail: "the request is not valid"}
	kindUnauthorized         = &kind{status: 401, slug: "unauthorized", title: "Authentication required", detail: "send a personal API token as Authorization: Bearer <token>"}
	kindForbidden            = &kind{status: 403, slug: "forbidden", title: "Forbidden", detail: "not allowed to act on this user"}
	kindNotFound             = &kind{status: 404, slug: "not-found", title: "Not found", detail: "no such endpoint"}
	kindMethodNotAllowed     = &kind{status: 405, slug: "method-not-allowed", title: "Method not allowed", detail: "the method is not allowed on this endpoint"}
	kindUserExists           = &kind{status: 409, slug: "user-exists", title: "User exists", detail: "a user with this name already exists"}
	kindBodyTooLarge         = &kind{status: 413, slug: "body-too-large", title: "Request body too large", detail: "the request body is too large"}
	kindUnsupportedMediaType = &kind{status: 415, slug: "unsupported-media-type", title: "Unsupported media type", detail: "send the request body as application/json"}
	kindInternal             = &kind{status: 500, slug: "internal-error", title: "Internal error", detail: "the server failed to handle the request"}
	kindNotReady             = &kind{status: 503, slug: "not-ready", title: "Not ready", detail: "the server is not ready"}
	kindTimeout              = &kind{status: 503, slug: "timeout", title: "Request timed out", detail: "the request was cancelled or timed out before it completed"}
)

// lifecycleProblems maps each lifecycle failure kind to its problem, once.
// Tests check that every mfa.ErrX appears here exactly once.
var lifecycleProblems = []struct {
	err  error
	kind *kind
}{
	{mfa.ErrUserNotFound, &kind{status: 404, slug: "user-not-found", title: "User not found", detail: "the user does not exist"}},
	{mfa.ErrUnknownFactor, &kind{status: 404, slug: "unknown-factor", title: "Unknown factor", detail: "no such factor is installed"}},
	{mfa.ErrNotEnrolled, &kind{status: 404, slug: "not-enrolled", title: "Factor not enrolled", detail: "the user has not enrolled this factor"}},
	{mfa.ErrNoEnrollment, &kind{status: 404, slug: "no-enrollment", title: "No enrollment pending", detail: "no enrollment of this factor is pending; start a new one"}},
	{mfa.ErrNotFound, &kind{status: 404, slug: "credential-not-found", title: "Credential not found", detail: "the user has no such credential"}},
	{mfa.ErrUnsupported, &kind{status: 400, slug: "unsupported", title: "Operation not supported", detail: "the factor does not support this operation"}},
	{mfa.ErrInvalidParams, &kind{status: 400, slug: "invalid-params", title: "Invalid parameters", detail: "the factor rejected the parameters"}},
	{mfa.ErrAlreadyEnrolled, &kind{status: 409, slug: "already-enrolled", title: "Already enrolled", detail: "the factor is already enrolled; remove it first or enroll with replace"}},
	{mfa.ErrNoChallenge, &kind{status: 409, slug: "no-challenge", title: "No challenge pending", detail: "request a challenge before verifying"}},
	{mfa.ErrBusy, &kind{status: 409, slug: "busy", title: "Busy", detail: "too much contention on this credential; try again"}},
	{mfa.ErrInvalidCode, &kind{status: 422, slug: "invalid-code", title: "Invalid code", detail: "the code is not valid"}},
	{mfa.ErrExpired, &kind{status: 422, slug: "expired", title: "Expired", detail: "the code or enrollment expired"}},
	{mfa.ErrReplayed, &kind{status: 422, slug: "replayed", title: "Code already used", detail: "the code was already used"}},
	{mfa.ErrChallengeSpent, &kind{status: 422, slug: "challenge-spent", title: "Challenge spent", detail: "too many attempts for this code; request a new one"}},
	{mfa.ErrLocked, &kind{status: 429, slug: "locked", title: "Locked", detail: "too many failed attempts; second factors are locked for a while", retry: true}},
	{mfa.ErrThrottled, &kind{status: 429, slug: "throttled", title: "Too many requests", detail: "too many requests; try again later", retry: true}},
	{mfa.ErrCredentialBroken, &kind{status: 500, slug: "credential-broken", title: "Credential unusable", detail: "the stored credential cannot be used; remove it and enroll again"}},
	{mfa.ErrUnavailable, &kind{status: 503, slug: "unavailable", title: "Factor unavailable", detail: "the factor is temporarily unavailable; try again later", retry: true}},
	{mfa.ErrFactorFailed, &kind{status: 502, slug: "factor-error", title: "Factor error", detail: "the factor failed to handle the request; try again later"}},
}

// apiError is a failure found by the HTTP layer.
type apiError struct {
	kind   *kind
	detail string
	field  string
	// invalidToken adds error="invalid_token" to WWW-Authenticate.
	invalidToken bool
}

func (e *apiError) Error() string {
	if e.detail == "" {
		return e.kind.detail
	}
	return e.detail
}

// invalid is a 400 naming the rejected field.
func invalid(field, format string, args ...any) *apiError {
	return &apiError{kind: kindInvalidRequest, field: field, detail: fmt.Sprintf(format, args...)}
}

// problemFor returns the problem of kind k, with detail or the kind's default.
func problemFor(k *kind, detail string) Problem {
	if detail == "" {
		detail = k.detail
	}
	return Problem{Type: k.typeURI(), Title: k.title, Status: k.status, Detail: detail, Code: k.code()}
}

// writeError answers with the problem err maps to, logging the cause of
// server failures. Error texts of unknown errors never reach the client.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.problem(r, err)
	if p.Status == http.StatusUnauthorized {
		challenge := `Bearer realm="factorgate"`
		if ae, ok := errors.AsType[*apiError](err); ok && ae.invalidToken {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	s.writeProblem(w, r, p)
}

// problem maps err to its problem.
func (s *server) problem(r *http.Request, err error) Problem {
	if ae, ok := errors.AsType[*apiError](err); ok {
		p := problemFor(ae.kind, ae.detail)
		p.Field = ae.field
		return p
	}
	for _, lp := range lifecycleProblems {
		if !errors.Is(err, lp.err) {
			continue
		}
		p := problemFor(lp.kind, mfa.Reason(err))
		if lp.kind.retry {
			d, _ := mfa.RetryAfter(err)
			p.RetryAfter = httpx.RetryAfterSeconds(d)
		}
		if p.Status >= 500 {
			s.log.ErrorContext(r.Context(), "api: request failed", "method", r.Method, "route", r.Pattern, "problem", lp.kind.slug, "error", err)
		}
		return p
	}
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		s.log.DebugContext(r.Context(), "api: request cancelled", "method", r.Method, "route", r.Pattern, "error", err)
		return problemFor(kindTimeout, "")
	}
	s.log.ErrorContext(r.Context(), "api: request failed", "method", r.Method, "route", r.Pattern, "error", err)
	return problemFor(kindInternal, "")
}

// writeProblem writes p as an application/problem+json response.
func (s *server) writeProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	body, err := json.Marshal(p)
	if err != nil { // a Problem always encodes
		s.log.ErrorContext(r.Context(), "api: encode problem", "error", err)
		body = []byte(`{"type":"` + kindInternal.typeURI() + `","title":"Internal error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}
