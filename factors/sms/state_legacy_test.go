package sms

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// The testdata/*-v1.json states were written by the factor before it used
// sdk.StateCodec: an enrollment begun at 2030-01-02T03:04:00Z, confirmed, and
// a challenge sent at 03:05, with the codes sent in sms-codes.txt. Stored
// states of that form must keep working: they are read, and whatever the
// factor returns is the new form.

func TestLegacyStatesKeepWorking(t *testing.T) {
	codes := strings.Fields(string(readTestdata(t, "sms-codes.txt")))
	if len(codes) != 2 {
		t.Fatalf("sms-codes.txt holds %d codes, want 2", len(codes))
	}
	f, _ := newTestFactor(t, `{}`)
	ctx := context.Background()
	isNew := func(b []byte) bool { return bytes.HasPrefix(b, []byte("fgs1")) }

	t.Run("pending", func(t *testing.T) {
		resp, err := f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{
			PendingState: readTestdata(t, "sms-pending-v1.json"),
			Proof:        sdk.Proof{Code: codes[0]},
			Now:          time.Date(2030, time.January, 2, 3, 4, 30, 0, time.UTC),
		})
		if err != nil || resp.Result != sdk.ResultOK {
			t.Fatalf("FinishEnrollment = %v (%s), %v; want ok", resp.Result, resp.Reason, err)
		}
		if !isNew(resp.CredentialState) || !isNew(resp.PendingState) {
			t.Errorf("the states returned are not in the new form")
		}
	})

	t.Run("challenge", func(t *testing.T) {
		cred, ch := readTestdata(t, "sms-credential-v1.json"), readTestdata(t, "sms-challenge-v1.json")
		at := time.Date(2030, time.January, 2, 3, 6, 0, 0, time.UTC)
		wrong, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: wrongCode(codes[1])}, Now: at})
		if err != nil || wrong.Result != sdk.ResultInvalid || !isNew(wrong.ChallengeState) {
			t.Fatalf("Verify with a wrong code = %v, %v; want invalid with a new-form challenge state", wrong.Result, err)
		}
		ok, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: cred, ChallengeState: wrong.ChallengeState, Proof: sdk.Proof{Code: codes[1]}, Now: at})
		if err != nil || ok.Result != sdk.ResultOK {
			t.Fatalf("Verify with the code sent = %v (%s), %v; want ok", ok.Result, ok.Reason, err)
		}
		next, err := decodeCredential(ok.CredentialState)
		if err != nil || !isNew(ok.CredentialState) || !next.Latest.Used || next.Phone != testPhone {
			t.Errorf("credential returned = %+v, %v; want the same number, its latest code used", next, err)
		}
		again, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: ok.CredentialState, ChallengeState: ch, Proof: sdk.Proof{Code: codes[1]}, Now: at})
		if err != nil || again.Result != sdk.ResultReplayed {
			t.Errorf("the code again = %v, %v; want replayed", again.Result, err)
		}
	})

	t.Run("new challenge", func(t *testing.T) {
		resp, err := f.Challenge(ctx, sdk.ChallengeRequest{
			CredentialState: readTestdata(t, "sms-credential-v1.json"),
			Now:             time.Date(2030, time.January, 2, 3, 7, 0, 0, time.UTC),
		})
		if err != nil || resp.Result != sdk.ResultOK || !isNew(resp.CredentialState) || !isNew(resp.ChallengeState) {
			t.Fatalf("Challenge on a legacy credential = %v, %v; want ok with new-form states", resp.Result, err)
		}
	})
}
