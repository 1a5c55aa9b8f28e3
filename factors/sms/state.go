package sms

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The factor keeps three kinds of state, all JSON objects that the host
// stores sealed (AES-GCM under a key outside the database) and hands back on
// every call. Each carries a version "v" and a "kind", so that one kind is
// never taken for another and a later version can be told apart and
// migrated, and ends with "sum", a SHA-256 checksum of the rest.
//
// Version 1, pending (from BeginEnrollment until FinishEnrollment):
//
//	{"v":1,"kind":"sms-pending","phone":"+61412345678","sent":"<RFC 3339>",
//	 "code":<code>,"sum":"<base64url>"}
//
// Version 1, challenge (from Challenge until Verify):
//
//	{"v":1,"kind":"sms-challenge","code":<code>,"sum":"<base64url>"}
//
// Version 1, credential (an enrolled number):
//
//	{"v":1,"kind":"sms-credential","phone":"+61412345678",
//	 "last_sent":"<RFC 3339>","latest_challenge":"<id>","latest_used":false,
//	 "sum":"<base64url>"}
//
// where <code> is one code sent:
//
//	{"id":"<32 hex digits>","key":"<base64>","hash":"<base64>","digits":6,
//	 "expires":"<RFC 3339>","attempts":0,"max_attempts":3,"used":false}
//
// id is the random challenge id; hash is HMAC-SHA256 under the 32-byte key of
// id || code, so the code itself is never stored and never passes another
// challenge. The credential's last_sent is the time of the last send to the
// number (for throttling); latest_challenge is the id of the last code sent,
// the only one Verify accepts, and latest_used says it was used.
//
// A state is read strictly: it must be exactly the bytes the factor writes
// for its values (no unknown, missing, repeated or re-cased field, no extra
// space, nothing trailing) and its checksum must match. The checksum is no
// defence against a forger, which the host's sealing is; it makes a damaged
// state fail loudly rather than, say, send a code to a number one digit off.
const (
	stateVersion   = 1
	kindPending    = "sms-pending"
	kindChallenge  = "sms-challenge"
	kindCredential = "sms-credential"

	// maxStateLen bounds the state read; a valid state is a few hundred bytes.
	maxStateLen = 4096
	// idLen is the length in bytes of a challenge id (128 bits).
	idLen = 16
	// keyLen is the length of the HMAC key of a code (256 bits).
	keyLen = 32
)

// idRE matches a challenge id as stored: 32 lowercase hex digits.
var idRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// codeState is one code sent by text message.
type codeState struct {
	ID          string    `json:"id"`
	Key         []byte    `json:"key"`
	Hash        []byte    `json:"hash"`
	Digits      int       `json:"digits"`
	Expires     time.Time `json:"expires"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	Used        bool      `json:"used"`
}

// pendingState is an enrollment awaiting its confirming code.
type pendingState struct {
	Version int       `json:"v"`
	Kind    string    `json:"kind"`
	Phone   string    `json:"phone"`
	Sent    time.Time `json:"sent"`
	Code    codeState `json:"code"`
	Sum     string    `json:"sum"`
}

// challengeState is a code sent for a verification.
type challengeState struct {
	Version int       `json:"v"`
	Kind    string    `json:"kind"`
	Code    codeState `json:"code"`
	Sum     string    `json:"sum"`
}

// credentialState is an enrolled number.
type credentialState struct {
	Version         int       `json:"v"`
	Kind            string    `json:"kind"`
	Phone           string    `json:"phone"`
	LastSent        time.Time `json:"last_sent"`
	LatestChallenge string    `json:"latest_challenge"`
	LatestUsed      bool      `json:"latest_used"`
	Sum             string    `json:"sum"`
}

// state is what the three kinds have in common for encoding and decoding.
type state interface {
	head() (version int, kind string)
	sum() *string
	validate() error
}

func (s *pendingState) head() (int, string)    { return s.Version, s.Kind }
func (s *challengeState) head() (int, string)  { return s.Version, s.Kind }
func (s *credentialState) head() (int, string) { return s.Version, s.Kind }

func (s *pendingState) sum() *string    { return &s.Sum }
func (s *challengeState) sum() *string  { return &s.Sum }
func (s *credentialState) sum() *string { return &s.Sum }

func (s *pendingState) validate() error {
	if err := checkE164(s.Phone); err != nil {
		return fmt.Errorf("phone: %w", err)
	}
	if err := checkTime(s.Sent); err != nil {
		return fmt.Errorf("sent: %w", err)
	}
	return s.Code.validate()
}

func (s *challengeState) validate() error { return s.Code.validate() }

func (s *credentialState) validate() error {
	if err := checkE164(s.Phone); err != nil {
		return fmt.Errorf("phone: %w", err)
	}
	if err := checkTime(s.LastSent); err != nil {
		return fmt.Errorf("last_sent: %w", err)
	}
	if s.LatestChallenge != "" && !idRE.MatchString(s.LatestChallenge) {
		return errors.New("latest_challenge is not a challenge id")
	}
	if s.LatestChallenge == "" && s.LatestUsed {
		return errors.New("latest_used without a latest challenge")
	}
	return nil
}

// validate checks a code's fields; a code with a short key or hash must
// never verify.
func (c codeState) validate() error {
	switch {
	case !idRE.MatchString(c.ID):
		return errors.New("code id is not a challenge id")
	case len(c.Key) != keyLen:
		return fmt.Errorf("code key is not %d bytes", keyLen)
	case len(c.Hash) != sha256.Size:
		return fmt.Errorf("code hash is not %d bytes", sha256.Size)
	case c.Digits < minDigits || c.Digits > maxDigits:
		return fmt.Errorf("code digits %d out of range", c.Digits)
	case c.MaxAttempts < minMaxAttempts || c.MaxAttempts > maxMaxAttempts:
		return fmt.Errorf("code max_attempts %d out of range", c.MaxAttempts)
	case c.Attempts < 0 || c.Attempts > c.MaxAttempts:
		return fmt.Errorf("code attempts %d out of range", c.Attempts)
	}
	if err := checkTime(c.Expires); err != nil {
		return fmt.Errorf("code expires: %w", err)
	}
	return nil
}

func checkTime(t time.Time) error {
	if t.IsZero() || t.Unix() < 0 {
		return errors.New("no valid time")
	}
	return nil
}

func newPending(phone string, sent time.Time, c codeState) *pendingState {
	return &pendingState{Version: stateVersion, Kind: kindPending, Phone: phone, Sent: sent.UTC(), Code: c}
}

func newChallenge(c codeState) *challengeState {
	return &challengeState{Version: stateVersion, Kind: kindChallenge, Code: c}
}

func newCredential(phone string, lastSent time.Time, latest string, used bool) *credentialState {
	return &credentialState{Version: stateVersion, Kind: kindCredential, Phone: phone, LastSent: lastSent.UTC(), LatestChallenge: latest, LatestUsed: used}
}

// encodeState validates s, sets its checksum and returns its JSON.
func encodeState(s state) ([]byte, error) {
	_, kind := s.head()
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("sms: encode %s state: %w", kind, err)
	}
	*s.sum() = ""
	body, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("sms: encode %s state: %w", kind, err)
	}
	*s.sum() = checksum(body)
	out, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("sms: encode %s state: %w", kind, err)
	}
	return out, nil
}

func decodePending(b []byte) (*pendingState, error) {
	s := &pendingState{}
	return s, decodeState(b, kindPending, s)
}

func decodeChallenge(b []byte) (*challengeState, error) {
	s := &challengeState{}
	return s, decodeState(b, kindChallenge, s)
}

func decodeCredential(b []byte) (*credentialState, error) {
	s := &credentialState{}
	return s, decodeState(b, kindCredential, s)
}

// decodeState reads b into s strictly and checks it. Every failure wraps
// sdk.ErrBadState.
func decodeState(b []byte, kind string, s state) error {
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
	if err := dec.Decode(s); err != nil {
		return badState(kind, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badState(kind, errors.New("trailing data"))
	}
	// Re-encoding must give the same bytes: this refuses what the decoder
	// forgives (re-cased or repeated keys, spacing, other encodings of the
	// same value), so the checksum below covers the state exactly.
	again, err := json.Marshal(s)
	if err != nil || !bytes.Equal(again, b) {
		return badState(kind, errors.New("not in canonical form"))
	}
	want := *s.sum()
	*s.sum() = ""
	body, err := json.Marshal(s)
	if err != nil {
		return badState(kind, err)
	}
	if want != checksum(body) {
		return badState(kind, errors.New("checksum mismatch"))
	}
	*s.sum() = want
	if err := s.validate(); err != nil {
		return badState(kind, err)
	}
	return nil
}

// checksum is the base64url SHA-256 of a state's JSON without its sum.
func checksum(body []byte) string {
	h := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func badState(kind string, err error) error {
	return fmt.Errorf("%w: %s: %v", sdk.ErrBadState, kind, err)
}
