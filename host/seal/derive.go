package seal

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// deriveSalt separates derived keys from any other use of a sealing key.
const deriveSalt = "factorgate seal: derived keys"

func deriveRoot(secret []byte) []byte {
	prk, err := hkdf.Extract(sha256.New, secret, []byte(deriveSalt))
	if err != nil {
		// Extract fails only for a hash it cannot use; SHA-256 is fine.
		panic(fmt.Sprintf("seal: derive: %v", err))
	}
	return prk
}

// DeriveKey returns a 32-byte key for the purpose label, derived from the
// active sealing key with HKDF-SHA256. Every host holding the same active
// key derives the same key for a label, different labels give independent
// keys, and the sealing key cannot be recovered from a derived one. A new
// active key (a rotation) derives new keys.
func (s *Sealer) DeriveKey(label string) ([]byte, error) {
	if label == "" {
		return nil, fmt.Errorf("seal: derive key: a label is required")
	}
	k, err := hkdf.Expand(sha256.New, s.derive, label, KeySize)
	if err != nil {
		return nil, fmt.Errorf("seal: derive key %q: %w", label, err)
	}
	return k, nil
}
