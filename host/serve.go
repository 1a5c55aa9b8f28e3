package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/factorgate/factorgate/host/admin"
	"github.com/factorgate/factorgate/host/api"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/config"
	"github.com/factorgate/factorgate/host/dialects"
	"github.com/factorgate/factorgate/host/dialects/accounting"
	"github.com/factorgate/factorgate/host/dialects/scanner"
	"github.com/factorgate/factorgate/host/dialects/slugbase"
	"github.com/factorgate/factorgate/host/dialects/zitadel"
	"github.com/factorgate/factorgate/host/internal/certreload"
	"github.com/factorgate/factorgate/host/internal/reqlog"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/signin"
)

// janitorInterval is how often expired enrollments, challenges and sessions are deleted.
const janitorInterval = time.Minute

// Browser sessions end after sessionTTL without use, and sessionMaxAge after login.
const (
	sessionTTL    = 30 * time.Minute
	sessionMaxAge = 12 * time.Hour
)

func (c *cli) serveCommand() *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the MFA server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.serve(cmd.Context(), demo)
		},
	}
	cmd.Flags().BoolVar(&demo, "demo", false, "create a demo user and API token at first start, and a development seal key if none is set")
	return cmd
}

// serve runs the server until ctx ends: it wires the parts, listens, says
// where, and shuts down gracefully.
func (c *cli) serve(ctx context.Context, demo bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	demo = demo || cfg.Bootstrap.Demo
	log := c.newLogger(cfg)
	a, err := newApp(ctx, cfg, log, appOptions{plugins: true, createDevKey: demo, demo: demo})
	if err != nil {
		return err
	}
	// Deferred, so plugins are stopped on return and on a panic alike.
	defer a.Close()
	handler, provider, err := a.handler(ctx)
	if err != nil {
		return err
	}
	srv := newHTTPServer(cfg, reqlog.Handler(handler, reqlog.Options{Logger: log, Observer: a.metrics}))
	served := make(chan error, 2)
	addr, err := startMain(ctx, cfg, log, srv, served)
	if err != nil {
		return err
	}
	go a.janitor(ctx, provider)
	log.Info("factorgate serving", "listen", addr.String(), "tls", cfg.TLS(), "public_url", cfg.PublicURL, "database", a.store.Dialect())
	adminSrv, err := c.startAdmin(cfg, log, a.metrics.Handler(), served)
	if err != nil {
		return err
	}
	c.announce(a, addr)
	if demo {
		if err := bootstrapDemo(ctx, a, c.stdout); err != nil {
			return err
		}
	}
	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	if adminSrv != nil {
		_ = adminSrv.Shutdown(sctx) // profiles in flight are not worth waiting for
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startMain serves the front doors on listen: HTTPS when the configuration
// names a certificate, which SIGHUP reads again without closing the
// listener, plain HTTP otherwise.
func startMain(ctx context.Context, cfg *config.Config, log *slog.Logger, srv *http.Server, served chan<- error) (net.Addr, error) {
	var certs *certreload.Reloader
	if cfg.TLS() {
		var err error
		if certs, err = certreload.New(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			return nil, err
		}
		srv.TLSConfig = certs.TLSConfig()
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	if certs == nil {
		// SIGHUP reloads nothing here, but must not end the host either
		// (systemctl reload sends it).
		go func() {
			for range hangups(ctx) {
				log.InfoContext(ctx, "SIGHUP: no TLS certificate to reload")
			}
		}()
		go func() { served <- srv.Serve(ln) }()
		return ln.Addr(), nil
	}
	go certs.Watch(ctx, hangups(ctx), log, nil)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	return ln.Addr(), nil
}

// hangups delivers every SIGHUP the process receives until ctx ends, when
// it is closed.
func hangups(ctx context.Context) <-chan struct{} {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{})
	go func() {
		defer close(out)
		defer signal.Stop(sig)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sig:
				select {
				case out <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// startAdmin serves the admin listener when admin_listen is set; a failure
// to serve it ends the host like the main listener's would.
func (c *cli) startAdmin(cfg *config.Config, log *slog.Logger, metrics http.Handler, served chan<- error) (*http.Server, error) {
	if cfg.AdminListen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("admin listener on %s: %w", cfg.AdminListen, err)
	}
	if ap, err := netip.ParseAddrPort(ln.Addr().String()); err == nil && !ap.Addr().IsLoopback() && !ap.Addr().IsPrivate() {
		log.Warn("the admin listener is on a public address: anyone who reaches it can read the host's profiles and metrics", "admin_listen", ln.Addr().String())
	}
	srv := &http.Server{Handler: admin.Handler(metrics), ReadHeaderTimeout: 5 * time.Second}
	go func() { served <- srv.Serve(ln) }()
	log.Info("admin listener serving", "listen", ln.Addr().String())
	// Before the main listener's line, which scripts wait for.
	fmt.Fprintf(c.stdout, "Admin listener (profiles) on http://%s/debug/pprof/\n", ln.Addr())
	return srv, nil
}

// handler wires every front door on one mux: the native API, the dialects
// and the OAuth provider, which also signs people in for the dialects.
func (a *app) handler(ctx context.Context) (http.Handler, *oauth.Provider, error) {
	cfg := a.cfg
	sessions := auth.NewSessions(a.store, sessionTTL, sessionMaxAge, nil)
	provider, err := oauth.New(ctx, oauth.Deps{
		Store: a.store, Sealer: a.sealer, MFA: a.mfa, Sessions: sessions, Factors: a.plugins,
		PublicURL: cfg.PublicURL, Logger: a.log, SessionMaxAge: sessionMaxAge,
		Lockout: a.lockout, Observer: a.metrics,
		SignInThrottle: signin.ThrottleOptions{
			PerAddressBurst: cfg.SignIn.PerAddressBurst, PerAddressMinute: float64(cfg.SignIn.PerAddressPerMinute),
			PerNameBurst: cfg.SignIn.PerNameBurst, PerNameMinute: float64(cfg.SignIn.PerNamePerMinute),
			ConcurrentHashes: cfg.SignIn.ConcurrentHashes,
		},
		NameCeiling:    cfg.SignIn.NameCeiling,
		ResendInterval: cfg.SendLimits.ResendInterval,
		MaxBodyBytes:   int64(cfg.HTTP.MaxBodyBytes), TrustedProxies: cfg.HTTP.TrustedProxyPrefixes(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("oauth provider: %w", err)
	}
	// Personal API tokens and the provider's access tokens are both
	// accepted wherever a bearer token is.
	bearer := auth.Chain{a.tokens, auth.AuthenticatorFunc(provider.AuthenticateAccessToken)}
	mux := http.NewServeMux()
	mux.Handle("/", api.New(api.Deps{
		MFA: a.mfa, Users: a.store, Auth: bearer, Factors: a.plugins, Ready: a.readyChecks(),
		Passwords: api.PasswordHasherFunc(auth.HashPassword), Operator: a.operator(), Logger: a.log,
		MaxBodyBytes: int64(cfg.HTTP.MaxBodyBytes), TrustedProxies: cfg.HTTP.TrustedProxyPrefixes(),
	}))
	registerDialects(mux, dialects.Deps{
		MFA: a.mfa, Users: a.store, Tokens: bearer, Sessions: sessions, SignIn: provider.SignIn(),
		Routes: cfg.Routes, Logger: a.log,
		MaxBodyBytes: int64(cfg.HTTP.MaxBodyBytes), TrustedProxies: cfg.HTTP.TrustedProxyPrefixes(),
	}, auth.NewAPIKeys(a.store, nil, nil))
	provider.Register(mux)
	return mux, provider, nil
}

// newHTTPServer is the server of every front door. gRPC clients of the
// Zitadel-compatible service speak HTTP/2 without TLS (h2c); browsers and
// everything else speak HTTP/1.1.
func newHTTPServer(cfg *config.Config, h http.Handler) *http.Server {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         protocols,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// announce tells the operator where the server listens and which factors it
// serves.
func (c *cli) announce(a *app, addr net.Addr) {
	scheme := "http"
	if a.cfg.TLS() {
		scheme = "https"
	}
	fmt.Fprintf(c.stdout, "Factorgate is listening on %s://%s (public URL %s)\n", scheme, addr, a.cfg.PublicURL)
	fmt.Fprintf(c.stdout, "  API description: %s/v1/openapi.json\n", a.cfg.PublicURL)
	for _, in := range a.plugins.Instances() {
		fmt.Fprintf(c.stdout, "  factor %-14s %s %s (%s)\n", in.Name, in.Description.DisplayName, in.Description.Version, in.Health)
	}
}

// readyChecks are the checks behind /readyz: the database, and each plugin
// by name, so a plugin that is down is named there.
func (a *app) readyChecks() api.ReadyChecks {
	checks := api.ReadyChecks{{Name: "database", Check: a.store.Ping}}
	for _, name := range a.plugins.PluginNames() {
		checks = append(checks, api.ReadyCheck{Name: "plugin " + name, Check: func(context.Context) error { return a.plugins.PluginHealthy(name) }})
	}
	return checks
}

// janitor deletes expired pending enrollments, challenges, stale send
// limits, sessions and OAuth codes, tokens and login flows.
func (a *app) janitor(ctx context.Context, provider *oauth.Provider) {
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now()
			if n, err := a.store.DeleteExpiredPending(ctx, now); err != nil {
				a.log.Warn("delete expired enrollments", "error", err)
			} else if n > 0 {
				a.log.Debug("deleted expired enrollments", "count", n)
			}
			if n, err := a.store.DeleteExpiredChallenges(ctx, now); err != nil {
				a.log.Warn("delete expired challenges", "error", err)
			} else if n > 0 {
				a.log.Debug("deleted expired challenges", "count", n)
			}
			// A day is the longest send budget window.
			if n, err := a.store.DeleteStaleSendLimits(ctx, now.Add(-24*time.Hour)); err != nil {
				a.log.Warn("delete stale send limits", "error", err)
			} else if n > 0 {
				a.log.Debug("deleted stale send limits", "count", n)
			}
			if n, err := a.store.DeleteExpiredSessions(ctx, now); err != nil {
				a.log.Warn("delete expired sessions", "error", err)
			} else if n > 0 {
				a.log.Debug("deleted expired sessions", "count", n)
			}
			if n, err := provider.DeleteExpired(ctx); err != nil {
				a.log.Warn("delete expired oauth rows", "error", err)
			} else if n > 0 {
				a.log.Debug("deleted expired oauth rows", "count", n)
			}
		}
	}
}

// registerDialects serves each vendor dialect whose routes d's route table
// configures; the scanner's also checks the operator-issued API keys.
func registerDialects(mux *http.ServeMux, d dialects.Deps, keys scanner.APIKeys) {
	scanner.Register(mux, d, keys)
	accounting.Register(mux, d)
	zitadel.Register(mux, d)
	slugbase.Register(mux, d)
}
