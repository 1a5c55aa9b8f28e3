package sdk

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrMalformedCode is returned by NormalizeCode for input that is not a code of
// the expected form.
var ErrMalformedCode = errors.New("malformed code")

// ConstantTimeEqual reports whether a and b are equal, in time that depends only
// on their lengths. Use it for every comparison of a code or a secret.
func ConstantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// RandomBytes returns n bytes from r, or from crypto/rand when r is nil.
func RandomBytes(r io.Reader, n int) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("read random bytes: %w", err)
	}
	return b, nil
}

// RandomDigits returns n uniformly distributed decimal digits read from r (or
// crypto/rand when r is nil), using rejection sampling so no digit is favoured.
func RandomDigits(r io.Reader, n int) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("read random digits: %w", err)
		}
		for _, b := range buf {
			// 250 is the largest multiple of 10 not above 256: bytes from 250 up
			// would favour the digits 0-5.
			if b < 250 && len(out) < n {
				out = append(out, '0'+b%10)
			}
		}
	}
	return string(out), nil
}

// NormalizeCode turns what a user typed into a numeric code of exactly digits
// ASCII digits. Spaces and dashes between digit groups are dropped; anything
// else, including non-ASCII digits such as "١" or "１", is ErrMalformedCode, as
// is a code of the wrong length. digits <= 0 accepts any non-empty length up to 32.
func NormalizeCode(code string, digits int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '\t':
		default:
			return "", fmt.Errorf("%w: only the digits 0-9 are allowed", ErrMalformedCode)
		}
	}
	n := b.Len()
	switch {
	case n == 0:
		return "", fmt.Errorf("%w: empty", ErrMalformedCode)
	case digits > 0 && n != digits:
		return "", fmt.Errorf("%w: want %d digits", ErrMalformedCode, digits)
	case digits <= 0 && n > 32:
		return "", fmt.Errorf("%w: too long", ErrMalformedCode)
	}
	return b.String(), nil
}
