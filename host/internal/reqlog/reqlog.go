// Package reqlog is the host's outermost HTTP middleware: it names every
// request with an id (a sane X-Request-Id the client sent, or a new one,
// echoed in the response), writes one access log line at info when the
// request is done, and reports it to an observer under its route template.
// It never logs a body, a query string, a token or a code.
package reqlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Header is the request id header, read and echoed.
const Header = "X-Request-Id"

// saneID is what a client's request id must look like to be echoed: a short
// token without spaces or anything a log reader could be fooled by.
var saneID = regexp.MustCompile(`^[A-Za-z0-9._:@+/=-]{1,128}$`)

// Observer hears of every request served (*metrics.Metrics).
type Observer interface {
	HTTPRequest(method, route string, status int, d time.Duration)
}

// Options of the middleware. Zero values take the defaults.
type Options struct {
	Logger   *slog.Logger     // default: discard
	Observer Observer         // default: none
	Now      func() time.Time // default time.Now
}

// Handler wraps next with request ids, the access log and the observer.
func Handler(next http.Handler, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := opts.Now()
		id := r.Header.Get(Header)
		if !saneID.MatchString(id) {
			id = newID()
		}
		w.Header().Set(Header, id)
		info := &requestInfo{id: id}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		defer func() {
			// A panic is logged and answered by the handlers that recover
			// it; one that escapes still gets its line.
			d := opts.Now().Sub(start)
			route := Route(r)
			if opts.Observer != nil {
				opts.Observer.HTTPRequest(r.Method, route, rec.status(), d)
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("route", route), slog.Int("status", rec.status()),
				slog.Duration("duration", d), slog.String("request_id", id),
			}
			if user := info.userID(); user != "" {
				attrs = append(attrs, slog.String("user", user))
			}
			opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// Route is the route template that served r (the ServeMux pattern without
// its method), or "unmatched".
func Route(r *http.Request) string {
	p := r.Pattern
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	if p == "" {
		return "unmatched"
	}
	return p
}

// SetUser records, for the access log, the user the request acts for; a
// door calls it once it knows who is calling. Outside the middleware it does
// nothing.
func SetUser(ctx context.Context, userID string) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.user = userID
		info.mu.Unlock()
	}
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

type infoKey struct{}

// requestInfo is what the middleware learns about a request while it is
// served.
type requestInfo struct {
	id   string
	mu   sync.Mutex
	user string
}

func (i *requestInfo) userID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.user
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// recorder remembers the status written. It passes Flush on, which gRPC
// and Connect handlers need, and unwraps for http.ResponseController.
type recorder struct {
	http.ResponseWriter
	code int
}

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends buffered data to the client.
func (w *recorder) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}
