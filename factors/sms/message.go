package sms

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds of the message template and of the text it renders.
const (
	maxTemplateLen = 1024
	// maxMessageLen is three concatenated SMS segments of 153 GSM-7
	// characters; longer messages cost more and arrive less reliably.
	maxMessageLen = 459
)

// messageData are the fields a message template may use.
type messageData struct {
	Issuer  string
	Code    string
	Minutes int
}

// messageFields are the names of messageData's fields.
var messageFields = map[string]bool{"Issuer": true, "Code": true, "Minutes": true}

// parseMessage parses and checks a message template: only text and the
// fields {{.Issuer}}, {{.Code}} and {{.Minutes}}, {{.Code}} at least once,
// and a trial rendering with the longest code within maxMessageLen. Refusing
// functions, conditions and loops keeps rendering cheap and total: a template
// such as {{range 1000000000}} could otherwise stall every send.
func parseMessage(text, issuer string, digits int, ttl time.Duration) (*template.Template, error) {
	switch {
	case strings.TrimSpace(text) == "":
		return nil, errors.New("must not be empty")
	case len(text) > maxTemplateLen:
		return nil, fmt.Errorf("must be at most %d bytes", maxTemplateLen)
	case !utf8.ValidString(text) || strings.ContainsRune(text, utf8.RuneError):
		return nil, errors.New("must be valid UTF-8")
	case strings.IndexFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }) >= 0:
		return nil, errors.New("must not contain control characters other than newlines")
	}
	tmpl, err := template.New("message").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("is not a valid template: %v", err)
	}
	codes := 0
	for _, n := range tmpl.Tree.Root.Nodes {
		field, err := templateField(n)
		if err != nil {
			return nil, err
		}
		if field == "Code" {
			codes++
		}
	}
	if codes == 0 {
		return nil, errors.New("must contain {{.Code}}")
	}
	trial, err := renderMessage(tmpl, messageData{Issuer: issuer, Code: strings.Repeat("0", digits), Minutes: minutes(ttl)})
	if err != nil {
		return nil, err
	}
	if len(trial) > maxMessageLen {
		return nil, fmt.Errorf("renders to %d bytes; at most %d are allowed", len(trial), maxMessageLen)
	}
	return tmpl, nil
}

// templateField checks one top-level node of a message template and returns
// the field it prints ("" for text).
func templateField(n parse.Node) (string, error) {
	switch n := n.(type) {
	case *parse.TextNode:
		return "", nil
	case *parse.ActionNode:
		p := n.Pipe
		if p != nil && len(p.Decl) == 0 && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 {
			if f, ok := p.Cmds[0].Args[0].(*parse.FieldNode); ok && len(f.Ident) == 1 && messageFields[f.Ident[0]] {
				return f.Ident[0], nil
			}
		}
		return "", fmt.Errorf("may use only {{.Issuer}}, {{.Code}} and {{.Minutes}}, not %s", n)
	default:
		return "", fmt.Errorf("may use only {{.Issuer}}, {{.Code}} and {{.Minutes}}, not %s", n)
	}
}

// renderMessage renders a checked template.
func renderMessage(tmpl *template.Template, data messageData) (string, error) {
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render message: %w", err)
	}
	return b.String(), nil
}

// minutes is the whole minutes of d, for the message: never more than the
// code really lives.
func minutes(d time.Duration) int { return int(d / time.Minute) }
