package sdk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// One-time codes sent to a user (text message, email): what every factor that
// sends codes shares. A factor keeps a OneTimeCode in its challenge (or
// pending) state and the id of the latest code in its credential state
// (LatestCode); the code itself goes only into the message.

// Bounds of a CodePolicy.
const (
	MinCodeDigits   = 6
	MaxCodeDigits   = 10
	MaxCodeAttempts = 10
	// MaxCodeTTL follows NIST SP 800-63B section 5.1.3.2: an out-of-band
	// secret should be valid for at most 10 minutes.
	MaxCodeTTL = 10 * time.Minute
)

// Sizes of a code's id and hash key.
const (
	codeIDLen  = 16
	codeKeyLen = 32
)

var codeIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// CodePolicy is how codes are made: their length, lifetime and the wrong
// tries each survives.
type CodePolicy struct {
	Digits      int
	TTL         time.Duration
	MaxAttempts int
}

// Validate checks the policy against the bounds above.
func (p CodePolicy) Validate() error {
	switch {
	case p.Digits < MinCodeDigits || p.Digits > MaxCodeDigits:
		return fmt.Errorf("code digits must be between %d and %d, got %d", MinCodeDigits, MaxCodeDigits, p.Digits)
	case p.TTL <= 0 || p.TTL > MaxCodeTTL:
		return fmt.Errorf("code lifetime must be positive and at most %s, got %s", MaxCodeTTL, p.TTL)
	case p.MaxAttempts < 1 || p.MaxAttempts > MaxCodeAttempts:
		return fmt.Errorf("code attempts must be between 1 and %d, got %d", MaxCodeAttempts, p.MaxAttempts)
	}
	return nil
}

// OneTimeCode is one code sent, as a factor keeps it in state: never the code,
// only HMAC-SHA256(Key, ID || code) under a random key. The host seals the
// state at rest, so the key beside the hash is as protected as the hash. The
// random ID is part of the hashed message, so a code never passes for another
// challenge's.
type OneTimeCode struct {
	ID          string    `json:"id"`
	Key         []byte    `json:"key"`
	Hash        []byte    `json:"hash"`
	Digits      int       `json:"digits"`
	Expires     time.Time `json:"expires"`
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	Used        bool      `json:"used"`
}

// NewOneTimeCode draws an id, a hash key and a code of p.Digits digits from r
// (crypto/rand when nil), and returns the code's state, expiring at now plus
// p.TTL, and the code itself, which only the message may carry.
func NewOneTimeCode(r io.Reader, p CodePolicy, now time.Time) (OneTimeCode, string, error) {
	if err := p.Validate(); err != nil {
		return OneTimeCode{}, "", err
	}
	id, err := RandomBytes(r, codeIDLen)
	if err != nil {
		return OneTimeCode{}, "", fmt.Errorf("code id: %w", err)
	}
	key, err := RandomBytes(r, codeKeyLen)
	if err != nil {
		return OneTimeCode{}, "", fmt.Errorf("code key: %w", err)
	}
	code, err := RandomDigits(r, p.Digits)
	if err != nil {
		return OneTimeCode{}, "", fmt.Errorf("code: %w", err)
	}
	c := OneTimeCode{
		ID:          hex.EncodeToString(id),
		Key:         key,
		Digits:      p.Digits,
		Expires:     now.Add(p.TTL).UTC(),
		MaxAttempts: p.MaxAttempts,
	}
	c.Hash = c.hash(code)
	return c, code, nil
}

// hash is HMAC-SHA256(key, id || code). The id has a fixed length, so the
// concatenation is unambiguous.
func (c *OneTimeCode) hash(code string) []byte {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(c.ID))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Validate checks a code's fields, so that a code with a short key or hash
// never verifies. StateCodec's Validate hook is the place to call it.
func (c *OneTimeCode) Validate() error {
	switch {
	case !codeIDRE.MatchString(c.ID):
		return errors.New("code id is not 32 hex digits")
	case len(c.Key) != codeKeyLen:
		return fmt.Errorf("code key is not %d bytes", codeKeyLen)
	case len(c.Hash) != sha256.Size:
		return fmt.Errorf("code hash is not %d bytes", sha256.Size)
	case c.Digits < MinCodeDigits || c.Digits > MaxCodeDigits:
		return fmt.Errorf("code digits %d out of range", c.Digits)
	case c.MaxAttempts < 1 || c.MaxAttempts > MaxCodeAttempts:
		return fmt.Errorf("code max_attempts %d out of range", c.MaxAttempts)
	case c.Attempts < 0 || c.Attempts > c.MaxAttempts:
		return fmt.Errorf("code attempts %d out of range", c.Attempts)
	case c.Expires.IsZero() || c.Expires.Unix() < 0:
		return errors.New("code has no valid expiry")
	}
	return nil
}

// CodeCheck is the outcome of checking a typed code.
type CodeCheck struct {
	Result Result
	// Malformed: the input was not a code of the right length; no attempt
	// was counted.
	Malformed bool
	// Superseded: the code was not the latest sent (ResultExpired).
	Superseded bool
	// AttemptsLeft is how many wrong tries the code still survives.
	AttemptsLeft int
	// Changed: the code's state changed (an attempt counted, or the code
	// used) and must be returned to the host.
	Changed bool
}

// Check checks what the user typed against c at now. A wrong code counts an
// attempt; the last allowed wrong code and any try after it are
// ResultLockedByFactor. A used code is ResultReplayed and an expired one
// ResultExpired whatever was typed. A right code marks c used. Input that is
// not a code of the right length is ResultInvalid without counting an
// attempt: it cannot be right, so it tells the user nothing. The comparison
// is constant-time.
func (c *OneTimeCode) Check(typed string, now time.Time) CodeCheck {
	left := max(c.MaxAttempts-c.Attempts, 0)
	switch {
	case c.Used:
		return CodeCheck{Result: ResultReplayed, AttemptsLeft: left}
	case !now.Before(c.Expires):
		return CodeCheck{Result: ResultExpired, AttemptsLeft: left}
	case left == 0:
		return CodeCheck{Result: ResultLockedByFactor}
	}
	code, err := NormalizeCode(typed, c.Digits)
	if err != nil {
		return CodeCheck{Result: ResultInvalid, Malformed: true, AttemptsLeft: left}
	}
	if !hmac.Equal(c.hash(code), c.Hash) {
		c.Attempts++
		left--
		if left == 0 {
			return CodeCheck{Result: ResultLockedByFactor, Changed: true}
		}
		return CodeCheck{Result: ResultInvalid, AttemptsLeft: left, Changed: true}
	}
	c.Used = true
	return CodeCheck{Result: ResultOK, AttemptsLeft: left, Changed: true}
}

// Reason is a short, user-safe explanation of a result other than ResultOK.
// renew says what the user does next ("request a new code").
func (k CodeCheck) Reason(digits int, renew string) string {
	switch {
	case k.Result == ResultOK:
		return ""
	case k.Malformed:
		return fmt.Sprintf("enter the %d-digit code", digits)
	case k.Superseded:
		return "a newer code has been sent; enter the code from the latest message"
	case k.Result == ResultInvalid && k.AttemptsLeft == 1:
		return "the code is not correct; 1 attempt left"
	case k.Result == ResultInvalid:
		return fmt.Sprintf("the code is not correct; %d attempts left", k.AttemptsLeft)
	case k.Result == ResultLockedByFactor:
		return "too many wrong codes; " + renew
	case k.Result == ResultExpired:
		return "the code has expired; " + renew
	case k.Result == ResultReplayed:
		return "this code has already been used"
	}
	return "the code was not accepted"
}

// LatestCode is what a credential keeps of the codes sent for it: the id of
// the latest, the only one Verify accepts (a resend supersedes every earlier
// code), and whether it was used.
type LatestCode struct {
	ID   string `json:"id"`
	Used bool   `json:"used"`
}

// Validate checks the fields.
func (l *LatestCode) Validate() error {
	switch {
	case l.ID != "" && !codeIDRE.MatchString(l.ID):
		return errors.New("latest code id is not 32 hex digits")
	case l.ID == "" && l.Used:
		return errors.New("latest code used without an id")
	}
	return nil
}

// Sent records c as the latest code, superseding every earlier one.
func (l *LatestCode) Sent(c OneTimeCode) { *l = LatestCode{ID: c.ID} }

// Check checks what the user typed against c, the code of the challenge being
// verified. A code that is not the latest is ResultExpired (superseded); the
// latest, once used, is ResultReplayed. Otherwise it is c.Check, and on
// ResultOK the latest code is marked used, so a code is good once whichever
// state the host checks next; both l and c are then to be returned.
func (l *LatestCode) Check(c *OneTimeCode, typed string, now time.Time) CodeCheck {
	switch {
	case c.ID != l.ID:
		return CodeCheck{Result: ResultExpired, Superseded: true}
	case l.Used:
		return CodeCheck{Result: ResultReplayed}
	}
	out := c.Check(typed, now)
	if out.Result == ResultOK {
		l.Used = true
	}
	return out
}
