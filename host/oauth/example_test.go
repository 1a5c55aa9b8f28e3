package oauth_test

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/host/internal/testplugins"
)

// TestExampleClient runs examples/oauth2-client against a running host: it
// signs a user in through the browser flow and prints the verified claims;
// its resource server then asks for MFA (RFC 9470), and the example runs the
// authorization again with the acr_values of the challenge, the user enrolls
// a second factor in the same browser session, and the stronger token is
// accepted.
func TestExampleClient(t *testing.T) {
	root, err := testplugins.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "oauth2-client")
	build := exec.Command("go", "build", "-o", bin, "./examples/oauth2-client")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, out)
	}

	h := sqliteHost(t, hostOptions{})
	h.user("pat")
	id, secret := h.client(clientSpec{id: "example", redirects: []string{"http://127.0.0.1/callback"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-issuer", h.url, "-client-id", id, "-client-secret", secret, "-require-acr", "urn:factorgate:acr:mfa")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var output strings.Builder
	// next returns the next line matching re, keeping everything printed.
	next := func(re *regexp.Regexp) []string {
		t.Helper()
		for line := range lines {
			output.WriteString(line + "\n")
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		}
		t.Fatalf("the example ended without printing %s:\n%s\nstderr: %s", re, output.String(), stderr.String())
		return nil
	}
	authURL := regexp.MustCompile(`^\s+(http://\S+/oauth2/auth\?\S+)$`)
	acr := regexp.MustCompile(`"acr": "([^"]+)"`)

	b := h.browser()
	p := b.signIn(b.get(next(authURL)[1]), "pat")
	if !p.contains("Signed in.") {
		t.Fatalf("the example's redirect listener answered %d %s", p.status, p.body)
	}
	if got := next(acr)[1]; got != "urn:factorgate:acr:pwd" {
		t.Fatalf("first login acr %q", got)
	}
	stepUp := next(authURL)[1]
	if !strings.Contains(stepUp, "acr_values=urn%3Afactorgate%3Aacr%3Amfa") || !strings.Contains(output.String(), "insufficient_user_authentication") {
		t.Fatalf("the example did not step up with the challenge's acr_values:\n%s", output.String())
	}
	p = b.submit(b.get(stepUp), "/login/enroll", map[string][]string{"factor": {"totp"}})
	code, err := totp.GenerateCodeCustom(shownKey(p), h.mfaClock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	p = b.submit(b.submit(p, "/login/enroll/confirm", map[string][]string{"code": {code}}), "/login/continue", nil)
	if !p.contains("Signed in.") {
		t.Fatalf("the example's redirect listener answered %d %s", p.status, p.body)
	}
	if got := next(acr)[1]; got != "urn:factorgate:acr:mfa" {
		t.Fatalf("stepped-up acr %q", got)
	}
	next(regexp.MustCompile(`accepted the token`))
	for line := range lines {
		output.WriteString(line + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the example failed: %v\n%s\nstderr: %s", err, output.String(), stderr.String())
	}
	if !strings.Contains(output.String(), `"amr": [`) || !strings.Contains(output.String(), `"otp"`) {
		t.Fatalf("the example did not print the amr claim:\n%s", output.String())
	}
}
