package plugins_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

// buildMisbehave compiles testdata/misbehave to path.
func buildMisbehave(path string) error {
	root, err := testplugins.ModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", path, "./host/plugins/testdata/misbehave")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build misbehave: %w: %s", err, stderr.String())
	}
	return nil
}

// misbehaving copies the test plugin into a directory of the test's own
// under the name that selects mode, and pins it.
func misbehaving(t *testing.T, mode string) plugins.Binary {
	t.Helper()
	data, err := os.ReadFile(misbehavePath)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), plugins.BinaryPrefix+mode)
	if err := os.WriteFile(path, data, 0o700); err != nil {
		t.Fatal(err)
	}
	sum, err := plugins.HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return plugins.Binary{Name: mode, Path: path, SHA256: sum}
}

func instanceOf(name string) []plugins.InstanceConfig {
	return []plugins.InstanceConfig{{Name: name, Plugin: name, Settings: json.RawMessage(`{}`)}}
}

func verifyOK(ctx context.Context, in *plugins.Instance) error {
	_, err := in.Verify(ctx, sdk.VerifyRequest{User: sdk.User{ID: "u1"}, Proof: sdk.Proof{Code: "123456"}, Now: time.Now()})
	return err
}

func TestPlainGRPCErrorsAreTheCallsErrorAndKeepTheProcess(t *testing.T) {
	m, logs := newManager(t, plugins.Options{Processes: 1})
	if err := m.Load(context.Background(), []plugins.Binary{misbehaving(t, "plainerr")}, instanceOf("plainerr")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("plainerr")
	pids := m.PIDs()["plainerr"]
	tests := []struct {
		name string
		call func() error
		want error
		code codes.Code
	}{
		{"invalid argument is invalid input", func() error { return verifyOK(context.Background(), in) }, sdk.ErrInvalidParams, codes.InvalidArgument},
		{"internal is the factor's failure", func() error {
			_, err := in.Challenge(context.Background(), sdk.ChallengeRequest{User: sdk.User{ID: "u1"}, Now: time.Now()})
			return err
		}, sdk.ErrFactorFailed, codes.Internal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 {
				err := tc.call()
				if !errors.Is(err, tc.want) || errors.Is(err, sdk.ErrTransport) || status.Code(err) != tc.code {
					t.Fatalf("got %v (code %s), want %v with code %s", err, status.Code(err), tc.want, tc.code)
				}
			}
		})
	}
	if got := m.PIDs()["plainerr"]; !slices.Equal(got, pids) {
		t.Fatalf("process ids changed from %v to %v: a plugin's own error must not restart it", pids, got)
	}
	if info := in.Info(); info.Restarts != 0 || info.Health != plugins.HealthHealthy {
		t.Fatalf("after plain errors: %+v", info)
	}
	if !strings.Contains(logs.String(), `"msg":"factor call failed","plugin":"plainerr","method":"Challenge"`) {
		t.Errorf("the plugin's failure is not logged with its name:\n%s", logs.String())
	}
}

func TestPluginThatNeverAnswersTimesOutAndStays(t *testing.T) {
	const callTimeout = 200 * time.Millisecond
	m, _ := newManager(t, plugins.Options{Processes: 1, CallTimeout: callTimeout})
	if err := m.Load(context.Background(), []plugins.Binary{misbehaving(t, "hang")}, instanceOf("hang")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("hang")
	pids := m.PIDs()["hang"]
	start := time.Now()
	err := verifyOK(context.Background(), in)
	if !errors.Is(err, sdk.ErrTimeout) || errors.Is(err, sdk.ErrTransport) {
		t.Fatalf("got %v, want sdk.ErrTimeout", err)
	}
	// Only a lower bound: the call must not give up before its timeout.
	if elapsed := time.Since(start); elapsed < callTimeout {
		t.Fatalf("gave up after %s, before the call timeout %s", elapsed, callTimeout)
	}
	// A slow factor whose process answers its health check is not replaced.
	if _, err := in.Describe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := m.PIDs()["hang"]; !slices.Equal(got, pids) || in.Info().Restarts != 0 {
		t.Fatalf("a timed-out call restarted the plugin: %v -> %v", pids, got)
	}
}

func TestPluginThatHangsAtStartLeavesTheOthersServing(t *testing.T) {
	m, _ := newManager(t, plugins.Options{StartTimeout: 300 * time.Millisecond})
	instances := append(totpInstances("totp"), instanceOf("hangstart")...)
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"], misbehaving(t, "hangstart")}, instances); err != nil {
		t.Fatalf("a plugin that hangs at start must not stop the host: %v", err)
	}
	totpIn, _ := m.Instance("totp")
	if err := beginTOTP(context.Background(), totpIn); err != nil {
		t.Fatalf("the other factor does not work: %v", err)
	}
	hung, ok := m.Instance("hangstart")
	if !ok {
		t.Fatal("the hanging plugin's instance is not registered")
	}
	err := verifyOK(context.Background(), hung)
	if !errors.Is(err, plugins.ErrUnavailable) || !errors.Is(err, sdk.ErrTransport) {
		t.Fatalf("call to the hanging plugin: %v, want ErrUnavailable", err)
	}
	var retry interface{ RetryAfter() time.Duration }
	if !errors.As(err, &retry) || retry.RetryAfter() < time.Second {
		t.Fatalf("unavailable error %v carries no Retry-After", err)
	}
	health := m.Healthy()
	if health == nil || !strings.Contains(health.Error(), "hangstart") || strings.Contains(health.Error(), "instance totp ") {
		t.Fatalf("Healthy() = %v, want it to name only the hanging plugin", health)
	}
}

func TestPluginThatKeepsDyingAtStartBacksOffAndRecovers(t *testing.T) {
	bin := misbehaving(t, "flaky")
	broken := bin.Path + ".broken"
	if err := os.WriteFile(broken, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m, _ := newManager(t, plugins.Options{Processes: 1, BackoffBase: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond})
	if err := m.Load(context.Background(), []plugins.Binary{bin}, instanceOf("flaky")); err != nil {
		t.Fatalf("a crashing plugin must not stop the host: %v", err)
	}
	in, _ := m.Instance("flaky")
	waitFor(t, func() (bool, bool) { return true, in.Info().Restarts >= 3 })
	if info := in.Info(); info.Health != plugins.HealthUnhealthy || info.LastError == "" {
		t.Fatalf("while crashing at start: %+v, want unhealthy with the last error", info)
	}
	if err := verifyOK(context.Background(), in); !errors.Is(err, plugins.ErrUnavailable) {
		t.Fatalf("call while crashing at start: %v, want ErrUnavailable", err)
	}
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() (bool, bool) { return true, in.Info().Health == plugins.HealthHealthy })
	if err := verifyOK(context.Background(), in); err != nil {
		t.Fatalf("call after recovery: %v", err)
	}
	if err := m.Healthy(); err != nil {
		t.Fatalf("Healthy after recovery: %v", err)
	}
}

func TestTreePinRefusesAChangedFile(t *testing.T) {
	tree := t.TempDir()
	files := map[string]string{"index.js": "module.exports = 1\n", "lib/codes.js": "exports.digits = 6\n"}
	for name, body := range files {
		path := filepath.Join(tree, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := plugins.HashTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	bin := bins["totp"]
	bin.TreeDir, bin.TreeSHA256 = tree, sum

	m, _ := newManager(t, plugins.Options{Processes: 1})
	if err := m.Load(context.Background(), []plugins.Binary{bin}, totpInstances("totp")); err != nil {
		t.Fatalf("matching tree refused: %v", err)
	}
	m.Close()

	if err := os.WriteFile(filepath.Join(tree, "lib", "codes.js"), []byte("exports.digits = 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m2, _ := newManager(t, plugins.Options{Processes: 1})
	err = m2.Load(context.Background(), []plugins.Binary{bin}, totpInstances("totp"))
	if !errors.Is(err, plugins.ErrChecksumMismatch) || !strings.Contains(err.Error(), tree) || !strings.Contains(err.Error(), sum) {
		t.Fatalf("changed tree: %v, want ErrChecksumMismatch naming the directory and the pin", err)
	}
	if len(m2.PIDs()) != 0 {
		t.Fatal("a refused tree left a process running")
	}
}

func TestHashTreeSeesEveryChange(t *testing.T) {
	write := func(t *testing.T, dir, name, body string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := func(t *testing.T) string {
		dir := t.TempDir()
		write(t, dir, "a.js", "a")
		write(t, dir, "sub/b.js", "b")
		return dir
	}
	ref, err := plugins.HashTree(base(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"content", func(t *testing.T, dir string) { write(t, dir, "a.js", "A") }},
		{"added file", func(t *testing.T, dir string) { write(t, dir, "sub/c.js", "") }},
		{"removed file", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "sub", "b.js")); err != nil {
				t.Fatal(err)
			}
		}},
		{"renamed file", func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "a.js"), filepath.Join(dir, "z.js")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := base(t)
			if same, err := plugins.HashTree(dir); err != nil || same != ref {
				t.Fatalf("an identical tree hashes to %s (%v), want %s", same, err, ref)
			}
			tc.change(t, dir)
			got, err := plugins.HashTree(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got == ref {
				t.Fatalf("the tree hash did not change")
			}
		})
	}
}
