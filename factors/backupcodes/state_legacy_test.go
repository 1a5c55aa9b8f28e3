package backupcodes

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The testdata/*-v1.json states were written by the factor before it used
// sdk.StateCodec, with the codes in backup-codes-codes.txt. Stored sets of
// that form must keep working: they are read, and whatever the factor
// returns is the new form.
//
// The testdata/*-v2.state states are version 2 envelopes the factor wrote
// before it kept indexes: the credential is the version 1 one after code 3
// was used at testNow, the pending state's codes are in
// backup-codes-pending-v2-codes.txt.

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLegacyCredentialVerifies(t *testing.T) {
	state := readTestdata(t, "backup-codes-credential-v1.json")
	codes := strings.Fields(string(readTestdata(t, "backup-codes-codes.txt")))
	if bytes.HasPrefix(state, []byte("fgs1")) || len(codes) == 0 {
		t.Fatal("testdata must hold a legacy-form state and its codes")
	}
	f := New()
	first := verify(t, f, state, codes[3], testNow)
	if first.Result != sdk.ResultOK {
		t.Fatalf("Verify with a legacy credential = %v (%s); want ok", first.Result, first.Reason)
	}
	if !bytes.HasPrefix(first.CredentialState, []byte("fgs1")) {
		t.Fatalf("the credential returned is not in the new form: %q", first.CredentialState)
	}
	st := mustDecodeCredential(t, first.CredentialState)
	if unused(st.Codes) != len(codes)-1 || st.Codes[3].UsedAt.IsZero() {
		t.Errorf("new credential: %d unused, code 3 used at %v; want code 3 used", unused(st.Codes), st.Codes[3].UsedAt)
	}
	if again := verify(t, f, first.CredentialState, codes[3], testNow); again.Result != sdk.ResultReplayed {
		t.Errorf("the used code again = %v, want replayed", again.Result)
	}
	if other := verify(t, f, first.CredentialState, codes[4], testNow); other.Result != sdk.ResultOK {
		t.Errorf("another code of the set = %v, want ok", other.Result)
	}
}

func TestLegacyPendingFinishes(t *testing.T) {
	resp, err := New().FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		PendingState: readTestdata(t, "backup-codes-pending-v1.json"),
		// The state was begun at 2030-01-02T03:04:00Z.
		Now: time.Date(2030, time.January, 2, 3, 5, 0, 0, time.UTC),
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment with a legacy pending state = %v, %v; want ok", resp.Result, err)
	}
	if _, err := decodeCredential(resp.CredentialState); err != nil || !bytes.HasPrefix(resp.CredentialState, []byte("fgs1")) {
		t.Errorf("credential returned: %v; want a new-form state", err)
	}
}

// storedBegun is when the stored pending states were begun.
var storedBegun = time.Date(2030, time.January, 2, 3, 4, 0, 0, time.UTC)

// Stored credentials of every earlier form verify: a right code, a used one,
// a wrong one.
func TestStoredCredentialsVerify(t *testing.T) {
	codes := strings.Fields(string(readTestdata(t, "backup-codes-codes.txt")))
	tests := []struct {
		name  string
		state []byte
		used  []int // slots used in the stored state
	}{
		{"version 1", readTestdata(t, "backup-codes-credential-v1.json"), nil},
		{"version 2", readTestdata(t, "backup-codes-credential-v2.state"), []int{3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New()
			st := mustDecodeCredential(t, tc.state)
			if got := len(st.Codes) - unused(st.Codes); got != len(tc.used) {
				t.Fatalf("stored state has %d used codes, want %d", got, len(tc.used))
			}
			for _, i := range tc.used {
				if resp := verify(t, f, tc.state, codes[i], testNow); resp.Result != sdk.ResultReplayed || resp.CredentialState != nil {
					t.Errorf("used code %d = %v, want replayed", i, resp.Result)
				}
			}
			if resp := verify(t, f, tc.state, changeLast(codes[5]), testNow); resp.Result != sdk.ResultInvalid || resp.CredentialState != nil {
				t.Errorf("a wrong code = %v, want invalid", resp.Result)
			}
			resp := verify(t, f, tc.state, codes[5], testNow.Add(time.Hour))
			if resp.Result != sdk.ResultOK {
				t.Fatalf("code 5 = %v (%s), want ok", resp.Result, resp.Reason)
			}
			next := mustDecodeCredential(t, resp.CredentialState)
			if !next.Codes[5].UsedAt.Equal(testNow.Add(time.Hour)) || unused(next.Codes) != unused(st.Codes)-1 {
				t.Fatalf("after code 5: slot 5 used at %v, %d unused", next.Codes[5].UsedAt, unused(next.Codes))
			}
			// The state is upgraded: it has an index key now, and the slot
			// used, the only code the factor has seen, has its index.
			if _, version, _, err := sdk.OpenState(resp.CredentialState); err != nil || version != stateVersion {
				t.Fatalf("new state version %d, %v; want %d", version, err, stateVersion)
			}
			if len(next.IndexKey) != indexKeyLen || !bytes.Equal(next.Codes[5].Index, newIndexer(next.IndexKey).index(codes[5], 5)) {
				t.Fatalf("after code 5: index key %x, slot 5 index %x", next.IndexKey, next.Codes[5].Index)
			}
			for i, c := range next.Codes {
				if i != 5 && c.Index != nil {
					t.Errorf("slot %d, not used since the upgrade, has an index", i)
				}
			}
			if again := verify(t, f, resp.CredentialState, codes[5], testNow.Add(2*time.Hour)); again.Result != sdk.ResultReplayed {
				t.Errorf("code 5 again = %v, want replayed", again.Result)
			}
		})
	}
}

func TestStoredPendingFinishes(t *testing.T) {
	codes := strings.Fields(string(readTestdata(t, "backup-codes-pending-v2-codes.txt")))
	f := New()
	resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		PendingState: readTestdata(t, "backup-codes-pending-v2.state"),
		Proof:        sdk.Proof{Code: codes[0]},
		Now:          storedBegun.Add(time.Minute),
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment with a version 2 pending state = %v, %v; want ok", resp.Result, err)
	}
	st := mustDecodeCredential(t, resp.CredentialState)
	if len(st.IndexKey) != indexKeyLen || !bytes.Equal(st.Codes[0].Index, newIndexer(st.IndexKey).index(codes[0], 0)) || st.Codes[1].Index != nil {
		t.Errorf("credential: index key %x, slot 0 index %x, slot 1 index %x; want slot 0 indexed", st.IndexKey, st.Codes[0].Index, st.Codes[1].Index)
	}
	if again := verify(t, f, resp.CredentialState, codes[0], testNow); again.Result != sdk.ResultReplayed {
		t.Errorf("the confirming code = %v, want replayed", again.Result)
	}
	if other := verify(t, f, resp.CredentialState, codes[1], testNow); other.Result != sdk.ResultOK {
		t.Errorf("another code = %v, want ok", other.Result)
	}
}
