package oauth

import (
	"slices"
	"strings"

	"github.com/factorgate/factorgate/host/signin"
)

// Authentication context classes (the acr claim). A client asks for one with
// acr_values; a token says which one the login met.
const (
	// ACRPassword: the user proved a password only.
	ACRPassword = "urn:factorgate:acr:pwd"
	// ACRMFA: the user proved a password and a second factor.
	ACRMFA = "urn:factorgate:acr:mfa"
	// ACRRefedsMFA is the REFEDS MFA profile, met by the same logins as
	// ACRMFA, for relying parties in research and education federations.
	ACRRefedsMFA = "https://refeds.org/profile/mfa"
	// ACRPhishingResistant: multi-factor with a proof of possession of a
	// hardware-bound key (amr hwk) that a browser ceremony bound to this
	// site's origin made: a WebAuthn security key or passkey.
	ACRPhishingResistant = "urn:factorgate:acr:phr"
)

// Authentication method references (RFC 8176) the provider adds itself; the
// factors name their own ("otp", "sms", "hwk", "swk", "user", ...).
const (
	amrPassword = signin.AMRPassword
	amrMFA      = signin.AMRMFA
)

// acrValuesSupported is what discovery lists, strongest last.
var acrValuesSupported = []string{ACRPassword, ACRMFA, ACRRefedsMFA, ACRPhishingResistant}

// amrHardwareKey is RFC 8176's proof of possession of a hardware-secured
// key, which among the host's factors only WebAuthn claims.
const amrHardwareKey = "hwk"

// isMFAClass reports whether acr names a class that needs a second factor.
func isMFAClass(acr string) bool {
	return acr == ACRMFA || acr == ACRRefedsMFA || acr == ACRPhishingResistant
}

// wantsMFA reports whether any of the requested acr_values needs a second
// factor. Unknown values ask for nothing, as OpenID Connect allows.
func wantsMFA(acrValues []string) bool { return slices.ContainsFunc(acrValues, isMFAClass) }

// hasMFA reports whether the methods include a second factor.
func hasMFA(amr []string) bool { return slices.Contains(amr, amrMFA) }

// acrFor is the class a login with the methods amr meets, named the way the
// client asked for it: the REFEDS profile when it asked for that one.
func acrFor(amr, acrValues []string) string {
	if !hasMFA(amr) {
		return ACRPassword
	}
	if slices.Contains(acrValues, ACRPhishingResistant) && slices.Contains(amr, amrHardwareKey) {
		return ACRPhishingResistant
	}
	if slices.Contains(acrValues, ACRRefedsMFA) && !slices.Contains(acrValues, ACRMFA) {
		return ACRRefedsMFA
	}
	return ACRMFA
}

// splitSpaces splits a space-separated parameter (scope, acr_values).
func splitSpaces(s string) []string { return strings.Fields(s) }
