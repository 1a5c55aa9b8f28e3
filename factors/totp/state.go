package totp

import (
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps two kinds of state, which the host stores sealed and hands
// back on every call. Both are sdk.StateCodec envelopes (kind, version,
// checksum) around JSON:
//
// Version 2, kind "totp-pending" (from BeginEnrollment until FinishEnrollment):
//
//	{"secret":"<base64>","algorithm":"SHA1","digits":6,"period":30,"skew":1,
//	 "created":"<RFC 3339 time>"}
//
// Version 2, kind "totp-credential" (an enrolled authenticator):
//
//	{"secret":"<base64>","algorithm":"SHA1","digits":6,"period":30,"skew":1,
//	 "last_step":<uint64>}
//
// secret is the raw HMAC key in standard base64 (16 to 128 bytes); last_step
// is the last time step (floor(unix time / period)) a code was accepted for.
// Version 1 was the same JSON bare, with "v" and "kind" fields
// (state_legacy.go): states of that form are still read, and written anew as
// version 2 whenever they change.
const (
	stateVersion   = 2
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
	params
	Created time.Time `json:"created"`
}

// credentialState is an enrolled authenticator.
type credentialState struct {
	params
	LastStep uint64 `json:"last_step"`
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
		Validate: func(st *credentialState) error { return st.validate() },
		Legacy:   decodeLegacyCredential,
	}
)

func encodePending(p params, created time.Time) ([]byte, error) {
	b, err := pendingCodec.Encode(pendingState{params: p, Created: created.UTC()})
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	return b, nil
}

func encodeCredential(p params, lastStep uint64) ([]byte, error) {
	b, err := credentialCodec.Encode(credentialState{params: p, LastStep: lastStep})
	if err != nil {
		return nil, fmt.Errorf("totp: %w", err)
	}
	return b, nil
}

// decodePending reads and validates a pending state. Every failure wraps
// sdk.ErrBadState.
func decodePending(b []byte) (pendingState, error) { return pendingCodec.Decode(b) }

// decodeCredential reads and validates a credential state. Every failure
// wraps sdk.ErrBadState.
func decodeCredential(b []byte) (credentialState, error) { return credentialCodec.Decode(b) }

func (st *pendingState) validate() error {
	if err := st.params.validate(); err != nil {
		return err
	}
	if st.Created.IsZero() || st.Created.Unix() < 0 {
		return errors.New("no valid creation time")
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
