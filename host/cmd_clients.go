package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
)

// clientID is what a client id may look like: it appears in URLs and logs.
var clientID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// clientGrants are the grant types a client can be registered for. The
// password step and the MFA grants come with --first-party instead.
var clientGrants = []string{"authorization_code", "refresh_token", "client_credentials"}

// clientsCommand manages the OAuth 2.0 / OpenID Connect clients of the
// provider, and its token signing keys.
func (c *cli) clientsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth 2.0 / OpenID Connect clients"}
	cmd.AddCommand(c.clientsCreateCommand(), c.clientsListCommand(), c.clientsDeleteCommand(), c.clientsRotateKeysCommand())
	return cmd
}

// clientsCreateCommand registers a client.
func (c *cli) clientsCreateCommand() *cobra.Command {
	var (
		id, name, idTokenAlg                         string
		redirects, logouts, scopes, grants, audience []string
		public, requireMFA, jwt, first               bool
	)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Register a client and print its id and, for a confidential client, its secret (shown once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name = args[0]
			if id == "" {
				id = uuid.NewString()
			}
			cl, err := newClient(id, name, redirects, scopes, grants, audience, public, requireMFA, jwt, first)
			if err == nil {
				cl.PostLogoutRedirectURIs, err = checkRedirects("--post-logout-redirect-uri", logouts)
			}
			if err == nil {
				cl.IDTokenSignedResponseAlg = idTokenAlg
				if err = oauth.CheckIDTokenAlg(idTokenAlg); err != nil {
					err = fmt.Errorf("--id-token-signed-response-alg: %w", err)
				}
			}
			if err != nil {
				return err
			}
			var secret string
			if !public {
				if secret, cl.SecretHash, err = oauth.NewClientSecret(); err != nil {
					return err
				}
			}
			return c.withApp(cmd.Context(), func(a *app) error {
				if _, err := a.store.CreateOAuthClient(cmd.Context(), cl); errors.Is(err, store.ErrAlreadyExists) {
					return fmt.Errorf("a client with id %q exists already", id)
				} else if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "client_id: %s\n", cl.ID)
				if secret != "" {
					fmt.Fprintf(c.stdout, "client_secret: %s\n", secret)
					fmt.Fprintln(c.stderr, "The client secret is shown only this once; only its hash is stored.")
				}
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&id, "id", "", "client id (default: a random UUID)")
	f.StringSliceVar(&redirects, "redirect-uri", nil, "allowed redirect URI (repeat or comma-separate); https, a loopback http URI or an app's own scheme")
	f.StringSliceVar(&logouts, "post-logout-redirect-uri", nil, "where logout may send the browser back to (repeat or comma-separate; compared exactly)")
	f.StringSliceVar(&scopes, "scope", []string{"openid", "offline_access", "profile", "email"}, "scopes the client may request")
	f.StringSliceVar(&grants, "grant-type", []string{"authorization_code", "refresh_token"}, "grant types: "+strings.Join(clientGrants, ", "))
	f.StringSliceVar(&audience, "audience", nil, "audiences (resource servers) the client may request tokens for")
	f.BoolVar(&public, "public", false, "a public client (browser or native app): no secret, PKCE required")
	f.BoolVar(&requireMFA, "require-mfa", false, "every login for this client proves a second factor (enrolling one if needed)")
	f.BoolVar(&jwt, "jwt-access-tokens", false, "issue RFC 9068 JWT access tokens instead of opaque ones")
	f.BoolVar(&first, "first-party", false, "allow the password step and the MFA grants (Auth0's MFA API) for this client")
	f.StringVar(&idTokenAlg, "id-token-signed-response-alg", "", "how the client's ID tokens are signed (OpenID Connect id_token_signed_response_alg): "+
		"RS256 or ES256, which costs far less CPU per token; the client must accept it (default: the provider's, RS256)")
	return create
}

// clientsListCommand lists the clients.
func (c *cli) clientsListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the clients (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				clients, err := a.store.ListOAuthClients(cmd.Context())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tTYPE\tGRANTS\tSCOPES\tREDIRECT URIS\tOPTIONS\tCREATED")
				for _, cl := range clients {
					kind := "confidential"
					if cl.Public {
						kind = "public"
					}
					var opts []string
					for _, o := range []struct {
						on   bool
						name string
					}{{cl.RequireMFA, "require-mfa"}, {cl.JWTAccessTokens, "jwt-access-tokens"}, {cl.FirstParty, "first-party"},
						{cl.IDTokenSignedResponseAlg != "", "id-token-alg=" + cl.IDTokenSignedResponseAlg}} {
						if o.on {
							opts = append(opts, o.name)
						}
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cl.ID, cl.Name, kind, listOrDash(cl.GrantTypes), listOrDash(cl.Scopes),
						listOrDash(cl.RedirectURIs), listOrDash(opts), cl.CreatedAt.UTC().Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
}

// clientsDeleteCommand deletes a client and its tokens.
func (c *cli) clientsDeleteCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a client, revoking every code and token issued to it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				if err := a.store.DeleteOAuthClient(cmd.Context(), args[0]); errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no client with id %q", args[0])
				} else if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "deleted client %s and revoked its tokens\n", args[0])
				return nil
			})
		},
	}
}

// clientsRotateKeysCommand adds new token signing keys.
func (c *cli) clientsRotateKeysCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-keys",
		Short: "Add new token signing keys (RS256, ES256); the old ones stay published until their tokens expire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withApp(cmd.Context(), func(a *app) error {
				p, err := oauth.New(cmd.Context(), oauth.Deps{
					Store: a.store, Sealer: a.sealer, MFA: a.mfa, Factors: a.plugins, Logger: a.log, PublicURL: a.cfg.PublicURL,
					Sessions: auth.NewSessions(a.store, time.Hour, time.Hour, nil),
				})
				if err != nil {
					return err
				}
				kids, err := p.RotateSigningKey(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "new signing keys: %s (running servers pick them up within a minute)\n", strings.Join(kids, ", "))
				return nil
			})
		},
	}
}

// newClient checks the flags of `clients create` and returns the client.
func newClient(id, name string, redirects, scopes, grants, audience []string, public, requireMFA, jwt, firstParty bool) (store.OAuthClient, error) {
	if !clientID.MatchString(id) {
		return store.OAuthClient{}, fmt.Errorf("client id %q: use 1 to 64 letters, digits and . _ -", id)
	}
	if name = strings.TrimSpace(name); name == "" || len(name) > 100 {
		return store.OAuthClient{}, errors.New("the client name must be 1 to 100 characters")
	}
	for _, g := range grants {
		if !slices.Contains(clientGrants, g) {
			return store.OAuthClient{}, fmt.Errorf("--grant-type %q: use %s (the MFA grants come with --first-party)", g, strings.Join(clientGrants, ", "))
		}
	}
	if public && slices.Contains(grants, "client_credentials") {
		return store.OAuthClient{}, errors.New("a public client has no secret, so it cannot use client_credentials")
	}
	if slices.Contains(grants, "authorization_code") && len(redirects) == 0 {
		return store.OAuthClient{}, errors.New("the authorization_code grant needs at least one --redirect-uri")
	}
	if _, err := checkRedirects("--redirect-uri", redirects); err != nil {
		return store.OAuthClient{}, err
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") {
			return store.OAuthClient{}, fmt.Errorf("--scope %q is not a scope token", s)
		}
	}
	var responses []string
	if slices.Contains(grants, "authorization_code") {
		responses = []string{"code"}
	}
	return store.OAuthClient{
		ID: id, Name: name, Public: public, RedirectURIs: redirects, GrantTypes: grants, ResponseTypes: responses,
		Scopes: scopes, Audience: audience, RequireMFA: requireMFA, JWTAccessTokens: jwt, FirstParty: firstParty,
	}, nil
}

// checkRedirects checks the URIs of a redirect flag: absolute, without a
// fragment, and https unless on a loopback address (or an app's own scheme).
func checkRedirects(flag string, uris []string) ([]string, error) {
	for _, r := range uris {
		u, err := url.Parse(r)
		switch {
		case err != nil || u.Scheme == "" || u.Fragment != "" || (u.Scheme == "https" || u.Scheme == "http") && u.Host == "":
			return nil, fmt.Errorf("%s %q is not an absolute URI without a fragment", flag, r)
		case u.Scheme == "http" && !isLoopback(u.Hostname()):
			return nil, fmt.Errorf("%s %q: plain http is allowed only for loopback addresses", flag, r)
		}
	}
	return uris, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func listOrDash(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return strings.Join(v, ",")
}
