package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// Signing algorithms. Both keys exist from the first start and are published;
// Deps.SigningAlg picks the one that signs.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	// algHMAC names the secret behind opaque tokens and codes.
	algHMAC = "HS512"
)

// CheckIDTokenAlg reports whether alg may be registered as a client's
// id_token_signed_response_alg; empty takes the provider's default.
func CheckIDTokenAlg(alg string) error {
	switch alg {
	case "", AlgRS256, AlgES256:
		return nil
	}
	return fmt.Errorf("ID token signing algorithm %q: use %s or %s", alg, AlgRS256, AlgES256)
}

// rsaBits is the size of generated RSA keys.
const rsaBits = 2048

// hmacSecretBytes is the size of the opaque-token secret (fosite needs 32+).
const hmacSecretBytes = 32

// keyReload is how often a host re-reads the keys, so that a rotation made
// by another process (the CLI, another host) is picked up.
const keyReload = time.Minute

// KeyStore is the persistence of token keys (*store.SQLStore).
type KeyStore interface {
	store.OAuthKeyStore
}

// Keyring holds the provider's token keys: an RS256 and an ES256 signing key
// and the secret behind opaque tokens, generated at first start, stored sealed
// in the database and shared by every host. It is safe for concurrent use.
type Keyring struct {
	store     KeyStore
	sealer    Sealer
	alg       string
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger

	// reloadMu serialises loads; mu guards the loaded keys.
	reloadMu sync.Mutex
	mu       sync.RWMutex
	loadedAt time.Time
	active   map[string]*jose.JSONWebKey // by algorithm, private
	verify   map[string]*jose.JSONWebKey // by kid, private, active and retired
	hmac     []byte
}

// NewKeyring returns the keyring over st. alg is the algorithm that signs
// (AlgRS256 or AlgES256); a retired key stays published for retention, which
// must cover the lifetime of the tokens it signed. now and log may be nil.
func NewKeyring(st KeyStore, sealer Sealer, alg string, retention time.Duration, now func() time.Time, log *slog.Logger) (*Keyring, error) {
	if alg != AlgRS256 && alg != AlgES256 {
		return nil, fmt.Errorf("oauth: signing algorithm %q: use %s or %s", alg, AlgRS256, AlgES256)
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Keyring{store: st, sealer: sealer, alg: alg, retention: retention, now: now, log: log}, nil
}

// keyAAD binds a sealed key to its id, so a key cannot be swapped for another.
func keyAAD(id string) []byte { return seal.AAD("oauth-key", id) }

// Ensure loads the keys and generates any that is missing. Hosts starting at
// once agree on one key of each kind: the database keeps only one active key
// per kind, and a host whose insert loses reads the winner's.
func (k *Keyring) Ensure(ctx context.Context) error {
	if err := k.load(ctx); err != nil {
		return err
	}
	for _, want := range []struct{ purpose, alg string }{
		{store.KeyPurposeSigning, AlgRS256}, {store.KeyPurposeSigning, AlgES256}, {store.KeyPurposeHMAC, algHMAC},
	} {
		if k.hasActive(want.purpose, want.alg) {
			continue
		}
		key, err := k.generate(want.purpose, want.alg)
		if err != nil {
			return err
		}
		if _, err := k.store.PutOAuthKey(ctx, key, false, time.Time{}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("oauth: store %s key: %w", want.alg, err)
		}
		k.log.InfoContext(ctx, "oauth: generated token key", "purpose", want.purpose, "alg", want.alg)
	}
	return k.load(ctx)
}

// Rotate adds a new active signing key for each algorithm. The keys it
// replaces stay published until the tokens they signed have expired, and the
// janitor deletes them after that. It returns the new key ids.
func (k *Keyring) Rotate(ctx context.Context) ([]string, error) {
	var ids []string
	for _, alg := range []string{AlgRS256, AlgES256} {
		key, err := k.generate(store.KeyPurposeSigning, alg)
		if err != nil {
			return ids, err
		}
		if _, err := k.store.PutOAuthKey(ctx, key, true, key.CreatedAt.Add(k.retention)); err != nil {
			return ids, fmt.Errorf("oauth: rotate %s key: %w", alg, err)
		}
		ids = append(ids, key.ID)
	}
	return ids, k.load(ctx)
}

func (k *Keyring) hasActive(purpose, alg string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if purpose == store.KeyPurposeHMAC {
		return len(k.hmac) > 0
	}
	return k.active[alg] != nil
}

// generate makes a new key, sealed for storage. A signing key's id is its
// RFC 7638 thumbprint.
func (k *Keyring) generate(purpose, alg string) (store.OAuthKey, error) {
	var (
		der []byte
		id  string
		err error
	)
	switch alg {
	case AlgRS256, AlgES256:
		var priv crypto.Signer
		if alg == AlgRS256 {
			priv, err = rsa.GenerateKey(rand.Reader, rsaBits)
		} else {
			priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return store.OAuthKey{}, fmt.Errorf("oauth: generate %s key: %w", alg, err)
		}
		if der, err = x509.MarshalPKCS8PrivateKey(priv); err != nil {
			return store.OAuthKey{}, fmt.Errorf("oauth: encode %s key: %w", alg, err)
		}
		tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return store.OAuthKey{}, fmt.Errorf("oauth: thumbprint %s key: %w", alg, err)
		}
		id = base64.RawURLEncoding.EncodeToString(tp)
	case algHMAC:
		der = make([]byte, hmacSecretBytes)
		if _, err := rand.Read(der); err != nil {
			return store.OAuthKey{}, fmt.Errorf("oauth: generate token secret: %w", err)
		}
		id = "hmac-" + randomToken(12)
	default:
		return store.OAuthKey{}, fmt.Errorf("oauth: unknown key algorithm %q", alg)
	}
	sealed, err := k.sealer.Seal(der, keyAAD(id))
	if err != nil {
		return store.OAuthKey{}, fmt.Errorf("oauth: seal %s key: %w", alg, err)
	}
	return store.OAuthKey{ID: id, Purpose: purpose, Alg: alg, Private: sealed, CreatedAt: k.now().UTC()}, nil
}

// load reads every key that has not expired.
func (k *Keyring) load(ctx context.Context) error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	keys, err := k.store.ListOAuthKeys(ctx)
	if err != nil {
		return fmt.Errorf("oauth: load keys: %w", err)
	}
	now := k.now()
	active := map[string]*jose.JSONWebKey{}
	verify := map[string]*jose.JSONWebKey{}
	var secret []byte
	for _, key := range keys {
		if !key.Active() && !key.ExpiresAt.IsZero() && !now.Before(key.ExpiresAt) {
			continue
		}
		der, err := k.sealer.Open(key.Private, keyAAD(key.ID))
		if err != nil {
			return fmt.Errorf("oauth: open key %s: %w", key.ID, err)
		}
		if key.Purpose == store.KeyPurposeHMAC {
			if key.Active() {
				secret = der
			}
			continue
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("oauth: parse key %s: %w", key.ID, err)
		}
		jwk := &jose.JSONWebKey{Key: priv, KeyID: key.ID, Algorithm: key.Alg, Use: "sig"}
		verify[key.ID] = jwk
		if key.Active() {
			active[key.Alg] = jwk
		}
	}
	k.mu.Lock()
	k.active, k.verify, k.hmac, k.loadedAt = active, verify, secret, now
	k.mu.Unlock()
	return nil
}

// fresh reloads the keys when they are older than keyReload. A failed reload
// keeps the keys already loaded: tokens keep being issued and checked.
func (k *Keyring) fresh(ctx context.Context) {
	k.mu.RLock()
	stale := k.now().Sub(k.loadedAt) > keyReload
	k.mu.RUnlock()
	if stale {
		if err := k.load(ctx); err != nil {
			k.log.WarnContext(ctx, "oauth: reload keys", "error", err)
		}
	}
}

// signingKey returns the active key of alg (empty: the configured one).
func (k *Keyring) signingKey(ctx context.Context, alg string) (*jose.JSONWebKey, error) {
	if alg == "" {
		alg = k.alg
	}
	k.fresh(ctx)
	k.mu.RLock()
	defer k.mu.RUnlock()
	if key := k.active[alg]; key != nil {
		return key, nil
	}
	return nil, fmt.Errorf("oauth: no active %s signing key", alg)
}

// verificationKey returns the public key with id kid. An unknown id triggers
// one reload, for a key another host has just rotated in.
func (k *Keyring) verificationKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	k.fresh(ctx)
	for attempt := 0; ; attempt++ {
		k.mu.RLock()
		key := k.verify[kid]
		recent := k.now().Sub(k.loadedAt) < time.Second
		k.mu.RUnlock()
		if key != nil {
			pub := key.Public()
			return &pub, nil
		}
		if attempt > 0 || recent {
			return nil, fmt.Errorf("oauth: unknown signing key %q", kid)
		}
		if err := k.load(ctx); err != nil {
			return nil, err
		}
	}
}

// hmacSecret returns the secret behind opaque tokens.
func (k *Keyring) hmacSecret() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Clone(k.hmac)
}

// JWKS returns the public signing keys, the active ones first.
func (k *Keyring) JWKS(ctx context.Context) jose.JSONWebKeySet {
	k.fresh(ctx)
	k.mu.RLock()
	defer k.mu.RUnlock()
	var set jose.JSONWebKeySet
	for _, alg := range []string{k.alg, AlgRS256, AlgES256} {
		if key := k.active[alg]; key != nil && !slices.ContainsFunc(set.Keys, func(j jose.JSONWebKey) bool { return j.KeyID == key.KeyID }) {
			set.Keys = append(set.Keys, key.Public())
		}
	}
	ids := make([]string, 0, len(k.verify))
	for id := range k.verify {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if !slices.ContainsFunc(set.Keys, func(j jose.JSONWebKey) bool { return j.KeyID == id }) {
			set.Keys = append(set.Keys, k.verify[id].Public())
		}
	}
	return set
}

// signer signs and checks JWTs with the keyring: it signs with the active key
// of its algorithm (empty: the configured one) and puts its id in the kid
// header, and verifies with whichever published key the kid names, so tokens
// signed before a rotation stay valid.
type signer struct {
	keys *Keyring
	alg  string
}

var _ jwt.Signer = signer{}

// Generate signs claims with the active key.
func (s signer) Generate(ctx context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	key, err := s.keys.signingKey(ctx, s.alg)
	if err != nil {
		return "", "", err
	}
	if claims == nil {
		return "", "", errors.New("oauth: sign: no claims")
	}
	tok := jwt.NewWithClaims(jose.SignatureAlgorithm(key.Algorithm), claims)
	if header != nil {
		tok.Header = header.ToMap()
	}
	tok.Header["kid"] = key.KeyID
	raw, err := tok.SignedString(key)
	if err != nil {
		return "", "", fmt.Errorf("oauth: sign: %w", err)
	}
	sig, err := s.GetSignature(ctx, raw)
	return raw, sig, err
}

// Decode parses and verifies token with the key its kid names, and checks
// its time claims.
func (s signer) Decode(ctx context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, err := s.keys.verificationKey(ctx, kid)
		if err != nil {
			return nil, err
		}
		if alg, _ := t.Header["alg"].(string); alg != key.Algorithm {
			return nil, fmt.Errorf("oauth: token algorithm %q does not match key %s", alg, kid)
		}
		return key.Key, nil
	})
}

// Validate verifies token and returns its signature.
func (s signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// GetSignature returns the signature part of a JWT.
func (s signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[2] == "" {
		return "", errors.New("oauth: not a signed JWT")
	}
	return parts[2], nil
}

// Hash is SHA-256, which both RS256 and ES256 use (at_hash, c_hash).
func (s signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	sum := sha256.Sum256(in)
	return sum[:], nil
}

// GetSigningMethodLength is the size of the hash of both algorithms.
func (s signer) GetSigningMethodLength(context.Context) int { return sha256.Size }

// ResealKeys re-seals every stored token key that is sealed under a key other
// than the sealer's active one, as part of a rotation of the sealing keys
// (`factorgate keys rotate`). It returns how many it re-sealed.
func ResealKeys(ctx context.Context, st KeyStore, sealer interface {
	Sealer
	NeedsReseal(blob []byte) bool
}) (int, error) {
	keys, err := st.ListOAuthKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("reseal oauth keys: %w", err)
	}
	n := 0
	for _, key := range keys {
		if !sealer.NeedsReseal(key.Private) {
			continue
		}
		der, err := sealer.Open(key.Private, keyAAD(key.ID))
		if err != nil {
			return n, fmt.Errorf("reseal oauth key %s: %w", key.ID, err)
		}
		blob, err := sealer.Seal(der, keyAAD(key.ID))
		if err != nil {
			return n, fmt.Errorf("reseal oauth key %s: %w", key.ID, err)
		}
		if err := st.ResealOAuthKey(ctx, key.ID, key.Private, blob); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
