package sdk

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

// StateCodec encodes and decodes one kind of a factor's state (a pending
// enrollment, a credential, a challenge) so that no factor writes its own
// format or its own damaged-state detection. T is the factor's state struct,
// encoded as JSON by its field tags.
//
// An encoded state is an envelope:
//
//	"fgs1" | kind length (1 byte) | kind | version (2 bytes, big endian) |
//	JSON of the state | first 16 bytes of SHA-256 of all that precedes
//
// Decode refuses, with an error wrapping ErrBadState, a state of another kind,
// an unknown version, a checksum that does not match, and JSON that is not
// exactly what Encode writes for the values it holds (an unknown, missing or
// repeated field, other spacing, trailing data). The checksum detects damage,
// not forgery: the host seals every state at rest, and that is what stops a
// forger.
//
// A codec is a value; declare one per kind of state and use it from any
// goroutine:
//
//	var credentials = sdk.StateCodec[credential]{Kind: "email-credential", Version: 1}
type StateCodec[T any] struct {
	// Kind names the kind of state: lowercase letters, digits and dashes,
	// starting with a letter, at most 64 bytes. A state of one kind never
	// decodes as another.
	Kind string
	// Version is the version Encode writes, from 1. Raise it when T changes
	// and read the earlier versions with Upgrade.
	Version uint16
	// Validate, when set, checks a state's values before Encode writes them
	// and after Decode reads them, so that a state with, say, an empty key is
	// never used.
	Validate func(*T) error
	// Upgrade, when set, reads the JSON of an earlier version (below Version)
	// into a T. Without it, earlier versions are refused.
	Upgrade func(version uint16, payload []byte) (T, error)
	// Legacy, when set, reads a state that is not an envelope at all: one a
	// factor wrote before it used StateCodec. Decode reads such states, Encode
	// always writes envelopes.
	Legacy func(state []byte) (T, error)
	// MaxLen bounds the encoded state (default 64 KiB).
	MaxLen int
}

// stateMagic starts every envelope; its last byte is the envelope's format.
const stateMagic = "fgs1"

// Sizes of the envelope's parts.
const (
	stateSumLen        = 16
	defaultStateMaxLen = 64 << 10
	stateHeadLen       = len(stateMagic) + 1 + 2 // magic, kind length, version
)

var stateKindRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// Encode validates st and returns its envelope.
func (c StateCodec[T]) Encode(st T) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if c.Validate != nil {
		if err := c.Validate(&st); err != nil {
			return nil, fmt.Errorf("encode %s state: %w", c.Kind, err)
		}
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode %s state: %w", c.Kind, err)
	}
	out := make([]byte, 0, stateHeadLen+len(c.Kind)+len(payload)+stateSumLen)
	out = append(out, stateMagic...)
	out = append(out, byte(len(c.Kind)))
	out = append(out, c.Kind...)
	out = binary.BigEndian.AppendUint16(out, c.Version)
	out = append(out, payload...)
	sum := sha256.Sum256(out)
	out = append(out, sum[:stateSumLen]...)
	if len(out) > c.maxLen() {
		return nil, fmt.Errorf("encode %s state: %d bytes, more than the %d allowed", c.Kind, len(out), c.maxLen())
	}
	return out, nil
}

// Decode reads a state Encode wrote (or, with Legacy, one written before the
// factor used StateCodec). Every failure wraps ErrBadState.
func (c StateCodec[T]) Decode(state []byte) (T, error) {
	var zero T
	if err := c.check(); err != nil {
		return zero, err
	}
	switch {
	case len(state) == 0:
		return zero, c.bad(errors.New("empty"))
	case len(state) > c.maxLen():
		return zero, c.bad(fmt.Errorf("longer than %d bytes", c.maxLen()))
	case !bytes.HasPrefix(state, []byte(stateMagic)):
		if c.Legacy == nil {
			return zero, c.bad(errors.New("not a state envelope"))
		}
		st, err := c.Legacy(state)
		if err != nil {
			return zero, c.bad(err)
		}
		return c.validated(st)
	}
	version, payload, err := c.open(state)
	if err != nil {
		return zero, c.bad(err)
	}
	var st T
	switch {
	case version == c.Version:
		err = DecodeStrictJSON(payload, &st)
	case version != 0 && version < c.Version && c.Upgrade != nil:
		st, err = c.Upgrade(version, payload)
	default:
		err = fmt.Errorf("unknown version %d", version)
	}
	if err != nil {
		return zero, c.bad(err)
	}
	return c.validated(st)
}

// open checks an envelope's checksum and kind and returns its version and
// JSON.
func (c StateCodec[T]) open(state []byte) (uint16, []byte, error) {
	kind, version, payload, err := OpenState(state)
	if err != nil {
		return 0, nil, err
	}
	if kind != c.Kind {
		return 0, nil, fmt.Errorf("a %q state", kind)
	}
	return version, payload, nil
}

// OpenState checks the checksum of an envelope a StateCodec wrote and returns
// its kind, version and JSON, for tools that look into the states of any
// factor. A factor reads its own states with its codec, which also checks the
// kind, the version and the JSON itself.
func OpenState(state []byte) (kind string, version uint16, payload []byte, err error) {
	if !bytes.HasPrefix(state, []byte(stateMagic)) {
		return "", 0, nil, errors.New("not a state envelope")
	}
	if len(state) < stateHeadLen+stateSumLen {
		return "", 0, nil, errors.New("truncated")
	}
	body, sum := state[:len(state)-stateSumLen], state[len(state)-stateSumLen:]
	want := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(sum, want[:stateSumLen]) != 1 {
		return "", 0, nil, errors.New("checksum mismatch")
	}
	rest := body[len(stateMagic):]
	n := int(rest[0])
	if len(rest) < 1+n+2 {
		return "", 0, nil, errors.New("truncated")
	}
	return string(rest[1 : 1+n]), binary.BigEndian.Uint16(rest[1+n:]), rest[1+n+2:], nil
}

func (c StateCodec[T]) validated(st T) (T, error) {
	if c.Validate != nil {
		if err := c.Validate(&st); err != nil {
			var zero T
			return zero, c.bad(err)
		}
	}
	return st, nil
}

func (c StateCodec[T]) check() error {
	if !stateKindRE.MatchString(c.Kind) || c.Version == 0 {
		return fmt.Errorf("state codec %q version %d: the kind must be lowercase letters, digits and dashes, the version at least 1", c.Kind, c.Version)
	}
	return nil
}

func (c StateCodec[T]) maxLen() int {
	if c.MaxLen > 0 {
		return c.MaxLen
	}
	return defaultStateMaxLen
}

func (c StateCodec[T]) bad(err error) error {
	return fmt.Errorf("%w: %s: %w", ErrBadState, c.Kind, err)
}

// DecodeStrictJSON decodes data into v (a pointer) and requires data to be
// exactly what json.Marshal writes for the values read: no unknown, missing,
// repeated or re-cased field, no other spacing or escaping, nothing trailing.
// StateCodec reads its states with it; a factor's Legacy or Upgrade function
// may use it for JSON it wrote itself.
func DecodeStrictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("read JSON: data after the value")
	}
	again, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	if !bytes.Equal(again, data) {
		return errors.New("read JSON: not in canonical form (a missing field, or other spacing or escaping)")
	}
	return nil
}
