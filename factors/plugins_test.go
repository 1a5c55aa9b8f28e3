package factors_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// forbidden are import paths (exactly; one ending in "/" is a prefix) that
// no plugin binary may link. A plugin process runs once per pool slot, so
// whatever it links costs RSS in each: the host and its store and OAuth
// stack, database drivers, and gRPC's x/net/trace debug pages, which the
// Makefile leaves out with the grpcnotrace tag.
var forbidden = []string{
	"github.com/factorgate/factorgate/host",
	"github.com/factorgate/factorgate/host/",
	"database/sql", // database/sql/driver's interfaces alone are fine (google/uuid implements them)
	"modernc.org/",
	"github.com/jackc/",
	"github.com/lib/pq",
	"github.com/mattn/go-sqlite3",
	"github.com/ory/",
	"golang.org/x/net/trace",
	"net/http/pprof",
}

// TestPluginImports lists the dependencies of every built-in plugin main as
// `make go-plugins` builds it (CGO_ENABLED=0, -tags grpcnotrace) and fails on
// a forbidden one, or on a package that cannot build without cgo. It runs
// `go list` only and builds nothing.
func TestPluginImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	cmd := exec.Command(goTool, "list", "-e", "-deps", "-tags", "grpcnotrace",
		"-f", "{{.ImportPath}}\t{{with .Error}}{{.Err}}{{end}}{{range .DepsErrors}} {{.Err}}{{end}}",
		"./totp/cmd/...", "./sms/cmd/...", "./backupcodes/cmd/...", "./webauthn/cmd/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var mains int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		path, listErr, _ := strings.Cut(sc.Text(), "\t")
		if listErr = strings.TrimSpace(listErr); listErr != "" {
			t.Errorf("%s: %s", path, listErr)
		}
		if strings.Contains(path, "/cmd/factorgate-factor-") {
			mains++
		}
		for _, f := range forbidden {
			if path == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(path, f)) {
				t.Errorf("a plugin links %s (forbidden: %s); `go mod why -m` or `go list -deps` on the plugin mains shows the path", path, f)
			}
		}
	}
	if mains != 4 {
		t.Errorf("found %d plugin mains, want 4 (totp, sms, backup-codes, webauthn)", mains)
	}
}
