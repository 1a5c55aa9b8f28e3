package oauth

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// Helpers of the page templates: what a form sent, shown again after an
// error; keys shown in groups; when a new code may be sent.

// enrollPosted is what an enrolment form sent: the factor, the name given
// to it and the factor's parameters (a phone number), by field name.
type enrollPosted struct {
	Factor   string
	Nickname string
	Values   map[string]string
	// Notice is what the account page says after an action.
	Notice string
}

// Value returns what was typed in the field name of factor's form.
func (e enrollPosted) Value(factor, name string) string {
	if e.Factor != factor {
		return ""
	}
	return e.Values[name]
}

// clockTime is a time of day as the pages show it, with its machine-readable
// form; zero when there is none.
type clockTime struct {
	ISO   string
	Clock string
}

// resendAt says when a code sent at sent may be followed by another, and in
// how long, while that is ahead.
func (p *Provider) resendAt(sent time.Time) (clockTime, string) {
	if sent.IsZero() {
		return clockTime{}, ""
	}
	at := sent.Add(p.d.ResendInterval).UTC()
	wait := at.Sub(p.now())
	if wait <= 0 {
		return clockTime{}, ""
	}
	return clockTime{ISO: at.Format(time.RFC3339), Clock: at.Format("15:04:05 UTC")}, inWords(wait)
}

// inWords says a duration the way a person would, rounded up to a second:
// "1 second", "25 seconds", "2 minutes 5 seconds".
func inWords(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case s < 60:
		return unit(s, "second")
	case s%60 == 0:
		return unit(s/60, "minute")
	}
	return unit(s/60, "minute") + " " + unit(s%60, "second")
}

// enrollFields is an enrolment choice with what its form sent.
type enrollFields struct {
	Option enrollOption
	Posted enrollPosted
}

// Fields pairs an enrolment choice with what was posted, for the template
// that renders its fields.
func (d pageData) Fields(o enrollOption) enrollFields {
	return enrollFields{Option: o, Posted: d.Posted}
}

// Base is the page's own data, for templates of pages that embed it (the
// account pages) to hand to templates that take a pageData.
func (d pageData) Base() pageData { return d }

// SecretGroups is the secret in groups of four characters, easier to read
// and to type ("ABCD EFGH ...").
func (d pageData) SecretGroups() string { return groupSecret(d.Secret) }

// groupSecret splits s into groups of four characters.
func groupSecret(s string) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qrURL is a PNG QR code as an image URL; empty without one.
func qrURL(png []byte) template.URL {
	if len(png) == 0 {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}
