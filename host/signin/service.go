// Package signin is the one sign-in service of the host: the password check
// (counted against the user's lockout before the hash is compared), the
// pending second-factor step (begin, send a code, complete) and the issue of
// what a completed sign-in gets, tokens through a TokenIssuer (the OAuth
// provider) or a browser session. The login pages, the MFA grants and the
// dialects' sign-in endpoints all call it; none of them orchestrates a
// sign-in itself.
package signin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Store is the persistence sign-in needs (*store.SQLStore).
type Store interface {
	GetUser(ctx context.Context, id string) (store.User, error)
	GetUserByName(ctx context.Context, name string) (store.User, error)
	mfa.LockoutCounter
	ResetAttempts(ctx context.Context, key string) error
	AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error)
	store.MFATokenStore
}

// MFA is the lifecycle service second factors are proven with (*mfa.Service).
type MFA interface {
	ListCredentials(ctx context.Context, userID string) ([]mfa.CredentialInfo, error)
	Challenge(ctx context.Context, m mfa.Meta, req mfa.ChallengeRequest) (mfa.Challenge, error)
	Verify(ctx context.Context, m mfa.Meta, req mfa.VerifyRequest) (mfa.Verified, error)
	BeginDiscoverable(ctx context.Context, factor string) (mfa.Challenge, error)
	VerifyDiscoverable(ctx context.Context, m mfa.Meta, req mfa.DiscoverableRequest) (mfa.Verified, error)
}

// Factors describes the configured factor instances (*plugins.Manager).
type Factors interface {
	Describe(name string) (sdk.Description, bool)
}

// Sessions starts browser sessions (*auth.Sessions).
type Sessions interface {
	Create(ctx context.Context, user store.User, amr []string, authTime time.Time) (auth.Session, error)
}

// TokenIssuer issues the tokens of a completed sign-in (the OAuth provider).
type TokenIssuer interface {
	// EnsureClient registers the sign-in's built-in client when it is absent.
	EnsureClient(ctx context.Context, c Client) error
	// IssueTokens issues and stores an access token (and, for a Refresh
	// client, a refresh token) as a token endpoint grant would.
	IssueTokens(ctx context.Context, c Client, user store.User, amr []string, authTime, requestedAt time.Time) (Tokens, error)
}

var (
	_ Store    = (*store.SQLStore)(nil)
	_ MFA      = (*mfa.Service)(nil)
	_ Sessions = (*auth.Sessions)(nil)
)

// Deps are what the service needs. Zero values take the defaults.
type Deps struct {
	Store    Store
	MFA      MFA
	Factors  Factors
	Sessions Sessions
	Issuer   TokenIssuer
	// Lockout is the policy password failures count against, per user name
	// and client address (the configured lockout, as for second factors,
	// but on counters of its own: wrong passwords never lock a user's
	// second factor, and those from one address never lock another).
	Lockout mfa.LockoutPolicy
	// NameCeiling is how many more failures a user name may take from all
	// addresses together than from one (default 10): the ceiling that
	// stops a guesser spread over many addresses.
	NameCeiling int
	// StepLifespan bounds how long a pending second step lives (default and
	// most 5m).
	StepLifespan time.Duration
	// SessionMaxAge is the lifetime of a session cookie (default 12h).
	SessionMaxAge time.Duration
	// SecureCookies: cookies are Secure (the public URL is https).
	SecureCookies bool
	// Throttle bounds password attempts before any hash is computed.
	Throttle ThrottleOptions
	// ComparePassword compares a password with its stored hash (default
	// auth.CheckPassword, bcrypt).
	ComparePassword func(hash, password string) bool
	Logger          *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults of Deps.
const (
	maxStepLifespan      = 5 * time.Minute
	defaultSessionMaxAge = 12 * time.Hour
)

// Service is the sign-in service.
type Service struct {
	d        Deps
	ceiling  mfa.LockoutPolicy
	throttle *throttle
	log      *slog.Logger
}

// New returns the sign-in service.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.MFA == nil || d.Factors == nil || d.Sessions == nil || d.Issuer == nil {
		return nil, errors.New("signin: store, MFA service, factors, sessions and token issuer are required")
	}
	d.Lockout = d.Lockout.WithDefaults()
	if err := d.Lockout.Validate(); err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	if d.NameCeiling <= 0 {
		d.NameCeiling = 10
	}
	if d.StepLifespan <= 0 || d.StepLifespan > maxStepLifespan {
		d.StepLifespan = maxStepLifespan
	}
	if d.SessionMaxAge <= 0 {
		d.SessionMaxAge = defaultSessionMaxAge
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ComparePassword == nil {
		d.ComparePassword = auth.CheckPassword
	}
	t, err := newThrottle(d.Throttle)
	if err != nil {
		return nil, fmt.Errorf("signin: %w", err)
	}
	ceiling := d.Lockout
	ceiling.MaxFailures *= d.NameCeiling
	return &Service{d: d, ceiling: ceiling, throttle: t, log: d.Logger}, nil
}

func (s *Service) now() time.Time { return s.d.Now().UTC() }

// SecureCookies reports whether cookies must be Secure.
func (s *Service) SecureCookies() bool { return s.d.SecureCookies }

// Client is the built-in client a door signs people in through. A client
// that is not a Session client gets tokens from the TokenIssuer.
type Client struct {
	ID   string
	Name string
	// Session: the sign-in ends in a browser session rather than tokens; the
	// client then only owns the pending second steps.
	Session bool
	// Refresh: tokens come with a refresh token.
	Refresh bool
}

// Tokens are an access token and, for a Refresh client, a refresh token.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	Scopes       []string
}

// SignedIn is a completed sign-in.
type SignedIn struct {
	User     store.User
	AMR      []string
	AuthTime time.Time
	// Tokens are those issued, for a client that is not a Session client.
	Tokens *Tokens
	// Session is the browser session started, for a Session client, and
	// SessionMaxAge the lifetime of its cookie.
	Session       *auth.Session
	SessionMaxAge time.Duration
}

// Failures of a sign-in. A locked-out user gets the lifecycle's
// mfa.ErrLocked (with its retry delay), as for a second factor.
var (
	// ErrBadCredentials: an unknown user, a user without a password, or a
	// wrong password; the three are not told apart.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrStepInvalid: the pending second step is unknown, used, expired or
	// belongs to another client.
	ErrStepInvalid = errors.New("sign-in state is invalid, expired or already used")
	// ErrNoUsableFactor: the user has second factors, none of which the door
	// can verify.
	ErrNoUsableFactor = errors.New("the account's second factor cannot be used here")
	// ErrCodeSent: the door proves the factor in the same request as the
	// password, no code came, and one was sent; the client sends the
	// request again with it.
	ErrCodeSent = errors.New("a code was sent; send it with the password")
)

// Audit actions of sign-in.
const (
	ActionPassword = "oauth.password"
	ActionLogin    = "oauth.login"
	// ActionPasskey is a passkey sign-in refused before any user is known.
	ActionPasskey = "oauth.passkey"
)

// Meta is who signs in from where, for audit records.
type Meta struct {
	// RemoteAddr is the client's address.
	RemoteAddr string
	// Via names the door or the client ("login", "grant", a client id).
	Via string
	// ClientID is the OAuth client the sign-in is for.
	ClientID string
	// UserAgent is a short summary of the client's User-Agent.
	UserAgent string
}

// mfaMeta is the lifecycle's audit meta of a step of user's sign-in.
func (m Meta) mfaMeta(userID string) mfa.Meta {
	return mfa.Meta{Actor: userID, RemoteAddr: m.RemoteAddr, Via: m.Via, UserAgent: m.UserAgent}
}

// DescribeFunc adapts a lookup function to Factors.
type DescribeFunc func(name string) (sdk.Description, bool)

// Describe returns the description of the factor instance name.
func (f DescribeFunc) Describe(name string) (sdk.Description, bool) { return f(name) }
