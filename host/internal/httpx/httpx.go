// Package httpx holds the small HTTP helpers every front door of the host
// shares: finding the client's address behind trusted proxies, reading a
// size-limited request body, the value of a Retry-After header, and a short
// summary of the client's User-Agent for audit records.
package httpx

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ClientIP returns the address of the client that sent r. X-Forwarded-For is
// believed only hop by hop from the right, and only while each hop is a
// trusted proxy, so a client cannot forge its own address.
func ClientIP(r *http.Request, trusted []netip.Prefix) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	var addr netip.Addr
	if err == nil {
		addr = peer.Addr().Unmap()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		addr = a.Unmap()
	} else {
		return r.RemoteAddr
	}
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // an unparsable entry ends what can be believed
		}
		addr = hop.Unmap()
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ErrBodyTooLarge is ReadBody's failure for a body over the limit.
var ErrBodyTooLarge = errors.New("request body too large")

// ReadBody reads r's body, at most limit bytes, through http.MaxBytesReader,
// so the server closes the connection after answering a longer one. A
// longer body is ErrBodyTooLarge; any other failure to read it is returned
// wrapped. A request without a body reads as empty.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, ErrBodyTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("read the request body: %w", err)
	}
	return body, nil
}

// RetryAfterSeconds is a wait as the whole seconds a Retry-After header
// carries: rounded up, at least one (so a client never retries at once), at
// most math.MaxInt32.
func RetryAfterSeconds(d time.Duration) int {
	secs := math.Ceil(d.Seconds())
	switch {
	case secs < 1:
		return 1
	case secs > math.MaxInt32:
		return math.MaxInt32
	}
	return int(secs)
}

// RetryAfter is the value of a Retry-After header for the wait d, in
// RetryAfterSeconds.
func RetryAfter(d time.Duration) string {
	return strconv.Itoa(RetryAfterSeconds(d))
}
