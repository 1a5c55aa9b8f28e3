package factortest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest/internal/testfactor"
)

// proverModeEnv makes the test binary act as a CommandProver for the
// challenge test factor, computing codes from the displays alone as a user
// with the secret shown at enrollment would.
const proverModeEnv = "FACTORTEST_PROVER_MODE"

func runProverMode() int {
	code, err := proveFromDisplays(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "prover:", err)
		return 1
	}
	fmt.Println(code)
	return 0
}

func proveFromDisplays(r io.Reader) (string, error) {
	var in struct {
		Step       string          `json:"step"`
		Display    json.RawMessage `json:"display"`
		Enrollment struct {
			Begin json.RawMessage `json:"begin"`
		} `json:"enrollment"`
	}
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return "", err
	}
	shown := in.Display
	if in.Step == "verify" {
		shown = in.Enrollment.Begin
	}
	var enrolled, now factorv1.Display
	if err := protojson.Unmarshal(shown, &enrolled); err != nil {
		return "", fmt.Errorf("enrollment display: %w", err)
	}
	if err := protojson.Unmarshal(in.Display, &now); err != nil {
		return "", fmt.Errorf("display: %w", err)
	}
	secret, err := hex.DecodeString(enrolled.GetSecret())
	if err != nil {
		return "", err
	}
	digits, err := strconv.Atoi(enrolled.GetExtra()["digits"])
	if err != nil {
		return "", err
	}
	counter := int64(0) // the challenge factor confirms enrollment with counter 0
	if in.Step == "verify" {
		if counter, err = strconv.ParseInt(now.GetExtra()["counter"], 10, 64); err != nil {
			return "", err
		}
	}
	return testfactor.Code(secret, counter, digits), nil
}

func proverCommand(t *testing.T) CommandProver {
	return CommandProver{Command: proverModeEnv + "=1 " + testBinary(t)}
}

func TestCheckBinary(t *testing.T) {
	panicky := filepath.Join(t.TempDir(), panickyPlugin)
	if err := os.Symlink(testBinary(t), panicky); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		path       string
		prover     Prover
		wantPassed bool
		want       map[string]Outcome
	}{
		{"every check with a prover", testBinary(t), proverCommand(t), true,
			map[string]Outcome{"describe": Passed, "verify": Passed, "code-attempts": Passed, "superseded-challenge": Passed, "expired-code": Passed, "concurrency": Passed}},
		{"without a prover, only checks that need no proof", testBinary(t), nil, true,
			map[string]Outcome{"describe": Passed, "unreadable-state": Passed, "verify": Skipped, "concurrency": Skipped}},
		{"a factor that panics on unreadable state", panicky, nil, false,
			map[string]Outcome{"describe": Passed, "unreadable-state": Failed}},
		{"not a plugin", "/bin/true", nil, false, map[string]Outcome{"start": Failed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			report := CheckBinary(ctx, tc.path, tc.prover)
			if report.Passed() != tc.wantPassed {
				t.Errorf("Passed() = %v, want %v; report:\n%s", report.Passed(), tc.wantPassed, reportText(report))
			}
			got := map[string]Outcome{}
			for _, c := range report.Checks {
				got[c.Name] = c.Outcome
			}
			for name, want := range tc.want {
				if got[name] != want {
					t.Errorf("check %s: %q, want %q; report:\n%s", name, got[name], want, reportText(report))
				}
			}
		})
	}
}

func TestCommandProverOutput(t *testing.T) {
	tests := []struct {
		name     string
		command  string
		wantCode string
		wantPay  string
		wantFail string
	}{
		{"code as text", `printf ' 123456\n'`, "123456", "", ""},
		{"proof object", `echo '{"code":"42","payload":"aGk="}'`, "42", "hi", ""},
		{"reads the input", `grep -q '"step":"enroll"' && echo ok`, "ok", "", ""},
		{"fails", `echo broken >&2; exit 3`, "", "", "broken"},
		{"bad object", `echo '{"code":'`, "", "", "not a proof object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := CommandProver{Command: tc.command}
			f := runFake(t, func(tb testing.TB) {
				proof := p.EnrollmentProof(tb, beginForProver(), time.Unix(0, 0))
				if proof.Code != tc.wantCode || string(proof.Payload) != tc.wantPay {
					tb.Errorf("proof %+v, want code %q payload %q", proof, tc.wantCode, tc.wantPay)
				}
			})
			switch {
			case tc.wantFail == "" && f.Failed():
				t.Errorf("failed: %q", f.errors)
			case tc.wantFail != "" && !strings.Contains(strings.Join(f.errors, "\n"), tc.wantFail):
				t.Errorf("failures %q, want one saying %q", f.errors, tc.wantFail)
			}
		})
	}
}

func reportText(r Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s %s %q\n", c.Outcome, c.Name, c.Failures)
	}
	return b.String()
}

func beginForProver() sdk.BeginEnrollmentResponse {
	return sdk.BeginEnrollmentResponse{Display: sdk.Display{Secret: "00", Extra: map[string]string{"digits": "6"}}}
}
