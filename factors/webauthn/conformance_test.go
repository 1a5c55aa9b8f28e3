package webauthn_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/factorgate/factorgate/factors/webauthn"
	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

// defaultOrigin is the origin the factor accepts with its default settings.
const defaultOrigin = "http://localhost:8080"

// prover answers the factor's options with a software authenticator, as a
// browser with a security key would.
func prover(a *softkey.Authenticator) factortest.Prover {
	return factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, _ time.Time) sdk.Proof {
			payload, err := a.Create(resp.Display.OptionsJSON, softkey.Ceremony{Origin: defaultOrigin})
			if err != nil {
				t.Fatalf("authenticator: %v", err)
			}
			return sdk.Proof{Payload: payload}
		},
		Verify: func(t testing.TB, _ factortest.Enrollment, ch sdk.ChallengeResponse, _ time.Time) sdk.Proof {
			payload, err := a.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: defaultOrigin})
			if err != nil {
				t.Fatalf("authenticator: %v", err)
			}
			return sdk.Proof{Payload: payload}
		},
	}
}

func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "factorgate-factor-webauthn")
	build := exec.Command("go", "build", "-o", bin, "./cmd/factorgate-factor-webauthn")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build plugin: %v", err)
	}
	wrong := func(valid sdk.Proof) sdk.Proof { return sdk.Proof{Payload: wrongChallenge(t, valid.Payload)} }
	factortest.Run(t, webauthn.New(), prover(&softkey.Authenticator{Seed: []byte("conformance")}),
		factortest.WithBinary(bin), factortest.WithWrongProof(wrong))
}
