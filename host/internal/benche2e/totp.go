package benche2e

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TOTP (RFC 6238) with SHA-1, as the factor's default
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"time"
)

// The TOTP parameters of every seeded credential: the shortest period and
// the widest skew the factor accepts, so that each user can answer seven
// fresh codes at once and one more every period.
const (
	Period = 15
	Skew   = 3
	Digits = 6
)

// Step returns the time step of t.
func Step(t time.Time) int64 { return t.Unix() / Period }

// Code returns the code of a secret at a time step (RFC 4226 with SHA-1).
func Code(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// MatchStep compares code with every step of the window around current, as
// the TOTP factor does (every candidate, in constant time), and returns the
// greatest step that matches.
func MatchStep(secret []byte, code string, current int64) (int64, bool) {
	var step int64
	found := false
	for s := current - Skew; s <= current+Skew; s++ {
		if subtle.ConstantTimeCompare([]byte(Code(secret, s)), []byte(code)) == 1 {
			step, found = s, true
		}
	}
	return step, found
}
