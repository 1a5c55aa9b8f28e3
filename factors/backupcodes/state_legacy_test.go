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
