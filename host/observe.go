package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/metrics"
)

// lockWarnings is the lockout policy's observer: every counter that locks
// writes a warning and is counted. Second-factor counters are keyed by user
// id; the sign-in's password counters by "password:" and the user name (with
// the client's address on the per-address counter), which the line names.
type lockWarnings struct {
	log     *slog.Logger
	metrics *metrics.Metrics
}

// Locked logs and counts a counter that just locked.
func (l lockWarnings) Locked(ctx context.Context, key string, until time.Time) {
	kind, attr := "second_factor", slog.String("user", key)
	if rest, ok := strings.CutPrefix(key, "password:"); ok {
		kind, attr = "password", slog.String("counter", rest)
	}
	l.log.WarnContext(ctx, "too many failed attempts: locked", slog.String("kind", kind), attr,
		slog.Time("until", until.UTC()))
	l.metrics.Lockout(kind)
}
