package sms

import (
	"strings"
	"testing"
	"time"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    string // rendered with issuer "Acme", code "123456", 5 minutes
		wantErr string
	}{
		{name: "default", text: defaultMessage, want: "Your Acme code is 123456"},
		{name: "every field", text: "{{.Code}} is your {{.Issuer}} code. It expires in {{.Minutes}} minutes.", want: "123456 is your Acme code. It expires in 5 minutes."},
		{name: "code twice", text: "{{.Code}}\n@acme.example #{{.Code}}", want: "123456\n@acme.example #123456"},
		{name: "trim markers", text: "Code: {{- .Code -}} .", want: "Code:123456."},
		{name: "comment", text: "{{/* the code */}}{{.Code}}", want: "123456"},
		{name: "unicode", text: "Ihr Code für {{.Issuer}}: {{.Code}}", want: "Ihr Code für Acme: 123456"},
		{name: "no code", text: "Your {{.Issuer}} code", wantErr: "must contain {{.Code}}"},
		{name: "empty", text: "", wantErr: "must not be empty"},
		{name: "blank", text: "  ", wantErr: "must not be empty"},
		{name: "function", text: `{{printf "%s" .Code}}`, wantErr: "may use only"},
		{name: "pipeline", text: `{{.Code | printf "%s"}}`, wantErr: "may use only"},
		{name: "range over an integer", text: `{{range 1000000000}}{{end}}{{.Code}}`, wantErr: "may use only"},
		{name: "condition", text: `{{if .Code}}{{.Code}}{{end}}`, wantErr: "may use only"},
		{name: "variable", text: `{{$x := .Code}}{{.Code}}`, wantErr: "may use only"},
		{name: "dot", text: `{{.}}{{.Code}}`, wantErr: "may use only"},
		{name: "nested field", text: `{{.Code.Len}}{{.Code}}`, wantErr: "may use only"},
		{name: "unknown field", text: `{{.Code}}{{.Phone}}`, wantErr: "may use only"},
		{name: "template call", text: `{{define "x"}}{{end}}{{template "x"}}{{.Code}}`, wantErr: "may use only"},
		{name: "does not parse", text: `{{.Code`, wantErr: "is not a valid template"},
		{name: "control character", text: "\x1b[31m{{.Code}}", wantErr: "control characters"},
		{name: "invalid UTF-8", text: "\xff{{.Code}}", wantErr: "UTF-8"},
		{name: "template too long", text: "{{.Code}}" + strings.Repeat(" ", maxTemplateLen), wantErr: "at most"},
		{name: "renders too long", text: "{{.Code}}" + strings.Repeat("x", maxMessageLen-9), wantErr: "renders to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The trial rendering uses the longest code: ten digits.
			tmpl, err := parseMessage(tc.text, "Acme", 10, 5*time.Minute)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseMessage(%q) = %v, want an error containing %q", tc.text, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseMessage(%q): %v", tc.text, err)
			}
			got, err := renderMessage(tmpl, messageData{Issuer: "Acme", Code: "123456", Minutes: 5})
			if err != nil || got != tc.want {
				t.Fatalf("rendered %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestMinutes(t *testing.T) {
	tests := []struct {
		name string
		ttl  time.Duration
		want int
	}{
		{"one minute", time.Minute, 1},
		{"ninety seconds rounds down", 90 * time.Second, 1},
		{"five minutes", 5 * time.Minute, 5},
		{"ten minutes", 10 * time.Minute, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := minutes(tc.ttl); got != tc.want {
				t.Fatalf("minutes(%v) = %d, want %d", tc.ttl, got, tc.want)
			}
		})
	}
}
