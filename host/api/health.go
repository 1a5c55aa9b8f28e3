package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// readyTimeout bounds one readiness check round.
const readyTimeout = 5 * time.Second

// ReadyCheck is one named readiness check ("database", "plugins").
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// ReadyChecks is a [Readiness] made of named checks, all of which must pass.
type ReadyChecks []ReadyCheck

// Ready runs every check and returns a *NotReadyError naming those that failed.
func (cs ReadyChecks) Ready(ctx context.Context) error {
	var nr NotReadyError
	for _, c := range cs {
		if err := c.Check(ctx); err != nil {
			nr.Failing = append(nr.Failing, c.Name)
			nr.Errs = append(nr.Errs, fmt.Errorf("%s: %w", c.Name, err))
		}
	}
	if len(nr.Failing) == 0 {
		return nil
	}
	return &nr
}

// NotReadyError names the readiness checks that failed. Its message holds
// only their names, since /readyz shows it to anyone; the causes are logged.
type NotReadyError struct {
	Failing []string
	Errs    []error
}

func (e *NotReadyError) Error() string { return "not ready: " + strings.Join(e.Failing, ", ") }

// Unwrap exposes the checks' errors.
func (e *NotReadyError) Unwrap() []error { return e.Errs }

type statusJSON struct {
	Status string `json:"status"`
}

// healthz serves GET /healthz: the process is serving.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) error {
	s.writeJSON(w, r, http.StatusOK, statusJSON{Status: "ok"})
	return nil
}

// readyz serves GET /readyz: 200 when every readiness check passes, otherwise
// a 503 not-ready problem naming the failing checks.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.deps.Ready.Ready(ctx); err != nil {
			s.log.WarnContext(r.Context(), "api: not ready", "error", err)
			p := problemFor(kindNotReady, "")
			if nr, ok := errors.AsType[*NotReadyError](err); ok {
				p.Detail, p.Failing = nr.Error(), nr.Failing
			}
			s.writeProblem(w, r, p)
			return nil
		}
	}
	s.writeJSON(w, r, http.StatusOK, statusJSON{Status: "ok"})
	return nil
}
