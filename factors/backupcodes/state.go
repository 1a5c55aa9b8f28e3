package backupcodes

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps two kinds of state, both JSON objects that the host stores
// sealed and hands back on every call. Neither holds a code. Each carries a
// version "v" and a "kind", so that a pending state is never taken for a
// credential or the reverse, and a later version can be told apart and
// migrated.
//
// Version 1, pending (from BeginEnrollment until FinishEnrollment):
//
//	{"v":1,"kind":"backup-codes-pending","format":"hex","length":16,
//	 "kdf":{"alg":"argon2id","time":1,"memory_kib":4096,"threads":1,"key_len":32},
//	 "salt":"<base64>","hashes":["<base64>",...],"created":"<RFC 3339 time>",
//	 "sum":"<base64>"}
//
// Version 1, credential (an enrolled set):
//
//	{"v":1,"kind":"backup-codes-credential","format":"hex","length":16,
//	 "kdf":{...},"salt":"<base64>",
//	 "codes":[{"hash":"<base64>"},{"hash":"<base64>","used_at":"<RFC 3339 time>"},...],
//	 "sum":"<base64>"}
//
// hashes[i] and codes[i].hash are the argon2id hashes of code i (hash.go);
// used_at, present once code i has been used, is when. sum is the SHA-256 of
// the state as encoded without it, and a state must be byte for byte the
// encoding the factor would produce of its own values. The sum detects
// corruption, not tampering (the host's seal does that): without it one
// flipped bit in a hash or a time could quietly change which codes work.
// Anything else (an unknown version or kind, an unknown or missing field, a
// value out of range, trailing data, another encoding of the same values, a
// wrong sum) is rejected with sdk.ErrBadState.
const (
	stateVersion   = 1
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
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	codeSet
	Hashes  [][]byte  `json:"hashes"`
	Created time.Time `json:"created"`
	Sum     []byte    `json:"sum,omitempty"`
}

// slot is one code of an enrolled set.
type slot struct {
	Hash   []byte    `json:"hash"`
	UsedAt time.Time `json:"used_at,omitzero"`
}

// credentialState is an enrolled set.
type credentialState struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	codeSet
	Codes []slot `json:"codes"`
	Sum   []byte `json:"sum,omitempty"`
}

// summed is a state with a checksum over its own encoding.
type summed interface {
	setSum(sum []byte)
	validate() error
}

func (st *pendingState) setSum(sum []byte)    { st.Sum = sum }
func (st *credentialState) setSum(sum []byte) { st.Sum = sum }

func encodePending(set codeSet, hashes [][]byte, created time.Time) ([]byte, error) {
	st := &pendingState{Version: stateVersion, Kind: kindPending, codeSet: set, Hashes: hashes, Created: created.UTC()}
	b, err := marshalSummed(st)
	if err != nil {
		return nil, fmt.Errorf("encode pending state: %w", err)
	}
	return b, nil
}

func encodeCredential(set codeSet, codes []slot) ([]byte, error) {
	st := &credentialState{Version: stateVersion, Kind: kindCredential, codeSet: set, Codes: codes}
	b, err := marshalSummed(st)
	if err != nil {
		return nil, fmt.Errorf("encode credential state: %w", err)
	}
	return b, nil
}

// marshalSummed validates st, then encodes it with the sum of its encoding
// without a sum. It sets st's sum.
func marshalSummed(st summed) ([]byte, error) {
	if err := st.validate(); err != nil {
		return nil, err
	}
	st.setSum(nil)
	body, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	st.setSum(sum[:])
	return json.Marshal(st)
}

// decodePending reads and checks a pending state. Every failure wraps
// sdk.ErrBadState.
func decodePending(b []byte) (pendingState, error) {
	var st pendingState
	if err := decodeState(b, kindPending, &st); err != nil {
		return pendingState{}, err
	}
	return st, nil
}

// decodeCredential reads and checks a credential state. Every failure wraps
// sdk.ErrBadState.
func decodeCredential(b []byte) (credentialState, error) {
	var st credentialState
	if err := decodeState(b, kindCredential, &st); err != nil {
		return credentialState{}, err
	}
	return st, nil
}

// decodeState checks the version and kind (json.Unmarshal refuses anything
// after the object), decodes b into st without unknown fields, validates the
// values, and finally requires b to be exactly the encoding of those values
// with their sum.
func decodeState(b []byte, kind string, st summed) error {
	switch {
	case len(b) == 0:
		return badState(kind, errors.New("empty"))
	case len(b) > maxStateLen:
		return badState(kind, fmt.Errorf("longer than %d bytes", maxStateLen))
	}
	var head struct {
		Version int    `json:"v"`
		Kind    string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return badState(kind, fmt.Errorf("not a JSON object: %v", err))
	}
	if head.Version != stateVersion {
		return badState(kind, fmt.Errorf("unknown version %d", head.Version))
	}
	if head.Kind != kind {
		return badState(kind, fmt.Errorf("kind is %q", head.Kind))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return badState(kind, err)
	}
	// marshalSummed validates and replaces the sum read with the one computed.
	canonical, err := marshalSummed(st)
	if err != nil {
		return badState(kind, err)
	}
	if !bytes.Equal(canonical, b) {
		return badState(kind, errors.New("checksum mismatch or not in canonical form"))
	}
	return nil
}

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

func badState(kind string, err error) error {
	return fmt.Errorf("%w: %s: %v", sdk.ErrBadState, kind, err)
}
