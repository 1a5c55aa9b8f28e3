package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		digits int
		want   string
		err    bool
	}{
		{"plain", "123456", 6, "123456", false},
		{"spaces and dashes", " 123-456 ", 6, "123456", false},
		{"tab", "123\t456", 6, "123456", false},
		{"too short", "12345", 6, "", true},
		{"too long", "1234567", 6, "", true},
		{"letters", "12a456", 6, "", true},
		{"arabic-indic digits", "١٢٣٤٥٦", 6, "", true},
		{"fullwidth digits", "１２３４５６", 6, "", true},
		{"superscript", "12345²", 6, "", true},
		{"empty", "", 6, "", true},
		{"only separators", " - ", 6, "", true},
		{"any length", "1234567", 0, "1234567", false},
		{"any length too long", strings.Repeat("1", 33), 0, "", true},
		{"nul byte", "123\x00456", 6, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeCode(tc.in, tc.digits)
			if tc.err {
				if !errors.Is(err, ErrMalformedCode) {
					t.Fatalf("NormalizeCode(%q) error = %v, want ErrMalformedCode", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestRandomDigitsIsUniformEnoughAndDigitsOnly(t *testing.T) {
	counts := map[byte]int{}
	for range 200 {
		s, err := RandomDigits(nil, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 50 {
			t.Fatalf("len %d", len(s))
		}
		for i := 0; i < len(s); i++ {
			counts[s[i]]++
		}
	}
	for d := byte('0'); d <= '9'; d++ {
		// 10,000 draws: each digit ~1,000; a bias such as modulo 256 would
		// still pass this loose bound, the rejection sampling test below does not rely on it.
		if counts[d] < 800 || counts[d] > 1200 {
			t.Errorf("digit %c drawn %d times of 10000", d, counts[d])
		}
	}
	if len(counts) != 10 {
		t.Fatalf("non-digit characters drawn: %v", counts)
	}
}

func TestRandomDigitsRejectsBiasedBytes(t *testing.T) {
	// Bytes 250-255 would favour 0-5 if used; they must be skipped.
	src := bytes.NewReader(append(bytes.Repeat([]byte{255, 252, 250}, 4), []byte{9, 17, 249, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}...))
	got, err := RandomDigits(src, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got != "9790" {
		t.Fatalf("got %q, want 9790 (bytes >= 250 skipped)", got)
	}
	if _, err := RandomDigits(bytes.NewReader(nil), 4); err == nil {
		t.Fatal("short reader: want an error")
	}
}

func TestConstantTimeEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"123456", "123456", true}, {"123456", "123457", false}, {"", "", true}, {"1", "12", false}} {
		if got := ConstantTimeEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("ConstantTimeEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

// The host's plugin runtime parses plugin log lines as JSON with "@level" and
// "@message" keys; anything else is logged as an opaque debug line.
func TestLogHandlerWritesWhatTheHostParses(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(&buf, slog.LevelInfo))
	log.Debug("hidden")
	log.Warn("sender failed", "attempt", 2, slog.Group("http", "status", 503))
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if line["@level"] != "warn" || line["@message"] != "sender failed" || line["attempt"] != float64(2) {
		t.Fatalf("unexpected line: %v", line)
	}
	if ts, _ := line["@timestamp"].(string); ts == "" {
		t.Fatalf("no @timestamp: %v", line)
	} else if _, err := time.Parse(hclogTimeLayout, ts); err != nil {
		t.Fatalf("@timestamp %q is not in the layout the host parses: %v", ts, err)
	}
	if _, ok := line["time"]; ok {
		t.Fatalf("time sent twice: %v", line)
	}
	if http, ok := line["http"].(map[string]any); !ok || http["status"] != float64(503) {
		t.Fatalf("group lost: %v", line)
	}
}

func TestResultString(t *testing.T) {
	for r, want := range map[Result]string{ResultOK: "ok", ResultReplayed: "replayed", ResultThrottled: "throttled", Result(99): "unknown", Result(-1): "unknown"} {
		if got := r.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", r, got, want)
		}
	}
}
