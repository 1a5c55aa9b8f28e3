package oauth

import (
	"errors"
	"net/http"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/store"
)

// introspect is RFC 7662 token introspection. The caller authenticates as a
// client (HTTP Basic) or with an access token of its own. An active token's
// response carries the login's amr, acr and auth_time.
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ir, err := p.fosite.NewIntrospectionRequest(ctx, r, newSession())
	if err != nil {
		p.fosite.WriteIntrospectionError(ctx, w, err)
		return
	}
	p.fosite.WriteIntrospectionResponse(ctx, w, ir)
}

// revoke is RFC 7009 token revocation. Revoking a refresh token revokes its
// whole grant (every access and refresh token issued from one login).
func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := formFromJSON(r); err != nil {
		p.fosite.WriteRevocationResponse(ctx, w, fosite.ErrInvalidRequest.WithHint(err.Error()))
		return
	}
	p.fosite.WriteRevocationResponse(ctx, w, p.fosite.NewRevocationRequest(ctx, r))
}

// userinfo is the OpenID Connect UserInfo endpoint: the claims of the user an
// access token with the openid scope was issued to.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := fosite.AccessTokenFromRequest(r)
	unauthorized := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc}, "")
	}
	if token == "" {
		unauthorized("An access token is required.")
		return
	}
	_, ar, err := p.fosite.IntrospectToken(ctx, token, fosite.AccessToken, newSession(), "openid")
	if err != nil {
		if errors.Is(err, fosite.ErrInvalidScope) {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="openid"`)
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": "The token lacks the openid scope."}, "")
			return
		}
		unauthorized("The access token is invalid or expired.")
		return
	}
	sub := ar.GetSession().GetSubject()
	if sub == "" {
		unauthorized("The access token was not issued to a user.")
		return
	}
	user, err := p.d.Store.GetUser(ctx, sub)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled()) {
		unauthorized("The user no longer exists or is disabled.")
		return
	}
	if err != nil {
		p.log.ErrorContext(ctx, "oauth: userinfo", "error", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"}, "")
		return
	}
	claims := map[string]any{"sub": user.ID}
	scopes := ar.GetGrantedScopes()
	if scopes.Has("profile") {
		claims["preferred_username"] = user.Name
	}
	if scopes.Has("email") && user.Email != "" {
		claims["email"] = user.Email
	}
	writeJSON(w, http.StatusOK, claims, "")
}
