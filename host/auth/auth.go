// Package auth says who is calling the host: personal API tokens (random,
// shown once, stored as a SHA-256 hash) presented as `Authorization: Bearer`.
// A caller may act on itself; acting on another user needs an admin token.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/internal/reqlog"
	"github.com/factorgate/factorgate/host/store"
)

// TokenPrefix starts every personal API token, so secret scanners and people
// recognise one.
const TokenPrefix = "fgp_"

// tokenBytes of randomness make a token unguessable (256 bits).
const tokenBytes = 32

// Errors of authentication.
var (
	ErrNoCredentials = errors.New("no credentials")
	ErrBadToken      = errors.New("invalid or expired token")
	ErrForbidden     = errors.New("not allowed to act on this user")
)

// Store is what authentication needs from persistence.
type Store interface {
	CreateAPIToken(ctx context.Context, t store.APIToken) (store.APIToken, error)
	// GetAPITokenWithUser returns the token with the hash and its user, in
	// one read: every authenticated request makes it.
	GetAPITokenWithUser(ctx context.Context, hash []byte) (store.APIToken, store.User, error)
	TouchAPIToken(ctx context.Context, id string, now time.Time) error
}

// Principal is an authenticated caller.
type Principal struct {
	User    store.User
	TokenID string
	// Admin callers may act on any user.
	Admin bool
}

// CanActOn reports whether the principal may act on the user with id userID.
func (p Principal) CanActOn(userID string) bool {
	return p.Admin || p.User.ID == userID
}

// Actor names the principal in audit records.
func (p Principal) Actor() string {
	if p.TokenID != "" {
		return "token:" + p.TokenID
	}
	return p.User.ID
}

// Tokens issues and checks personal API tokens.
type Tokens struct {
	store Store
	now   func() time.Time
	newID func() string
}

// NewTokens returns the token service. now and newID may be nil for the defaults.
func NewTokens(st Store, now func() time.Time, newID func() string) *Tokens {
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = newRecordID
	}
	return &Tokens{store: st, now: now, newID: newID}
}

// Create issues a token for the user and returns the secret, which is shown
// once and never stored.
func (t *Tokens) Create(ctx context.Context, userID, name string, admin bool, ttl time.Duration) (secret string, tok store.APIToken, err error) {
	secret = TokenPrefix + randomString(tokenBytes)
	tok = store.APIToken{ID: t.newID(), UserID: userID, Name: name, Hash: HashToken(secret), Admin: admin, CreatedAt: t.now().UTC()}
	if ttl > 0 {
		tok.ExpiresAt = tok.CreatedAt.Add(ttl)
	}
	tok, err = t.store.CreateAPIToken(ctx, tok)
	if err != nil {
		return "", store.APIToken{}, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

// Authenticate resolves a token secret to its principal.
func (t *Tokens) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 256 {
		return Principal{}, ErrBadToken
	}
	// The lookup is by hash, so its timing says nothing about the secret.
	tok, user, err := t.store.GetAPITokenWithUser(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	now := t.now()
	if (!tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt)) || user.Disabled() {
		return Principal{}, ErrBadToken
	}
	// Recording last use is bookkeeping; a failure must not refuse the caller.
	if now.Sub(tok.LastUsedAt) > time.Minute {
		_ = t.store.TouchAPIToken(ctx, tok.ID, now.UTC())
	}
	return Principal{User: user, TokenID: tok.ID, Admin: tok.Admin}, nil
}

// BearerToken returns the token of an `Authorization: Bearer` header.
func BearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", ErrNoCredentials
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", ErrBadToken
	}
	return strings.TrimSpace(token), nil
}

// HashToken is how a token is stored: SHA-256 suffices because the token
// carries 256 random bits, so there is nothing to brute-force from a dump.
func HashToken(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// newRecordID returns the id of a new token or API key: 96 random bits in
// hex, so that an id never starts with a dash and reads as an argument, not
// a flag, on the command line (`tokens revoke ID`).
func newRecordID() string { return hex.EncodeToString(randomBytes(12)) }

func randomString(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return b
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, and names its user in the request's
// access log line.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	reqlog.SetUser(ctx, p.User.ID)
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of an authenticated request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
