package backupcodes

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// testNow is a fixed request time.
var testNow = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

// seededRand returns a deterministic random source; each seed gives other codes.
func seededRand(seed string) *rand.ChaCha8 {
	var s [32]byte
	copy(s[:], seed)
	return rand.NewChaCha8(s)
}

// configure applies settings to a factor drawing from a source seeded with
// the test's name.
func configure(t testing.TB, settings string) *Factor {
	t.Helper()
	f, err := New(WithRand(seededRand(t.Name())), WithHashMemory(minKDFMemoryKiB)).Configure(context.Background(), json.RawMessage(settings))
	if err != nil {
		t.Fatalf("Configure(%s): %v", settings, err)
	}
	return f.(*Factor)
}

// begin begins an enrollment at testNow.
func begin(t testing.TB, f *Factor) sdk.BeginEnrollmentResponse {
	t.Helper()
	resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u-1"}, Now: testNow})
	if err != nil {
		t.Fatalf("BeginEnrollment: %v", err)
	}
	return resp
}

// enroll begins an enrollment at testNow and confirms it a minute later with
// proof, which must be accepted. It returns the codes shown and the credential.
func enroll(t testing.TB, f *Factor, proof func(codes []string) string) ([]string, []byte) {
	t.Helper()
	b := begin(t, f)
	resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		PendingState: b.PendingState,
		Proof:        sdk.Proof{Code: proof(b.Display.Codes)},
		Now:          testNow.Add(time.Minute),
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment = %v %q, %v; want ok", resp.Result, resp.Reason, err)
	}
	return b.Display.Codes, resp.CredentialState
}

// noCode is the proof of an implicit confirmation.
func noCode([]string) string { return "" }

// verify calls Verify and fails on an error.
func verify(t testing.TB, f *Factor, state []byte, code string, now time.Time) sdk.VerifyResponse {
	t.Helper()
	resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: state, Proof: sdk.Proof{Code: code}, Now: now})
	if err != nil {
		t.Fatalf("Verify(%q): %v", code, err)
	}
	return resp
}

// mustDecodeCredential decodes a credential state the factor returned.
func mustDecodeCredential(t testing.TB, state []byte) credentialState {
	t.Helper()
	st, err := decodeCredential(state)
	if err != nil {
		t.Fatalf("decode credential: %v", err)
	}
	return st
}

// cheapKDF is the cheapest hash a state may carry, for tests that build
// states directly and run many verifications (the fuzz target).
func cheapKDF() kdfParams {
	p := defaultKDF()
	p.MemoryKiB = minKDFMemoryKiB
	return p
}

// testSet builds a set of count hex codes with p, drawn from a source seeded
// with seed, and returns the codes and the set.
func testSet(t testing.TB, seed string, count int, p kdfParams) ([]string, codeSet, [][]byte) {
	t.Helper()
	r := seededRand(seed)
	codes, err := generateSet(r, formatHex, codeLength, count)
	if err != nil {
		t.Fatal(err)
	}
	salt, err := sdk.RandomBytes(r, saltLen)
	if err != nil {
		t.Fatal(err)
	}
	set := codeSet{Format: formatHex, Length: codeLength, KDF: p, Salt: salt}
	return codes, set, p.hashSet(codes, salt)
}

// slotsOf returns unused slots of hashes.
func slotsOf(hashes [][]byte) []slot {
	slots := make([]slot, len(hashes))
	for i, h := range hashes {
		slots[i] = slot{Hash: h}
	}
	return slots
}

// testCredential encodes a credential of hashes with the slots in used used at testNow.
func testCredential(t testing.TB, set codeSet, hashes [][]byte, used ...int) []byte {
	t.Helper()
	slots := slotsOf(hashes)
	for _, i := range used {
		slots[i].UsedAt = testNow
	}
	b, err := encodeCredential(set, slots)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodeUnchecked encodes a legacy state with a correct sum but without
// validating it, so a test can hand the factor well-formed states with bad
// values.
func encodeUnchecked(t testing.TB, st summed) []byte {
	t.Helper()
	b, err := marshalLegacy(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// changeLast returns the hex code with its last character changed to the
// next hex digit: still well formed, but another code.
func changeLast(code string) string {
	const digits = "0123456789abcdef"
	i := strings.IndexByte(digits, code[len(code)-1])
	return code[:len(code)-1] + string(digits[(i+1)%len(digits)])
}

// scriptReader returns its bytes, then fails.
type scriptReader struct{ b []byte }

func (r *scriptReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errors.New("script exhausted")
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// zeroReader returns zero bytes forever: a broken source.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// failingReader always fails.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy source failed") }
