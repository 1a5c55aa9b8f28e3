package oauth

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/hmac"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Store is the persistence the provider needs (*store.SQLStore). It must be
// the store the MFA service uses, so that an MFA grant's verification and the
// tokens it issues share one transaction.
type Store interface {
	signin.Store
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Fosite() *store.FositeStore
	DeleteExpiredOAuth(ctx context.Context, now time.Time) (int64, error)
	CreateOAuthClient(ctx context.Context, c store.OAuthClient) (store.OAuthClient, error)
	store.OAuthKeyStore
	store.LoginFlowStore
	store.AccountStore
	ListAudit(ctx context.Context, userID string, limit int) ([]store.AuditEvent, error)
}

// Sealer encrypts keys and login flows at rest (*seal.Sealer).
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(blob, aad []byte) ([]byte, error)
}

// MFA is the lifecycle service the login and the MFA grants prove second
// factors with (*mfa.Service).
type MFA interface {
	BeginEnrollment(ctx context.Context, m mfa.Meta, req mfa.BeginRequest) (mfa.Enrollment, error)
	ConfirmEnrollment(ctx context.Context, m mfa.Meta, req mfa.ConfirmRequest) (mfa.Confirmed, error)
	Challenge(ctx context.Context, m mfa.Meta, req mfa.ChallengeRequest) (mfa.Challenge, error)
	Verify(ctx context.Context, m mfa.Meta, req mfa.VerifyRequest) (mfa.Verified, error)
	ListCredentials(ctx context.Context, userID string) ([]mfa.CredentialInfo, error)
	RemoveCredential(ctx context.Context, m mfa.Meta, userID, credentialID string) (mfa.Removed, error)
	BeginDiscoverable(ctx context.Context, factor string) (mfa.Challenge, error)
	VerifyDiscoverable(ctx context.Context, m mfa.Meta, req mfa.DiscoverableRequest) (mfa.Verified, error)
}

// Sessions keeps browser login sessions (*auth.Sessions).
type Sessions interface {
	Create(ctx context.Context, user store.User, amr []string, authTime time.Time) (auth.Session, error)
	Authenticate(ctx context.Context, secret string) (auth.Session, error)
	AddMethods(ctx context.Context, se *auth.Session, t time.Time, amr ...string) error
	Destroy(ctx context.Context, se auth.Session) error
}

// Factors lists the configured factor instances (*plugins.Manager).
type Factors interface {
	Instances() []plugins.InstanceInfo
}

var (
	_ Store    = (*store.SQLStore)(nil)
	_ MFA      = (*mfa.Service)(nil)
	_ Sessions = (*auth.Sessions)(nil)
	_ Factors  = (*plugins.Manager)(nil)
)

// Deps are what the provider needs. Zero durations take the defaults.
type Deps struct {
	Store    Store
	Sealer   Sealer
	MFA      MFA
	Sessions Sessions
	Factors  Factors
	// PublicURL is the issuer: the absolute URL clients reach the host at,
	// without a trailing slash. Cookies are Secure when it is https.
	PublicURL string
	Logger    *slog.Logger
	// Now is the clock of logins and mfa_tokens (default time.Now). fosite
	// reads the system clock for token lifetimes.
	Now func() time.Time
	// Lockout is the policy password attempts count against: the MFA
	// service's, so that both share one counter and one lock per user.
	Lockout mfa.LockoutPolicy
	// SignInThrottle and NameCeiling bound password attempts (see
	// signin.Deps); zero values take the defaults.
	SignInThrottle signin.ThrottleOptions
	NameCeiling    int
	// ResendInterval is the MFA service's shortest time between two codes
	// sent for one user and factor (mfa.SendLimits.ResendInterval), which
	// the pages name when they offer to send a new code.
	ResendInterval time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes limits request bodies (default 64 KiB).
	MaxBodyBytes int64
	// SigningAlg signs JWT access tokens, and the ID tokens of clients that
	// registered no id_token_signed_response_alg: AlgRS256 (default) or
	// AlgES256. Both keys are published.
	SigningAlg string
	// BackupCodes is the factor instance enrolled alongside a factor
	// confirmed at login or through /mfa/associate, and checked by the
	// recovery-code grant (default "backup-codes"; skipped when absent).
	BackupCodes string
	// SessionMaxAge is the lifetime of the session cookie; it should match
	// the sessions' MaxAge (default 12h).
	SessionMaxAge time.Duration

	AccessTokenLifespan   time.Duration // default 15m
	RefreshTokenLifespan  time.Duration // default 30 days
	IDTokenLifespan       time.Duration // default 1h
	AuthorizeCodeLifespan time.Duration // default 5m
	// MFATokenLifespan is how long an mfa_token lives (default 5m, at most 10m).
	MFATokenLifespan time.Duration
	// LoginFlowLifespan is how long a browser login may take (default 15m).
	LoginFlowLifespan time.Duration
	// Observer hears of every token response issued (nil: none).
	Observer Observer
}

// Observer hears of what the provider does, for metrics (*metrics.Metrics).
type Observer interface {
	// TokenIssued reports a token response of grant (a grant_type value).
	TokenIssued(grant string)
}

// nopObserver is the Observer of a provider without one.
type nopObserver struct{}

func (nopObserver) TokenIssued(string) {}

// Defaults of Deps.
const (
	defaultAccessTokenLifespan   = 15 * time.Minute
	defaultRefreshTokenLifespan  = 30 * 24 * time.Hour
	defaultIDTokenLifespan       = time.Hour
	defaultAuthorizeCodeLifespan = 5 * time.Minute
	defaultMFATokenLifespan      = 5 * time.Minute
	maxMFATokenLifespan          = 10 * time.Minute
	defaultLoginFlowLifespan     = 15 * time.Minute
	defaultSessionMaxAge         = 12 * time.Hour
	defaultBackupCodes           = "backup-codes"
)

func (d Deps) withDefaults() (Deps, error) {
	switch {
	case d.Store == nil, d.Sealer == nil, d.MFA == nil, d.Sessions == nil, d.Factors == nil:
		return d, errors.New("oauth: store, sealer, MFA service, sessions and factors are required")
	case d.PublicURL == "":
		return d, errors.New("oauth: the public URL is required (it is the issuer)")
	}
	u, err := url.Parse(d.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return d, fmt.Errorf("oauth: public URL %q is not an absolute http(s) URL", d.PublicURL)
	}
	d.PublicURL = strings.TrimRight(d.PublicURL, "/")
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Observer == nil {
		d.Observer = nopObserver{}
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 64 << 10
	}
	if d.SigningAlg == "" {
		d.SigningAlg = AlgRS256
	}
	if d.BackupCodes == "" {
		d.BackupCodes = defaultBackupCodes
	}
	set := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&d.SessionMaxAge, defaultSessionMaxAge)
	set(&d.ResendInterval, mfa.DefaultSendLimits.ResendInterval)
	set(&d.AccessTokenLifespan, defaultAccessTokenLifespan)
	set(&d.RefreshTokenLifespan, defaultRefreshTokenLifespan)
	set(&d.IDTokenLifespan, defaultIDTokenLifespan)
	set(&d.AuthorizeCodeLifespan, defaultAuthorizeCodeLifespan)
	set(&d.MFATokenLifespan, defaultMFATokenLifespan)
	set(&d.LoginFlowLifespan, defaultLoginFlowLifespan)
	if d.MFATokenLifespan > maxMFATokenLifespan {
		return d, fmt.Errorf("oauth: an mfa_token may live at most %s, not %s", maxMFATokenLifespan, d.MFATokenLifespan)
	}
	return d, nil
}

// Paths of the endpoints, below the public URL.
const (
	pathAuthorize     = "/oauth2/auth"
	pathToken         = "/oauth2/token"
	pathTokenAuth0    = "/oauth/token"
	pathIntrospect    = "/oauth2/introspect"
	pathRevoke        = "/oauth2/revoke"
	pathRevokeAuth0   = "/oauth/revoke"
	pathUserinfo      = "/userinfo"
	pathDiscovery     = "/.well-known/openid-configuration"
	pathJWKS          = "/.well-known/jwks.json"
	pathLogin         = "/login"
	pathMFAAssociate  = "/mfa/associate"
	pathMFAChallenge  = "/mfa/challenge"
	pathMFAAuthList   = "/mfa/authenticators"
	sessionCookieName = "fg_session"
	bindCookieName    = "fg_login"
)

// Provider is the OAuth 2.0 and OpenID Connect provider: fosite composed with
// the SQL storage, the browser login with its second factor, and the MFA
// grants. Its handler serves every endpoint; it is safe for concurrent use.
type Provider struct {
	d        Deps
	issuer   string
	secure   bool
	fosite   *fosite.Fosite
	config   *fosite.Config
	fstore   *store.FositeStore
	keys     *Keyring
	strategy *tokenStrategy
	idTokens *openid.IDTokenHandleHelper
	pages    *template.Template
	signin   *signin.Service
	log      *slog.Logger
}

// New loads (or, at first start, generates) the token keys and composes the
// provider.
func New(ctx context.Context, deps Deps) (*Provider, error) {
	d, err := deps.withDefaults()
	if err != nil {
		return nil, err
	}
	// A retired key stays published as long as the longest token it signed
	// lives, plus the reload interval during which other hosts still sign
	// with it and some clock skew.
	retention := max(d.AccessTokenLifespan, d.IDTokenLifespan) + keyReload + 5*time.Minute
	keys, err := NewKeyring(d.Store, d.Sealer, d.SigningAlg, retention, d.Now, d.Logger)
	if err != nil {
		return nil, err
	}
	if err := keys.Ensure(ctx); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	p := &Provider{
		d: d, issuer: d.PublicURL, secure: auth.SecureCookies(d.PublicURL),
		fstore: d.Store.Fosite(), keys: keys, pages: pages, log: d.Logger,
	}
	if p.signin, err = p.newSignIn(); err != nil {
		return nil, err
	}
	p.config = &fosite.Config{
		AccessTokenLifespan:   d.AccessTokenLifespan,
		RefreshTokenLifespan:  d.RefreshTokenLifespan,
		IDTokenLifespan:       d.IDTokenLifespan,
		AuthorizeCodeLifespan: d.AuthorizeCodeLifespan,
		IDTokenIssuer:         p.issuer,
		AccessTokenIssuer:     p.issuer,
		TokenURL:              p.issuer + pathToken,
		ScopeStrategy:         fosite.ExactScopeStrategy,
		// PKCE: S256 only, and required of public clients.
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		// prompt=consent and select_account are accepted and need nothing:
		// the provider is first-party and has one account per session.
		AllowedPromptValues: []string{"login", "none", "consent", "select_account"},
		// Kept with the code so the exchange must repeat the same redirect_uri.
		SanitationWhiteList: []string{"redirect_uri"},
		GlobalSecret:        keys.hmacSecret(),
		ClientSecretsHasher: newSecretHasher(d.Now),
	}
	hmacStrategy := oauth2.NewHMACSHAStrategy(&hmac.HMACStrategy{Config: p.config}, p.config)
	sig := signer{keys: keys}
	p.strategy = &tokenStrategy{
		hmac: hmacStrategy,
		idTokens: map[string]*openid.DefaultStrategy{
			AlgRS256: {Signer: signer{keys: keys, alg: AlgRS256}, Config: p.config},
			AlgES256: {Signer: signer{keys: keys, alg: AlgES256}, Config: p.config},
		},
		signer:   sig,
		issuer:   p.issuer,
		lifespan: d.AccessTokenLifespan,
	}
	p.idTokens = &openid.IDTokenHandleHelper{IDTokenStrategy: p.strategy}
	provider := compose.Compose(p.config, p.fstore, p.strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2ClientCredentialsGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenIntrospectionFactory,
		compose.OAuth2TokenRevocationFactory,
		func(fosite.Configurator, any, any) any { return &passwordStep{p: p} },
		func(fosite.Configurator, any, any) any { return &mfaGrant{p: p} },
	)
	f, ok := provider.(*fosite.Fosite)
	if !ok {
		return nil, fmt.Errorf("oauth: composed provider is %T", provider)
	}
	p.fosite = f
	return p, nil
}

// newSignIn builds the sign-in service the login pages, the MFA grants and
// the dialects' sign-ins share, with the provider as its token issuer.
func (p *Provider) newSignIn() (*signin.Service, error) {
	d := p.d
	return signin.New(signin.Deps{
		Store: d.Store, MFA: d.MFA, Sessions: d.Sessions, Issuer: p,
		Factors: signin.DescribeFunc(func(name string) (sdk.Description, bool) {
			desc, ok := p.instances()[name]
			return desc, ok
		}),
		Lockout: d.Lockout, Throttle: d.SignInThrottle, NameCeiling: d.NameCeiling,
		StepLifespan:  d.MFATokenLifespan, // sign-in keeps it to at most 5 minutes
		SessionMaxAge: d.SessionMaxAge, SecureCookies: p.secure, Logger: d.Logger, Now: d.Now,
	})
}

// SignIn returns the sign-in service, for the doors that sign people in
// without the login pages (the dialects).
func (p *Provider) SignIn() *signin.Service { return p.signin }

// Handler returns the provider's endpoints.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	p.Register(mux)
	return mux
}

// Register adds the provider's endpoints to mux.
func (p *Provider) Register(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, p.limitBody(h)) }
	handle("GET "+pathDiscovery, p.discovery)
	handle("GET "+pathJWKS, p.jwks)
	handle("GET "+pathAuthorize, p.authorize)
	handle("POST "+pathAuthorize, p.authorize)
	handle("POST "+pathToken, p.token)
	handle("POST "+pathTokenAuth0, p.token)
	handle("POST "+pathIntrospect, p.introspect)
	handle("POST "+pathRevoke, p.revoke)
	handle("POST "+pathRevokeAuth0, p.revoke)
	handle("GET "+pathUserinfo, p.userinfo)
	handle("POST "+pathUserinfo, p.userinfo)
	handle("GET "+pathLogin, p.loginPage)
	handle("POST "+pathLogin+"/password", p.loginPassword)
	handle("POST "+pathLogin+"/factor", p.loginChooseFactor)
	handle("POST "+pathLogin+"/verify", p.loginVerify)
	handle("POST "+pathLogin+"/resend", p.loginResend)
	handle("POST "+pathLogin+"/enroll", p.loginEnroll)
	handle("POST "+pathLogin+"/enroll/confirm", p.loginConfirm)
	handle("POST "+pathLogin+"/continue", p.loginContinue)
	p.registerAccount(handle)
	handle("POST "+pathLogin+"/passkey", p.loginPasskey)
	handle("POST "+pathLogin+"/passkey/verify", p.loginPasskeyVerify)
	handle("GET "+pathLogin+"/webauthn.js", p.webauthnScript)
	handle("POST "+pathMFAAssociate, p.mfaAssociate)
	handle("POST "+pathMFAChallenge, p.mfaChallenge)
	handle("GET "+pathMFAAuthList, p.mfaAuthenticators)
	handle("GET "+pathEndSession, p.endSession)
	handle("POST "+pathEndSession, p.endSession)
}

func (p *Provider) limitBody(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, p.d.MaxBodyBytes)
		h(w, r)
	})
}

// Issuer returns the issuer identifier (the public URL).
func (p *Provider) Issuer() string { return p.issuer }

// RotateSigningKey adds a new active signing key per algorithm; the keys it
// replaces stay in the JWKS until the tokens they signed have expired. It
// returns the new key ids. Other hosts pick the new keys up within a minute.
func (p *Provider) RotateSigningKey(ctx context.Context) ([]string, error) {
	return p.keys.Rotate(ctx)
}

// DeleteExpired deletes expired codes, tokens, login flows, mfa_tokens and
// retired keys; the host's janitor calls it periodically.
func (p *Provider) DeleteExpired(ctx context.Context) (int64, error) {
	n, err := p.d.Store.DeleteExpiredOAuth(ctx, p.now())
	if err != nil {
		return n, fmt.Errorf("oauth: delete expired: %w", err)
	}
	return n, nil
}

func (p *Provider) now() time.Time { return p.d.Now().UTC() }

// url returns the absolute URL of path.
func (p *Provider) url(path string) string { return p.issuer + path }
