// Package dialects serves the documented verification endpoints of other
// vendors' APIs (a security scanner's, an accounting service's, Zitadel's
// user service and SlugBase's), byte-compatible with their documentation, so a
// client written against any of them works against Factorgate unchanged.
//
// Each dialect is one file, a thin translation between the vendor's wire
// format and host/mfa: it parses and validates the request in the vendor's
// terms, calls the one lifecycle service, and renders the outcome (including
// every error) in the vendor's own documented shape. Which factor instance
// serves an endpoint comes from the route table in the configuration, so an
// operator can put any factor, a third party's included, behind it.
package dialects

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
)

// Route names: the keys of the configuration's route table.
const (
	RouteScannerTOTP         = "scanner.totp"
	RouteScannerSMS          = "scanner.sms"
	RouteAccountingSMS       = "accounting.sms"
	RouteZitadelTOTP         = "zitadel.totp"
	RouteSlugBaseTOTP        = "slugbase.totp"
	RouteSlugBaseBackupCodes = "slugbase.backup_codes"
)

// MFA is the lifecycle service every dialect translates to (*mfa.Service).
type MFA interface {
	BeginEnrollment(ctx context.Context, m mfa.Meta, req mfa.BeginRequest) (mfa.Enrollment, error)
	ConfirmEnrollment(ctx context.Context, m mfa.Meta, req mfa.ConfirmRequest) (mfa.Confirmed, error)
	CancelEnrollment(ctx context.Context, m mfa.Meta, userID, factor string) (mfa.Removed, error)
	PendingEnrollment(ctx context.Context, userID, factor string) (mfa.CredentialInfo, error)
	ActiveCredential(ctx context.Context, userID, factor string) (mfa.CredentialInfo, error)
	Challenge(ctx context.Context, m mfa.Meta, req mfa.ChallengeRequest) (mfa.Challenge, error)
	Verify(ctx context.Context, m mfa.Meta, req mfa.VerifyRequest) (mfa.Verified, error)
	ListCredentials(ctx context.Context, userID string) ([]mfa.CredentialInfo, error)
	RemoveCredential(ctx context.Context, m mfa.Meta, userID, credentialID string) (mfa.Removed, error)
}

// Users reads users and their organisations (store.Store).
type Users interface {
	GetUser(ctx context.Context, id string) (store.User, error)
	GetOrg(ctx context.Context, id int64) (store.Org, error)
}

// Tokens resolves personal API tokens (*auth.Tokens).
type Tokens interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// Sessions resolves browser session cookies (*auth.Sessions).
type Sessions interface {
	Authenticate(ctx context.Context, secret string) (auth.Session, error)
}

// SignIn is the OAuth provider's first-party sign-in, which the dialects'
// own sign-in endpoints translate to (*oauth.Provider): the password check
// with the shared lockout, the pending second step, and the tokens or the
// session a completed sign-in gets.
type SignIn interface {
	CheckSignInPassword(ctx context.Context, r *http.Request, c oauth.SignInClient, username, password string) (store.User, error)
	BeginSignIn(ctx context.Context, c oauth.SignInClient, user store.User, step oauth.SignInStep) (string, error)
	CompleteSignIn(ctx context.Context, r *http.Request, c oauth.SignInClient, state string, prove oauth.Prove) (oauth.SignedIn, error)
	ProveSignIn(ctx context.Context, r *http.Request, c oauth.SignInClient, user store.User, step oauth.SignInStep, prove oauth.Prove) (oauth.SignedIn, error)
	FinishSignIn(ctx context.Context, r *http.Request, c oauth.SignInClient, user store.User) (oauth.SignedIn, error)
	SecureCookies() bool
}

var (
	_ MFA      = (*mfa.Service)(nil)
	_ Users    = store.Store(nil)
	_ Tokens   = (*auth.Tokens)(nil)
	_ Tokens   = auth.Chain(nil)
	_ Sessions = (*auth.Sessions)(nil)
	_ SignIn   = (*oauth.Provider)(nil)
)

// Deps are what the dialects need.
type Deps struct {
	MFA      MFA
	Users    Users
	Tokens   Tokens
	Sessions Sessions
	// SignIn serves the dialects' sign-in endpoints; without it they are
	// not registered.
	SignIn SignIn
	// Routes maps a route name (RouteScannerTOTP, ...) to the factor instance
	// serving it; an absent route is not served.
	Routes map[string]string
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies (default 64 KiB).
	MaxBodyBytes   int64
	TrustedProxies []netip.Prefix
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (d Deps) withDefaults() Deps {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 64 << 10
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return d
}

// factor returns the factor instance the route table assigns to route.
func (d Deps) factor(route string) (string, bool) {
	f, ok := d.Routes[route]
	return f, ok && f != ""
}

// activeFactors returns the factor instances of the user's active second
// factors.
func (d Deps) activeFactors(ctx context.Context, userID string) (map[string]bool, error) {
	creds, err := d.MFA.ListCredentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list the user's factors: %w", err)
	}
	out := map[string]bool{}
	for _, c := range creds {
		if c.Status == store.CredentialActive {
			out[c.Factor] = true
		}
	}
	return out, nil
}

// meta is the audit record's who and where for a request through a dialect.
func (d Deps) meta(r *http.Request, p auth.Principal, via string) mfa.Meta {
	return mfa.Meta{Actor: p.Actor(), RemoteAddr: httpx.ClientIP(r, d.TrustedProxies), Via: via}
}

// Register serves every dialect whose routes are configured on mux. The
// scanner API also needs the operator-issued API keys it checks.
func Register(mux *http.ServeMux, d Deps, keys APIKeys) {
	RegisterScanner(mux, d, keys)
	RegisterAccounting(mux, d)
	RegisterZitadel(mux, d)
	RegisterSlugBase(mux, d)
}
