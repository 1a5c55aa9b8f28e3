package totp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The testdata/*-v1.json states were written by the factor before it used
// sdk.StateCodec. Stored credentials of that form must keep working: they
// are read, and whatever the factor returns is the new form.

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyParams are the parameters the testdata states were written with.
var legacyParams = params{Secret: []byte("12345678901234567890"), Algorithm: "SHA1", Digits: 6, Period: 30, Skew: 1}

const legacyLastStep = 67567567

func TestLegacyCredentialVerifies(t *testing.T) {
	state := readTestdata(t, "totp-credential-v1.json")
	if bytes.HasPrefix(state, []byte("fgs1")) {
		t.Fatal("testdata holds a new-form state; it must be the legacy form")
	}
	step := uint64(legacyLastStep + 1)
	now := time.Unix(int64(step)*30+5, 0).UTC()
	resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
		CredentialState: state,
		Proof:           sdk.Proof{Code: codeAt(t, legacyParams, step)},
		Now:             now,
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("Verify with a legacy credential = %v, %v; want ok", resp.Result, err)
	}
	if !bytes.HasPrefix(resp.CredentialState, []byte("fgs1")) {
		t.Errorf("the credential returned is not in the new form: %q", resp.CredentialState)
	}
	next, err := decodeCredential(resp.CredentialState)
	if err != nil || next.LastStep != step || !bytes.Equal(next.Secret, legacyParams.Secret) {
		t.Errorf("new credential = %+v, %v; want the same secret and last step %d", next, err, step)
	}

	// A code of the step already used is still refused through the legacy form.
	resp, err = New().Verify(context.Background(), sdk.VerifyRequest{
		CredentialState: state,
		Proof:           sdk.Proof{Code: codeAt(t, legacyParams, legacyLastStep)},
		Now:             time.Unix(int64(legacyLastStep)*30+5, 0).UTC(),
	})
	if err != nil || resp.Result != sdk.ResultReplayed {
		t.Errorf("replayed step through a legacy credential = %v, %v; want replayed", resp.Result, err)
	}
}

func TestLegacyPendingFinishes(t *testing.T) {
	state := readTestdata(t, "totp-pending-v1.json")
	created := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	now := created.Add(time.Minute)
	step, _ := timeStep(now, 30)
	resp, err := New().FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		PendingState: state,
		Proof:        sdk.Proof{Code: codeAt(t, legacyParams, step)},
		Now:          now,
	})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment with a legacy pending state = %v, %v; want ok", resp.Result, err)
	}
	if _, err := decodeCredential(resp.CredentialState); err != nil || !bytes.HasPrefix(resp.CredentialState, []byte("fgs1")) {
		t.Errorf("credential returned: %v; want a new-form state", err)
	}
}
