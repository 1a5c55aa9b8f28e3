package sms

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// testCode is a valid code state.
func testCode() sdk.OneTimeCode {
	return sdk.OneTimeCode{
		ID:          "00112233445566778899aabbccddeeff",
		Key:         bytes.Repeat([]byte{7}, 32),
		Hash:        bytes.Repeat([]byte{9}, sha256.Size),
		Digits:      6,
		Expires:     testNow.Add(5 * time.Minute),
		MaxAttempts: 3,
	}
}

// validStates are one valid state of each kind, with its decoder.
func validStates(t testing.TB) []struct {
	kind   string
	state  []byte
	decode func([]byte) error
} {
	t.Helper()
	enc := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		return b
	}
	return []struct {
		kind   string
		state  []byte
		decode func([]byte) error
	}{
		{kindPending, enc(encodePending(newPending(testPhone, testNow, testCode()))), decodePendingErr},
		{kindChallenge, enc(encodeChallenge(newChallenge(testCode()))), decodeChallengeErr},
		{kindCredential, enc(encodeCredential(newCredential(testPhone, testNow, sdk.LatestCode{ID: testCode().ID}))), decodeCredentialErr},
		{"legacy " + kindPending, readTestdata(t, "sms-pending-v1.json"), decodePendingErr},
		{"legacy " + kindChallenge, readTestdata(t, "sms-challenge-v1.json"), decodeChallengeErr},
		{"legacy " + kindCredential, readTestdata(t, "sms-credential-v1.json"), decodeCredentialErr},
	}
}

func TestStateRoundTrip(t *testing.T) {
	c := testCode()
	c.Attempts, c.Used = 2, true
	t.Run("pending", func(t *testing.T) {
		in := newPending(testPhone, testNow.In(time.FixedZone("AEST", 10*3600)), c)
		b, err := encodePending(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodePending(b)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, b)
		}
		if out.Phone != testPhone || !out.Sent.Equal(testNow) || out.Sent.Location() != time.UTC || out.Code.ID != c.ID ||
			!bytes.Equal(out.Code.Key, c.Key) || !bytes.Equal(out.Code.Hash, c.Hash) || out.Code.Attempts != 2 || !out.Code.Used ||
			out.Code.MaxAttempts != 3 || out.Code.Digits != 6 || !out.Code.Expires.Equal(c.Expires) {
			t.Fatalf("round trip: %+v", out)
		}
	})
	t.Run("challenge", func(t *testing.T) {
		b, err := encodeChallenge(newChallenge(c))
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeChallenge(b)
		if err != nil || out.Code.ID != c.ID || out.Code.Attempts != 2 || !out.Code.Used {
			t.Fatalf("round trip: %+v, %v", out, err)
		}
	})
	t.Run("credential", func(t *testing.T) {
		b, err := encodeCredential(newCredential(testPhone, testNow, sdk.LatestCode{ID: c.ID, Used: true}))
		if err != nil {
			t.Fatal(err)
		}
		out, err := decodeCredential(b)
		if err != nil || out.Phone != testPhone || !out.LastSent.Equal(testNow) || out.Latest.ID != c.ID || !out.Latest.Used {
			t.Fatalf("round trip: %+v, %v", out, err)
		}
	})
}

func TestEncodeStateRefusesInvalidValues(t *testing.T) {
	short := testCode()
	short.Key = short.Key[:16]
	tests := []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{"national phone", func() ([]byte, error) { return encodePending(newPending("0412345678", testNow, testCode())) }},
		{"zero sent time", func() ([]byte, error) { return encodePending(newPending(testPhone, time.Time{}, testCode())) }},
		{"short key", func() ([]byte, error) { return encodeChallenge(newChallenge(short)) }},
		{"used without a challenge", func() ([]byte, error) {
			return encodeCredential(newCredential(testPhone, testNow, sdk.LatestCode{Used: true}))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := tc.encode(); err == nil {
				t.Fatalf("encode accepted %s", b)
			}
		})
	}
}

// Every single-bit change and every truncation of a valid state must be
// refused: a damaged state never sends a code to another number or revives
// a spent code.
func TestDecodeRefusesEveryBitFlipAndTruncation(t *testing.T) {
	for _, v := range validStates(t) {
		t.Run(v.kind, func(t *testing.T) {
			if err := v.decode(v.state); err != nil {
				t.Fatalf("the valid state does not decode: %v", err)
			}
			for i := range v.state {
				for bit := range 8 {
					b := bytes.Clone(v.state)
					b[i] ^= 1 << bit
					if err := v.decode(b); !errors.Is(err, sdk.ErrBadState) {
						t.Fatalf("byte %d bit %d flipped (%q): err %v, want sdk.ErrBadState", i, bit, b, err)
					}
				}
			}
			for n := range len(v.state) {
				if err := v.decode(v.state[:n]); !errors.Is(err, sdk.ErrBadState) {
					t.Fatalf("truncated to %d bytes: err %v, want sdk.ErrBadState", n, err)
				}
			}
		})
	}
}

// TestDecodeBadState hands the decoders damaged states of the legacy
// (version 1) form, which must be read as strictly as ever; damaged states of
// the new form are refused by their checksum (the bit-flip test above).
func TestDecodeBadState(t *testing.T) {
	pending := seal(t, legacyPendingOf(testPhone, testNow, testCode()))
	challengeBytes := seal(t, legacyChallengeOf(testCode()))
	credential := seal(t, legacyCredentialOf(testPhone, testNow, testCode().ID, false))
	// withCode seals a challenge state whose code is changed by edit; the
	// checksum is right, so only the value checks can refuse it.
	withCode := func(edit func(c *sdk.OneTimeCode)) []byte {
		c := testCode()
		edit(&c)
		return seal(t, legacyChallengeOf(c))
	}
	edited := func(b []byte, edit func(m map[string]any)) []byte {
		m := stateMap(t, b)
		edit(m)
		return sealJSON(t, m)
	}
	tests := []struct {
		name   string
		state  []byte
		decode func([]byte) error
	}{
		{"nil", nil, decodeChallengeErr},
		{"empty", []byte{}, decodeChallengeErr},
		{"null", []byte("null"), decodeChallengeErr},
		{"empty object", []byte("{}"), decodeChallengeErr},
		{"array", []byte("[1,2]"), decodeChallengeErr},
		{"garbage", []byte("\x00\x01\xff"), decodeChallengeErr},
		{"too large", append(bytes.Clone(challengeBytes), bytes.Repeat([]byte(" "), maxStateLen)...), decodeChallengeErr},
		{"trailing data", append(bytes.Clone(challengeBytes), []byte("{}")...), decodeChallengeErr},
		{"trailing space", append(bytes.Clone(challengeBytes), ' '), decodeChallengeErr},
		{"leading space", append([]byte(" "), challengeBytes...), decodeChallengeErr},
		{"pending as challenge", pending, decodeChallengeErr},
		{"credential as challenge", credential, decodeChallengeErr},
		{"challenge as credential", challengeBytes, decodeCredentialErr},
		{"challenge as pending", challengeBytes, decodePendingErr},
		{"pending as credential", pending, decodeCredentialErr},
		{"re-cased key", bytes.Replace(challengeBytes, []byte(`"kind"`), []byte(`"Kind"`), 1), decodeChallengeErr},
		{"keys reordered, checksum fixed", edited(challengeBytes, func(map[string]any) {}), decodeChallengeErr},
		{"unknown field, checksum fixed", edited(credential, func(m map[string]any) { m["extra"] = 1 }), decodeCredentialErr},
		{"version 2", bytes.Replace(challengeBytes, []byte(`"v":1`), []byte(`"v":2`), 1), decodeChallengeErr},
		{"version as string", bytes.Replace(challengeBytes, []byte(`"v":1`), []byte(`"v":"1"`), 1), decodeChallengeErr},
		{"checksum removed", []byte(strings.Split(string(challengeBytes), `,"sum"`)[0] + "}"), decodeChallengeErr},
		{"checksum of another state", []byte(strings.Split(string(challengeBytes), `"sum":`)[0] + `"sum":"` + checksum(credential) + `"}`), decodeChallengeErr},
		{"short key", withCode(func(c *sdk.OneTimeCode) { c.Key = c.Key[:16] }), decodeChallengeErr},
		{"no key", withCode(func(c *sdk.OneTimeCode) { c.Key = nil }), decodeChallengeErr},
		{"short hash", withCode(func(c *sdk.OneTimeCode) { c.Hash = c.Hash[:31] }), decodeChallengeErr},
		{"id uppercase", withCode(func(c *sdk.OneTimeCode) { c.ID = strings.ToUpper(c.ID) }), decodeChallengeErr},
		{"id short", withCode(func(c *sdk.OneTimeCode) { c.ID = c.ID[:30] }), decodeChallengeErr},
		{"digits 5", withCode(func(c *sdk.OneTimeCode) { c.Digits = 5 }), decodeChallengeErr},
		{"digits 11", withCode(func(c *sdk.OneTimeCode) { c.Digits = 11 }), decodeChallengeErr},
		{"attempts negative", withCode(func(c *sdk.OneTimeCode) { c.Attempts = -1 }), decodeChallengeErr},
		{"attempts above max", withCode(func(c *sdk.OneTimeCode) { c.Attempts = 4 }), decodeChallengeErr},
		{"max attempts 0", withCode(func(c *sdk.OneTimeCode) { c.MaxAttempts, c.Attempts = 0, 0 }), decodeChallengeErr},
		{"max attempts 11", withCode(func(c *sdk.OneTimeCode) { c.MaxAttempts = 11 }), decodeChallengeErr},
		{"zero expiry", withCode(func(c *sdk.OneTimeCode) { c.Expires = time.Time{} }), decodeChallengeErr},
		{"expiry before 1970", withCode(func(c *sdk.OneTimeCode) { c.Expires = time.Unix(-1, 0).UTC() }), decodeChallengeErr},
		{"credential national phone", seal(t, legacyCredentialOf("0412345678", testNow, "", false)), decodeCredentialErr},
		{"credential phone with spaces", seal(t, legacyCredentialOf("+61 412 345 678", testNow, "", false)), decodeCredentialErr},
		{"credential bad latest", seal(t, legacyCredentialOf(testPhone, testNow, "xyz", false)), decodeCredentialErr},
		{"credential used without latest", seal(t, legacyCredentialOf(testPhone, testNow, "", true)), decodeCredentialErr},
		{"pending no phone", seal(t, legacyPendingOf("", testNow, testCode())), decodePendingErr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.decode(tc.state); !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("decode(%q) = %v, want sdk.ErrBadState", tc.state, err)
			}
		})
	}
}

func decodePendingErr(b []byte) error    { _, err := decodePending(b); return err }
func decodeChallengeErr(b []byte) error  { _, err := decodeChallenge(b); return err }
func decodeCredentialErr(b []byte) error { _, err := decodeCredential(b); return err }
