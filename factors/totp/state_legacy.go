package totp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Version 1 of the states, written before the factor used sdk.StateCodec:
// bare JSON objects that carry their own version and kind.
//
//	{"v":1,"kind":"totp-pending","secret":"<base64>","algorithm":"SHA1",
//	 "digits":6,"period":30,"skew":1,"created":"<RFC 3339 time>"}
//	{"v":1,"kind":"totp-credential","secret":"<base64>","algorithm":"SHA1",
//	 "digits":6,"period":30,"skew":1,"last_step":<uint64>}
//
// They are read as strictly as they always were (an unknown or missing
// version or kind, an unknown field, trailing data are refused); the codec
// then validates the values.
const legacyVersion = 1

type legacyPending struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	params
	Created time.Time `json:"created"`
}

type legacyCredential struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	params
	LastStep uint64 `json:"last_step"`
}

func decodeLegacyPending(b []byte) (pendingState, error) {
	var st legacyPending
	if err := decodeLegacy(b, kindPending, &st); err != nil {
		return pendingState{}, err
	}
	return pendingState{params: st.params, Created: st.Created}, nil
}

func decodeLegacyCredential(b []byte) (credentialState, error) {
	var st legacyCredential
	if err := decodeLegacy(b, kindCredential, &st); err != nil {
		return credentialState{}, err
	}
	return credentialState{params: st.params, LastStep: st.LastStep}, nil
}

// decodeLegacy checks the version and kind, then decodes b into v strictly:
// no unknown fields and nothing after the object.
func decodeLegacy(b []byte, kind string, v any) error {
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
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data")
	}
	return nil
}
