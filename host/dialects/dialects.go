// Package dialects holds what the documented verification endpoints of other
// vendors' APIs share: the dependencies they translate to (Deps), the names of
// their routes in the configuration's route table, and small helpers.
//
// Each vendor's dialect is a package of its own (scanner, accounting, zitadel,
// slugbase), byte-compatible with that vendor's documentation, so a client
// written against any of them works against Factorgate unchanged. A dialect is
// a thin translation between the vendor's wire format and host/mfa (and
// host/signin for its sign-in): it parses and validates the request in the
// vendor's terms, calls the one lifecycle service, and renders the outcome
// (including every error) in the vendor's own documented shape. Which factor
// instance serves an endpoint comes from the route table, so an operator can
// put any factor, a third party's included, behind it. This package imports
// none of the dialects; they import it.
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
	"github.com/factorgate/factorgate/host/internal/reqlog"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// Route names: the keys of the configuration's route table.
const (
	RouteScannerTOTP         = "scanner.totp"
	RouteScannerSMS          = "scanner.sms"
	RouteAccountingSMS       = "accounting.sms"
	RouteZitadelTOTP         = "zitadel.totp"
	RouteZitadelPasskey      = "zitadel.passkey"
	RouteZitadelU2F          = "zitadel.u2f"
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

// SignIn is the sign-in service the dialects' own sign-in endpoints
// translate to (*signin.Service).
type SignIn interface {
	Begin(ctx context.Context, req signin.Start) (signin.Started, error)
	Complete(ctx context.Context, c signin.Client, m signin.Meta, state string, p signin.Proof) (signin.SignedIn, error)
	SignInWithCode(ctx context.Context, req signin.Start, code string) (signin.SignedIn, error)
	SecureCookies() bool
}

var (
	_ MFA      = (*mfa.Service)(nil)
	_ Users    = store.Store(nil)
	_ Tokens   = (*auth.Tokens)(nil)
	_ Tokens   = auth.Chain(nil)
	_ Sessions = (*auth.Sessions)(nil)
	_ SignIn   = (*signin.Service)(nil)
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

// WithDefaults returns d with the defaults of unset fields: a discarding
// logger, a 64 KiB body limit and the system clock.
func (d Deps) WithDefaults() Deps {
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

// Factor returns the factor instance the route table assigns to route.
func (d Deps) Factor(route string) (string, bool) {
	f, ok := d.Routes[route]
	return f, ok && f != ""
}

// ActiveFactors returns the factor instances of the user's active second
// factors.
func (d Deps) ActiveFactors(ctx context.Context, userID string) (map[string]bool, error) {
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

// SignInMeta is the sign-in service's who and where for a request through
// a dialect.
func (d Deps) SignInMeta(r *http.Request, via string) signin.Meta {
	return signin.Meta{RemoteAddr: httpx.ClientIP(r, d.TrustedProxies), Via: via, UserAgent: httpx.UserAgentSummary(r)}
}

// Meta is the audit record's who and where for a request through a
// dialect; it also names the user in the request's access log line.
func (d Deps) Meta(r *http.Request, p auth.Principal, via string) mfa.Meta {
	reqlog.SetUser(r.Context(), p.User.ID)
	return mfa.Meta{Actor: p.Actor(), RemoteAddr: httpx.ClientIP(r, d.TrustedProxies), Via: via, UserAgent: httpx.UserAgentSummary(r)}
}
