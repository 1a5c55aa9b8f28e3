// Package testplugins builds the real factor plugin binaries for tests that
// need real plugin processes, so tests never depend on a previous `make build`.
package testplugins

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/factorgate/factorgate/host/plugins"
)

// ModuleRoot returns the directory of the project's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the module")
	}
	return filepath.Dir(gomod), nil
}

// Build compiles every factor plugin (factors/*/cmd/factorgate-factor-*, and
// the Go example examples/emailotp, a third party's factor on the SDK alone)
// into dir and returns them as pinned binaries keyed by plugin name.
func Build(dir string) (map[string]plugins.Binary, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./factors/...", "./examples/emailotp/cmd/...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build plugins: %w: %s", err, stderr.String())
	}
	found, err := plugins.Discover(dir)
	if err != nil {
		return nil, err
	}
	out := make(map[string]plugins.Binary, len(found))
	for _, b := range found {
		out[b.Name] = b
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no plugin binaries were built into %s", dir)
	}
	return out, nil
}
