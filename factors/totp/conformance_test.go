package totp_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pquerna/otp"
	pqtotp "github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

// prover computes codes from the secret the enrollment showed, as an
// authenticator app would.
func prover() factortest.Prover {
	codeAt := func(t testing.TB, secret string, now time.Time) sdk.Proof {
		c, err := pqtotp.GenerateCodeCustom(secret, now, pqtotp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatalf("generate code: %v", err)
		}
		return sdk.Proof{Code: c}
	}
	return factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, now time.Time) sdk.Proof {
			return codeAt(t, resp.Display.Secret, now)
		},
		Verify: func(t testing.TB, enrolled factortest.Enrollment, _ sdk.ChallengeResponse, now time.Time) sdk.Proof {
			return codeAt(t, enrolled.Begin.Display.Secret, now)
		},
	}
}

func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "factorgate-factor-totp")
	build := exec.Command("go", "build", "-o", bin, "./cmd/factorgate-factor-totp")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build plugin: %v", err)
	}
	factortest.Run(t, totp.New(), prover(), factortest.WithBinary(bin))
}
