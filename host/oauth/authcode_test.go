package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/factorgate/factorgate/host/oauth"
)

// idClaims are the claims the tests read from ID tokens.
type idClaims struct {
	Subject  string   `json:"sub"`
	AMR      []string `json:"amr"`
	ACR      string   `json:"acr"`
	AuthTime int64    `json:"auth_time"`
	Nonce    string   `json:"nonce"`
}

// rp is a relying party: an oauth2.Config and go-oidc's view of the host.
type rp struct {
	conf     *oauth2.Config
	verifier *oidc.IDTokenVerifier
	ctx      context.Context
}

func (h *host) rp(t testing.TB, clientID, secret string, scopes ...string) *rp {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), h.srv.Client())
	provider, err := oidc.NewProvider(ctx, h.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, oidc.ScopeOfflineAccess, "profile"}
	}
	return &rp{
		conf:     &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: redirectURI, Scopes: scopes},
		verifier: provider.Verifier(&oidc.Config{ClientID: clientID}),
		ctx:      context.WithValue(ctx, oauth2.HTTPClient, h.srv.Client()),
	}
}

// authorization is one run of the code flow's front channel.
type authorization struct {
	url, state, nonce, verifier string
}

func (c *rp) authorization(extra ...oauth2.AuthCodeOption) authorization {
	a := authorization{state: "state-" + oauth2.GenerateVerifier()[:12], nonce: "nonce-" + oauth2.GenerateVerifier()[:12], verifier: oauth2.GenerateVerifier()}
	opts := append([]oauth2.AuthCodeOption{oidc.Nonce(a.nonce), oauth2.S256ChallengeOption(a.verifier)}, extra...)
	a.url = c.conf.AuthCodeURL(a.state, opts...)
	return a
}

// exchange redeems a code and verifies the ID token.
func (c *rp) exchange(t testing.TB, a authorization, code string) (*oauth2.Token, idClaims) {
	t.Helper()
	tok, err := c.conf.Exchange(c.ctx, code, oauth2.VerifierOption(a.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	claims := c.idToken(t, tok)
	if claims.Nonce != a.nonce {
		t.Fatalf("nonce = %q, want %q", claims.Nonce, a.nonce)
	}
	return tok, claims
}

func (c *rp) idToken(t testing.TB, tok *oauth2.Token) idClaims {
	t.Helper()
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		t.Fatal("no id_token in the token response")
	}
	idt, err := c.verifier.Verify(c.ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	var claims idClaims
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// refresh redeems a refresh token.
func (c *rp) refresh(refreshToken string) (*oauth2.Token, error) {
	return c.conf.TokenSource(c.ctx, &oauth2.Token{RefreshToken: refreshToken, Expiry: time.Now().Add(-time.Hour)}).Token()
}

// oauthError returns the OAuth error code of a failed token request.
func oauthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// introspect asks the introspection endpoint about token as clientID.
func (h *host) introspect(t testing.TB, clientID, secret, token string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("introspection response: %v", err)
	}
	return out
}

func checkAuth(t testing.TB, where string, amr []string, acr string, authTime int64, wantAMR []string, wantACR string, after time.Time) {
	t.Helper()
	if !slices.Equal(amr, wantAMR) || acr != wantACR {
		t.Fatalf("%s: amr %v acr %q, want %v %q", where, amr, acr, wantAMR, wantACR)
	}
	if authTime < after.Unix() || authTime > time.Now().Unix()+1 {
		t.Fatalf("%s: auth_time %d, want between %d and now", where, authTime, after.Unix())
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	resp, err := h.srv.Client().Get(h.url + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	list := func(k string) []string {
		var out []string
		for _, v := range doc[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"issuer is the public URL", doc["issuer"] == h.url},
		{"token endpoint", doc["token_endpoint"] == h.url+"/oauth2/token"},
		{"jwks_uri", doc["jwks_uri"] == h.url+"/.well-known/jwks.json"},
		{"introspection", doc["introspection_endpoint"] == h.url+"/oauth2/introspect"},
		{"revocation", doc["revocation_endpoint"] == h.url+"/oauth2/revoke"},
		{"userinfo", doc["userinfo_endpoint"] == h.url+"/userinfo"},
		{"S256 only", slices.Equal(list("code_challenge_methods_supported"), []string{"S256"})},
		{"code only", slices.Equal(list("response_types_supported"), []string{"code"})},
		{"acr values", slices.Equal(list("acr_values_supported"), []string{oauth.ACRPassword, oauth.ACRMFA, oauth.ACRRefedsMFA, oauth.ACRPhishingResistant})},
		{"MFA grants", slices.Contains(list("grant_types_supported"), oauth.GrantMFAOTP) && slices.Contains(list("grant_types_supported"), oauth.GrantMFAOOB) && slices.Contains(list("grant_types_supported"), oauth.GrantMFARecovery)},
		{"no implicit grant", !slices.Contains(list("grant_types_supported"), "implicit")},
		{"RS256 first", list("id_token_signing_alg_values_supported")[0] == "RS256"},
		{"ES256 too", slices.Contains(list("id_token_signing_alg_values_supported"), "ES256")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("discovery document: %v", doc)
			}
		})
	}

	resp, err = h.srv.Client().Get(h.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct {
			Kid, Alg, Use, Kty string
			D                  string `json:"d"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	var algs []string
	for _, k := range jwks.Keys {
		if k.Kid == "" || k.Use != "sig" || k.D != "" {
			t.Fatalf("published key %+v: want a kid, use sig and no private part", k)
		}
		algs = append(algs, k.Alg)
	}
	if !slices.Equal(algs, []string{"RS256", "ES256"}) {
		t.Fatalf("published algorithms %v", algs)
	}
}

// TestAuthorizationCodeFlow is the whole browser flow with real clients: the
// authorization request with PKCE, the login pages (password, then the
// enrolled TOTP), the code exchange, the ID token checked by go-oidc,
// refresh, introspection, userinfo and refresh-token reuse detection.
func TestAuthorizationCodeFlow(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		alice := h.user("alice")
		secret, _ := h.enrollTOTP(alice)
		id, clientSecret := h.client(clientSpec{id: "web"})
		c := h.rp(t, id, clientSecret)
		start := time.Now().Add(-time.Second)

		b := h.browser()
		a := c.authorization()
		p := b.get(a.url)
		if p.status != http.StatusOK {
			t.Fatalf("authorization request: %d %s", p.status, p.body)
		}
		p = b.signIn(p, "alice")
		if !p.contains("Enter the code from your Authenticator app") {
			t.Fatalf("after the password: %d %s", p.status, p.body)
		}
		p = b.enterCode(p, h.totpCode(secret))
		tok, claims := c.exchange(t, a, codeFrom(t, p, a.state))
		if claims.Subject != alice.ID {
			t.Fatalf("sub = %q", claims.Subject)
		}
		checkAuth(t, "ID token", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}

		in := h.introspect(t, id, clientSecret, tok.AccessToken)
		if in["active"] != true || in["sub"] != alice.ID || in["client_id"] != id || in["acr"] != oauth.ACRMFA ||
			int64(in["auth_time"].(float64)) != claims.AuthTime || !equalAny(in["amr"], []string{"pwd", "otp", "mfa"}) {
			t.Fatalf("introspection = %v", in)
		}

		info, err := provider(t, h).UserInfo(c.ctx, oauth2.StaticTokenSource(tok))
		if err != nil || info.Subject != alice.ID {
			t.Fatalf("userinfo = %+v, %v", info, err)
		}

		// Refresh keeps what the login proved.
		refreshed, err := c.refresh(tok.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		rc := c.idToken(t, refreshed)
		checkAuth(t, "refreshed ID token", rc.AMR, rc.ACR, rc.AuthTime, claims.AMR, claims.ACR, start)
		if rc.AuthTime != claims.AuthTime {
			t.Fatalf("refresh changed auth_time from %d to %d", claims.AuthTime, rc.AuthTime)
		}
		if refreshed.RefreshToken == "" || refreshed.RefreshToken == tok.RefreshToken {
			t.Fatal("the refresh token was not rotated")
		}
		if in := h.introspect(t, id, clientSecret, refreshed.AccessToken); in["acr"] != oauth.ACRMFA || !equalAny(in["amr"], claims.AMR) {
			t.Fatalf("introspection after refresh = %v", in)
		}

		// Reusing the old refresh token revokes the whole family.
		if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
			t.Fatalf("reused refresh token: %v, want invalid_grant", err)
		}
		if _, err := c.refresh(refreshed.RefreshToken); oauthError(err) != "invalid_grant" {
			t.Fatalf("refresh token of a revoked family: %v, want invalid_grant", err)
		}
		if in := h.introspect(t, id, clientSecret, refreshed.AccessToken); in["active"] != false {
			t.Fatalf("access token of a revoked family: %v", in)
		}
	})
}

// TestIDTokenSigningAlgorithm checks that an ID token is signed with the
// algorithm its client registered (id_token_signed_response_alg), RS256 when
// it registered none, and that a relying party verifies it through the
// JWKS, accepting only that algorithm. A client stored with an algorithm
// the provider does not sign with gets server_error, not a token.
func TestIDTokenSigningAlgorithm(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("alice")
	br := h.browser()
	for i, tc := range []struct {
		name, registered, want string
	}{
		{"none registered", "", "RS256"},
		{"RS256", "RS256", "RS256"},
		{"ES256", "ES256", "ES256"},
		{"unknown", "HS256", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, secret := h.client(clientSpec{id: fmt.Sprintf("app%d", i), idTokenAlg: tc.registered})
			c := h.rp(t, id, secret)
			c.verifier = provider(t, h).Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{tc.want}})
			a := c.authorization()
			p := br.get(a.url)
			if p.callback == nil {
				p = br.signIn(p, "alice")
			}
			code := codeFrom(t, p, a.state)
			if tc.want == "" {
				c.conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // one attempt
				_, err := c.conf.Exchange(c.ctx, code, oauth2.VerifierOption(a.verifier))
				if oauthError(err) != "server_error" {
					t.Fatalf("exchange: %v, want server_error", err)
				}
				return
			}
			tok, claims := c.exchange(t, a, code)
			if claims.Subject != "id-alice" {
				t.Fatalf("sub = %q", claims.Subject)
			}
			hdr, err := jwtHeader(tok.Extra("id_token").(string))
			if err != nil || hdr["alg"] != tc.want {
				t.Fatalf("ID token header %v (%v), want alg %s", hdr, err, tc.want)
			}
			// A refresh signs the new ID token the same way.
			tok, err = c.refresh(tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			c.idToken(t, tok)
		})
	}
}

func provider(t testing.TB, h *host) *oidc.Provider {
	t.Helper()
	p, err := oidc.NewProvider(oidc.ClientContext(context.Background(), h.srv.Client()), h.url)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func equalAny(v any, want []string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, x := range list {
		if x != want[i] {
			return false
		}
	}
	return true
}

// TestCodeReplay checks that a replayed authorization code is refused and
// revokes the tokens issued from it.
func TestCodeReplay(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		h.user("dave")
		id, secret := h.client(clientSpec{id: "web"})
		c := h.rp(t, id, secret)
		b := h.browser()
		a := c.authorization()
		code := codeFrom(t, b.signIn(b.get(a.url), "dave"), a.state)
		tok, _ := c.exchange(t, a, code)

		_, err := c.conf.Exchange(c.ctx, code, oauth2.VerifierOption(a.verifier))
		if oauthError(err) != "invalid_grant" {
			t.Fatalf("replayed code: %v, want invalid_grant", err)
		}
		if in := h.introspect(t, id, secret, tok.AccessToken); in["active"] != false {
			t.Fatalf("access token of a replayed code: %v", in)
		}
		if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
			t.Fatalf("refresh token of a replayed code: %v, want invalid_grant", err)
		}
	})
}

// TestPKCE checks that PKCE is S256 only, required of public clients, and
// checked at the exchange; the front channel refuses a request it will
// refuse anyway before the user signs in.
func TestPKCE(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("erin")
	pubID, _ := h.client(clientSpec{id: "spa", public: true})
	confID, confSecret := h.client(clientSpec{id: "web"})
	s256 := func(v string) []oauth2.AuthCodeOption { return []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v)} }
	for _, tc := range []struct {
		name          string
		client        string
		secret        string
		challenge     func(verifier string) []oauth2.AuthCodeOption
		wrongVerifier bool
		wantAuthErr   string
		wantTokenErr  string
	}{
		{name: "public client without PKCE", client: pubID, wantAuthErr: "invalid_request"},
		{name: "plain challenge", client: pubID, challenge: func(v string) []oauth2.AuthCodeOption {
			return []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", v), oauth2.SetAuthURLParam("code_challenge_method", "plain")}
		}, wantAuthErr: "invalid_request"},
		{name: "public client with S256", client: pubID, challenge: s256},
		{name: "wrong verifier", client: pubID, challenge: s256, wrongVerifier: true, wantTokenErr: "invalid_grant"},
		{name: "confidential client without PKCE", client: confID, secret: confSecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.rp(t, tc.client, tc.secret)
			verifier := oauth2.GenerateVerifier()
			var opts []oauth2.AuthCodeOption
			if tc.challenge != nil {
				opts = tc.challenge(verifier)
			}
			const state = "state-0123456789"
			b := h.browser()
			p := b.get(c.conf.AuthCodeURL(state, opts...))
			if tc.wantAuthErr != "" {
				if p.callback == nil || p.callback.Query().Get("error") != tc.wantAuthErr {
					t.Fatalf("got %d %v %s, want error %s before the login", p.status, p.callback, p.body, tc.wantAuthErr)
				}
				return
			}
			code := codeFrom(t, b.signIn(p, "erin"), state)
			var ex []oauth2.AuthCodeOption
			switch {
			case tc.wrongVerifier:
				ex = append(ex, oauth2.VerifierOption(oauth2.GenerateVerifier()))
			case tc.challenge != nil:
				ex = append(ex, oauth2.VerifierOption(verifier))
			}
			_, err := c.conf.Exchange(c.ctx, code, ex...)
			if got := oauthError(err); got != tc.wantTokenErr || (tc.wantTokenErr == "" && err != nil) {
				t.Fatalf("exchange: %v, want %q", err, tc.wantTokenErr)
			}
		})
	}
}

// TestClientCredentials checks the client credentials grant with opaque and
// JWT (RFC 9068) access tokens.
func TestClientCredentials(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	grants := []string{"client_credentials"}
	scopes := []string{"api:read"}
	opaqueID, opaqueSecret := h.client(clientSpec{id: "svc", grants: grants, scopes: scopes})
	jwtID, jwtSecret := h.client(clientSpec{id: "svc-jwt", grants: grants, scopes: scopes, jwt: true})
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, h.srv.Client())
	for _, tc := range []struct {
		name, id, secret string
		jwt              bool
	}{
		{"opaque", opaqueID, opaqueSecret, false},
		{"jwt", jwtID, jwtSecret, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: tc.id, ClientSecret: tc.secret, TokenURL: h.url + "/oauth2/token", Scopes: scopes}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatalf("client credentials: %v", err)
			}
			if tok.RefreshToken != "" {
				t.Fatal("client credentials issued a refresh token")
			}
			if got := strings.Count(tok.AccessToken, ".") == 2; got != tc.jwt {
				t.Fatalf("access token %q: JWT = %v, want %v", tok.AccessToken, got, tc.jwt)
			}
			in := h.introspect(t, tc.id, tc.secret, tok.AccessToken)
			if in["active"] != true || in["client_id"] != tc.id || in["scope"] != "api:read" || in["amr"] != nil || in["sub"] != nil {
				t.Fatalf("introspection = %v", in)
			}
			if tc.jwt {
				claims := verifyAccessJWT(t, h, tok.AccessToken)
				if claims["sub"] != tc.id || claims["client_id"] != tc.id || claims["iss"] != h.url || claims["scope"] != "api:read" {
					t.Fatalf("JWT access token claims = %v", claims)
				}
			}
			if _, err := (&clientcredentials.Config{ClientID: tc.id, ClientSecret: "wrong", TokenURL: h.url + "/oauth2/token"}).Token(ctx); oauthError(err) != "invalid_client" {
				t.Fatalf("wrong secret: %v, want invalid_client", err)
			}
		})
	}
}

// verifyAccessJWT checks an RFC 9068 access token against the JWKS and
// returns its claims.
func verifyAccessJWT(t testing.TB, h *host, raw string) map[string]any {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), h.srv.Client())
	keys := oidc.NewRemoteKeySet(ctx, h.url+"/.well-known/jwks.json")
	payload, err := keys.VerifySignature(ctx, raw)
	if err != nil {
		t.Fatalf("JWT access token signature: %v", err)
	}
	header, err := jwtHeader(raw)
	if err != nil || header["typ"] != "at+jwt" || header["kid"] == nil {
		t.Fatalf("JWT access token header %v, %v", header, err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"iss", "exp", "aud", "sub", "client_id", "iat", "jti"} {
		if claims[k] == nil {
			t.Fatalf("JWT access token lacks %s: %v", k, claims)
		}
	}
	return claims
}

// TestRevocation checks RFC 7009 revocation of access and refresh tokens.
func TestRevocation(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("rita")
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	login := func() *oauth2.Token {
		b := h.browser()
		a := c.authorization()
		tok, _ := c.exchange(t, a, codeFrom(t, b.signIn(b.get(a.url), "rita"), a.state))
		return tok
	}
	revoke := func(token, hint string) int {
		req, err := http.NewRequest(http.MethodPost, h.url+"/oauth2/revoke", strings.NewReader(url.Values{"token": {token}, "token_type_hint": {hint}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("access token", func(t *testing.T) {
		tok := login()
		if status := revoke(tok.AccessToken, "access_token"); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if in := h.introspect(t, id, secret, tok.AccessToken); in["active"] != false {
			t.Fatalf("revoked access token: %v", in)
		}
	})
	t.Run("refresh token revokes the grant", func(t *testing.T) {
		tok := login()
		if status := revoke(tok.RefreshToken, "refresh_token"); status != http.StatusOK {
			t.Fatalf("revoke: %d", status)
		}
		if _, err := c.refresh(tok.RefreshToken); oauthError(err) != "invalid_grant" {
			t.Fatalf("revoked refresh token: %v", err)
		}
		if in := h.introspect(t, id, secret, tok.AccessToken); in["active"] != false {
			t.Fatalf("access token of a revoked grant: %v", in)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		if status := revoke("ory_at_unknown.token", ""); status != http.StatusOK {
			t.Fatalf("revoking an unknown token: %d, want 200 (RFC 7009)", status)
		}
	})
}

// TestJWTAccessToken: a client registered for JWT access tokens gets RFC
// 9068 tokens that carry the login's amr, acr and auth_time, through the
// code flow and refresh alike.
func TestJWTAccessToken(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	sam := h.user("sam")
	secret, _ := h.enrollTOTP(sam)
	id, clientSecret := h.client(clientSpec{id: "jwt-web", jwt: true})
	c := h.rp(t, id, clientSecret)
	b := h.browser()
	a := c.authorization()
	tok, idc := c.exchange(t, a, codeFrom(t, b.enterCode(b.signIn(b.get(a.url), "sam"), h.totpCode(secret)), a.state))
	for i, access := range []string{tok.AccessToken, ""} {
		if i == 1 {
			refreshed, err := c.refresh(tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			access = refreshed.AccessToken
		}
		claims := verifyAccessJWT(t, h, access)
		if claims["sub"] != sam.ID || claims["acr"] != oauth.ACRMFA || !equalAny(claims["amr"], []string{"pwd", "otp", "mfa"}) ||
			int64(claims["auth_time"].(float64)) != idc.AuthTime || !equalAny(claims["aud"], []string{id}) || claims["client_id"] != id {
			t.Fatalf("JWT access token %d claims = %v", i, claims)
		}
		if in := h.introspect(t, id, clientSecret, access); in["active"] != true || in["acr"] != oauth.ACRMFA {
			t.Fatalf("introspection of JWT access token %d: %v", i, in)
		}
	}
}
