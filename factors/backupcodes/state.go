package backupcodes

import (
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps two kinds of state, which the host stores sealed and hands
// back on every call. Neither holds a code. Both are sdk.StateCodec envelopes
// (kind, version, checksum) around JSON:
//
// Version 2, kind "backup-codes-pending" (from BeginEnrollment until
// FinishEnrollment):
//
//	{"format":"hex","length":16,
//	 "kdf":{"alg":"argon2id","time":1,"memory_kib":4096,"threads":1,"key_len":32},
//	 "salt":"<base64>","hashes":["<base64>",...],"created":"<RFC 3339 time>"}
//
// Version 2, kind "backup-codes-credential" (an enrolled set):
//
//	{"format":"hex","length":16,"kdf":{...},"salt":"<base64>",
//	 "codes":[{"hash":"<base64>"},{"hash":"<base64>","used_at":"<RFC 3339 time>"},...]}
//
// hashes[i] and codes[i].hash are the argon2id hashes of code i (hash.go);
// used_at, present once code i has been used, is when. The envelope's
// checksum detects corruption, not tampering (the host's seal does that):
// without it one flipped bit in a hash or a time could quietly change which
// codes work. Version 1 was bare JSON with its own version, kind and sum
// (state_legacy.go): states of that form are still read, and written anew as
// version 2 whenever they change.
const (
	stateVersion   = 2
	kindPending    = "backup-codes-pending"
	kindCredential = "backup-codes-credential"

	// maxStateLen bounds the state read; a 20-code set with every code used
	// is about 2.5 KB.
	maxStateLen = 16 * 1024
)

// codeSet is what a set is, fixed at enrollment.
type codeSet struct {
	Format format    `json:"format"`
	Length int       `json:"length"`
	KDF    kdfParams `json:"kdf"`
	Salt   []byte    `json:"salt"`
}

// pendingState is an enrollment awaiting confirmation.
type pendingState struct {
	codeSet
	Hashes  [][]byte  `json:"hashes"`
	Created time.Time `json:"created"`
}

// slot is one code of an enrolled set.
type slot struct {
	Hash   []byte    `json:"hash"`
	UsedAt time.Time `json:"used_at,omitzero"`
}

// credentialState is an enrolled set.
type credentialState struct {
	codeSet
	Codes []slot `json:"codes"`
}

var (
	pendingCodec = sdk.StateCodec[pendingState]{
		Kind:     kindPending,
		Version:  stateVersion,
		MaxLen:   maxStateLen,
		Validate: (*pendingState).validate,
		Legacy:   decodeLegacyPending,
	}
	credentialCodec = sdk.StateCodec[credentialState]{
		Kind:     kindCredential,
		Version:  stateVersion,
		MaxLen:   maxStateLen,
		Validate: (*credentialState).validate,
		Legacy:   decodeLegacyCredential,
	}
)

func encodePending(set codeSet, hashes [][]byte, created time.Time) ([]byte, error) {
	return pendingCodec.Encode(pendingState{codeSet: set, Hashes: hashes, Created: created.UTC()})
}

func encodeCredential(set codeSet, codes []slot) ([]byte, error) {
	return credentialCodec.Encode(credentialState{codeSet: set, Codes: codes})
}

// decodePending reads and checks a pending state. Every failure wraps
// sdk.ErrBadState.
func decodePending(b []byte) (pendingState, error) { return pendingCodec.Decode(b) }

// decodeCredential reads and checks a credential state. Every failure wraps
// sdk.ErrBadState.
func decodeCredential(b []byte) (credentialState, error) { return credentialCodec.Decode(b) }

func (s codeSet) validate() error {
	switch {
	case !s.Format.valid():
		return fmt.Errorf("unknown format %q", s.Format)
	case s.Length != codeLength:
		return fmt.Errorf("unsupported code length %d", s.Length)
	case len(s.Salt) < minSaltLen || len(s.Salt) > maxSaltLen:
		return fmt.Errorf("salt of %d bytes, want %d-%d", len(s.Salt), minSaltLen, maxSaltLen)
	}
	return s.KDF.validate()
}

// validateHashes checks the number and length of a set's hashes.
func (s codeSet) validateHashes(n int, hashAt func(int) []byte) error {
	if n < minCount || n > maxCount {
		return fmt.Errorf("%d codes, want %d-%d", n, minCount, maxCount)
	}
	for i := range n {
		if len(hashAt(i)) != int(s.KDF.KeyLen) {
			return fmt.Errorf("hash %d is %d bytes, want %d", i, len(hashAt(i)), s.KDF.KeyLen)
		}
	}
	return nil
}

func (st *pendingState) validate() error {
	if err := st.codeSet.validate(); err != nil {
		return err
	}
	if err := st.validateHashes(len(st.Hashes), func(i int) []byte { return st.Hashes[i] }); err != nil {
		return err
	}
	if !validTime(st.Created) {
		return errors.New("no valid creation time")
	}
	return nil
}

func (st *credentialState) validate() error {
	if err := st.codeSet.validate(); err != nil {
		return err
	}
	if err := st.validateHashes(len(st.Codes), func(i int) []byte { return st.Codes[i].Hash }); err != nil {
		return err
	}
	for i, c := range st.Codes {
		if !c.UsedAt.IsZero() && !validTime(c.UsedAt) {
			return fmt.Errorf("code %d has no valid time of use", i)
		}
	}
	return nil
}

// hashes returns the hash of every slot, used or not.
func (st *credentialState) hashes() [][]byte {
	out := make([][]byte, len(st.Codes))
	for i, c := range st.Codes {
		out[i] = c.Hash
	}
	return out
}

// unused counts the codes of a set not used yet.
func unused(codes []slot) int {
	n := 0
	for _, c := range codes {
		if c.UsedAt.IsZero() {
			n++
		}
	}
	return n
}

// validTime reports whether t can be a request time: set, not before 1970,
// and within the years an RFC 3339 time can carry.
func validTime(t time.Time) bool {
	return !t.IsZero() && t.Unix() >= 0 && t.Year() <= 9999
}
