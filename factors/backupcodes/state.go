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
// Version 3, kind "backup-codes-pending" (from BeginEnrollment until
// FinishEnrollment):
//
//	{"format":"hex","length":16,
//	 "kdf":{"alg":"argon2id","time":1,"memory_kib":4096,"threads":1,"key_len":32},
//	 "salt":"<base64>","index_key":"<base64>","hashes":["<base64>",...],
//	 "indexes":["<base64>",...],"created":"<RFC 3339 time>"}
//
// Version 3, kind "backup-codes-credential" (an enrolled set):
//
//	{"format":"hex","length":16,"kdf":{...},"salt":"<base64>","index_key":"<base64>",
//	 "codes":[{"hash":"<base64>","index":"<base64>"},
//	          {"hash":"<base64>","index":"<base64>","used_at":"<RFC 3339 time>"},...]}
//
// hashes[i] and codes[i].hash are the argon2id hashes of code i (hash.go);
// indexes[i] and codes[i].index are its keyed index under index_key
// (index.go); used_at, present once code i has been used, is when. A set
// stored before indexes has no index_key and no index; once it has a key,
// some of its slots may still have none. The envelope's checksum detects
// corruption, not tampering (the host's seal does that): without it one
// flipped bit in a hash or a time could quietly change which codes work.
//
// Version 2 was version 3 without index_key, indexes and index; version 1
// was bare JSON with its own version, kind and sum (state_legacy.go). States
// of both forms are still read, and written anew as version 3 whenever they
// change.
const (
	stateVersion   = 3
	kindPending    = "backup-codes-pending"
	kindCredential = "backup-codes-credential"

	// maxStateLen bounds the state read; a 20-code set with every code used
	// is about 2.4 KB.
	maxStateLen = 16 * 1024
)

// codeSet is what a set is, fixed at enrollment (the index key of a set
// stored before indexes: at its first use since).
type codeSet struct {
	Format   format    `json:"format"`
	Length   int       `json:"length"`
	KDF      kdfParams `json:"kdf"`
	Salt     []byte    `json:"salt"`
	IndexKey []byte    `json:"index_key,omitempty"`
}

// pendingState is an enrollment awaiting confirmation.
type pendingState struct {
	codeSet
	Hashes  [][]byte  `json:"hashes"`
	Indexes [][]byte  `json:"indexes,omitempty"`
	Created time.Time `json:"created"`
}

// slot is one code of an enrolled set.
type slot struct {
	Hash   []byte    `json:"hash"`
	Index  []byte    `json:"index,omitempty"`
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
		Upgrade:  upgradeVersion2((*pendingState).indexed),
		Legacy:   decodeLegacyPending,
	}
	credentialCodec = sdk.StateCodec[credentialState]{
		Kind:     kindCredential,
		Version:  stateVersion,
		MaxLen:   maxStateLen,
		Validate: (*credentialState).validate,
		Upgrade:  upgradeVersion2((*credentialState).indexed),
		Legacy:   decodeLegacyCredential,
	}
)

func encodePending(set codeSet, hashes, indexes [][]byte, created time.Time) ([]byte, error) {
	return pendingCodec.Encode(pendingState{codeSet: set, Hashes: hashes, Indexes: indexes, Created: created.UTC()})
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

// upgradeVersion2 reads a version 2 state: the JSON of version 3 without
// any index.
func upgradeVersion2[T any](indexed func(*T) bool) func(version uint16, payload []byte) (T, error) {
	return func(version uint16, payload []byte) (T, error) {
		var st, zero T
		if version != 2 {
			return zero, fmt.Errorf("unknown version %d", version)
		}
		if err := sdk.DecodeStrictJSON(payload, &st); err != nil {
			return zero, err
		}
		if indexed(&st) {
			return zero, errors.New("a version 2 state with an index")
		}
		return st, nil
	}
}

func (s codeSet) validate() error {
	switch {
	case !s.Format.valid():
		return fmt.Errorf("unknown format %q", s.Format)
	case s.Length != codeLength:
		return fmt.Errorf("unsupported code length %d", s.Length)
	case len(s.Salt) < minSaltLen || len(s.Salt) > maxSaltLen:
		return fmt.Errorf("salt of %d bytes, want %d-%d", len(s.Salt), minSaltLen, maxSaltLen)
	case len(s.IndexKey) != 0 && len(s.IndexKey) != indexKeyLen:
		return fmt.Errorf("index key of %d bytes, want %d", len(s.IndexKey), indexKeyLen)
	}
	return s.KDF.validate()
}

// validateIndexes checks that each of a set's n slots has no index, or one of
// indexLen bytes under an index key.
func (s codeSet) validateIndexes(n int, indexAt func(int) []byte) error {
	for i := range n {
		switch idx := indexAt(i); {
		case len(idx) == 0:
		case len(s.IndexKey) == 0:
			return fmt.Errorf("index %d without an index key", i)
		case len(idx) != indexLen:
			return fmt.Errorf("index %d is %d bytes, want %d", i, len(idx), indexLen)
		}
	}
	return nil
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
	if len(st.Indexes) != 0 && len(st.Indexes) != len(st.Hashes) {
		return fmt.Errorf("%d indexes for %d codes", len(st.Indexes), len(st.Hashes))
	}
	if err := st.validateIndexes(len(st.Indexes), func(i int) []byte { return st.Indexes[i] }); err != nil {
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
	if err := st.validateIndexes(len(st.Codes), func(i int) []byte { return st.Codes[i].Index }); err != nil {
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

// indexes returns the index of every slot, nil for a slot without one.
func (st *credentialState) indexes() [][]byte {
	out := make([][]byte, len(st.Codes))
	for i, c := range st.Codes {
		out[i] = c.Index
	}
	return out
}

// slotIndexes returns the index of each slot: nil for every slot of a set
// stored before indexes.
func (st *pendingState) slotIndexes() [][]byte {
	if len(st.Indexes) == 0 {
		return make([][]byte, len(st.Hashes))
	}
	return st.Indexes
}

// indexed reports whether a pending state has an index key or any index.
func (st *pendingState) indexed() bool {
	return len(st.IndexKey) != 0 || len(st.Indexes) != 0
}

// indexed reports whether a credential state has an index key or any index.
func (st *credentialState) indexed() bool {
	if len(st.IndexKey) != 0 {
		return true
	}
	for _, c := range st.Codes {
		if len(c.Index) != 0 {
			return true
		}
	}
	return false
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
