package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// User-safe reasons for results other than ResultOK. renew is what the user
// does next: request a new code, or start the enrollment again.
const (
	reasonMalformed  = "enter the %d-digit code from the text message"
	reasonInvalid    = "the code is not correct"
	reasonSpent      = "too many wrong codes; %s"
	reasonExpired    = "the code has expired; %s"
	reasonReplayed   = "this code has already been used"
	reasonSuperseded = "a newer code has been sent; enter the code from the latest message"
	reasonClock      = "the time of the request is not valid"
	reasonThrottled  = "a code was sent a moment ago; wait before asking for another"

	renewChallenge  = "request a new code"
	renewEnrollment = "start the enrollment again"
)

// Purposes of a send, for the log.
const (
	purposeEnroll    = "enroll"
	purposeChallenge = "challenge"
)

// newCode draws a challenge id, a hash key and a code, and returns the code's
// state with the code itself, which only the message carries.
func (f *Factor) newCode(now time.Time) (codeState, string, error) {
	id, err := sdk.RandomBytes(f.deps.rand, idLen)
	if err != nil {
		return codeState{}, "", fmt.Errorf("challenge id: %w", err)
	}
	key, err := sdk.RandomBytes(f.deps.rand, keyLen)
	if err != nil {
		return codeState{}, "", fmt.Errorf("hash key: %w", err)
	}
	code, err := sdk.RandomDigits(f.deps.rand, f.settings.digits)
	if err != nil {
		return codeState{}, "", fmt.Errorf("code: %w", err)
	}
	c := codeState{
		ID:          hex.EncodeToString(id),
		Key:         key,
		Digits:      f.settings.digits,
		Expires:     now.Add(f.settings.codeTTL).UTC(),
		MaxAttempts: f.settings.maxAttempts,
	}
	c.Hash = codeHash(c.Key, c.ID, code)
	return c, code, nil
}

// codeHash is HMAC-SHA256(key, id || code). The id has a fixed length, so
// the concatenation is unambiguous; mixing it in binds the code to its
// challenge.
func codeHash(key []byte, id, code string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte(code))
	return m.Sum(nil)
}

// checked is the outcome of checking a proof against a code.
type checked struct {
	result sdk.Result
	reason string
	// changed says the code's state changed (an attempt counted, or the code
	// used) and must be returned to the host.
	changed bool
}

// checkCode checks proof against c at now, counting a wrong code as an
// attempt and marking a right one used. A used code is ResultReplayed, an
// expired one ResultExpired and one whose attempts are spent
// ResultLockedByFactor, whatever the proof. Input that is not a code of the
// right length is refused without counting an attempt: it cannot be right,
// so it tells the user nothing about the code.
func checkCode(c *codeState, proof string, now time.Time, renew string) checked {
	switch {
	case checkTime(now) != nil:
		return checked{result: sdk.ResultInvalid, reason: reasonClock}
	case c.Used:
		return checked{result: sdk.ResultReplayed, reason: reasonReplayed}
	case !now.Before(c.Expires):
		return checked{result: sdk.ResultExpired, reason: fmt.Sprintf(reasonExpired, renew)}
	case c.Attempts >= c.MaxAttempts:
		return checked{result: sdk.ResultLockedByFactor, reason: fmt.Sprintf(reasonSpent, renew)}
	}
	code, err := sdk.NormalizeCode(proof, c.Digits)
	if err != nil {
		return checked{result: sdk.ResultInvalid, reason: fmt.Sprintf(reasonMalformed, c.Digits)}
	}
	if !hmac.Equal(codeHash(c.Key, c.ID, code), c.Hash) {
		c.Attempts++
		left := c.MaxAttempts - c.Attempts
		switch left {
		case 0:
			return checked{result: sdk.ResultLockedByFactor, reason: fmt.Sprintf(reasonSpent, renew), changed: true}
		case 1:
			return checked{result: sdk.ResultInvalid, reason: reasonInvalid + "; 1 attempt left", changed: true}
		default:
			return checked{result: sdk.ResultInvalid, reason: fmt.Sprintf("%s; %d attempts left", reasonInvalid, left), changed: true}
		}
	}
	c.Used = true
	return checked{result: sdk.ResultOK, changed: true}
}

// sendCode renders the message carrying code and sends it to phone. A
// failure is logged with the masked number and returned; the code is never
// logged here.
func (f *Factor) sendCode(ctx context.Context, phone string, c codeState, code, purpose string) error {
	masked := maskPhone(phone)
	body, err := renderMessage(f.settings.message, messageData{Issuer: f.settings.issuer, Code: code, Minutes: minutes(f.settings.codeTTL)})
	if err != nil {
		return err
	}
	log := f.deps.logger.With("to", masked, "challenge_id", c.ID, "sender", f.sender.kind(), "purpose", purpose)
	receipt, err := f.sender.send(ctx, outgoing{to: phone, masked: masked, body: body, challengeID: c.ID})
	if err != nil {
		log.WarnContext(ctx, "sms: sending a code failed", "error", err.Error())
		return fmt.Errorf("send code to %s: %w", masked, err)
	}
	if receipt != "" {
		log = log.With("gateway_id", receipt)
	}
	log.InfoContext(ctx, "sms: code sent", "expires", c.Expires)
	return nil
}

// display is what the user sees after a code was sent.
func display(phone string, c codeState) sdk.Display {
	masked := maskPhone(phone)
	return sdk.Display{
		MaskedDestination: masked,
		Message:           "We sent a code to " + masked,
		ExpiresAt:         c.Expires,
		Extra:             map[string]string{"challenge_id": c.ID},
	}
}
