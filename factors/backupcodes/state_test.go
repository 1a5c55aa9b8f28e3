package backupcodes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestStateRoundTrip(t *testing.T) {
	fx := testSet(t, t.Name(), 6, cheapKDF())
	set, hashes := fx.set, fx.hashes

	pending, err := encodePending(set, hashes, fx.indexes, testNow.In(time.FixedZone("X", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodePending(pending)
	if err != nil {
		t.Fatalf("decodePending: %v", err)
	}
	if p.Format != set.Format || p.Length != set.Length || p.KDF != set.KDF || !bytes.Equal(p.Salt, set.Salt) ||
		len(p.Hashes) != len(hashes) || !bytes.Equal(p.Hashes[5], hashes[5]) || !p.Created.Equal(testNow) ||
		!bytes.Equal(p.IndexKey, set.IndexKey) || !bytes.Equal(p.Indexes[5], fx.indexes[5]) {
		t.Fatalf("pending state read back as %+v", p)
	}

	cred := fx.credential(t, 2, 4)
	c, err := decodeCredential(cred)
	if err != nil {
		t.Fatalf("decodeCredential: %v", err)
	}
	if c.codeSet.KDF != set.KDF || len(c.Codes) != 6 || unused(c.Codes) != 4 || !c.Codes[2].UsedAt.Equal(testNow) ||
		!bytes.Equal(c.IndexKey, set.IndexKey) || !bytes.Equal(c.Codes[5].Index, fx.indexes[5]) {
		t.Fatalf("credential state read back as %+v", c)
	}
	// An unused slot has no time of use at all, not a zero one.
	if strings.Count(string(cred), `"used_at"`) != 2 {
		t.Fatalf("credential state %s", cred)
	}
}

// stateValue is a valid legacy (version 1) credential state changed by edit,
// encoded with a correct sum, so that only the value edit changed is wrong.
// The legacy reader must stay as strict as it was.
func stateValue(t testing.TB, edit func(st *legacyCredential)) []byte {
	t.Helper()
	st := mustDecodeCredential(t, testSet(t, "state value", 5, cheapKDF()).credentialV1(t, 1))
	legacy := legacyCredential{Version: legacyVersion, Kind: kindCredential, codeSet: st.codeSet, Codes: st.Codes}
	edit(&legacy)
	return encodeUnchecked(t, &legacy)
}

// rawEdit is a valid legacy credential state with its JSON changed by edit.
func rawEdit(t testing.TB, edit func(s string) string) []byte {
	t.Helper()
	return []byte(edit(string(stateValue(t, func(*legacyCredential) {}))))
}

func TestVerifyBadState(t *testing.T) {
	fx := testSet(t, "bad state", 5, cheapKDF())
	codes, set, hashes := fx.codes, fx.plainSet(), fx.hashes
	valid := fx.credentialV1(t)
	pending := encodeUnchecked(t, &legacyPending{Version: legacyVersion, Kind: kindPending, codeSet: set, Hashes: hashes, Created: testNow})
	var indented bytes.Buffer
	if err := json.Indent(&indented, valid, "", " "); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		state []byte
		want  string // in the error
	}{
		{"nil", nil, "empty"},
		{"empty", []byte{}, "empty"},
		{"whitespace", []byte("  \n"), "not a JSON object"},
		{"null", []byte("null"), "version 0"},
		{"empty object", []byte("{}"), "version 0"},
		{"array", []byte("[1,2,3]"), "not a JSON object"},
		{"string", []byte(`"backup-codes"`), "not a JSON object"},
		{"garbage", []byte("\x00\x01garbage\xff"), "not a JSON object"},
		{"truncated", valid[:len(valid)/2], "not a JSON object"},
		{"truncated by one byte", valid[:len(valid)-1], "not a JSON object"},
		{"trailing data", append(bytes.Clone(valid), []byte(`{}`)...), "after top-level value"},
		{"trailing space", append(bytes.Clone(valid), ' '), "canonical"},
		{"too large", append(bytes.Clone(valid), bytes.Repeat([]byte(" "), maxStateLen)...), "longer than"},
		{"pending state", pending, "kind"},
		{"indented", indented.Bytes(), "canonical"},
		{"key in another case", rawEdit(t, func(s string) string { return strings.Replace(s, `"salt"`, `"Salt"`, 1) }), "canonical"},
		{"unknown field", rawEdit(t, func(s string) string { return strings.Replace(s, `{"v":1,`, `{"v":1,"extra":1,`, 1) }), "unknown field"},
		{"no sum", rawEdit(t, func(s string) string { return s[:strings.Index(s, `,"sum"`)] + "}" }), "canonical"},
		{"wrong sum", rawEdit(t, func(s string) string {
			i := strings.Index(s, `"sum":"`) + len(`"sum":"`)
			return s[:i] + "AAAA" + s[i+4:]
		}), "checksum"},
		{"a used slot made unused", rawEdit(t, func(s string) string {
			i := strings.Index(s, `,"used_at"`)
			return s[:i] + s[strings.Index(s[i:], "}")+i:]
		}), "checksum"},
		{"version 0", stateValue(t, func(st *legacyCredential) { st.Version = 0 }), "version 0"},
		{"version 2", stateValue(t, func(st *legacyCredential) { st.Version = 2 }), "version 2"},
		{"other kind", stateValue(t, func(st *legacyCredential) { st.Kind = "totp-credential" }), "kind"},
		{"format words", stateValue(t, func(st *legacyCredential) { st.Format = "words" }), "format"},
		{"length 12", stateValue(t, func(st *legacyCredential) { st.Length = 12 }), "length"},
		{"short salt", stateValue(t, func(st *legacyCredential) { st.Salt = st.Salt[:minSaltLen-1] }), "salt"},
		{"no salt", stateValue(t, func(st *legacyCredential) { st.Salt = nil }), "salt"},
		{"long salt", stateValue(t, func(st *legacyCredential) { st.Salt = make([]byte, maxSaltLen+1) }), "salt"},
		{"other hash", stateValue(t, func(st *legacyCredential) { st.KDF.Alg = "bcrypt" }), "unknown hash"},
		{"memory too large", stateValue(t, func(st *legacyCredential) { st.KDF.MemoryKiB = 1 << 22 }), "memory"},
		{"zero threads", stateValue(t, func(st *legacyCredential) { st.KDF.Threads = 0 }), "threads"},
		{"too few codes", stateValue(t, func(st *legacyCredential) { st.Codes = st.Codes[:minCount-1] }), "codes"},
		{"no codes", stateValue(t, func(st *legacyCredential) { st.Codes = nil }), "codes"},
		{"too many codes", stateValue(t, func(st *legacyCredential) {
			for len(st.Codes) <= maxCount {
				st.Codes = append(st.Codes, slot{Hash: bytes.Repeat([]byte{1}, int(st.KDF.KeyLen))})
			}
		}), "codes"},
		{"short hash", stateValue(t, func(st *legacyCredential) { st.Codes[2].Hash = st.Codes[2].Hash[:8] }), "hash 2"},
		{"empty hash", stateValue(t, func(st *legacyCredential) { st.Codes[0].Hash = nil }), "hash 0"},
		{"used before 1970", stateValue(t, func(st *legacyCredential) { st.Codes[3].UsedAt = time.Unix(-5, 0).UTC() }), "time of use"},
		{"version 1 with an index", stateValue(t, func(st *legacyCredential) { st.Codes[0].Index = []byte{1, 2} }), "version 1 state with an index"},
		{"version 2 with an index", version2(t, credentialCodec, credentialState{codeSet: fx.set, Codes: fx.slots(true)}), "version 2 state with an index"},
		{"version 2 with an index key", version2(t, credentialCodec, credentialState{codeSet: fx.set, Codes: fx.slots(false)}), "version 2 state with an index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: tc.state,
				Proof:           sdk.Proof{Code: codes[0]},
				Now:             testNow,
			})
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("Verify error = %v, want sdk.ErrBadState", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if resp.Result == sdk.ResultOK || resp.CredentialState != nil {
				t.Fatalf("bad state gave %v with state %q", resp.Result, resp.CredentialState)
			}
		})
	}
}

func TestFinishEnrollmentBadStateValues(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	set, hashes := fx.plainSet(), fx.hashes
	pendingValue := func(edit func(st *legacyPending)) []byte {
		st := &legacyPending{Version: legacyVersion, Kind: kindPending, codeSet: set, Hashes: hashes, Created: testNow}
		edit(st)
		return encodeUnchecked(t, st)
	}
	tests := []struct {
		name  string
		state []byte
		want  string
	}{
		{"no creation time", pendingValue(func(st *legacyPending) { st.Created = time.Time{} }), "creation time"},
		{"created before 1970", pendingValue(func(st *legacyPending) { st.Created = time.Unix(-1, 0).UTC() }), "creation time"},
		{"too few hashes", pendingValue(func(st *legacyPending) { st.Hashes = st.Hashes[:2] }), "codes"},
		{"short hash", pendingValue(func(st *legacyPending) { st.Hashes = [][]byte{{1}, {2}, {3}, {4}, {5}} }), "hash 0"},
		{"credential kind", pendingValue(func(st *legacyPending) { st.Kind = kindCredential }), "kind"},
		{"version 1 with an index key", pendingValue(func(st *legacyPending) { st.IndexKey = fx.set.IndexKey }), "version 1 state with an index"},
		{"indexes without a key", editedPending(t, fx, func(st *pendingState) { st.IndexKey = nil }), "without an index key"},
		{"short index key", editedPending(t, fx, func(st *pendingState) { st.IndexKey = st.IndexKey[:16] }), "index key of 16 bytes"},
		{"an index too few", editedPending(t, fx, func(st *pendingState) { st.Indexes = st.Indexes[:4] }), "4 indexes for 5 codes"},
		{"long index", editedPending(t, fx, func(st *pendingState) { st.Indexes[1] = []byte{1, 2, 3} }), "index 1 is 3 bytes"},
		{"version 2 with an index", version2(t, pendingCodec, pendingState{codeSet: fx.set, Hashes: hashes, Indexes: fx.indexes, Created: testNow}), "version 2 state with an index"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{PendingState: tc.state, Now: testNow})
			if !errors.Is(err, sdk.ErrBadState) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("FinishEnrollment error = %v, want sdk.ErrBadState about %q", err, tc.want)
			}
			if resp.Result == sdk.ResultOK || resp.CredentialState != nil {
				t.Fatalf("bad state gave %v", resp.Result)
			}
		})
	}
}

// One flipped bit anywhere in a state, or a state cut short anywhere, is
// ErrBadState: never a state that reads as another set or other uses.
func TestEveryCorruptionIsBadState(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	pending, err := encodePending(fx.set, fx.hashes, fx.indexes, testNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		state  []byte
		decode func([]byte) error
	}{
		{"pending", pending, func(b []byte) error { _, err := decodePending(b); return err }},
		{"credential", fx.credential(t, 0, 3), func(b []byte) error { _, err := decodeCredential(b); return err }},
		{"version 2 pending", readTestdata(t, "backup-codes-pending-v2.state"), func(b []byte) error { _, err := decodePending(b); return err }},
		{"version 2 credential", readTestdata(t, "backup-codes-credential-v2.state"), func(b []byte) error { _, err := decodeCredential(b); return err }},
		{"legacy pending", readTestdata(t, "backup-codes-pending-v1.json"), func(b []byte) error { _, err := decodePending(b); return err }},
		{"legacy credential", readTestdata(t, "backup-codes-credential-v1.json"), func(b []byte) error { _, err := decodeCredential(b); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.decode(tc.state); err != nil {
				t.Fatalf("the valid state does not decode: %v", err)
			}
			for i := range tc.state {
				for bit := range 8 {
					b := bytes.Clone(tc.state)
					b[i] ^= 1 << bit
					if err := tc.decode(b); !errors.Is(err, sdk.ErrBadState) {
						t.Fatalf("bit %d of byte %d (%q) flipped: %v, want sdk.ErrBadState", bit, i, tc.state[i], err)
					}
				}
				if err := tc.decode(tc.state[:i]); !errors.Is(err, sdk.ErrBadState) {
					t.Fatalf("cut to %d bytes: %v, want sdk.ErrBadState", i, err)
				}
			}
		})
	}
}

func TestEncodeRefusesInvalidSets(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	set, hashes := fx.set, fx.hashes
	bad := set
	bad.Format = "words"
	tests := []struct {
		name   string
		encode func() ([]byte, error)
	}{
		{"pending, unknown format", func() ([]byte, error) { return encodePending(bad, hashes, fx.indexes, testNow) }},
		{"pending, zero time", func() ([]byte, error) { return encodePending(set, hashes, fx.indexes, time.Time{}) }},
		{"pending, indexes without a key", func() ([]byte, error) { return encodePending(fx.plainSet(), hashes, fx.indexes, testNow) }},
		{"credential, too few codes", func() ([]byte, error) { return encodeCredential(set, []slot{{Hash: hashes[0]}}) }},
		{"credential, an index without a key", func() ([]byte, error) { return encodeCredential(fx.plainSet(), fx.slots(true)) }},
		{"credential, short index", func() ([]byte, error) {
			slots := fx.slots(true)
			slots[2].Index = slots[2].Index[:1]
			return encodeCredential(set, slots)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if b, err := tc.encode(); err == nil {
				t.Fatalf("encoded %s", b)
			}
		})
	}
}

// editedPending encodes fx as a version 3 pending state changed by edit,
// without validating it.
func editedPending(t testing.TB, fx fixture, edit func(st *pendingState)) []byte {
	t.Helper()
	st := pendingState{codeSet: fx.set, Hashes: fx.hashes, Indexes: fx.indexes, Created: testNow}
	st.codeSet.IndexKey = bytes.Clone(st.IndexKey)
	st.Indexes = append([][]byte(nil), st.Indexes...)
	edit(&st)
	c := pendingCodec
	c.Validate = nil
	b, err := c.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// version2 encodes st as a version 2 state of codec, without validating it.
func version2[T any](t testing.TB, codec sdk.StateCodec[T], st T) []byte {
	t.Helper()
	codec.Version, codec.Validate = 2, nil
	b, err := codec.Encode(st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
