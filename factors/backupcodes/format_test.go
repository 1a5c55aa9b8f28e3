package backupcodes

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"
)

func TestGenerateSet(t *testing.T) {
	tests := []struct {
		name   string
		format format
		count  int
		want   *regexp.Regexp
	}{
		{"hex, fewest", formatHex, minCount, regexp.MustCompile(`^[0-9a-f]{16}$`)},
		{"hex, default", formatHex, defaultCount, regexp.MustCompile(`^[0-9a-f]{16}$`)},
		{"hex, most", formatHex, maxCount, regexp.MustCompile(`^[0-9a-f]{16}$`)},
		{"digits, default", formatDigits, defaultCount, regexp.MustCompile(`^[0-9]{16}$`)},
		{"digits, most", formatDigits, maxCount, regexp.MustCompile(`^[0-9]{16}$`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codes, err := generateSet(seededRand(tc.name), tc.format, codeLength, tc.count)
			if err != nil {
				t.Fatalf("generateSet: %v", err)
			}
			if len(codes) != tc.count {
				t.Fatalf("%d codes, want %d", len(codes), tc.count)
			}
			seen := map[string]bool{}
			for _, c := range codes {
				if !tc.want.MatchString(c) {
					t.Errorf("code %q does not match %s", c, tc.want)
				}
				if seen[c] {
					t.Errorf("code %q appears twice", c)
				}
				seen[c] = true
			}
		})
	}
}

// Every format carries at least 40 bits a code; hex carries 64.
func TestCodeEntropy(t *testing.T) {
	tests := []struct {
		format   format
		alphabet int
		wantMin  float64
	}{
		{formatHex, 16, 64},
		{formatDigits, 10, 53},
	}
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			bits := float64(codeLength) * math.Log2(float64(tc.alphabet))
			if bits < 40 || bits < tc.wantMin {
				t.Fatalf("%s codes carry %.1f bits, want at least max(40, %.0f)", tc.format, bits, tc.wantMin)
			}
		})
	}
}

// The characters of many codes are spread evenly over the alphabet, in every
// position: a biased draw would show as a symbol far from its share.
func TestCodeDistribution(t *testing.T) {
	tests := []struct {
		format   format
		alphabet string
	}{
		{formatHex, "0123456789abcdef"},
		{formatDigits, "0123456789"},
	}
	const codes = 20000
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			r := seededRand("distribution " + string(tc.format))
			counts := make([]map[byte]int, codeLength)
			for i := range counts {
				counts[i] = map[byte]int{}
			}
			for range codes {
				c, err := generateCode(r, tc.format, codeLength)
				if err != nil {
					t.Fatal(err)
				}
				for i := range len(c) {
					counts[i][c[i]]++
				}
			}
			expected := float64(codes) / float64(len(tc.alphabet))
			for pos, m := range counts {
				for _, sym := range []byte(tc.alphabet) {
					// 15% of the expected count is more than 5 standard
					// deviations at these sizes.
					if got := float64(m[sym]); math.Abs(got-expected) > 0.15*expected {
						t.Errorf("position %d: %q drawn %v times, expected about %.0f", pos, sym, got, expected)
					}
				}
				if len(m) != len(tc.alphabet) {
					t.Errorf("position %d: symbols %v outside the alphabet", pos, m)
				}
			}
		})
	}
}

func TestGenerateSetRedrawsRepeats(t *testing.T) {
	chunk := func(b byte) []byte { return bytes.Repeat([]byte{b}, codeLength/2) }
	var script []byte
	for _, b := range []byte{1, 1, 2, 3, 2, 4, 5} {
		script = append(script, chunk(b)...)
	}
	codes, err := generateSet(&scriptReader{b: script}, formatHex, codeLength, 5)
	if err != nil {
		t.Fatalf("generateSet: %v", err)
	}
	want := []string{
		hex.EncodeToString(chunk(1)), hex.EncodeToString(chunk(2)), hex.EncodeToString(chunk(3)),
		hex.EncodeToString(chunk(4)), hex.EncodeToString(chunk(5)),
	}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}

func TestGenerateSetBrokenSource(t *testing.T) {
	tests := []struct {
		name   string
		source io.Reader
		format format
		want   string
	}{
		{"constant source, hex", zeroReader{}, formatHex, "repeats"},
		{"constant source, digits", zeroReader{}, formatDigits, "repeats"},
		{"failing source", failingReader{}, formatHex, "entropy source failed"},
		{"source runs dry", &scriptReader{b: make([]byte, 20)}, formatHex, "script exhausted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			codes, err := generateSet(tc.source, tc.format, codeLength, defaultCount)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("generateSet = %v, %v; want an error containing %q", codes, err, tc.want)
			}
		})
	}
}

func TestGroupCode(t *testing.T) {
	tests := []struct {
		name  string
		code  string
		group int
		want  string
	}{
		{"no grouping", "abcdef0123456789", 0, "abcdef0123456789"},
		{"fours", "abcdef0123456789", 4, "abcd-ef01-2345-6789"},
		{"twos", "abcdef0123456789", 2, "ab-cd-ef-01-23-45-67-89"},
		{"eights", "1234567890123456", 8, "12345678-90123456"},
		{"uneven", "abcdef0123456789", 5, "abcde-f0123-45678-9"},
		{"group as long as the code", "abcd", 4, "abcd"},
		{"group longer than the code", "abc", 8, "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := groupCode(tc.code, tc.group)
			if got != tc.want {
				t.Fatalf("groupCode(%q, %d) = %q, want %q", tc.code, tc.group, got, tc.want)
			}
			if back, err := normalizeCode(got, formatHex, len(tc.code)); err != nil || back != tc.code {
				t.Fatalf("normalizeCode(%q) = %q, %v; want the code back", got, back, err)
			}
		})
	}
}

func TestNormalizeCode(t *testing.T) {
	const code = "0a1b2c3d4e5f6789"
	const digits = "0123456789012345"
	tests := []struct {
		name   string
		input  string
		format format
		want   string // empty: malformed
	}{
		{"as stored", code, formatHex, code},
		{"grouped", "0a1b-2c3d-4e5f-6789", formatHex, code},
		{"uppercase", "0A1B-2C3D-4E5F-6789", formatHex, code},
		{"mixed case", "0a1B2c3D4e5F6789", formatHex, code},
		{"spaces", "0a1b 2c3d 4e5f 6789", formatHex, code},
		{"surrounding whitespace", " \t0a1b2c3d4e5f6789\r\n", formatHex, code},
		{"separators everywhere", "0-a-1-b 2 c 3 d--4e5f\t6789", formatHex, code},
		{"digits grouped", "0123-4567-8901-2345", formatDigits, digits},
		{"digits with spaces", "0123 4567 8901 2345", formatDigits, digits},
		{"empty", "", formatHex, ""},
		{"separators only", " - - ", formatHex, ""},
		{"one short", code[:15], formatHex, ""},
		{"one long", code + "0", formatHex, ""},
		{"letter beyond f", "0a1b2c3d4e5f678g", formatHex, ""},
		{"letter O for zero", "Oa1b2c3d4e5f6789", formatHex, ""},
		{"hex letter in a digits code", "0123456789a12345", formatDigits, ""},
		{"underscore", "0a1b_2c3d_4e5f_6789", formatHex, ""},
		{"dot", "0a1b.2c3d.4e5f.6789", formatHex, ""},
		{"fullwidth digits", "０１２３４５６７８９０１２３４５", formatDigits, ""},
		{"arabic-indic digits", "٠١٢٣٤٥٦٧٨٩٠١٢٣٤٥", formatDigits, ""},
		{"cyrillic a", "0а1b2c3d4e5f6789", formatHex, ""},
		{"fullwidth capital", "0Ａ1b2c3d4e5f6789", formatHex, ""},
		{"en dash", "0a1b–2c3d–4e5f–6789", formatHex, ""},
		{"minus sign", "0a1b−2c3d−4e5f−6789", formatHex, ""},
		{"no-break space", "0a1b\u00a02c3d4e5f6789", formatHex, ""},
		{"zero-width space", "0a1b\u200b2c3d4e5f6789", formatHex, ""},
		{"NUL", "0a1b\x002c3d4e5f6789", formatHex, ""},
		{"invalid UTF-8", "\xff0a1b2c3d4e5f6789", formatHex, ""},
		{"too long to read", strings.Repeat(" ", maxInputLen) + code, formatHex, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizeCode(tc.input, tc.format, codeLength)
			if tc.want == "" {
				if !errors.Is(err, errMalformed) {
					t.Fatalf("normalizeCode(%q) = %q, %v; want errMalformed", tc.input, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("normalizeCode(%q) = %q, %v; want %q", tc.input, got, err, tc.want)
			}
		})
	}
}
