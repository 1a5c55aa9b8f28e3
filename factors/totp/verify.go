package totp

import (
	"context"
	"encoding/base32"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/factorgate/factorgate/sdk"
)

// algorithms are the HMAC hashes a credential may use, by their URI names.
var algorithms = map[string]otp.Algorithm{
	"SHA1":   otp.AlgorithmSHA1,
	"SHA256": otp.AlgorithmSHA256,
	"SHA512": otp.AlgorithmSHA512,
}

func knownAlgorithm(name string) bool {
	_, ok := algorithms[name]
	return ok
}

// b32 is the base32 alphabet of secrets, without padding as authenticator
// apps expect.
var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// User-safe reasons for results other than ResultOK.
const (
	reasonMalformed = "enter the %d-digit code from your authenticator app"
	reasonInvalid   = "the code is not correct"
	reasonReplayed  = "this code has already been used; wait for the next one"
	reasonClock     = "the time of the request is not valid"
)

// Verify checks a code against an enrolled credential. A code is accepted for
// a time step within skew steps of the current one and later than the last
// accepted step; the response then carries the new credential state recording
// that step. A code valid only for steps already passed is ResultReplayed and
// changes nothing; any other code is ResultInvalid. State that cannot be read
// is an error wrapping sdk.ErrBadState.
func (f *Factor) Verify(_ context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	st, err := decodeCredential(req.CredentialState)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("totp: verify: %w", err)
	}
	code, err := sdk.NormalizeCode(req.Proof.Code, st.Digits)
	if err != nil {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: fmt.Sprintf(reasonMalformed, st.Digits)}, nil
	}
	current, ok := timeStep(req.Now, st.Period)
	if !ok {
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonClock}, nil
	}
	step, found, err := matchStep(st.params, code, current, st.Skew)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("totp: verify: %w", err)
	}
	switch {
	case !found:
		return sdk.VerifyResponse{Result: sdk.ResultInvalid, Reason: reasonInvalid}, nil
	case step <= st.LastStep:
		return sdk.VerifyResponse{Result: sdk.ResultReplayed, Reason: reasonReplayed}, nil
	}
	next, err := encodeCredential(st.params, step)
	if err != nil {
		return sdk.VerifyResponse{}, fmt.Errorf("totp: verify: %w", err)
	}
	return sdk.VerifyResponse{Result: sdk.ResultOK, CredentialState: next}, nil
}

// timeStep returns the RFC 6238 time step of now: floor(unix seconds /
// period). Times before 1970 have no step.
func timeStep(now time.Time, period int) (uint64, bool) {
	unix := now.Unix()
	if unix < 0 || period <= 0 {
		return 0, false
	}
	return uint64(unix) / uint64(period), true
}

// matchStep compares code with the code of every time step from current-skew
// to current+skew (steps below zero do not exist) and returns the greatest
// step whose code equals it. Every candidate is computed and compared in
// constant time, with no early exit, so the time taken does not tell which
// step matched. Reporting the greatest step means a code that happens to be
// valid for two steps in the window is consumed for both.
func matchStep(p params, code string, current uint64, skew int) (step uint64, found bool, err error) {
	alg, ok := algorithms[p.Algorithm]
	if !ok {
		return 0, false, fmt.Errorf("%w: unknown algorithm", sdk.ErrBadState)
	}
	if len(p.Secret) < minSecretLen {
		// Never compare against a code derived from an empty or short key.
		return 0, false, fmt.Errorf("%w: secret too short", sdk.ErrBadState)
	}
	opts := hotp.ValidateOpts{Digits: otp.Digits(p.Digits), Algorithm: alg}
	secret := b32.EncodeToString(p.Secret)
	for i := -skew; i <= skew; i++ {
		var candidate uint64
		if i < 0 {
			if uint64(-i) > current {
				continue
			}
			candidate = current - uint64(-i)
		} else {
			candidate = current + uint64(i)
		}
		want, err := hotp.GenerateCodeCustom(secret, candidate, opts)
		if err != nil {
			return 0, false, fmt.Errorf("compute code: %w", err)
		}
		if sdk.ConstantTimeEqual(want, code) {
			step, found = candidate, true
		}
	}
	return step, found, nil
}
