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

// fixture is a set built for a test: its codes, and what a state holds.
type fixture struct {
	codes   []string
	set     codeSet // with an index key
	hashes  [][]byte
	indexes [][]byte
}

// testSet builds a set of count hex codes with p, its salt and index key
// drawn from a source seeded with seed.
func testSet(t testing.TB, seed string, count int, p kdfParams) fixture {
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
	key, err := sdk.RandomBytes(r, indexKeyLen)
	if err != nil {
		t.Fatal(err)
	}
	set := codeSet{Format: formatHex, Length: codeLength, KDF: p, Salt: salt, IndexKey: key}
	return fixture{codes: codes, set: set, hashes: p.hashSet(codes, salt), indexes: indexSet(key, codes)}
}

// plainSet is the set as stored before indexes: without an index key.
func (fx fixture) plainSet() codeSet {
	s := fx.set
	s.IndexKey = nil
	return s
}

// slots returns the set's slots, with their indexes when indexed, the slots
// in used used at testNow.
func (fx fixture) slots(indexed bool, used ...int) []slot {
	slots := make([]slot, len(fx.hashes))
	for i, h := range fx.hashes {
		slots[i] = slot{Hash: h}
		if indexed {
			slots[i].Index = fx.indexes[i]
		}
	}
	for _, i := range used {
		slots[i].UsedAt = testNow
	}
	return slots
}

// credential encodes the set as an indexed credential, the slots in used
// used at testNow.
func (fx fixture) credential(t testing.TB, used ...int) []byte {
	t.Helper()
	b, err := encodeCredential(fx.set, fx.slots(true, used...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// credentialV2 encodes the set as a version 2 credential, without indexes.
func (fx fixture) credentialV2(t testing.TB, used ...int) []byte {
	t.Helper()
	v2 := credentialCodec
	v2.Version = 2
	b, err := v2.Encode(credentialState{codeSet: fx.plainSet(), Codes: fx.slots(false, used...)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// credentialV1 encodes the set as a version 1 credential.
func (fx fixture) credentialV1(t testing.TB, used ...int) []byte {
	t.Helper()
	return encodeUnchecked(t, &legacyCredential{Version: legacyVersion, Kind: kindCredential, codeSet: fx.plainSet(), Codes: fx.slots(false, used...)})
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
