package backupcodes

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version 1 of the states, written before the factor used sdk.StateCodec:
// bare JSON objects carrying their own version, kind and checksum.
//
//	{"v":1,"kind":"backup-codes-pending","format":"hex","length":16,
//	 "kdf":{...},"salt":"<base64>","hashes":["<base64>",...],
//	 "created":"<RFC 3339 time>","sum":"<base64>"}
//	{"v":1,"kind":"backup-codes-credential","format":"hex","length":16,
//	 "kdf":{...},"salt":"<base64>","codes":[{"hash":"<base64>"},...],
//	 "sum":"<base64>"}
//
// sum is the SHA-256 of the state as encoded without it, and a state must be
// byte for byte the encoding of its own values. They are read as strictly as
// they always were; the codec then validates the values.
const legacyVersion = 1

// errLegacyIndexed is a version 1 state with a field of version 3 (they
// share their Go types): it was never written, and is refused.
var errLegacyIndexed = errors.New("a version 1 state with an index")

type legacyPending struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	codeSet
	Hashes  [][]byte  `json:"hashes"`
	Created time.Time `json:"created"`
	Sum     []byte    `json:"sum,omitempty"`
}

type legacyCredential struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	codeSet
	Codes []slot `json:"codes"`
	Sum   []byte `json:"sum,omitempty"`
}

// summed is a legacy state with a checksum over its own encoding.
type summed interface{ setSum(sum []byte) }

func (st *legacyPending) setSum(sum []byte)    { st.Sum = sum }
func (st *legacyCredential) setSum(sum []byte) { st.Sum = sum }

func decodeLegacyPending(b []byte) (pendingState, error) {
	var st legacyPending
	if err := decodeLegacy(b, kindPending, &st); err != nil {
		return pendingState{}, err
	}
	p := pendingState{codeSet: st.codeSet, Hashes: st.Hashes, Created: st.Created}
	if p.indexed() {
		return pendingState{}, errLegacyIndexed
	}
	return p, nil
}

func decodeLegacyCredential(b []byte) (credentialState, error) {
	var st legacyCredential
	if err := decodeLegacy(b, kindCredential, &st); err != nil {
		return credentialState{}, err
	}
	c := credentialState{codeSet: st.codeSet, Codes: st.Codes}
	if c.indexed() {
		return credentialState{}, errLegacyIndexed
	}
	return c, nil
}

// marshalLegacy encodes st with the sum of its encoding without a sum. It
// sets st's sum.
func marshalLegacy(st summed) ([]byte, error) {
	st.setSum(nil)
	body, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	st.setSum(sum[:])
	return json.Marshal(st)
}

// decodeLegacy checks the version and kind (json.Unmarshal refuses anything
// after the object), decodes b into st without unknown fields, and requires b
// to be exactly the encoding of those values with their sum.
func decodeLegacy(b []byte, kind string, st summed) error {
	var head struct {
		Version int    `json:"v"`
		Kind    string `json:"kind"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	if head.Version != legacyVersion {
		return fmt.Errorf("unknown version %d", head.Version)
	}
	if head.Kind != kind {
		return fmt.Errorf("kind is %q", head.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return err
	}
	canonical, err := marshalLegacy(st)
	if err != nil {
		return err
	}
	if !bytes.Equal(canonical, b) {
		return errors.New("checksum mismatch or not in canonical form")
	}
	return nil
}
