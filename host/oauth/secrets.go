package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ory/fosite"
	"golang.org/x/crypto/bcrypt"

	"github.com/factorgate/factorgate/host/auth"
)

// ClientSecretPrefix starts every client secret, so that secret scanners and
// people recognise one.
const ClientSecretPrefix = "fgcs_"

// secretBytes of randomness make a client secret or an mfa_token unguessable.
const secretBytes = 32

// NewClientSecret returns a new random client secret and its bcrypt hash,
// which is all the database keeps. The secret is shown once.
func NewClientSecret() (secret string, hash []byte, err error) {
	secret = ClientSecretPrefix + randomToken(secretBytes)
	hash, err = bcrypt.GenerateFromPassword([]byte(secret), auth.PasswordCost)
	if err != nil {
		return "", nil, fmt.Errorf("hash client secret: %w", err)
	}
	return secret, hash, nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how mfa_tokens and oob codes are stored: SHA-256 suffices for
// 256 random bits.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Cache bounds of the client-secret hasher.
const (
	secretCacheTTL  = 5 * time.Minute
	secretCacheSize = 1024
)

// secretHasher is fosite's client-secret hasher: bcrypt, with a short-lived
// memory of successful checks. Every token request, introspection and
// revocation authenticates its client, and a bcrypt check costs a few hundred
// milliseconds by design; a resource server introspecting on every request
// would be throttled by it. The memory keys an HMAC, under a per-process
// random key, of the stored hash and the presented secret, so it holds
// nothing that reveals a secret, and a changed secret or hash misses it.
// Failed checks are never remembered.
type secretHasher struct {
	key [32]byte
	now func() time.Time

	mu sync.Mutex
	ok map[[sha256.Size]byte]time.Time
}

var _ fosite.Hasher = (*secretHasher)(nil)

func newSecretHasher(now func() time.Time) *secretHasher {
	h := &secretHasher{now: now, ok: map[[sha256.Size]byte]time.Time{}}
	if _, err := rand.Read(h.key[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return h
}

func (h *secretHasher) digest(hash, secret []byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, h.key[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(hash)))
	m.Write(n[:])
	m.Write(hash)
	m.Write(secret)
	var out [sha256.Size]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Compare checks secret against the bcrypt hash.
func (h *secretHasher) Compare(_ context.Context, hash, secret []byte) error {
	if len(hash) == 0 {
		return errors.New("client has no secret")
	}
	d := h.digest(hash, secret)
	now := h.now()
	h.mu.Lock()
	exp, hit := h.ok[d]
	h.mu.Unlock()
	if hit && now.Before(exp) {
		return nil
	}
	if err := bcrypt.CompareHashAndPassword(hash, secret); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.ok) >= secretCacheSize {
		for k, e := range h.ok {
			if !now.Before(e) || len(h.ok) >= secretCacheSize {
				delete(h.ok, k)
			}
		}
	}
	h.ok[d] = now.Add(secretCacheTTL)
	return nil
}

// Hash returns the bcrypt hash of secret.
func (h *secretHasher) Hash(_ context.Context, secret []byte) ([]byte, error) {
	return bcrypt.GenerateFromPassword(secret, auth.PasswordCost)
}
