package plugins

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestStderrLinesReachTheHostLog(t *testing.T) {
	tests := []struct {
		name      string
		writes    []string
		wantLevel string
		wantMsg   string
		wantField string
	}{
		{"hclog JSON, microseconds", []string{`{"@level":"warn","@message":"gateway slow","@timestamp":"2026-01-02T03:04:05.000000Z","gateway":"sms1"}`, "\n"}, "WARN", "gateway slow", "gateway"},
		{"hclog JSON, nanoseconds", []string{`{"@level":"error","@message":"send failed","@timestamp":"2026-01-02T03:04:05.123456789+01:00"}` + "\n"}, "ERROR", "send failed", ""},
		{"hclog JSON, seconds only", []string{`{"@level":"debug","@message":"configured","@timestamp":"2026-01-02T03:04:05Z","@module":"sms"}` + "\n"}, "DEBUG", "configured", "module"},
		{"hclog JSON without a level", []string{`{"@message":"hello"}` + "\n"}, "INFO", "hello", ""},
		{"plain text", []string{"panic: boom\n"}, "INFO", "panic: boom", ""},
		{"JSON that is not hclog", []string{`{"msg":"other"}` + "\n"}, "INFO", `{"msg":"other"}`, ""},
		{"line split over writes", []string{`{"@level":"info","@mess`, `age":"split"}`, "\r\n"}, "INFO", "split", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
			w := newStderrLogger(logger, "sms")
			for _, chunk := range tc.writes {
				if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			var rec map[string]any
			if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
				t.Fatalf("want exactly one record, got %q: %v", out.String(), err)
			}
			if rec["level"] != tc.wantLevel || rec["msg"] != tc.wantMsg || rec["plugin"] != "sms" {
				t.Fatalf("record %v, want level %s msg %q plugin sms", rec, tc.wantLevel, tc.wantMsg)
			}
			if tc.wantField != "" && rec[tc.wantField] == nil {
				t.Errorf("record %v lacks the line's field %q", rec, tc.wantField)
			}
			if _, ok := rec["@timestamp"]; ok {
				t.Errorf("record %v keeps the plugin's timestamp; the host stamps its own", rec)
			}
		})
	}
}

func TestStderrBlankLinesAreDropped(t *testing.T) {
	var out bytes.Buffer
	w := newStderrLogger(slog.New(slog.NewJSONHandler(&out, nil)), "totp")
	if _, err := w.Write([]byte("\n  \n\r\n")); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("blank lines logged: %q", out.String())
	}
}
