package sms

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Version 1 of the states, written before the factor used sdk.StateCodec:
// bare JSON objects carrying their own version, kind and checksum.
//
//	{"v":1,"kind":"sms-pending","phone":"+61412345678","sent":"<RFC 3339>",
//	 "code":<code>,"sum":"<base64url>"}
//	{"v":1,"kind":"sms-challenge","code":<code>,"sum":"<base64url>"}
//	{"v":1,"kind":"sms-credential","phone":"+61412345678",
//	 "last_sent":"<RFC 3339>","latest_challenge":"<id>","latest_used":false,
//	 "sum":"<base64url>"}
//
// <code> has the JSON form of sdk.OneTimeCode. sum is the base64url SHA-256 of
// the state's JSON without its sum, and a state must be exactly the bytes the
// factor wrote for its values. They are read as strictly as they always were;
// the codec then validates the values.
const legacyVersion = 1

type legacyPending struct {
	Version int             `json:"v"`
	Kind    string          `json:"kind"`
	Phone   string          `json:"phone"`
	Sent    time.Time       `json:"sent"`
	Code    sdk.OneTimeCode `json:"code"`
	Sum     string          `json:"sum"`
}

type legacyChallenge struct {
	Version int             `json:"v"`
	Kind    string          `json:"kind"`
	Code    sdk.OneTimeCode `json:"code"`
	Sum     string          `json:"sum"`
}

type legacyCredential struct {
	Version         int       `json:"v"`
	Kind            string    `json:"kind"`
	Phone           string    `json:"phone"`
	LastSent        time.Time `json:"last_sent"`
	LatestChallenge string    `json:"latest_challenge"`
	LatestUsed      bool      `json:"latest_used"`
	Sum             string    `json:"sum"`
}

// legacyState is what the legacy kinds share for decoding.
type legacyState interface{ sum() *string }

func (s *legacyPending) sum() *string    { return &s.Sum }
func (s *legacyChallenge) sum() *string  { return &s.Sum }
func (s *legacyCredential) sum() *string { return &s.Sum }

func decodeLegacyPending(b []byte) (pendingState, error) {
	var s legacyPending
	if err := decodeLegacy(b, kindPending, &s); err != nil {
		return pendingState{}, err
	}
	return pendingState{Phone: s.Phone, Sent: s.Sent, Code: s.Code}, nil
}

func decodeLegacyChallenge(b []byte) (challengeState, error) {
	var s legacyChallenge
	if err := decodeLegacy(b, kindChallenge, &s); err != nil {
		return challengeState{}, err
	}
	return challengeState{Code: s.Code}, nil
}

func decodeLegacyCredential(b []byte) (credentialState, error) {
	var s legacyCredential
	if err := decodeLegacy(b, kindCredential, &s); err != nil {
		return credentialState{}, err
	}
	return credentialState{Phone: s.Phone, LastSent: s.LastSent, Latest: sdk.LatestCode{ID: s.LatestChallenge, Used: s.LatestUsed}}, nil
}

// decodeLegacy reads b into s strictly and checks its checksum.
func decodeLegacy(b []byte, kind string, s legacyState) error {
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
	if err := dec.Decode(s); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data")
	}
	// Re-encoding must give the same bytes: this refuses what the decoder
	// forgives (re-cased or repeated keys, spacing, other encodings of the
	// same value), so the checksum below covers the state exactly.
	again, err := json.Marshal(s)
	if err != nil || !bytes.Equal(again, b) {
		return errors.New("not in canonical form")
	}
	want := *s.sum()
	*s.sum() = ""
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if want != checksum(body) {
		return errors.New("checksum mismatch")
	}
	return nil
}

// checksum is the base64url SHA-256 of a legacy state's JSON without its sum.
func checksum(body []byte) string {
	h := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(h[:])
}
