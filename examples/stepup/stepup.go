// Package stepup is what a resource server in front of Factorgate needs to
// ask for step-up authentication (RFC 9470): it checks the acr and auth_time
// of a token (from introspection or a JWT access token) against what a
// request requires and, when they fall short, answers 401 with the
// WWW-Authenticate challenge that tells the client which acr_values and
// max_age to ask the provider for. It imports nothing of the host.
package stepup

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Authentication context classes Factorgate issues (the acr claim).
const (
	// ACRPassword: the user proved a password only.
	ACRPassword = "urn:factorgate:acr:pwd"
	// ACRMFA: the user proved a password and a second factor.
	ACRMFA = "urn:factorgate:acr:mfa"
	// ACRRefedsMFA is the REFEDS MFA profile, met by the same logins as ACRMFA.
	ACRRefedsMFA = "https://refeds.org/profile/mfa"
	// ACRPhishingResistant: multi-factor with a security key or passkey
	// bound to the site's origin; it meets every other class.
	ACRPhishingResistant = "urn:factorgate:acr:phr"
)

// isMFAClass reports whether acr names a class that needs a second factor.
func isMFAClass(acr string) bool { return acr == ACRMFA || acr == ACRRefedsMFA }

// MeetsACR reports whether a token whose acr claim is have satisfies a
// resource that wants the class want: the phishing-resistant class satisfies
// every class, another MFA class every class but that one, the password
// class only itself.
func MeetsACR(have, want string) bool {
	switch {
	case want == "" || have == want || have == ACRPhishingResistant:
		return true
	case isMFAClass(have):
		return want == ACRPassword || isMFAClass(want)
	}
	return false
}

// Challenge returns the WWW-Authenticate value a resource server sends
// (with 401) when a token's authentication is not strong or recent enough
// (RFC 9470): error="insufficient_user_authentication" with the acr_values
// the client should ask for (acr, space-separated, may be empty) and, when
// maxAge is positive, the max_age it should ask for (in whole seconds).
func Challenge(acr string, maxAge time.Duration) string {
	var b strings.Builder
	b.WriteString(`Bearer error="insufficient_user_authentication"`)
	b.WriteString(`, error_description="A different authentication level is required"`)
	if acr = strings.TrimSpace(acr); acr != "" {
		b.WriteString(`, acr_values="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(acr))
		b.WriteString(`"`)
	}
	if maxAge > 0 {
		b.WriteString(`, max_age=`)
		b.WriteString(strconv.FormatInt(int64(maxAge/time.Second), 10))
	}
	return b.String()
}

// Write answers a request whose token needs step-up: 401 with
// Challenge's header and the same error as a JSON body.
func Write(w http.ResponseWriter, acr string, maxAge time.Duration) {
	w.Header().Set("WWW-Authenticate", Challenge(acr, maxAge))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	body := map[string]any{"error": "insufficient_user_authentication", "error_description": "A different authentication level is required"}
	if acr != "" {
		body["acr_values"] = acr
	}
	if maxAge > 0 {
		body["max_age"] = int64(maxAge / time.Second)
	}
	_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
}

// Authentication is what a resource server knows about the login behind a
// token, from introspection or a JWT access token.
type Authentication struct {
	ACR      string
	AMR      []string
	AuthTime time.Time
}

// Satisfies reports whether the login meets what a resource requires: the
// class acr (MeetsACR; empty: any) and, when maxAge is positive, a login no
// older than maxAge at now.
func (a Authentication) Satisfies(acr string, maxAge time.Duration, now time.Time) bool {
	if !MeetsACR(a.ACR, acr) {
		return false
	}
	return maxAge <= 0 || (!a.AuthTime.IsZero() && now.Sub(a.AuthTime) <= maxAge)
}
