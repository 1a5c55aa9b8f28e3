package sms

import (
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps three kinds of state, which the host stores sealed
// (AES-GCM under a key outside the database) and hands back on every call.
// All are sdk.StateCodec envelopes (kind, version, checksum) around JSON:
//
// Version 2, kind "sms-pending" (from BeginEnrollment until FinishEnrollment):
//
//	{"phone":"+61412345678","sent":"<RFC 3339>","code":<code>}
//
// Version 2, kind "sms-challenge" (from Challenge until Verify):
//
//	{"code":<code>}
//
// Version 2, kind "sms-credential" (an enrolled number):
//
//	{"phone":"+61412345678","last_sent":"<RFC 3339>",
//	 "latest":{"id":"<32 hex digits>","used":false}}
//
// where <code> is an sdk.OneTimeCode, one code sent:
//
//	{"id":"<32 hex digits>","key":"<base64>","hash":"<base64>","digits":6,
//	 "expires":"<RFC 3339>","attempts":0,"max_attempts":3,"used":false}
//
// The code itself is never stored, only its keyed hash bound to the random
// id. The credential's last_sent is the time of the last send to the number
// (for throttling), the zero time once that code was used; latest is the id of the last code sent, the only one
// Verify accepts, and whether it was used. The codec's checksum is no defence
// against a forger, which the host's sealing is; it makes a damaged state fail
// loudly rather than, say, send a code to a number one digit off. Version 1
// was bare JSON with its own version, kind and sum (state_legacy.go): states
// of that form are still read, and written anew as version 2.
const (
	stateVersion   = 2
	kindPending    = "sms-pending"
	kindChallenge  = "sms-challenge"
	kindCredential = "sms-credential"

	// maxStateLen bounds the state read; a valid state is a few hundred bytes.
	maxStateLen = 4096
)

// pendingState is an enrollment awaiting its confirming code.
type pendingState struct {
	Phone string          `json:"phone"`
	Sent  time.Time       `json:"sent"`
	Code  sdk.OneTimeCode `json:"code"`
}

// challengeState is a code sent for a verification.
type challengeState struct {
	Code sdk.OneTimeCode `json:"code"`
}

// credentialState is an enrolled number.
type credentialState struct {
	Phone    string         `json:"phone"`
	LastSent time.Time      `json:"last_sent"`
	Latest   sdk.LatestCode `json:"latest"`
}

var (
	pendingCodec = sdk.StateCodec[pendingState]{
		Kind: kindPending, Version: stateVersion, MaxLen: maxStateLen,
		Validate: (*pendingState).validate, Legacy: decodeLegacyPending,
	}
	challengeCodec = sdk.StateCodec[challengeState]{
		Kind: kindChallenge, Version: stateVersion, MaxLen: maxStateLen,
		Validate: (*challengeState).validate, Legacy: decodeLegacyChallenge,
	}
	credentialCodec = sdk.StateCodec[credentialState]{
		Kind: kindCredential, Version: stateVersion, MaxLen: maxStateLen,
		Validate: (*credentialState).validate, Legacy: decodeLegacyCredential,
	}
)

func (s *pendingState) validate() error {
	if err := checkE164(s.Phone); err != nil {
		return fmt.Errorf("phone: %w", err)
	}
	if err := checkTime(s.Sent); err != nil {
		return fmt.Errorf("sent: %w", err)
	}
	return s.Code.Validate()
}

func (s *challengeState) validate() error { return s.Code.Validate() }

func (s *credentialState) validate() error {
	if err := checkE164(s.Phone); err != nil {
		return fmt.Errorf("phone: %w", err)
	}
	if s.LastSent.IsZero() {
		// The last code was used: nothing holds back the next send.
		return s.Latest.Validate()
	}
	if err := checkTime(s.LastSent); err != nil {
		return fmt.Errorf("last_sent: %w", err)
	}
	return s.Latest.Validate()
}

func checkTime(t time.Time) error {
	if t.IsZero() || t.Unix() < 0 {
		return errors.New("no valid time")
	}
	return nil
}

func newPending(phone string, sent time.Time, c sdk.OneTimeCode) pendingState {
	return pendingState{Phone: phone, Sent: sent.UTC(), Code: c}
}

func newChallenge(c sdk.OneTimeCode) challengeState { return challengeState{Code: c} }

func newCredential(phone string, lastSent time.Time, latest sdk.LatestCode) credentialState {
	return credentialState{Phone: phone, LastSent: lastSent.UTC(), Latest: latest}
}

func encodePending(s pendingState) ([]byte, error)       { return pendingCodec.Encode(s) }
func encodeChallenge(s challengeState) ([]byte, error)   { return challengeCodec.Encode(s) }
func encodeCredential(s credentialState) ([]byte, error) { return credentialCodec.Encode(s) }

// decodePending reads and checks a pending state; every failure wraps
// sdk.ErrBadState, as for the other kinds.
func decodePending(b []byte) (pendingState, error)       { return pendingCodec.Decode(b) }
func decodeChallenge(b []byte) (challengeState, error)   { return challengeCodec.Decode(b) }
func decodeCredential(b []byte) (credentialState, error) { return credentialCodec.Decode(b) }
