package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/host/internal/testplugins"
)

// checkProverEnv makes the test binary act as a prover for `plugins check`:
// "totp" computes the code from the secret shown, as an authenticator app
// would; "inbox" finds the code in the message the gateway received for the
// challenge shown, as the user's mailbox would.
const checkProverEnv = "FACTORGATE_TEST_CHECK_PROVER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(checkProverEnv); mode != "" {
		code, err := proveForCheck(mode)
		if err != nil {
			fmt.Fprintln(os.Stderr, "prover:", err)
			os.Exit(1)
		}
		fmt.Println(code)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func proveForCheck(mode string) (string, error) {
	var in struct {
		Step    string    `json:"step"`
		Now     time.Time `json:"now"`
		Display struct {
			Secret string            `json:"secret"`
			Extra  map[string]string `json:"extra"`
		} `json:"display"`
		Enrollment struct {
			Begin struct {
				Secret string `json:"secret"`
			} `json:"begin"`
		} `json:"enrollment"`
		Messages []struct {
			Text        string `json:"text"`
			ChallengeID string `json:"challenge_id"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		return "", err
	}
	switch mode {
	case "totp":
		secret := in.Display.Secret
		if in.Step == "verify" {
			secret = in.Enrollment.Begin.Secret
		}
		return totp.GenerateCode(secret, in.Now)
	case "inbox":
		for _, m := range in.Messages {
			if m.ChallengeID == in.Display.Extra["challenge_id"] {
				return regexp.MustCompile(`[0-9]{6}`).FindString(m.Text), nil
			}
		}
		return "", fmt.Errorf("no message for challenge %q among %d", in.Display.Extra["challenge_id"], len(in.Messages))
	}
	return "", fmt.Errorf("unknown prover mode %q", mode)
}

// runPluginsCheck runs `factorgate plugins check ARGS...` as run does.
func runPluginsCheck(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"plugins", "check"}, args...), strings.NewReader(""), &out, &errOut,
		func(string) (string, bool) { return "", false })
	return out.String() + errOut.String(), code
}

// buildExample builds the Go example plugin pkg into dir.
func buildExample(t *testing.T, dir, pkg string) string {
	t.Helper()
	root, err := testplugins.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, "./"+pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

func TestPluginsCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs plugin binaries")
	}
	dir := t.TempDir()
	built, err := testplugins.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	email := buildExample(t, dir, "examples/emailotp/cmd/factorgate-factor-emailotp")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"totp without a prover", []string{built["totp"].Path},
			0, []string{"pass  describe", "pass  unreadable-state", "skip  verify", "needs valid proofs", "3 passed, 0 failed, 11 skipped"}},
		{"totp with a prover", []string{built["totp"].Path, "--prover", checkProverEnv + "=totp " + self},
			0, []string{"pass  verify", "pass  concurrency", "skip  code-attempts", "0 failed"}},
		{"sms with the log sender allowed", []string{built["sms"].Path, "--param", "phone=+61412345678", "--settings", `{"allow_log_sender":true}`},
			0, []string{"pass  unreadable-state"}},
		{"sms with the log sender not allowed", []string{built["sms"].Path, "--param", "phone=+61412345678"},
			1, []string{"FAIL  start", `"allow_log_sender": true`}},
		{"email through the gateway", []string{email, "--gateway", "--settings", `{"webhook_url":"{{gateway}}","webhook_token":"check"}`, "--prover", checkProverEnv + "=inbox " + self},
			0, []string{"pass  verify", "pass  code-attempts", "pass  superseded-challenge", "pass  expired-code", "skip  credentials", "0 failed, 1 skipped"}},
		{"email without its required setting", []string{email},
			1, []string{"FAIL  start", `"webhook_url" must be an http or https URL`, "does not pass the factor contract"}},
		{"webauthn with a software authenticator", []string{built["webauthn"].Path, "--prover", filepath.Join(dir, "softkey-prover")},
			0, []string{"pass  enroll", "pass  verify", "pass  concurrency", "pass  garbage-state", "pass  credentials", "11 passed, 0 failed"}},
		{"a prover that fails", []string{built["totp"].Path, "--prover", "echo no >&2; exit 1"},
			1, []string{"FAIL  enroll", "no"}},
		{"not a plugin", []string{"/bin/true"}, 1, []string{"FAIL  start"}},
		{"bad --param", []string{built["totp"].Path, "--param", "phone"}, 1, []string{"want KEY=VALUE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runPluginsCheck(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
		})
	}
}
