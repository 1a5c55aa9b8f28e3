package seal

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeySize is the length in bytes of a seal key (AES-256).
const KeySize = 32

// MaxKeyIDLen is the maximum length of a key id.
const MaxKeyIDLen = 32

// redacted replaces key material wherever a Key or Sealer is printed.
const redacted = "REDACTED"

// Key is one AES-256 key together with the id stored in the header of every
// blob it seals. ID is 1 to 32 characters from [A-Za-z0-9_-]; Secret is 32
// bytes.
//
// Key prints as redacted through fmt (every verb) and log/slog, so logging a
// Key never reveals Secret.
type Key struct {
	ID     string
	Secret []byte
}

// String returns a redacted description of k.
func (k Key) String() string {
	return "Key{ID:" + k.ID + " Secret:" + redacted + "}"
}

// GoString returns a redacted description of k for the %#v verb.
func (k Key) GoString() string {
	return fmt.Sprintf("seal.Key{ID:%q, Secret:%s}", k.ID, redacted)
}

// Format implements fmt.Formatter so that no verb (%x, %d, %+v, ...) prints
// the secret.
func (k Key) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, k.GoString())
		return
	}
	_, _ = io.WriteString(f, k.String())
}

// LogValue implements slog.LogValuer: only the key id is logged.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", k.ID),
		slog.String("secret", redacted),
	)
}

// ValidKeyID reports whether id is a well-formed key id: 1 to 32 characters
// from [A-Za-z0-9_-].
func ValidKeyID(id string) bool {
	if len(id) == 0 || len(id) > MaxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// keyIDRule is the human-readable form of ValidKeyID for error messages.
const keyIDRule = "must be 1-32 characters from [A-Za-z0-9_-]"

// GenerateKey returns a new key with the given id and a secret read from
// random (crypto/rand when random is nil).
func GenerateKey(id string, random io.Reader) (Key, error) {
	if !ValidKeyID(id) {
		return Key{}, fmt.Errorf("seal: invalid key id %q: %s", id, keyIDRule)
	}
	if random == nil {
		random = rand.Reader
	}
	secret := make([]byte, KeySize)
	if _, err := io.ReadFull(random, secret); err != nil {
		return Key{}, fmt.Errorf("seal: generating key %q: %w", id, err)
	}
	return Key{ID: id, Secret: secret}, nil
}

// FormatKeys renders keys in the FACTORGATE_SEAL_KEYS format understood by
// [ParseKeys]: comma-separated id:base64 entries, the first being the active
// key. The result contains the key material; treat it as a secret.
func FormatKeys(keys ...Key) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k.ID)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(k.Secret))
	}
	return b.String()
}

// ParseKeys builds a Sealer from the FACTORGATE_SEAL_KEYS format:
// comma-separated entries of the form id:base64key, where the key is standard
// or URL-safe base64 (padded or not) of exactly 32 bytes. The first entry is
// the active key; the others only open blobs they sealed earlier. Whitespace
// around entries is ignored.
//
// Errors name the offending entry by position (and by id when the id is
// well-formed) but never include key material.
func ParseKeys(s string) (*Sealer, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("seal: no keys configured (want id:base64key[,id:base64key...])")
	}
	entries := strings.Split(s, ",")
	keys := make([]Key, 0, len(entries))
	seen := make(map[string]int, len(entries))
	for i, entry := range entries {
		n := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("seal: key entry %d is empty", n)
		}
		id, enc, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("seal: key entry %d: missing ':' between key id and key", n)
		}
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !ValidKeyID(id) {
			// The id is not echoed: a malformed id may be key material
			// written in the wrong place.
			return nil, fmt.Errorf("seal: key entry %d: invalid key id (%d characters): %s", n, len(id), keyIDRule)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("seal: key entry %d: duplicate key id %q (also entry %d)", n, id, prev)
		}
		seen[id] = n
		if enc == "" {
			return nil, fmt.Errorf("seal: key entry %d (id %q): key is empty", n, id)
		}
		secret, ok := decodeBase64(enc)
		if !ok {
			return nil, fmt.Errorf("seal: key entry %d (id %q): key is not valid base64 (standard or URL alphabet)", n, id)
		}
		if len(secret) != KeySize {
			l := len(secret)
			clear(secret)
			return nil, fmt.Errorf("seal: key entry %d (id %q): key decodes to %d bytes, want %d", n, id, l, KeySize)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	sealer, err := New(keys[0], keys[1:]...)
	for _, k := range keys {
		clear(k.Secret) // New keeps its own cipher state
	}
	return sealer, err
}

// decodeBase64 accepts standard and URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
