// Package store persists the state of the Factorgate MFA host: organisations,
// users, enrolled and pending second-factor credentials, outstanding
// challenges, failed-attempt counters, audit events and personal API tokens.
// It offers atomic operations only; policy (when a counter locks, how long a
// code lives) belongs to its callers.
//
// All persistence goes through the [Store] interface. [SQLStore] implements it
// on top of database/sql for two databases built from one set of embedded
// goose migrations, applied at [Open]:
//
//   - SQLite (the default) through the pure-Go driver modernc.org/sqlite. The
//     database is a single file opened in WAL mode with a busy timeout,
//     foreign keys enforced and every transaction started with BEGIN
//     IMMEDIATE, so writers serialise on the database instead of failing
//     half-way through a read-then-write transaction.
//   - PostgreSQL through pgx (github.com/jackc/pgx/v5/stdlib), selected by a
//     postgres:// or postgresql:// URL.
//
// Conventions shared by every method:
//
//   - Times are stored as BIGINT microseconds since the Unix epoch (UTC). Values
//     read back are in UTC and truncated to the microsecond. A zero
//     [time.Time] in an optional field (LastUsedAt, ExpiresAt) is stored as
//     NULL and read back as the zero time.
//   - Byte fields (sealed credential and challenge state, token hashes) are
//     opaque to the store; it never inspects them.
//   - Audit event ids are assigned by the database (an identity column on
//     PostgreSQL, an AUTOINCREMENT rowid on SQLite) and returned by the
//     append; organisation ids come from a counter table.
//   - Errors are wrapped with the operation that failed; callers test them with
//     errors.Is against [ErrNotFound], [ErrConflict] and [ErrAlreadyExists].
//   - [SQLStore.InTx] runs a function in one transaction carried by the
//     context; every method called with that context joins the transaction.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned (wrapped) by store methods.
var (
	// ErrNotFound reports that the requested row does not exist (or, for
	// scoped lookups, belongs to someone else), or that a row it references
	// does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a lost compare-and-swap: the stored version was not
	// the expected one, or the row is no longer in the expected state.
	ErrConflict = errors.New("version conflict")
	// ErrAlreadyExists reports a uniqueness violation.
	ErrAlreadyExists = errors.New("already exists")
)

// Dialect names returned by [Store.Dialect].
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DefaultOrgName is the name of the organisation created by
// [Store.EnsureDefaultOrg].
const DefaultOrgName = "default"

// Org is an organisation (tenant). Its ID is assigned by the store.
type Org struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// User is an account that can enrol second factors. ID is chosen by the
// caller; Name is unique across the whole store.
type User struct {
	ID           string
	OrgID        int64
	Name         string
	PasswordHash string
	Email        string
	Admin        bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// DisabledAt is when an operator disabled the user (zero: enabled). A
	// disabled user signs in nowhere and their tokens are refused.
	DisabledAt time.Time
}

// Disabled reports whether the user is disabled.
func (u User) Disabled() bool { return !u.DisabledAt.IsZero() }

// CredentialStatus is the lifecycle state of a [Credential].
type CredentialStatus string

// Credential statuses.
const (
	// CredentialPending is an enrolment that has been started but not yet
	// confirmed; it usually carries an ExpiresAt.
	CredentialPending CredentialStatus = "pending"
	// CredentialActive is a confirmed, usable second factor.
	CredentialActive CredentialStatus = "active"
)

// Valid reports whether s is one of the known statuses.
func (s CredentialStatus) Valid() bool {
	return s == CredentialPending || s == CredentialActive
}

// Credential is one enrolled or pending second factor of a user. A user has at
// most one pending and at most one active credential per factor instance
// name, except of a factor with several credentials, whose active
// credentials each carry a Key unique within the factor instance. State holds already-sealed bytes; Version increases by one on every
// write and is the token for compare-and-swap updates.
type Credential struct {
	ID         string
	UserID     string
	Factor     string
	Status     CredentialStatus
	State      []byte
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: does not expire (only meaningful while pending)
	// Key is the public key a factor with several credentials gave an
	// active credential (a WebAuthn credential ID); empty otherwise.
	Key string
	// Name is the name the user gave the credential; may be empty.
	Name string
}

// DiscoverableChallenge is a challenge issued before the user is known (a
// passkey sign-in without a user name).
type DiscoverableChallenge struct {
	ID        string
	Factor    string
	State     []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Challenge is an outstanding challenge, for example a one-time code that was
// sent by SMS and not yet answered. CredentialID may be empty; when set,
// deleting the credential deletes the challenge.
type Challenge struct {
	ID           string
	UserID       string
	CredentialID string
	Factor       string
	State        []byte
	Version      int64
	CreatedAt    time.Time
	ExpiresAt    time.Time // zero: never expires
}

// Lockout is the stored state of one failure counter. Key is opaque to the
// store: the MFA lifecycle counts second-factor attempts under a user id, and
// other callers may keep counters under keys of their own (a user name with a
// client address, say). A counter that was never updated is the zero Lockout
// with Key set. The store only reads and writes counters atomically; when
// they lock and for how long is the caller's policy.
type Lockout struct {
	Key         string
	Failures    int
	LockCount   int
	LockedUntil time.Time // zero: never locked
	UpdatedAt   time.Time
}

// AuditEvent is one entry of the audit log. ID is assigned by the database
// and increases with every append (ids of rolled-back appends are skipped).
type AuditEvent struct {
	ID           int64
	Time         time.Time
	OrgID        int64
	UserID       string
	Actor        string
	Action       string
	Factor       string
	CredentialID string
	Result       string
	RemoteAddr   string
	// UserAgent is a short summary of the client's User-Agent ("Firefox on
	// Android"), never the whole header.
	UserAgent string
	Detail    map[string]string
}

// APIToken is a personal API token. The store keeps only a hash of the secret,
// which is unique.
type APIToken struct {
	ID         string
	UserID     string
	Name       string
	Hash       []byte
	Admin      bool
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: never expires
}

// Store is the persistence interface of the MFA host.
//
// Every method takes a context first. When that context comes from
// [Store.InTx], the method runs inside that transaction.
type Store interface {
	// Dialect returns DialectSQLite or DialectPostgres.
	Dialect() string
	// Ping checks that the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database handle.
	Close() error
	// InTx runs fn in one transaction carried by the context passed to fn. The
	// transaction commits when fn returns nil and rolls back when it returns
	// an error or panics (the panic is propagated). A nested InTx joins the
	// outer transaction.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error

	// EnsureDefaultOrg returns the organisation named DefaultOrgName,
	// creating it on first use. It is idempotent and safe to call
	// concurrently from several processes.
	EnsureDefaultOrg(ctx context.Context) (Org, error)
	// GetOrg returns the organisation with the given id.
	GetOrg(ctx context.Context, id int64) (Org, error)

	// CreateUser inserts u and returns it as stored. Zero CreatedAt and
	// UpdatedAt are set to the current time. ErrAlreadyExists when the id or
	// name is taken; ErrNotFound when the organisation does not exist.
	CreateUser(ctx context.Context, u User) (User, error)
	// GetUser returns the user with the given id.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByName returns the user with the given name.
	GetUserByName(ctx context.Context, name string) (User, error)
	// ListUsers returns up to limit users with an id greater than afterID,
	// ordered by id. A limit <= 0 selects DefaultPageSize.
	ListUsers(ctx context.Context, afterID string, limit int) ([]User, error)
	// UpdateUser overwrites the mutable fields (org, name, password hash,
	// phone, email, admin) of the user u.ID and returns it as stored. A zero
	// UpdatedAt is set to the current time.
	UpdateUser(ctx context.Context, u User) (User, error)

	// PutPendingCredential inserts c as a pending credential with version 1,
	// replacing in the same transaction any earlier pending credential of the
	// same user and factor. It returns the credential as stored.
	PutPendingCredential(ctx context.Context, c Credential) (Credential, error)
	// GetCredential returns the credential with the given id.
	GetCredential(ctx context.Context, id string) (Credential, error)
	// FindCredential returns the user's credential for factor in the given
	// status.
	FindCredential(ctx context.Context, userID, factor string, status CredentialStatus) (Credential, error)
	// ListCredentials returns all credentials of a user, oldest first.
	ListCredentials(ctx context.Context, userID string) ([]Credential, error)
	// ListCredentialsPage returns up to limit credentials of all users with
	// an id greater than afterID, ordered by id. A limit <= 0 selects
	// DefaultPageSize.
	ListCredentialsPage(ctx context.Context, afterID string, limit int) ([]Credential, error)
	// UpdateCredentialState replaces the state of credential id if its
	// version is expectedVersion, and returns the new version. A non-zero
	// lastUsedAt is recorded. ErrConflict (nothing changed) on a version
	// mismatch, ErrNotFound when the credential does not exist.
	UpdateCredentialState(ctx context.Context, id string, expectedVersion int64, state []byte, lastUsedAt time.Time) (int64, error)
	// ActivateCredential turns the pending credential id into the active one,
	// with compare-and-swap on expectedVersion like UpdateCredentialState,
	// storing state and clearing ExpiresAt. When the user already has an
	// active credential for the same factor it is deleted in the same
	// transaction if replaceActive is set; otherwise ErrAlreadyExists is
	// returned and nothing changes. ErrConflict when the credential is not
	// pending; ErrNotFound when it does not exist or expired before now.
	ActivateCredential(ctx context.Context, id string, expectedVersion int64, state []byte, now time.Time, replaceActive bool) (int64, error)
	// ActivateKeyedCredential turns the pending credential id into one more
	// active credential of its user and factor, with compare-and-swap on
	// expectedVersion, storing state and key (and name, unless empty).
	// ErrAlreadyExists when another credential of the factor has the key;
	// otherwise as ActivateCredential.
	ActivateKeyedCredential(ctx context.Context, id string, expectedVersion int64, state []byte, key, name string, now time.Time) (int64, error)
	// ListActiveCredentials returns the user's active credentials of
	// factor, oldest first.
	ListActiveCredentials(ctx context.Context, userID, factor string) ([]Credential, error)
	// FindCredentialByKey returns the active credential of factor with key.
	FindCredentialByKey(ctx context.Context, factor, key string) (Credential, error)
	// DeleteCredential deletes credential id of user userID and its
	// challenges. ErrNotFound when absent or owned by another user.
	DeleteCredential(ctx context.Context, userID, id string) error
	// DeleteExpiredPending deletes pending credentials whose ExpiresAt is not
	// after now and returns how many were deleted.
	DeleteExpiredPending(ctx context.Context, now time.Time) (int64, error)

	// CreateChallenge inserts ch with version 1 and returns it as stored.
	CreateChallenge(ctx context.Context, ch Challenge) (Challenge, error)
	// GetChallenge returns the challenge with the given id, expired or not.
	GetChallenge(ctx context.Context, id string) (Challenge, error)
	// FindChallenge returns the newest challenge of a credential.
	FindChallenge(ctx context.Context, credentialID string) (Challenge, error)
	// DeleteCredentialChallenges deletes every challenge of a credential.
	DeleteCredentialChallenges(ctx context.Context, credentialID string) error
	// FindFactorChallenge returns the user's newest challenge of factor
	// that names no credential (a factor with several credentials).
	FindFactorChallenge(ctx context.Context, userID, factor string) (Challenge, error)
	// DeleteFactorChallenges deletes the user's challenges of factor that
	// name no credential.
	DeleteFactorChallenges(ctx context.Context, userID, factor string) error
	// CreateDiscoverableChallenge inserts ch.
	CreateDiscoverableChallenge(ctx context.Context, ch DiscoverableChallenge) error
	// TakeDiscoverableChallenge returns the challenge id and deletes it, so
	// only one caller ever gets it; ErrNotFound for the others.
	TakeDiscoverableChallenge(ctx context.Context, id string) (DiscoverableChallenge, error)
	// UpdateChallengeState replaces the state of challenge id if its version
	// is expectedVersion and returns the new version (ErrConflict otherwise).
	UpdateChallengeState(ctx context.Context, id string, expectedVersion int64, state []byte) (int64, error)
	// DeleteChallenge deletes the challenge with the given id.
	DeleteChallenge(ctx context.Context, id string) error
	// DeleteExpiredChallenges deletes challenges whose ExpiresAt is not after
	// now and returns how many were deleted.
	DeleteExpiredChallenges(ctx context.Context, now time.Time) (int64, error)

	// UpdateLockout atomically reads the failure counter named key (creating
	// it with zero counts when missing), passes it to fn and stores and
	// returns what fn returns, with Key and UpdatedAt (now; the current time
	// when zero) set by the store. The counter stays locked against
	// concurrent updates, from this host or any other, until the change is
	// stored. fn is called once and must not call the store.
	UpdateLockout(ctx context.Context, key string, now time.Time, fn func(Lockout) Lockout) (Lockout, error)
	// ResetAttempts clears the failure and lock counts of the counter named
	// key. It does not lift a lock that is in force.
	ResetAttempts(ctx context.Context, key string) error
	// GetLockout returns the failure counter named key.
	GetLockout(ctx context.Context, key string) (Lockout, error)

	// ReserveSend atomically holds a send slot and takes one unit of each
	// budget, or takes nothing and returns a *SendRefusedError (wrapping
	// ErrSendRefused) saying when it would succeed. Concurrent reservations
	// from any number of hosts apply one after another.
	ReserveSend(ctx context.Context, r SendReservation) error
	// RefundSend gives back what ReserveSend took for r when nothing was sent.
	RefundSend(ctx context.Context, r SendReservation) error
	// FreeSendSlot frees a held send slot at once (its code was used).
	FreeSendSlot(ctx context.Context, slot string) error
	// DeleteStaleSendLimits deletes the send limit rows that hold nothing
	// at before and returns how many were deleted.
	DeleteStaleSendLimits(ctx context.Context, before time.Time) (int64, error)

	// AppendAudit appends e to the audit log and returns it with the ID the
	// database assigned. A zero Time is set to the current time.
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	// ListAudit returns up to limit events of a user (of every user when
	// userID is empty), newest first. A limit <= 0 selects DefaultPageSize.
	ListAudit(ctx context.Context, userID string, limit int) ([]AuditEvent, error)

	// CreateAPIToken inserts t and returns it as stored. ErrAlreadyExists
	// when the id or hash is taken.
	CreateAPIToken(ctx context.Context, t APIToken) (APIToken, error)
	// GetAPITokenByHash returns the token with the given hash, expired or
	// not; callers check ExpiresAt.
	GetAPITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	// ListAPITokens returns the tokens of a user, oldest first.
	ListAPITokens(ctx context.Context, userID string) ([]APIToken, error)
	// DeleteAPIToken deletes the token with the given id.
	DeleteAPIToken(ctx context.Context, id string) error
	// TouchAPIToken records that the token was used at now (the current time
	// when zero).
	TouchAPIToken(ctx context.Context, id string, now time.Time) error
}

// DefaultPageSize is the page size used by list methods when the caller
// passes a limit <= 0.
const DefaultPageSize = 100

var _ Store = (*SQLStore)(nil)
