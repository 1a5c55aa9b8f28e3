package totp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps two kinds of state, both JSON objects that the host stores
// sealed and hands back on every call. Each carries a version "v" and a
// "kind", so that a pending state is never taken for a credential or the
// reverse, and a later version can be told apart and migrated.
//
// Version 1, pending (from BeginEnrollment until FinishEnrollment):
//
//	{"v":1,"kind":"totp-pending","secret":"<base64>","algorithm":"SHA1",
//	 "digits":6,"period":30,"skew":1,"created":"<RFC 3339 time>"}
//
// Version 1, credential (an enrolled authenticator):
//
//	{"v":1,"kind":"totp-credential","secret":"<base64>","algorithm":"SHA1",
//	 "digits":6,"period":30,"skew":1,"last_step":<uint64>}
//
// secret is the raw HMAC key in standard base64 (16 to 128 bytes); last_step
// is the last time step (floor(unix time / period)) a code was accepted for.
// Anything else (an unknown version or kind, an unknown or missing field, a
// value out of range, trailing data) is rejected with sdk.ErrBadState.
const (
	stateVersion   = 1
	kindPending    = "totp-pending"
	kindCredential = "totp-credential"

	// maxStateLen bounds the state read; a valid state is a few hundred bytes.
	maxStateLen = 4096
	// minSecretLen is the shortest secret accepted (128 bits, RFC 4226 section 4).
	minSecretLen = 16
	// maxSecretLen is the longest secret accepted.
	maxSecretLen = 128
	// secretLen is the length of the secrets the factor draws (160 bits).
	secretLen = 20
)

// params are the parameters of one TOTP credential, fixed at enrollment.
type params struct {
	Secret    []byte `json:"secret"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Skew      int    `json:"skew"`
}

// pendingState is an enrollment awaiting its confirming code.
type pendingState struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	params
	Created time.Time `json:"created"`
}

// credentialState is an enrolled authenticator.
type credentialState struct {
	Version int    `json:"v"`
	Kind    string `json:"kind"`
	params
	LastStep uint64 `json:"last_step"`
}

func encodePending(p params, created time.Time) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("totp: encode pending state: %w", err)
	}
	return json.Marshal(pendingState{Version: stateVersion, Kind: kindPending, params: p, Created: created.UTC()})
}

func encodeCredential(p params, lastStep uint64) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("totp: encode credential state: %w", err)
	}
	return json.Marshal(credentialState{Version: stateVersion, Kind: kindCredential, params: p, LastStep: lastStep})
}

// decodePending reads and validates a pending state. Every failure wraps
// sdk.ErrBadState.
func decodePending(b []byte) (pendingState, error) {
	var st pendingState
	if err := decodeState(b, kindPending, &st); err != nil {
		return pendingState{}, err
	}
	if err := st.validate(); err != nil {
		return pendingState{}, badState(kindPending, err)
	}
	if st.Created.IsZero() || st.Created.Unix() < 0 {
		return pendingState{}, badState(kindPending, errors.New("no valid creation time"))
	}
	return st, nil
}

// decodeCredential reads and validates a credential state. Every failure
// wraps sdk.ErrBadState.
func decodeCredential(b []byte) (credentialState, error) {
	var st credentialState
	if err := decodeState(b, kindCredential, &st); err != nil {
		return credentialState{}, err
	}
	if err := st.validate(); err != nil {
		return credentialState{}, badState(kindCredential, err)
	}
	return st, nil
}

// decodeState checks the version and kind, then decodes b into v strictly: no
// unknown fields and nothing after the object.
func decodeState(b []byte, kind string, v any) error {
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
	if err := dec.Decode(v); err != nil {
		return badState(kind, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badState(kind, errors.New("trailing data"))
	}
	return nil
}

// validate checks the parameters a state carries; a credential with an empty
// or short secret must never verify.
func (p params) validate() error {
	switch {
	case len(p.Secret) < minSecretLen:
		return fmt.Errorf("secret shorter than %d bytes", minSecretLen)
	case len(p.Secret) > maxSecretLen:
		return fmt.Errorf("secret longer than %d bytes", maxSecretLen)
	case !knownAlgorithm(p.Algorithm):
		return fmt.Errorf("unknown algorithm %q", p.Algorithm)
	case !validDigits(p.Digits):
		return fmt.Errorf("unsupported digits %d", p.Digits)
	case !validPeriod(p.Period):
		return fmt.Errorf("unsupported period %d", p.Period)
	case !validSkew(p.Skew):
		return fmt.Errorf("unsupported skew %d", p.Skew)
	}
	return nil
}

func badState(kind string, err error) error {
	return fmt.Errorf("%w: %s: %v", sdk.ErrBadState, kind, err)
}
