package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/factorgate/factorgate/host/store"
)

// tokenStrategy is the one strategy object fosite's handlers are composed
// with. Codes and refresh tokens are opaque HMAC tokens; access tokens are
// opaque too, or RFC 9068 JWTs for clients that ask for them. Either way the
// access token's signature is stored, so introspection and revocation work
// the same for both. ID tokens are signed by the keyring.
type tokenStrategy struct {
	hmac *oauth2.HMACSHAStrategy
	// idTokens sign ID tokens, by algorithm.
	idTokens map[string]*openid.DefaultStrategy
	signer
	issuer   string
	lifespan time.Duration
}

var (
	_ oauth2.CoreStrategy               = (*tokenStrategy)(nil)
	_ openid.OpenIDConnectTokenStrategy = (*tokenStrategy)(nil)
	_ jwt.Signer                        = (*tokenStrategy)(nil)
)

// isJWT tells a JWT access token (three dot-separated parts) from an opaque
// one (prefix, key and signature: one dot).
func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

// wantsJWT reports whether the request's client takes JWT access tokens.
func wantsJWT(req fosite.Requester) bool {
	c, ok := req.GetClient().(*store.OAuthClient)
	return ok && c.JWTAccessTokens
}

// AccessTokenSignature returns the stored signature of an access token.
func (s *tokenStrategy) AccessTokenSignature(ctx context.Context, token string) string {
	if isJWT(token) {
		sig, _ := s.GetSignature(ctx, token)
		return sig
	}
	return s.hmac.AccessTokenSignature(ctx, token)
}

// GenerateAccessToken issues an opaque or a JWT access token, per client.
func (s *tokenStrategy) GenerateAccessToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	if wantsJWT(req) {
		return s.generateJWT(ctx, req)
	}
	return s.hmac.GenerateAccessToken(ctx, req)
}

// ValidateAccessToken checks an access token's signature and expiry.
func (s *tokenStrategy) ValidateAccessToken(ctx context.Context, req fosite.Requester, token string) error {
	if !isJWT(token) {
		return s.hmac.ValidateAccessToken(ctx, req, token)
	}
	_, err := s.Decode(ctx, token)
	if err == nil {
		return nil
	}
	var ve *jwt.ValidationError
	if errors.As(err, &ve) && ve.Has(jwt.ValidationErrorExpired) {
		return fosite.ErrTokenExpired.WithWrap(err)
	}
	return fosite.ErrTokenSignatureMismatch.WithWrap(err)
}

// generateJWT builds an RFC 9068 access token: typ at+jwt, iss, sub (the
// user, or the client for client credentials), aud (the granted audience, or
// the client id when none was asked for), exp, iat, jti, client_id, scope and
// the login's auth_time, acr and amr.
func (s *tokenStrategy) generateJWT(ctx context.Context, req fosite.Requester) (string, string, error) {
	sess, ok := req.GetSession().(*Session)
	if !ok {
		return "", "", fmt.Errorf("oauth: session is %T, not *Session", req.GetSession())
	}
	now := time.Now().UTC()
	exp := sess.GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		exp = now.Add(s.lifespan)
	}
	clientID := req.GetClient().GetID()
	sub := sess.GetSubject()
	if sub == "" {
		sub = clientID
	}
	aud := []string(req.GetGrantedAudience())
	if len(aud) == 0 {
		aud = []string{clientID}
	}
	claims := jwt.MapClaims{
		"iss":       s.issuer,
		"sub":       sub,
		"aud":       aud,
		"exp":       exp.Unix(),
		"iat":       now.Unix(),
		"jti":       uuid.NewString(),
		"client_id": clientID,
	}
	if scopes := req.GetGrantedScopes(); len(scopes) > 0 {
		claims["scope"] = strings.Join(scopes, " ")
	}
	for k, v := range sess.GetExtraClaims() {
		claims[k] = v
	}
	return s.Generate(ctx, claims, &jwt.Headers{Extra: map[string]any{"typ": "at+jwt"}})
}

// RefreshTokenSignature returns the stored signature of a refresh token.
func (s *tokenStrategy) RefreshTokenSignature(ctx context.Context, token string) string {
	return s.hmac.RefreshTokenSignature(ctx, token)
}

// GenerateRefreshToken issues an opaque refresh token.
func (s *tokenStrategy) GenerateRefreshToken(ctx context.Context, req fosite.Requester) (string, string, error) {
	return s.hmac.GenerateRefreshToken(ctx, req)
}

// ValidateRefreshToken checks a refresh token's signature and expiry.
func (s *tokenStrategy) ValidateRefreshToken(ctx context.Context, req fosite.Requester, token string) error {
	return s.hmac.ValidateRefreshToken(ctx, req, token)
}

// AuthorizeCodeSignature returns the stored signature of a code.
func (s *tokenStrategy) AuthorizeCodeSignature(ctx context.Context, token string) string {
	return s.hmac.AuthorizeCodeSignature(ctx, token)
}

// GenerateAuthorizeCode issues an opaque authorization code.
func (s *tokenStrategy) GenerateAuthorizeCode(ctx context.Context, req fosite.Requester) (string, string, error) {
	return s.hmac.GenerateAuthorizeCode(ctx, req)
}

// ValidateAuthorizeCode checks a code's signature and expiry.
func (s *tokenStrategy) ValidateAuthorizeCode(ctx context.Context, req fosite.Requester, token string) error {
	return s.hmac.ValidateAuthorizeCode(ctx, req, token)
}

// GenerateIDToken issues an ID token signed with the algorithm the client
// registered (id_token_signed_response_alg), or else the provider's.
func (s *tokenStrategy) GenerateIDToken(ctx context.Context, lifespan time.Duration, req fosite.Requester) (string, error) {
	alg := s.signer.keys.alg
	if c, ok := req.GetClient().(*store.OAuthClient); ok && c.IDTokenSignedResponseAlg != "" {
		alg = c.IDTokenSignedResponseAlg
	}
	ids, ok := s.idTokens[alg]
	if !ok {
		return "", fosite.ErrServerError.WithDebugf("The client's ID token signing algorithm %q is not supported.", alg)
	}
	return ids.GenerateIDToken(ctx, lifespan, req)
}
