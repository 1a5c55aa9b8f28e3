// Package admin serves the host's admin listener: what an operator needs to
// look inside a running host (today Go's profiles under /debug/pprof). It is
// off by default and belongs on a loopback or private address, never on the
// listener clients reach.
package admin

import (
	"net/http"
	"net/http/pprof"
)

// Handler serves the admin endpoints.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
