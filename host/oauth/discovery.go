package oauth

import (
	"encoding/json"
	"net/http"
)

// MFA grant types (Auth0's names, so that Auth0 SDKs work unchanged).
const (
	GrantPasswordRealm = "http://auth0.com/oauth/grant-type/password-realm"
	GrantPassword      = "password"
	GrantMFAOTP        = "http://auth0.com/oauth/grant-type/mfa-otp"
	GrantMFAOOB        = "http://auth0.com/oauth/grant-type/mfa-oob"
	GrantMFARecovery   = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
)

// scopesSupported are the scopes the provider knows; a client may be
// registered with others (API scopes), which pass through to its tokens.
var scopesSupported = []string{"openid", "offline_access", "profile", "email"}

// discovery serves the OpenID Provider Metadata (OpenID Connect Discovery
// 1.0, RFC 8414).
func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	algs := []string{p.d.SigningAlg}
	for _, a := range []string{AlgRS256, AlgES256} {
		if a != p.d.SigningAlg {
			algs = append(algs, a)
		}
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	doc := map[string]any{
		"issuer":                                        p.issuer,
		"authorization_endpoint":                        p.url(pathAuthorize),
		"token_endpoint":                                p.url(pathToken),
		"userinfo_endpoint":                             p.url(pathUserinfo),
		"jwks_uri":                                      p.url(pathJWKS),
		"introspection_endpoint":                        p.url(pathIntrospect),
		"revocation_endpoint":                           p.url(pathRevoke),
		"end_session_endpoint":                          p.url(pathEndSession),
		"mfa_challenge_endpoint":                        p.url(pathMFAChallenge),
		"mfa_associate_endpoint":                        p.url(pathMFAAssociate),
		"scopes_supported":                              scopesSupported,
		"response_types_supported":                      []string{"code"},
		"response_modes_supported":                      []string{"query", "form_post"},
		"grant_types_supported":                         []string{"authorization_code", "refresh_token", "client_credentials", GrantPasswordRealm, GrantPassword, GrantMFAOTP, GrantMFAOOB, GrantMFARecovery},
		"subject_types_supported":                       []string{"public"},
		"id_token_signing_alg_values_supported":         algs,
		"token_endpoint_auth_methods_supported":         authMethods,
		"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic"},
		"revocation_endpoint_auth_methods_supported":    authMethods,
		"code_challenge_methods_supported":              []string{"S256"},
		"acr_values_supported":                          acrValuesSupported,
		"prompt_values_supported":                       []string{"none", "login", "consent", "select_account"},
		"claims_supported": []string{
			"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash",
			"preferred_username", "email", "phone_number",
		},
		"claims_parameter_supported":                     false,
		"request_parameter_supported":                    false,
		"request_uri_parameter_supported":                false,
		"authorization_response_iss_parameter_supported": false,
	}
	writeJSON(w, http.StatusOK, doc, "public, max-age=300")
}

// jwks serves the public signing keys, retired ones included until the
// tokens they signed have expired.
func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, p.keys.JWKS(r.Context()), "public, max-age=300")
}

// writeJSON writes v with the given status and Cache-Control.
func writeJSON(w http.ResponseWriter, status int, v any, cacheControl string) {
	w.Header().Set("Content-Type", "application/json")
	if cacheControl == "" {
		cacheControl = "no-store"
	}
	w.Header().Set("Cache-Control", cacheControl)
	if cacheControl == "no-store" {
		w.Header().Set("Pragma", "no-cache")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to do
}
