// Command oauth2-client signs a user in to a Factorgate host with the OpenID
// Connect authorization code flow (PKCE, a loopback redirect listener) and
// prints the verified ID token's claims: who the user is and what they proved
// (amr, acr, auth_time).
//
// With -require-acr it also plays a resource server that wants a stronger
// login than the token carries: the server answers 401 with an RFC 9470
// step-up challenge (insufficient_user_authentication with acr_values and
// max_age), and the client runs the authorization again with those values to
// get a stronger token.
//
// Register the client first, with the loopback redirect URI (any port):
//
//	factorgate clients create "Example client" --redirect-uri http://127.0.0.1/callback
//	go run ./examples/oauth2-client -issuer http://127.0.0.1:8080 -client-id ID -client-secret SECRET
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/factorgate/factorgate/examples/stepup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "oauth2-client:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	issuer, clientID, clientSecret string
	scopes                         string
	acrValues                      string
	maxAge                         int
	requireACR                     string
	requireMaxAge                  time.Duration
	timeout                        time.Duration
}

// parseOptions reads the command line.
func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("oauth2-client", flag.ContinueOnError)
	fs.StringVar(&o.issuer, "issuer", "http://127.0.0.1:8080", "the Factorgate host's public URL")
	fs.StringVar(&o.clientID, "client-id", "", "the client id (factorgate clients create)")
	fs.StringVar(&o.clientSecret, "client-secret", "", "the client secret; empty for a public client")
	fs.StringVar(&o.scopes, "scopes", "openid offline_access profile", "scopes to request")
	fs.StringVar(&o.acrValues, "acr-values", "", "acr_values to request, e.g. urn:factorgate:acr:mfa")
	fs.IntVar(&o.maxAge, "max-age", -1, "max_age to request, in seconds (-1: none)")
	fs.StringVar(&o.requireACR, "require-acr", "", "play a resource server that requires this acr and step up when the token lacks it (needs -client-secret, to introspect)")
	fs.DurationVar(&o.requireMaxAge, "require-max-age", 0, "with -require-acr: also require a login no older than this")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the browser")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if o.clientID == "" {
		return options{}, errors.New("-client-id is required")
	}
	if o.requireACR != "" && o.clientSecret == "" {
		return options{}, errors.New("-require-acr needs -client-secret: the resource server introspects the token with it")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	provider, err := oidc.NewProvider(ctx, o.issuer)
	if err != nil {
		return fmt.Errorf("discover %s: %w", o.issuer, err)
	}
	// The loopback redirect listener (RFC 8252): any free port; the host
	// matches the registered http://127.0.0.1/callback whatever the port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the redirect: %w", err)
	}
	defer ln.Close()
	conf := &oauth2.Config{
		ClientID: o.clientID, ClientSecret: o.clientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: fmt.Sprintf("http://%s/callback", ln.Addr()), Scopes: strings.Fields(o.scopes),
	}
	c := &client{conf: conf, verifier: provider.Verifier(&oidc.Config{ClientID: o.clientID}), ln: ln, out: out, timeout: o.timeout}
	go func() { _ = http.Serve(ln, http.HandlerFunc(c.callback)) }()

	tok, err := c.login(ctx, o.acrValues, o.maxAge)
	if err != nil {
		return err
	}
	if o.requireACR == "" {
		return nil
	}

	return c.stepUp(ctx, provider, o, tok)
}

// stepUp calls a resource server that wants more than the token has and,
// when it asks for a stronger login, signs in again once as it says.
func (c *client) stepUp(ctx context.Context, provider *oidc.Provider, o options, tok *oauth2.Token) error {
	out, conf := c.out, c.conf
	api, err := newResourceServer(provider, o, out)
	if err != nil {
		return err
	}
	defer api.Close()
	for attempt := 0; ; attempt++ {
		resp, err := conf.Client(ctx, tok).Get(api.URL)
		if err != nil {
			return fmt.Errorf("call the resource server: %w", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			fmt.Fprintf(out, "\nThe resource server accepted the token: %s\n", strings.TrimSpace(string(body)))
			return nil
		}
		challenge := parseChallenge(resp.Header.Get("WWW-Authenticate"))
		if resp.StatusCode != http.StatusUnauthorized || challenge["error"] != "insufficient_user_authentication" || attempt > 0 {
			return fmt.Errorf("the resource server refused the token: %s %s", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		fmt.Fprintf(out, "\nThe resource server asks for a stronger login:\n  WWW-Authenticate: %s\nSigning in again with acr_values=%q", resp.Header.Get("WWW-Authenticate"), challenge["acr_values"])
		maxAge := -1
		if v, ok := challenge["max_age"]; ok {
			if maxAge, err = strconv.Atoi(v); err != nil {
				return fmt.Errorf("max_age %q in the challenge: %w", v, err)
			}
			fmt.Fprintf(out, " and max_age=%d", maxAge)
		}
		fmt.Fprintln(out)
		if tok, err = c.login(ctx, challenge["acr_values"], maxAge); err != nil {
			return err
		}
	}
}

// client runs authorizations through the loopback listener.
type client struct {
	conf     *oauth2.Config
	verifier *oidc.IDTokenVerifier
	ln       net.Listener
	out      io.Writer
	timeout  time.Duration

	// mu guards the authorization in progress, which the listener completes.
	mu      sync.Mutex
	pending chan callbackResult
	state   string
}

type callbackResult struct {
	code string
	err  error
}

// login runs one authorization: prints the URL, waits for the redirect,
// exchanges the code and prints the verified ID token's claims.
func (c *client) login(ctx context.Context, acrValues string, maxAge int) (*oauth2.Token, error) {
	state, pending := rand.Text(), make(chan callbackResult, 1)
	c.mu.Lock()
	c.state, c.pending = state, pending
	c.mu.Unlock()
	nonce, verifier := rand.Text(), oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if acrValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acrValues))
	}
	if maxAge >= 0 {
		opts = append(opts, oauth2.SetAuthURLParam("max_age", strconv.Itoa(maxAge)))
	}
	fmt.Fprintf(c.out, "\nOpen this URL in your browser to sign in:\n\n  %s\n\nWaiting for the redirect to %s ...\n", c.conf.AuthCodeURL(state, opts...), c.conf.RedirectURL)

	var res callbackResult
	select {
	case res = <-pending:
	case <-time.After(c.timeout):
		return nil, errors.New("timed out waiting for the browser")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	tok, err := c.conf.Exchange(ctx, res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange the code: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, errors.New("the token response has no ID token (is the openid scope requested?)")
	}
	idt, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify the ID token: %w", err)
	}
	if idt.Nonce != nonce {
		return nil, errors.New("the ID token's nonce does not match the request")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("read the ID token's claims: %w", err)
	}
	pretty, err := json.MarshalIndent(claims, "  ", "  ")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c.out, "\nSigned in. The verified ID token says:\n  %s\n", pretty)
	if at, ok := claims["auth_time"].(float64); ok {
		fmt.Fprintf(c.out, "  (auth_time %s: when the last factor was proven)\n", time.Unix(int64(at), 0).Format(time.RFC3339))
	}
	return tok, nil
}

// callback receives the authorization response on the loopback listener.
func (c *client) callback(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	state, pending := c.state, c.pending
	c.mu.Unlock()
	if r.URL.Path != "/callback" || pending == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	var res callbackResult
	switch {
	case q.Get("state") != state:
		res.err = errors.New("the redirect's state does not match the request")
	case q.Get("error") != "":
		res.err = fmt.Errorf("authorization failed: %s: %s", q.Get("error"), q.Get("error_description"))
	default:
		res.code = q.Get("code")
	}
	select {
	case pending <- res:
	default: // a second redirect for the same request
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if res.err != nil {
		fmt.Fprintln(w, "Sign-in failed; see the terminal.")
		return
	}
	fmt.Fprintln(w, "Signed in. You can close this window and return to the terminal.")
}

// newResourceServer starts a resource server on loopback that introspects
// the bearer token and requires o.requireACR (and o.requireMaxAge), answering
// an RFC 9470 step-up challenge otherwise.
func newResourceServer(provider *oidc.Provider, o options, out io.Writer) (*httpServer, error) {
	var meta struct {
		Introspection string `json:"introspection_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil || meta.Introspection == "" {
		return nil, errors.New("the host publishes no introspection endpoint")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		in, err := introspect(r.Context(), meta.Introspection, o.clientID, o.clientSecret, token)
		if err != nil || !in.Active {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		login := stepup.Authentication{ACR: in.ACR, AMR: in.AMR}
		if in.AuthTime > 0 {
			login.AuthTime = time.Unix(in.AuthTime, 0)
		}
		if !login.Satisfies(o.requireACR, o.requireMaxAge, time.Now()) {
			stepup.Write(w, o.requireACR, o.requireMaxAge)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"message": "hello " + in.Subject, "acr": in.ACR, "amr": in.AMR})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the resource server: %w", err)
	}
	srv := &httpServer{Server: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, URL: "http://" + ln.Addr().String() + "/balance"}
	go func() { _ = srv.Serve(ln) }()
	fmt.Fprintf(out, "\nResource server at %s requires acr %q.\n", srv.URL, o.requireACR)
	return srv, nil
}

type httpServer struct {
	*http.Server
	URL string
}

// introspection is the part of an RFC 7662 response the resource server reads.
type introspection struct {
	Active   bool     `json:"active"`
	Subject  string   `json:"sub"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
}

func introspect(ctx context.Context, endpoint, clientID, secret, token string) (introspection, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return introspection{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return introspection{}, err
	}
	defer resp.Body.Close()
	var in introspection
	if err := json.NewDecoder(resp.Body).Decode(&in); err != nil {
		return introspection{}, fmt.Errorf("introspection response: %w", err)
	}
	return in, nil
}

var challengeParam = regexp.MustCompile(`(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))`)

// parseChallenge returns the parameters of a Bearer WWW-Authenticate value.
func parseChallenge(h string) map[string]string {
	out := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(h, -1) {
		v := m[3]
		if m[3] == "" {
			v = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[2])
		}
		out[m[1]] = v
	}
	return out
}
