package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ory/fosite"
)

// OAuthClient is a registered OAuth 2.0 client. A confidential client keeps
// only the bcrypt hash of its secret; a public client (a browser or native
// app) has none and must use PKCE. It implements fosite.Client.
type OAuthClient struct {
	ID           string
	Name         string
	SecretHash   []byte
	Public       bool
	RedirectURIs []string
	// PostLogoutRedirectURIs are where RP-initiated logout may send the
	// browser back to, compared exactly.
	PostLogoutRedirectURIs []string
	GrantTypes             []string
	ResponseTypes          []string
	Scopes                 []string
	Audience               []string
	// RequireMFA makes every login for this client prove a second factor.
	RequireMFA bool
	// JWTAccessTokens issues RFC 9068 JWT access tokens instead of opaque ones.
	JWTAccessTokens bool
	// FirstParty allows the password step and the MFA grants (Auth0's contract).
	FirstParty bool
	// IDTokenSignedResponseAlg is the algorithm the client registered for
	// its ID tokens (OpenID Connect Dynamic Client Registration); empty
	// takes the provider's default. The provider checks the value.
	IDTokenSignedResponseAlg string
	// Revision is set by the store and replaced by every change of the
	// client, so that a decoded client can be kept while it is current.
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

var _ fosite.Client = (*OAuthClient)(nil)

// GetID returns the client id.
func (c *OAuthClient) GetID() string { return c.ID }

// GetHashedSecret returns the bcrypt hash of the secret.
func (c *OAuthClient) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs returns the registered redirect URIs.
func (c *OAuthClient) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes returns the grant types the client may use.
func (c *OAuthClient) GetGrantTypes() fosite.Arguments { return c.GrantTypes }

// GetResponseTypes returns the response types the client may use.
func (c *OAuthClient) GetResponseTypes() fosite.Arguments { return c.ResponseTypes }

// GetScopes returns the scopes the client may request.
func (c *OAuthClient) GetScopes() fosite.Arguments { return c.Scopes }

// IsPublic reports whether the client has no secret.
func (c *OAuthClient) IsPublic() bool { return c.Public }

// GetAudience returns the audiences the client may request.
func (c *OAuthClient) GetAudience() fosite.Arguments { return c.Audience }

// OAuthClientStore persists OAuth clients; *SQLStore implements it.
type OAuthClientStore interface {
	// CreateOAuthClient inserts c and returns it as stored. Zero times are
	// set to the current time. ErrAlreadyExists when the id is taken.
	CreateOAuthClient(ctx context.Context, c OAuthClient) (OAuthClient, error)
	// GetOAuthClient returns the client with the given id.
	GetOAuthClient(ctx context.Context, id string) (OAuthClient, error)
	// ListOAuthClients returns every client ordered by id.
	ListOAuthClients(ctx context.Context) ([]OAuthClient, error)
	// DeleteOAuthClient deletes a client together with every code, token and
	// mfa_token issued to it. ErrNotFound when absent.
	DeleteOAuthClient(ctx context.Context, id string) error
}

var _ OAuthClientStore = (*SQLStore)(nil)

const oauthClientColumns = `id, name, secret_hash, public, redirect_uris, grant_types, response_types, scopes, audience,
	require_mfa, jwt_access_tokens, first_party, created_at, updated_at, post_logout_redirect_uris,
	id_token_signed_response_alg, revision`

func scanOAuthClient(row interface{ Scan(...any) error }) (OAuthClient, error) {
	var (
		c                                                 OAuthClient
		redirects, grants, responses, scopes, au, logouts string
		created, updated                                  int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &c.Public, &redirects, &grants, &responses, &scopes, &au,
		&c.RequireMFA, &c.JWTAccessTokens, &c.FirstParty, &created, &updated, &logouts,
		&c.IDTokenSignedResponseAlg, &c.Revision); err != nil {
		return OAuthClient{}, err
	}
	for _, f := range []struct {
		dst *[]string
		src string
	}{{&c.RedirectURIs, redirects}, {&c.GrantTypes, grants}, {&c.ResponseTypes, responses}, {&c.Scopes, scopes}, {&c.Audience, au}, {&c.PostLogoutRedirectURIs, logouts}} {
		if err := decodeList(f.src, f.dst); err != nil {
			return OAuthClient{}, fmt.Errorf("decode client %q: %w", c.ID, err)
		}
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// newRevision returns a client revision: random, so that a client deleted
// and registered again under its id, on any host, never repeats one; never 0,
// the revision of rows from before revisions.
func newRevision() int64 { return rand.Int64N(math.MaxInt64) + 1 }

// jsonList encodes a string list for a JSON array column; nil is [].
func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Marshalling a []string cannot fail.
		panic(fmt.Sprintf("store: encode list: %v", err))
	}
	return string(b)
}

// decodeList decodes a JSON array column; an empty list reads back as nil.
func decodeList(src string, dst *[]string) error {
	if err := json.Unmarshal([]byte(src), dst); err != nil {
		return err
	}
	if len(*dst) == 0 {
		*dst = nil
	}
	return nil
}

// CreateOAuthClient inserts c and returns it as stored.
func (s *SQLStore) CreateOAuthClient(ctx context.Context, c OAuthClient) (OAuthClient, error) {
	switch {
	case c.ID == "":
		return OAuthClient{}, errors.New("store: create oauth client: id is required")
	case !c.Public && len(c.SecretHash) == 0:
		return OAuthClient{}, errors.New("store: create oauth client: a confidential client needs a secret hash")
	case c.Public && len(c.SecretHash) != 0:
		return OAuthClient{}, errors.New("store: create oauth client: a public client has no secret")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	c.CreatedAt, c.UpdatedAt = normTime(c.CreatedAt), normTime(c.UpdatedAt)
	c.SecretHash = nonNilBytes(c.SecretHash)
	c.Revision = newRevision()
	_, err := s.exec(ctx, `INSERT INTO oauth_clients (`+oauthClientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, c.SecretHash, c.Public, jsonList(c.RedirectURIs), jsonList(c.GrantTypes), jsonList(c.ResponseTypes),
		jsonList(c.Scopes), jsonList(c.Audience), c.RequireMFA, c.JWTAccessTokens, c.FirstParty,
		toMicros(c.CreatedAt), toMicros(c.UpdatedAt), jsonList(c.PostLogoutRedirectURIs),
		c.IDTokenSignedResponseAlg, c.Revision)
	if err != nil {
		return OAuthClient{}, wrapErr("create oauth client", err)
	}
	s.afterCommit(ctx, func() { s.clients.forget(c.ID) })
	return c, nil
}

// GetOAuthClient returns the client with the given id.
func (s *SQLStore) GetOAuthClient(ctx context.Context, id string) (OAuthClient, error) {
	c, err := scanOAuthClient(s.queryRow(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE id = ?`, id))
	if err != nil {
		return OAuthClient{}, wrapErr("get oauth client", err)
	}
	return c, nil
}

// ListOAuthClients returns every client ordered by id.
func (s *SQLStore) ListOAuthClients(ctx context.Context) ([]OAuthClient, error) {
	rows, err := s.query(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients ORDER BY id`)
	if err != nil {
		return nil, wrapErr("list oauth clients", err)
	}
	cs, err := collect(rows, scanOAuthClient)
	if err != nil {
		return nil, wrapErr("list oauth clients", err)
	}
	return cs, nil
}

// DeleteOAuthClient deletes a client; its requests and mfa_tokens go with it
// through ON DELETE CASCADE.
func (s *SQLStore) DeleteOAuthClient(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM oauth_clients WHERE id = ?`, id)
	s.afterCommit(ctx, func() { s.clients.forget(id) }) // also when the outcome is unknown
	if err != nil {
		return wrapErr("delete oauth client", err)
	}
	return wrapErr("delete oauth client", expectOne(res, id))
}
