package backupcodes

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/factorgate/factorgate/sdk"
)

// format is the alphabet of the codes of a set.
type format string

// The formats a set may have.
const (
	// formatHex codes are lowercase hexadecimal: 4 bits a character.
	formatHex format = "hex"
	// formatDigits codes are decimal digits, for keypads: 3.32 bits a character.
	formatDigits format = "digits"
)

// codeLength is the number of characters of a code in every format: 64 bits
// in hex, 53 in digits. Twelve digits would be 39.9 bits, under the 40-bit
// floor that keeps even an unsalted hash of one code out of reach; sixteen
// keep the same four groups of four as hex.
const codeLength = 16

// maxInputLen bounds what Verify reads of a typed code: a code with a
// separator between every character is 31 bytes.
const maxInputLen = 128

// errMalformed is the cause of a typed code that is not a code of the set's
// format; the caller turns it into a user-safe reason.
var errMalformed = errors.New("malformed backup code")

func (f format) valid() bool { return f == formatHex || f == formatDigits }

// describe says what a code of this format looks like, for a user who typed
// something else.
func (f format) describe(length int) string {
	if f == formatDigits {
		return fmt.Sprintf("%d digits", length)
	}
	return fmt.Sprintf("%d characters, 0-9 and a-f", length)
}

// generateCode draws one code of length characters from r. Both alphabets
// are uniform: a random byte is exactly two hex digits, and sdk.RandomDigits
// rejects the bytes that would favour some digits.
func generateCode(r io.Reader, f format, length int) (string, error) {
	switch f {
	case formatHex:
		b, err := sdk.RandomBytes(r, (length+1)/2)
		if err != nil {
			return "", err
		}
		return hex.EncodeToString(b)[:length], nil
	case formatDigits:
		return sdk.RandomDigits(r, length)
	}
	return "", fmt.Errorf("unknown format %q", f)
}

// generateSet draws count distinct codes. A repeat is drawn again, so that
// no two slots of a set hold the same code; a source that keeps repeating is
// broken, and is an error rather than a loop.
func generateSet(r io.Reader, f format, length, count int) ([]string, error) {
	codes := make([]string, 0, count)
	seen := make(map[string]bool, count)
	for draws := 0; len(codes) < count; draws++ {
		if draws == 2*count {
			return nil, fmt.Errorf("generate %d codes: the random source repeats itself", count)
		}
		code, err := generateCode(r, f, length)
		if err != nil {
			return nil, fmt.Errorf("generate code: %w", err)
		}
		if seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
	}
	return codes, nil
}

// groupCode splits code into groups of n characters joined by dashes, for
// reading aloud or copying by hand; n == 0 leaves it whole. Normalisation
// removes the dashes again.
func groupCode(code string, n int) string {
	if n <= 0 || len(code) <= n {
		return code
	}
	var b strings.Builder
	b.Grow(len(code) + len(code)/n)
	for i := 0; i < len(code); i += n {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(code[i:min(i+n, len(code))])
	}
	return b.String()
}

// normalizeCode turns what a user typed into the code as it was hashed:
// ASCII spaces, tabs, line breaks and dashes are dropped wherever they are,
// and hex letters are lowercased. Anything else, including look-alikes such
// as fullwidth digits, Cyrillic letters or an en dash, is errMalformed, as is
// a code of the wrong length: refusing them keeps one code one string.
func normalizeCode(input string, f format, length int) (string, error) {
	if len(input) > maxInputLen {
		return "", fmt.Errorf("%w: longer than %d bytes", errMalformed, maxInputLen)
	}
	out := make([]byte, 0, length)
	for i := 0; i < len(input); i++ {
		c := input[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-':
		case '0' <= c && c <= '9':
			out = append(out, c)
		case f == formatHex && 'a' <= c && c <= 'f':
			out = append(out, c)
		case f == formatHex && 'A' <= c && c <= 'F':
			out = append(out, c+('a'-'A'))
		default:
			return "", fmt.Errorf("%w: character not in the %s alphabet", errMalformed, f)
		}
	}
	if len(out) != length {
		return "", fmt.Errorf("%w: %d characters, want %d", errMalformed, len(out), length)
	}
	return string(out), nil
}
