package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// Blob layout constants.
const (
	// version1 is the only blob format version so far.
	version1 byte = 1

	// NonceSize is the length of the random GCM nonce in a blob (96 bits).
	NonceSize = 12

	// tagSize is the length of the GCM authentication tag.
	tagSize = 16
)

// ErrOpen is returned (wrapped) by [Sealer.Open] and [KeyID] for any blob that
// cannot be opened: truncated or malformed, an unsupported version, an
// unknown key id, or a failed authentication (tampering, wrong key or wrong
// associated data). Test with errors.Is.
var ErrOpen = errors.New("seal: cannot open sealed data")

// ErrUnknownKey is returned (wrapped, together with [ErrOpen]) by
// [Sealer.Open] when a blob names a key id the Sealer does not hold.
var ErrUnknownKey = errors.New("seal: unknown key id")

// openError is the error returned for blobs that do not open. It matches
// ErrOpen, and ErrUnknownKey when unknownKey is set.
type openError struct {
	reason     string
	unknownKey bool
}

func (e *openError) Error() string { return "seal: cannot open sealed data: " + e.reason }

func (e *openError) Unwrap() []error {
	if e.unknownKey {
		return []error{ErrOpen, ErrUnknownKey}
	}
	return []error{ErrOpen}
}

func openErr(format string, args ...any) error {
	return &openError{reason: fmt.Sprintf(format, args...)}
}

// Sealer seals and opens factor state with AES-256-GCM. It holds exactly one
// active key, used by every Seal, and optionally older keys that Open still
// accepts. A Sealer is safe for concurrent use; create one with [New] or
// [ParseKeys].
//
// A Sealer keeps no raw key bytes after construction and prints as redacted.
type Sealer struct {
	active string
	ids    []string // active first, then older keys in configuration order
	aeads  map[string]cipher.AEAD
	// derive is the HKDF pseudorandom key of the active key, the root of
	// DeriveKey's keys; the active key itself is not kept.
	derive []byte

	// random supplies nonces. When it is not crypto/rand it is read under
	// mu, because an arbitrary io.Reader need not be safe for concurrent use.
	random io.Reader
	mu     *sync.Mutex
}

// New returns a Sealer whose active key is active and which also opens blobs
// sealed with any of older. Key ids must be valid (see [ValidKeyID]) and
// distinct, and every secret must be 32 bytes. The secrets are not retained:
// callers may clear them once New returns.
func New(active Key, older ...Key) (*Sealer, error) {
	s := &Sealer{
		active: active.ID,
		ids:    make([]string, 0, 1+len(older)),
		aeads:  make(map[string]cipher.AEAD, 1+len(older)),
		random: rand.Reader,
	}
	if len(active.Secret) == KeySize {
		s.derive = deriveRoot(active.Secret)
	}
	for _, k := range append([]Key{active}, older...) {
		if !ValidKeyID(k.ID) {
			return nil, fmt.Errorf("seal: invalid key id (%d characters): %s", len(k.ID), keyIDRule)
		}
		if _, dup := s.aeads[k.ID]; dup {
			return nil, fmt.Errorf("seal: duplicate key id %q", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("seal: key %q is %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: key %q: %w", k.ID, err)
		}
		s.aeads[k.ID] = aead
		s.ids = append(s.ids, k.ID)
	}
	return s, nil
}

// WithRand returns a Sealer with the same keys that reads nonces from r
// instead of crypto/rand. It exists for deterministic tests; r is read under
// a lock, so it need not be safe for concurrent use. A nil r restores
// crypto/rand.
func (s *Sealer) WithRand(r io.Reader) *Sealer {
	c := &Sealer{active: s.active, ids: s.ids, aeads: s.aeads, derive: s.derive, random: rand.Reader}
	if r != nil {
		c.random = r
		c.mu = new(sync.Mutex)
	}
	return c
}

// ActiveKeyID returns the id of the key new seals use.
func (s *Sealer) ActiveKeyID() string { return s.active }

// KeyIDs returns the ids of all keys the Sealer holds, active key first.
func (s *Sealer) KeyIDs() []string { return append([]string(nil), s.ids...) }

// Seal encrypts plaintext under the active key, binding it to aad (build it
// with [AAD]). The same aad must be given to Open.
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	id := s.active
	aead := s.aeads[id]
	if aead == nil {
		return nil, errors.New("seal: Sealer has no keys (create it with New or ParseKeys)")
	}
	hlen := 2 + len(id)
	blob := make([]byte, hlen+NonceSize, hlen+NonceSize+len(plaintext)+tagSize)
	blob[0] = version1
	blob[1] = byte(len(id))
	copy(blob[2:], id)
	nonce := blob[hlen : hlen+NonceSize]
	if err := s.readNonce(nonce); err != nil {
		return nil, fmt.Errorf("seal: reading nonce: %w", err)
	}
	return aead.Seal(blob, nonce, plaintext, additionalData(blob[:hlen], aad)), nil
}

func (s *Sealer) readNonce(nonce []byte) error {
	if s.mu != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	_, err := io.ReadFull(s.random, nonce)
	return err
}

// Open decrypts a blob produced by Seal with the same aad. Every failure
// wraps [ErrOpen]; a blob naming a key the Sealer does not hold also wraps
// [ErrUnknownKey].
func (s *Sealer) Open(blob, aad []byte) ([]byte, error) {
	id, err := KeyID(blob)
	if err != nil {
		return nil, err
	}
	aead, ok := s.aeads[id]
	if !ok {
		return nil, &openError{reason: fmt.Sprintf("unknown key id %q", id), unknownKey: true}
	}
	hlen := 2 + len(id)
	nonce := blob[hlen : hlen+NonceSize]
	plaintext, err := aead.Open(nil, nonce, blob[hlen+NonceSize:], additionalData(blob[:hlen], aad))
	if err != nil {
		return nil, openErr("authentication failed (tampered data, wrong key or wrong associated data)")
	}
	return plaintext, nil
}

// NeedsReseal reports whether blob was sealed under a key other than the
// active one, i.e. whether a rotation job should [Sealer.Reseal] it. It
// returns false for blobs whose header does not parse; Open reports those.
func (s *Sealer) NeedsReseal(blob []byte) bool {
	id, err := KeyID(blob)
	return err == nil && id != s.active
}

// Reseal opens blob with aad and seals the plaintext again under the active
// key with a fresh nonce.
func (s *Sealer) Reseal(blob, aad []byte) ([]byte, error) {
	plaintext, err := s.Open(blob, aad)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	return s.Seal(plaintext, aad)
}

// KeyID returns the id of the key blob was sealed with, read from its header.
// It checks only the header's shape, not authenticity. Errors wrap [ErrOpen].
func KeyID(blob []byte) (string, error) {
	if len(blob) < 2 {
		return "", openErr("truncated blob (%d bytes)", len(blob))
	}
	if blob[0] != version1 {
		return "", openErr("unsupported blob version %d", blob[0])
	}
	n := int(blob[1])
	if n == 0 || n > MaxKeyIDLen {
		return "", openErr("malformed header: key id length %d", n)
	}
	if len(blob) < 2+n+NonceSize+tagSize {
		return "", openErr("truncated blob (%d bytes)", len(blob))
	}
	id := string(blob[2 : 2+n])
	if !ValidKeyID(id) {
		return "", openErr("malformed header: invalid key id")
	}
	return id, nil
}

// additionalData is what GCM authenticates besides the ciphertext: the blob
// header followed by the caller's aad. The header carries its own length, so
// the concatenation is unambiguous.
func additionalData(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	ad = append(ad, header...)
	return append(ad, aad...)
}

// AAD builds associated data for Seal and Open from a kind ("credential",
// "challenge", ...) and the ids of the row the blob belongs to, e.g.
// seal.AAD("credential", credentialID, userID). Every part is prefixed with
// its length, so different inputs never produce the same bytes: a blob does
// not open under another kind, another id, or the same ids in another order.
func AAD(kind string, ids ...string) []byte {
	size := 4 + len(kind)
	for _, id := range ids {
		size += 4 + len(id)
	}
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(len(kind)))
	b = append(b, kind...)
	for _, id := range ids {
		b = binary.BigEndian.AppendUint32(b, uint32(len(id)))
		b = append(b, id...)
	}
	return b
}

// String describes the Sealer by its key ids only.
func (s *Sealer) String() string {
	return fmt.Sprintf("seal.Sealer{active:%s keys:[%s] secrets:%s}", s.active, strings.Join(s.ids, " "), redacted)
}

// GoString is the %#v form of String.
func (s *Sealer) GoString() string {
	return fmt.Sprintf("&seal.Sealer{active:%q, keys:%q, secrets:%s}", s.active, s.ids, redacted)
}

// Format implements fmt.Formatter so that no verb prints cipher state.
func (s *Sealer) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue implements slog.LogValuer: only key ids are logged.
func (s *Sealer) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("active", s.active),
		slog.Any("keys", s.KeyIDs()),
	)
}
