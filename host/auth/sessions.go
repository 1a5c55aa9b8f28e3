package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// ErrBadSession reports a missing, unknown or expired session cookie, and
// ErrBadCSRF a request whose CSRF token does not belong to its session.
var (
	ErrBadSession = errors.New("invalid or expired session")
	ErrBadCSRF    = errors.New("missing or invalid CSRF token")
)

// SessionStore is what sessions need from persistence.
type SessionStore interface {
	CreateSession(ctx context.Context, s store.Session) (store.Session, error)
	GetSession(ctx context.Context, hash []byte) (store.Session, error)
	UpdateSessionAuth(ctx context.Context, hash []byte, amr []string, authTime time.Time) error
	TouchSession(ctx context.Context, hash []byte, now, expiresAt time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error
	GetUser(ctx context.Context, id string) (store.User, error)
}

// Sessions issues and checks browser login sessions. The cookie holds 256
// random bits; the database keeps their SHA-256. The CSRF token of a session is
// an HMAC of its secret, so it needs no storage and is useless without the
// cookie it belongs to.
type Sessions struct {
	store SessionStore
	// TTL is the idle lifetime, extended on use up to MaxAge after creation.
	TTL    time.Duration
	MaxAge time.Duration
	now    func() time.Time
}

// NewSessions returns the session service; now may be nil for time.Now.
func NewSessions(st SessionStore, ttl, maxAge time.Duration, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{store: st, TTL: ttl, MaxAge: maxAge, now: now}
}

// Session is an authenticated browser session.
type Session struct {
	Principal
	// Secret is the cookie value; CSRFToken derives from it.
	Secret   string
	AMR      []string
	AuthTime time.Time
	hash     []byte
}

// CSRFToken returns the token a state-changing request of this session must carry.
func (s Session) CSRFToken() string { return CSRFToken(s.Secret) }

// CSRFToken derives the CSRF token of the session whose cookie is secret.
func CSRFToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("factorgate csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether token is the CSRF token of the session secret, in
// constant time.
func CheckCSRF(secret, token string) bool {
	return token != "" && hmac.Equal([]byte(CSRFToken(secret)), []byte(token))
}

// Create starts a session for the user with the methods proven so far.
func (s *Sessions) Create(ctx context.Context, user store.User, amr []string, authTime time.Time) (Session, error) {
	secret := randomString(tokenBytes)
	now := s.now().UTC()
	if authTime.IsZero() {
		authTime = now
	}
	se, err := s.store.CreateSession(ctx, store.Session{
		Hash: HashToken(secret), UserID: user.ID, AMR: amr, AuthTime: authTime,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.TTL),
	})
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return Session{Principal: Principal{User: user}, Secret: secret, AMR: se.AMR, AuthTime: se.AuthTime, hash: se.Hash}, nil
}

// Authenticate resolves a cookie value to its live session and extends it.
func (s *Sessions) Authenticate(ctx context.Context, secret string) (Session, error) {
	if secret == "" || len(secret) > 256 {
		return Session{}, ErrBadSession
	}
	hash := HashToken(secret)
	se, err := s.store.GetSession(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrBadSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up session: %w", err)
	}
	now := s.now().UTC()
	if !now.Before(se.ExpiresAt) || (s.MaxAge > 0 && now.Sub(se.CreatedAt) >= s.MaxAge) {
		return Session{}, ErrBadSession
	}
	user, err := s.store.GetUser(ctx, se.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && user.Disabled()) {
		return Session{}, ErrBadSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("look up session user: %w", err)
	}
	if now.Sub(se.LastSeenAt) > time.Minute {
		expires := now.Add(s.TTL)
		if s.MaxAge > 0 && expires.After(se.CreatedAt.Add(s.MaxAge)) {
			expires = se.CreatedAt.Add(s.MaxAge)
		}
		_ = s.store.TouchSession(ctx, hash, now, expires) // bookkeeping; the session stands either way
	}
	return Session{Principal: Principal{User: user}, Secret: secret, AMR: se.AMR, AuthTime: se.AuthTime, hash: hash}, nil
}

// AddMethods records methods proven in the session (a second factor) at t.
func (s *Sessions) AddMethods(ctx context.Context, se *Session, t time.Time, amr ...string) error {
	merged := append([]string(nil), se.AMR...)
	for _, m := range amr {
		if !slices.Contains(merged, m) {
			merged = append(merged, m)
		}
	}
	if err := s.store.UpdateSessionAuth(ctx, se.hash, merged, t); err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	se.AMR, se.AuthTime = merged, t.UTC()
	return nil
}

// Destroy ends the session.
func (s *Sessions) Destroy(ctx context.Context, se Session) error {
	if err := s.store.DeleteSession(ctx, se.hash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Cookie returns the session cookie: HttpOnly, SameSite=Lax, Secure when the
// public URL is https, scoped to path.
func Cookie(name, value, path string, secure bool, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: path,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
		MaxAge: int(maxAge / time.Second),
	}
}

// ExpiredCookie clears the cookie called name.
func ExpiredCookie(name, path string, secure bool) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: path, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: -1}
}

// SecureCookies reports whether cookies for publicURL must be Secure.
func SecureCookies(publicURL string) bool { return strings.HasPrefix(publicURL, "https://") }
