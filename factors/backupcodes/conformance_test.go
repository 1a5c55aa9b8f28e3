package backupcodes_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/factors/backupcodes"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

// prover plays a user who kept the codes shown at enrollment: it confirms
// with enrollSlot's code (-1: no code, the implicit confirmation) and
// verifies with verifySlot's. The kit verifies that code twice against the
// states it returns, and the second time it must be replayed.
func prover(enrollSlot, verifySlot int) factortest.Prover {
	return factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, _ time.Time) sdk.Proof {
			if enrollSlot < 0 {
				return sdk.Proof{}
			}
			return sdk.Proof{Code: shownCode(t, resp.Display, enrollSlot)}
		},
		Verify: func(t testing.TB, enrolled factortest.Enrollment, _ sdk.ChallengeResponse, _ time.Time) sdk.Proof {
			return sdk.Proof{Code: shownCode(t, enrolled.Begin.Display, verifySlot)}
		},
	}
}

func shownCode(t testing.TB, d sdk.Display, slot int) string {
	t.Helper()
	if len(d.Codes) <= slot {
		t.Fatalf("the enrollment showed %d codes, want more than %d", len(d.Codes), slot)
	}
	return d.Codes[slot]
}

// wrongProof derives a well-formed code that is not the valid one: the kit
// cannot derive one from the empty proof of an implicit confirmation.
func wrongProof(valid sdk.Proof) sdk.Proof {
	if valid.Code == "" {
		return sdk.Proof{Code: "0000-0000-0000-0000"}
	}
	const digits = "0123456789abcdef"
	c := valid.Code
	i := strings.IndexByte(digits, c[len(c)-1])
	return sdk.Proof{Code: c[:len(c)-1] + string(digits[(i+1)%len(digits)])}
}

func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "factorgate-factor-backup-codes")
	build := exec.Command("go", "build", "-o", bin, "./cmd/factorgate-factor-backup-codes")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build plugin: %v", err)
	}
	tests := []struct {
		name     string
		settings string
		prover   factortest.Prover
		opts     []factortest.Option
	}{
		{"implicit confirmation", `{}`, prover(-1, 0), []factortest.Option{factortest.WithWrongProof(wrongProof)}},
		{"confirm with a code", `{"confirm_with_code":true}`, prover(0, 1), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]factortest.Option{
				factortest.WithBinary(bin),
				factortest.WithSettings(json.RawMessage(tc.settings)),
			}, tc.opts...)
			factortest.Run(t, backupcodes.New(backupcodes.WithHashMemory(1024)), tc.prover, opts...)
		})
	}
}
