// Package mfa is the MFA lifecycle every front door of the host calls: begin
// and confirm an enrollment, challenge, verify, list and remove. It owns the
// rules that make second factors safe: attempts are counted per user across
// all factors before any code is compared, a lockout with growing back-off
// follows too many failures, factor state is sealed before it is stored, a
// verification commits the factor's new state with compare-and-swap (so a
// code is accepted once even when hosts race), a factor that sends a code is
// called only once the right to send was reserved in the database (a resend
// interval and budgets per user, destination and deployment), and every
// outcome is audited.
//
// There is no HTTP here; the native API and every documented dialect
// translate to this one service.
package mfa

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Store is the persistence the lifecycle needs.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetUser(ctx context.Context, id string) (store.User, error)

	PutPendingCredential(ctx context.Context, c store.Credential) (store.Credential, error)
	GetCredential(ctx context.Context, id string) (store.Credential, error)
	FindCredential(ctx context.Context, userID, factor string, status store.CredentialStatus) (store.Credential, error)
	ListCredentials(ctx context.Context, userID string) ([]store.Credential, error)
	ListCredentialsPage(ctx context.Context, afterID string, limit int) ([]store.Credential, error)
	UpdateCredentialState(ctx context.Context, id string, expectedVersion int64, state []byte, lastUsedAt time.Time) (int64, error)
	ActivateCredential(ctx context.Context, id string, expectedVersion int64, state []byte, now time.Time, replaceActive bool) (int64, error)
	DeleteCredential(ctx context.Context, userID, id string) error

	// For factors whose users hold several credentials (several.go,
	// discoverable.go).
	ActivateKeyedCredential(ctx context.Context, id string, expectedVersion int64, state []byte, key, name string, now time.Time) (int64, error)
	ListActiveCredentials(ctx context.Context, userID, factor string) ([]store.Credential, error)
	FindCredentialByKey(ctx context.Context, factor, key string) (store.Credential, error)
	FindFactorChallenge(ctx context.Context, userID, factor string) (store.Challenge, error)
	DeleteFactorChallenges(ctx context.Context, userID, factor string) error
	CreateDiscoverableChallenge(ctx context.Context, ch store.DiscoverableChallenge) error
	TakeDiscoverableChallenge(ctx context.Context, id string) (store.DiscoverableChallenge, error)

	CreateChallenge(ctx context.Context, ch store.Challenge) (store.Challenge, error)
	GetChallenge(ctx context.Context, id string) (store.Challenge, error)
	FindChallenge(ctx context.Context, credentialID string) (store.Challenge, error)
	UpdateChallengeState(ctx context.Context, id string, expectedVersion int64, state []byte) (int64, error)
	DeleteChallenge(ctx context.Context, id string) error
	DeleteCredentialChallenges(ctx context.Context, credentialID string) error

	LockoutCounter
	GetLockout(ctx context.Context, key string) (store.Lockout, error)
	ResetAttempts(ctx context.Context, key string) error

	SendStore

	AppendAudit(ctx context.Context, e store.AuditEvent) (store.AuditEvent, error)

	// The verification path of a factor with one credential per user
	// (verify.go): one read and one write.
	LoadVerification(ctx context.Context, userID, factor string) (store.VerificationRecord, error)
	CommitCredentialUse(ctx context.Context, use store.CredentialUse, e store.AuditEvent) (store.AuditEvent, error)
}

// Factor is one configured factor instance, in a plugin or in process.
type Factor interface {
	sdk.Client
	Description() sdk.Description
}

// Factors finds factor instances by name.
type Factors interface {
	Factor(name string) (Factor, bool)
}

// Sealer encrypts factor state at rest.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(blob, aad []byte) ([]byte, error)
	NeedsReseal(blob []byte) bool
}

// Options tune the lifecycle. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// Now is the clock (default time.Now); every factor call gets its value.
	Now func() time.Time
	// NewID returns a new unique id for credentials and challenges (default: random UUIDv4).
	NewID func() string
	// Lockout applies to failed attempts per user across all factors; unset
	// fields take DefaultLockoutPolicy's.
	Lockout LockoutPolicy
	// EnrollmentTTL caps how long a pending enrollment lives (default 10m; a
	// factor may ask for less).
	EnrollmentTTL time.Duration
	// ChallengeTTL is how long a challenge lives (default 5m).
	ChallengeTTL time.Duration
	// SendLimits bound the codes factors that send (SMS) send; unset fields
	// take DefaultSendLimits'.
	SendLimits SendLimits
	// MaxCommitRetries bounds how often a verification that lost a
	// compare-and-swap is tried again on fresh state (default 8).
	MaxCommitRetries int
	// Observer hears of verifications and sent codes (default: none).
	Observer Observer
}

// Observer hears of what the lifecycle did, for metrics (*metrics.Metrics).
// Its methods must be cheap and must not block: they run on the
// verification path.
type Observer interface {
	// Verification reports the result of one verification of factor at
	// door (Meta.Via).
	Verification(factor, door, result string)
	// TextSent reports a code a factor that sends sent.
	TextSent(factor string)
}

// nopObserver is the Observer of a service without one.
type nopObserver struct{}

func (nopObserver) Verification(string, string, string) {}
func (nopObserver) TextSent(string)                     {}

// Service is the MFA lifecycle.
type Service struct {
	store   Store
	factors Factors
	sealer  Sealer
	opts    Options
	log     *slog.Logger
	// attempts counts the verifications in flight per user (admitAttempt).
	attempts *attemptGate
}

// New returns the lifecycle service over its dependencies.
func New(st Store, factors Factors, sealer Sealer, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = uuid.NewString
	}
	opts.Lockout = opts.Lockout.WithDefaults()
	if opts.EnrollmentTTL <= 0 {
		opts.EnrollmentTTL = 10 * time.Minute
	}
	if opts.ChallengeTTL <= 0 {
		opts.ChallengeTTL = 5 * time.Minute
	}
	opts.SendLimits = opts.SendLimits.WithDefaults()
	if opts.MaxCommitRetries <= 0 {
		opts.MaxCommitRetries = 8
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Service{store: st, factors: factors, sealer: sealer, opts: opts, log: opts.Logger, attempts: newAttemptGate()}
}

// Meta says who is acting and from where, for the audit log.
type Meta struct {
	// Actor is who made the request: a user id, or "token:<id>" for an admin token.
	Actor string
	// RemoteAddr is the client's address.
	RemoteAddr string
	// Via names the front door ("api", "scanner", "accounting", ...).
	Via string
	// UserAgent is a short summary of the client's User-Agent ("Firefox on
	// Android"; see httpx.UserAgentSummary), never the whole header.
	UserAgent string
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// FactorsFunc adapts a lookup function to Factors.
type FactorsFunc func(name string) (Factor, bool)

// Factor returns the factor instance called name.
func (f FactorsFunc) Factor(name string) (Factor, bool) { return f(name) }
