// Package admin serves the host's admin listener: what an operator needs to
// look inside a running host (Prometheus metrics at /metrics, Go's profiles
// under /debug/pprof). It is off by default and belongs on a loopback or
// private address, never on the listener clients reach.
package admin

import (
	"net/http"
	"net/http/pprof"
)

// Handler serves the admin endpoints; metrics serves /metrics (nil: none).
func Handler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
