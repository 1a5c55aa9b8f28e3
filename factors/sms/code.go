package sms

import (
	"context"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// User-safe reasons for results other than ResultOK that sdk.CodeCheck does
// not word. renew is what the user does next: request a new code, or start
// the enrollment again.
const (
	reasonMalformed = "enter the %d-digit code from the text message"
	reasonClock     = "the time of the request is not valid"
	reasonThrottled = "a code was sent a moment ago; wait before asking for another"

	renewChallenge  = "request a new code"
	renewEnrollment = "start the enrollment again"
)

// Purposes of a send, for the log.
const (
	purposeEnroll    = "enroll"
	purposeChallenge = "challenge"
)

// newCode draws a code under the instance's policy and returns its state
// with the code itself, which only the message carries.
func (f *Factor) newCode(now time.Time) (sdk.OneTimeCode, string, error) {
	c, code, err := sdk.NewOneTimeCode(f.deps.rand, sdk.CodePolicy{
		Digits:      f.settings.digits,
		TTL:         f.settings.codeTTL,
		MaxAttempts: f.settings.maxAttempts,
	}, now)
	if err != nil {
		return sdk.OneTimeCode{}, "", fmt.Errorf("new code: %w", err)
	}
	return c, code, nil
}

// checked is the outcome of checking a proof against a code.
type checked struct {
	result sdk.Result
	reason string
	// changed says the code's state changed (an attempt counted, or the code
	// used) and must be returned to the host.
	changed bool
}

// checkCode checks proof against c at now (sdk.OneTimeCode.Check: a wrong
// code counts an attempt, a right one marks the code used) and words the
// outcome for a text-message user. A request without a valid time is
// refused before anything is counted.
func checkCode(c *sdk.OneTimeCode, proof string, now time.Time, renew string) checked {
	if checkTime(now) != nil {
		return checked{result: sdk.ResultInvalid, reason: reasonClock}
	}
	return worded(c.Check(proof, now), c.Digits, renew)
}

// worded turns a code check into the factor's answer.
func worded(out sdk.CodeCheck, digits int, renew string) checked {
	reason := out.Reason(digits, renew)
	if out.Malformed {
		reason = fmt.Sprintf(reasonMalformed, digits)
	}
	return checked{result: out.Result, reason: reason, changed: out.Changed}
}

// sendCode renders the message carrying code and sends it to phone. A
// failure is logged with the masked number and returned; the code is never
// logged here.
func (f *Factor) sendCode(ctx context.Context, phone string, c sdk.OneTimeCode, code, purpose string) error {
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
func display(phone string, c sdk.OneTimeCode) sdk.Display {
	masked := maskPhone(phone)
	return sdk.Display{
		MaskedDestination: masked,
		Message:           "We sent a code to " + masked,
		ExpiresAt:         c.Expires,
		Extra:             map[string]string{"challenge_id": c.ID},
	}
}
