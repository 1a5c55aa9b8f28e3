package totp

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// testSecret is a fixed 20-byte key for tests that do not need RFC seeds.
var testSecret = []byte("factorgate-totp-test")

// testNow is a fixed request time, 10 seconds into its 30-second step.
var testNow = time.Unix(1_700_000_010, 0).UTC()

// testParams returns the parameters of a default credential with testSecret.
func testParams() params {
	return params{Secret: bytes.Clone(testSecret), Algorithm: "SHA1", Digits: 6, Period: 30, Skew: 1}
}

// codeAt returns the code of p for one time step.
func codeAt(t testing.TB, p params, step uint64) string {
	t.Helper()
	code, err := hotp.GenerateCodeCustom(b32.EncodeToString(p.Secret), step, hotp.ValidateOpts{
		Digits:    otp.Digits(p.Digits),
		Algorithm: algorithms[p.Algorithm],
	})
	if err != nil {
		t.Fatalf("generate code: %v", err)
	}
	return code
}

// codeAtTime returns the code of p for the step holding now plus offset steps.
func codeAtTime(t testing.TB, p params, now time.Time, offset int) string {
	t.Helper()
	step, ok := timeStep(now, p.Period)
	if !ok {
		t.Fatalf("no time step for %v", now)
	}
	return codeAt(t, p, uint64(int64(step)+int64(offset)))
}

// credential encodes a credential state with p and lastStep.
func credential(t testing.TB, p params, lastStep uint64) []byte {
	t.Helper()
	b, err := encodeCredential(p, lastStep)
	if err != nil {
		t.Fatalf("encode credential: %v", err)
	}
	return b
}

// lastStepOf decodes a credential state and returns its last accepted step.
func lastStepOf(t testing.TB, state []byte) uint64 {
	t.Helper()
	st, err := decodeCredential(state)
	if err != nil {
		t.Fatalf("decode credential: %v", err)
	}
	return st.LastStep
}

// sequenceReader yields the bytes start, start+1, start+2, ... for a
// deterministic secret.
type sequenceReader struct{ next byte }

func (r *sequenceReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.next
		r.next++
	}
	return len(p), nil
}

// legacyCredentialJSON is a credential state of the legacy (version 1) form,
// as the factor wrote it before it used sdk.StateCodec.
func legacyCredentialJSON(t testing.TB, p params, lastStep uint64) []byte {
	t.Helper()
	b, err := json.Marshal(legacyCredential{Version: legacyVersion, Kind: kindCredential, params: p, LastStep: lastStep})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyPendingJSON is a pending state of the legacy (version 1) form.
func legacyPendingJSON(t testing.TB, p params, created time.Time) []byte {
	t.Helper()
	b, err := json.Marshal(legacyPending{Version: legacyVersion, Kind: kindPending, params: p, Created: created.UTC()})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
