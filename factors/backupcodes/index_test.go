package backupcodes

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

func TestIndexDependsOnEveryInput(t *testing.T) {
	key := bytes.Repeat([]byte{7}, indexKeyLen)
	otherKey := bytes.Clone(key)
	otherKey[0] ^= 1
	x := newIndexer(key)
	base := x.index("0a1b2c3d4e5f6789", 3)
	if len(base) != indexLen {
		t.Fatalf("index is %d bytes, want %d", len(base), indexLen)
	}
	if !bytes.Equal(base, x.index("0a1b2c3d4e5f6789", 3)) || !bytes.Equal(base, indexSet(key, []string{"", "", "", "0a1b2c3d4e5f6789"})[3]) {
		t.Fatal("the same inputs gave another index")
	}
	// Two bytes collide by chance one time in 65,536: these inputs were
	// checked not to.
	tests := []struct {
		name  string
		index []byte
	}{
		{"other code", x.index("0a1b2c3d4e5f6788", 3)},
		{"other slot", x.index("0a1b2c3d4e5f6789", 4)},
		{"other key", newIndexer(otherKey).index("0a1b2c3d4e5f6789", 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.index, base) {
				t.Fatal("index did not change")
			}
		})
	}
}

// How many slots a typed code must be hashed for (its candidates): with
// indexes none for a wrong code and one for a right or used one; without,
// every slot not indexed. (matchIndex hashes exactly the candidates.)
func TestCandidates(t *testing.T) {
	fx := testSet(t, t.Name(), 10, cheapKDF())
	wrong := []string{changeLast(fx.codes[0]), changeLast(fx.codes[9]), "0000000000000000", "ffffffffffffffff"}
	upgraded := fx.slots(false, 2)
	upgraded[2].Index = fx.indexes[2]
	tests := []struct {
		name  string
		set   codeSet
		slots []slot
		code  string
		want  []int // the candidate slots
	}{
		{"indexed, right code", fx.set, fx.slots(true), fx.codes[4], []int{4}},
		{"indexed, used code", fx.set, fx.slots(true, 7), fx.codes[7], []int{7}},
		{"indexed, wrong code", fx.set, fx.slots(true), wrong[0], nil},
		{"indexed, another wrong code", fx.set, fx.slots(true), wrong[1], nil},
		{"indexed, zeros", fx.set, fx.slots(true), wrong[2], nil},
		{"indexed, fs", fx.set, fx.slots(true), wrong[3], nil},
		{"not indexed, right code", fx.plainSet(), fx.slots(false), fx.codes[4], []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"not indexed, wrong code", fx.plainSet(), fx.slots(false), wrong[0], []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"one slot indexed, its code", fx.set, upgraded, fx.codes[2], []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"one slot indexed, a wrong code", fx.set, upgraded, wrong[0], []int{0, 1, 3, 4, 5, 6, 7, 8, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := credentialState{codeSet: tc.set, Codes: tc.slots}
			var got []int
			for i, c := range tc.set.candidates(tc.code, st.indexes()) {
				if c {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("candidates %v, want %v", got, tc.want)
			}
		})
	}
}

// A set stored before indexes is indexed as it is used: the first code used
// draws the key and indexes its slot, each later one indexes its own, and a
// slot used before stays unindexed yet replayed. An indexed set never draws.
func TestVerifyIndexesAsCodesAreUsed(t *testing.T) {
	fx := testSet(t, t.Name(), 5, cheapKDF())
	f := New(WithRand(seededRand(t.Name())))
	state := fx.credentialV2(t, 1)
	for step, i := range []int{3, 0} {
		resp := verify(t, f, state, fx.codes[i], testNow)
		if resp.Result != sdk.ResultOK {
			t.Fatalf("step %d: code %d = %v, want ok", step, i, resp.Result)
		}
		before, after := mustDecodeCredential(t, state), mustDecodeCredential(t, resp.CredentialState)
		if len(after.IndexKey) != indexKeyLen || (before.IndexKey != nil && !bytes.Equal(before.IndexKey, after.IndexKey)) {
			t.Fatalf("step %d: index key %x, was %x", step, after.IndexKey, before.IndexKey)
		}
		if want := newIndexer(after.IndexKey).index(fx.codes[i], i); !bytes.Equal(after.Codes[i].Index, want) {
			t.Fatalf("step %d: slot %d index %x, want %x", step, i, after.Codes[i].Index, want)
		}
		state = resp.CredentialState
	}
	st := mustDecodeCredential(t, state)
	for i, c := range st.Codes {
		if indexed := c.Index != nil; indexed != (i == 3 || i == 0) {
			t.Errorf("slot %d indexed: %v", i, indexed)
		}
	}
	for _, i := range []int{0, 1, 3} {
		if resp := verify(t, f, state, fx.codes[i], testNow); resp.Result != sdk.ResultReplayed {
			t.Errorf("used code %d = %v, want replayed", i, resp.Result)
		}
	}
	if resp := verify(t, f, state, fx.codes[4], testNow); resp.Result != sdk.ResultOK {
		t.Errorf("unused code 4 = %v, want ok", resp.Result)
	}

	// A source that fails is needed only to draw a key.
	broken := New(WithRand(failingReader{}))
	if resp := verify(t, broken, fx.credential(t), fx.codes[2], testNow); resp.Result != sdk.ResultOK {
		t.Errorf("indexed set with a failing source = %v, want ok", resp.Result)
	}
	resp, err := broken.Verify(context.Background(), sdk.VerifyRequest{CredentialState: fx.credentialV2(t), Proof: sdk.Proof{Code: fx.codes[2]}, Now: testNow})
	if err == nil || !strings.Contains(err.Error(), "index key") || resp.CredentialState != nil {
		t.Errorf("set without a key, failing source: %v, %v; want an error about the index key", resp.Result, err)
	}
}
