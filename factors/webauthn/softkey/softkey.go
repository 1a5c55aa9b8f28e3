// Package softkey is a software WebAuthn authenticator for tests: it answers
// the creation and request options a relying party issues (the JSON that
// navigator.credentials.create and get take) with the credential JSON a
// browser returns, signing with ES256 keys and attesting with "none" or
// "packed" self attestation. It holds no secret worth keeping and must never
// stand in for a real authenticator.
//
// Keys are derived from the authenticator's seed, the RP ID and the user
// handle, and a credential ID carries the user handle with a MAC under the
// seed (as a key-wrapping security key does), so an authenticator needs no
// storage to answer for a credential it created; only discoverable
// credentials are remembered, for a sign-in without allowCredentials.
package softkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
)

// Attestation formats the authenticator can produce.
const (
	AttestationNone   = "none"
	AttestationPacked = "packed"
)

// Authenticator is one software authenticator (a security key or a phone's
// passkey store). Its zero value is not usable: set Seed. It is safe for
// concurrent use.
type Authenticator struct {
	// Seed makes this authenticator's keys; two authenticators with different
	// seeds never share a key.
	Seed []byte
	// AAGUID names the authenticator model (16 bytes; zero when nil).
	AAGUID []byte
	// Attestation is AttestationNone (the default) or AttestationPacked.
	Attestation string
	// SkipUserVerification leaves the UV flag off even when the options ask
	// for user verification (an authenticator without a PIN or biometric).
	SkipUserVerification bool
	// BackupEligible sets the BE and BS flags (a synced passkey).
	BackupEligible bool
	// Transports are reported at registration ("usb", "internal", "hybrid").
	Transports []string
	// ZeroCounter keeps the signature counter at 0 (as synced passkeys do);
	// otherwise every assertion counts one up.
	ZeroCounter bool

	mu       sync.Mutex
	counter  uint32
	resident map[string][][]byte // user handles of discoverable credentials, by RP ID
}

// Ceremony is how the browser around the authenticator runs one ceremony.
type Ceremony struct {
	// Origin is the page's origin, written into the client data.
	Origin string
	// RPID, when set, is the RP ID the authenticator data claims instead of
	// the options' (an answer made for another site); the credential is
	// still the one the options name.
	RPID string
	// Counter, when set, is the signature counter to report instead of the
	// next one (a cloned authenticator).
	Counter *uint32
}

// key is one credential's key pair and ID.
type key struct {
	priv *ecdsa.PrivateKey
	id   []byte
}

// credentialKey derives the key of the credential for userHandle at rpID.
func (a *Authenticator) credentialKey(rpID string, userHandle []byte) (key, error) {
	if len(a.Seed) == 0 {
		return key{}, errors.New("softkey: the authenticator has no seed")
	}
	if len(userHandle) == 0 || len(userHandle) > 64 {
		return key{}, fmt.Errorf("softkey: a user handle of %d bytes", len(userHandle))
	}
	// A scalar in [1, n-1] from the MAC.
	d := new(big.Int).SetBytes(a.mac("key", rpID, userHandle))
	d.Mod(d, new(big.Int).Sub(elliptic.P256().Params().N, big.NewInt(1)))
	d.Add(d, big.NewInt(1))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		return key{}, fmt.Errorf("softkey: derive key: %w", err)
	}
	id := append([]byte{byte(len(userHandle))}, userHandle...)
	id = append(id, a.mac("id", rpID, userHandle)[:16]...)
	return key{priv: priv, id: id}, nil
}

func (a *Authenticator) mac(purpose, rpID string, userHandle []byte) []byte {
	m := hmac.New(sha256.New, a.Seed)
	for _, part := range [][]byte{[]byte(purpose), []byte(rpID), userHandle} {
		m.Write([]byte{byte(len(part))})
		m.Write(part)
	}
	return m.Sum(nil)
}

// userHandleOf returns the user handle inside a credential ID this
// authenticator made for rpID, or false for any other ID.
func (a *Authenticator) userHandleOf(rpID string, id []byte) ([]byte, bool) {
	if len(id) < 1 || len(id) != 1+int(id[0])+16 {
		return nil, false
	}
	handle := id[1 : 1+int(id[0])]
	return handle, hmac.Equal(id[1+len(handle):], a.mac("id", rpID, handle)[:16])
}

// nextCounter returns the signature counter of the next assertion.
func (a *Authenticator) nextCounter(c Ceremony) uint32 {
	if c.Counter != nil {
		return *c.Counter
	}
	if a.ZeroCounter {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.counter++
	return a.counter
}

func (a *Authenticator) remember(rpID string, userHandle []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.resident == nil {
		a.resident = map[string][][]byte{}
	}
	a.resident[rpID] = append(a.resident[rpID], userHandle)
}

func (a *Authenticator) residentHandle(rpID string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	handles := a.resident[rpID]
	if len(handles) == 0 {
		return nil, false
	}
	return handles[len(handles)-1], true
}

// clientData is the collected client data a browser signs over.
func clientData(typ string, challenge string, origin string) []byte {
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, origin, false})
	return b
}
