package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// APIKeyPrefix starts every operator API key, so secret scanners and people
// recognise one and tell it from a personal token.
const APIKeyPrefix = "fgk_"

// Errors of API keys.
var (
	ErrBadAPIKey       = errors.New("invalid or revoked API key")
	ErrAPIKeyName      = errors.New("API key names are 1 to 64 letters, digits and . _ @ -")
	ErrAPIKeyNameTaken = errors.New("a live API key with this name exists")
	ErrNoAPIKey        = errors.New("no live API key with this id or name")
	ErrAPIKeyRevoked   = errors.New("the API key is already revoked")
)

var apiKeyName = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// APIKeyStore is what operator API keys need from persistence.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k store.APIKey) (store.APIKey, error)
	GetAPIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error)
	ListAPIKeys(ctx context.Context) ([]store.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, now time.Time) error
	TouchAPIKey(ctx context.Context, id string, now time.Time) error
}

var _ APIKeyStore = (*store.SQLStore)(nil)

// APIKeys issues and checks operator API keys: random secrets an operator
// hands to an application (a security scanner) that calls the documented
// endpoints on behalf of its users. A key says which application calls, never
// which user; the user comes from their own token. Like personal tokens, a
// key carries 256 random bits and only its SHA-256 is stored.
type APIKeys struct {
	store APIKeyStore
	now   func() time.Time
	newID func() string
}

// NewAPIKeys returns the API key service. now and newID may be nil for the defaults.
func NewAPIKeys(st APIKeyStore, now func() time.Time, newID func() string) *APIKeys {
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = newRecordID
	}
	return &APIKeys{store: st, now: now, newID: newID}
}

// Create issues a key called name and returns its secret, which is shown once
// and never stored.
func (k *APIKeys) Create(ctx context.Context, name string) (secret string, key store.APIKey, err error) {
	if !apiKeyName.MatchString(name) {
		return "", store.APIKey{}, fmt.Errorf("API key name %q: %w", name, ErrAPIKeyName)
	}
	secret = APIKeyPrefix + randomString(tokenBytes)
	key, err = k.store.CreateAPIKey(ctx, store.APIKey{ID: k.newID(), Name: name, Hash: HashToken(secret), CreatedAt: k.now().UTC()})
	if errors.Is(err, store.ErrAlreadyExists) {
		return "", store.APIKey{}, fmt.Errorf("API key %q: %w", name, ErrAPIKeyNameTaken)
	}
	if err != nil {
		return "", store.APIKey{}, fmt.Errorf("create API key: %w", err)
	}
	return secret, key, nil
}

// Check reports whether secret is a live API key: nil, ErrBadAPIKey for a
// key that is malformed, unknown or revoked, or another error when the check
// itself failed.
func (k *APIKeys) Check(ctx context.Context, secret string) error {
	_, err := k.Authenticate(ctx, secret)
	return err
}

// Authenticate resolves secret to its live API key.
func (k *APIKeys) Authenticate(ctx context.Context, secret string) (store.APIKey, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) > 256 {
		return store.APIKey{}, ErrBadAPIKey
	}
	// The lookup is by hash, so its timing says nothing about the secret.
	key, err := k.store.GetAPIKeyByHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, ErrBadAPIKey
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("look up API key: %w", err)
	}
	if key.Revoked() {
		return store.APIKey{}, ErrBadAPIKey
	}
	// Recording last use is bookkeeping; a failure must not refuse the caller.
	now := k.now()
	if now.Sub(key.LastUsedAt) > time.Minute {
		_ = k.store.TouchAPIKey(ctx, key.ID, now.UTC())
	}
	return key, nil
}

// List returns every key, revoked ones included, oldest first.
func (k *APIKeys) List(ctx context.Context) ([]store.APIKey, error) {
	keys, err := k.store.ListAPIKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes the live key whose id or name is idOrName and returns it.
// An id wins over a name, so a key is always reachable by its id.
func (k *APIKeys) Revoke(ctx context.Context, idOrName string) (store.APIKey, error) {
	keys, err := k.List(ctx)
	if err != nil {
		return store.APIKey{}, err
	}
	var found *store.APIKey
	for i := range keys {
		if keys[i].ID == idOrName {
			found = &keys[i]
			break
		}
		if keys[i].Name == idOrName && !keys[i].Revoked() && found == nil {
			found = &keys[i]
		}
	}
	if found == nil {
		return store.APIKey{}, fmt.Errorf("API key %q: %w", idOrName, ErrNoAPIKey)
	}
	now := k.now().UTC().Truncate(time.Microsecond) // as the store keeps it
	err = k.store.RevokeAPIKey(ctx, found.ID, now)
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.APIKey{}, fmt.Errorf("API key %q: %w", found.ID, ErrAPIKeyRevoked)
	case errors.Is(err, store.ErrNotFound):
		return store.APIKey{}, fmt.Errorf("API key %q: %w", idOrName, ErrNoAPIKey)
	case err != nil:
		return store.APIKey{}, fmt.Errorf("revoke API key: %w", err)
	}
	found.RevokedAt = now
	return *found, nil
}
