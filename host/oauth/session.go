package oauth

import (
	"maps"
	"slices"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"
)

// Session is what the provider stores with every code and token: who the
// user is and what they proved, as ID token claims. The same claims go into
// ID tokens, JWT access tokens and introspection responses, and a refresh
// keeps them, because fosite copies the session to the new tokens.
type Session struct {
	Subject   string                         `json:"subject"`
	Username  string                         `json:"username"`
	Claims    *jwt.IDTokenClaims             `json:"id_token_claims"`
	Headers   *jwt.Headers                   `json:"headers"`
	ExpiresAt map[fosite.TokenType]time.Time `json:"expires_at"`
}

var (
	_ fosite.Session            = (*Session)(nil)
	_ openid.Session            = (*Session)(nil)
	_ fosite.ExtraClaimsSession = (*Session)(nil)
)

// newSession returns an empty session for fosite to decode stored ones into.
func newSession() *Session {
	return &Session{Claims: &jwt.IDTokenClaims{}, Headers: &jwt.Headers{}}
}

// authState is what a login proved: the methods (RFC 8176) and when the last
// of them was proven.
type authState struct {
	AMR      []string
	AuthTime time.Time
}

// userSession returns the session of a token issued to user after the
// proofs in a, for a request made at requestedAt with the given acr_values.
func userSession(userID, userName string, a authState, acrValues []string, requestedAt time.Time) *Session {
	return &Session{
		Subject:  userID,
		Username: userName,
		Claims: &jwt.IDTokenClaims{
			Subject:                             userID,
			RequestedAt:                         requestedAt.UTC(),
			AuthTime:                            a.AuthTime.UTC(),
			AuthenticationMethodsReferences:     slices.Clone(a.AMR),
			AuthenticationContextClassReference: acrFor(a.AMR, acrValues),
		},
		Headers: &jwt.Headers{},
	}
}

// SetExpiresAt sets when a token of type key expires.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = map[fosite.TokenType]time.Time{}
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt returns when a token of type key expires (zero: not set).
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.ExpiresAt[key]
}

// GetUsername returns the user's name (introspection's "username").
func (s *Session) GetUsername() string {
	if s == nil {
		return ""
	}
	return s.Username
}

// GetSubject returns the user id; empty for client credentials.
func (s *Session) GetSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// Clone returns a deep copy, so a refreshed token cannot change the claims
// of the one it replaces.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	c := *s
	c.ExpiresAt = maps.Clone(s.ExpiresAt)
	if s.Claims != nil {
		claims := *s.Claims
		claims.Audience = slices.Clone(s.Claims.Audience)
		claims.AuthenticationMethodsReferences = slices.Clone(s.Claims.AuthenticationMethodsReferences)
		claims.Extra = maps.Clone(s.Claims.Extra)
		c.Claims = &claims
	}
	if s.Headers != nil {
		c.Headers = &jwt.Headers{Extra: maps.Clone(s.Headers.Extra)}
	}
	return &c
}

// IDTokenClaims returns the claims of ID tokens issued from the session.
func (s *Session) IDTokenClaims() *jwt.IDTokenClaims {
	if s.Claims == nil {
		s.Claims = &jwt.IDTokenClaims{}
	}
	return s.Claims
}

// IDTokenHeaders returns the extra JOSE headers of ID tokens.
func (s *Session) IDTokenHeaders() *jwt.Headers {
	if s.Headers == nil {
		s.Headers = &jwt.Headers{}
	}
	return s.Headers
}

// GetExtraClaims returns what introspection adds to its response: amr, acr
// and auth_time of the login behind the token.
func (s *Session) GetExtraClaims() map[string]any {
	out := map[string]any{}
	if s == nil || s.Claims == nil {
		return out
	}
	if len(s.Claims.AuthenticationMethodsReferences) > 0 {
		out["amr"] = slices.Clone(s.Claims.AuthenticationMethodsReferences)
	}
	if s.Claims.AuthenticationContextClassReference != "" {
		out["acr"] = s.Claims.AuthenticationContextClassReference
	}
	if !s.Claims.AuthTime.IsZero() {
		out["auth_time"] = s.Claims.AuthTime.Unix()
	}
	return out
}
