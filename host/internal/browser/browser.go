// Package browser runs Factorgate's browser tests: Debian's Chromium, headless
// with a fresh profile, driven by playwright-core through a small Node.js
// driver (driver/driver.mjs) that this package starts and talks to in JSON
// lines. Tests stay in Go, beside the real host they drive.
//
// Browser tests run when FACTORGATE_BROWSER_TESTS=1 (`make test-browser`,
// which installs the driver's npm dependencies from its lockfile; .ci/run
// installs Chromium). Otherwise they skip, so `make test` needs no browser.
package browser

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// EnableEnv turns browser tests on; set, a missing browser fails the test.
const EnableEnv = "FACTORGATE_BROWSER_TESTS"

// ChromiumEnv names the Chromium executable (default /usr/bin/chromium).
const ChromiumEnv = "FACTORGATE_CHROMIUM"

// Browser is one Chromium process behind the driver. Its methods are safe
// for concurrent use; calls are answered one at a time.
type Browser struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *tailBuffer

	mu     sync.Mutex
	nextID int
}

type request struct {
	ID   int    `json:"id"`
	Op   string `json:"op"`
	Page int    `json:"page,omitempty"`
	Args any    `json:"args,omitempty"`
}

type answer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

// Start launches Chromium for t and closes it when t ends. Without
// FACTORGATE_BROWSER_TESTS=1 it skips t.
func Start(t testing.TB) *Browser {
	t.Helper()
	if os.Getenv(EnableEnv) != "1" {
		t.Skipf("browser test: run with `make test-browser` (%s=1)", EnableEnv)
	}
	dir, err := driverDir()
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := checkInstalled(dir); err != nil {
		t.Fatalf("browser: %v", err)
	}
	b, err := launch(t, dir)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	t.Cleanup(b.close)
	return b
}

// driverDir finds driver/ beside this file: tests run from their own
// package's folder, and the source tree is always there when tests run.
func driverDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the driver folder")
	}
	return filepath.Join(filepath.Dir(file), "driver"), nil
}

func checkInstalled(dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("node is not installed (apt-get install nodejs npm): %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		return fmt.Errorf("driver dependencies are missing: run `make test-browser` (npm ci in %s): %w", dir, err)
	}
	chromium := chromiumPath()
	if _, err := os.Stat(chromium); err != nil {
		return fmt.Errorf("chromium not found at %s (apt-get install chromium, or set %s): %w", chromium, ChromiumEnv, err)
	}
	return nil
}

func chromiumPath() string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

func launch(t testing.TB, dir string) (*Browser, error) {
	cmd := exec.Command("node", filepath.Join(dir, "driver.mjs"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), ChromiumEnv+"="+chromiumPath())
	stderr := &tailBuffer{max: 16 << 10}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("driver stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("driver stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start driver: %w", err)
	}
	out := bufio.NewScanner(stdout)
	out.Buffer(make([]byte, 0, 64<<10), 64<<20)
	b := &Browser{t: t, cmd: cmd, stdin: stdin, out: out, stderr: stderr}
	if _, err := b.read(0); err != nil {
		b.close()
		return nil, fmt.Errorf("driver did not start: %w", err)
	}
	return b, nil
}

// call sends one request and waits for its answer.
func (b *Browser) call(page int, op string, args any) (json.RawMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	line, err := json.Marshal(request{ID: id, Op: op, Page: page, Args: args})
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", op, err)
	}
	if _, err := b.stdin.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("send %s: %w (driver stderr: %s)", op, err, b.stderr)
	}
	return b.read(id)
}

func (b *Browser) read(id int) (json.RawMessage, error) {
	if !b.out.Scan() {
		return nil, fmt.Errorf("driver exited: %v (stderr: %s)", b.out.Err(), b.stderr)
	}
	var a answer
	if err := json.Unmarshal(b.out.Bytes(), &a); err != nil {
		return nil, fmt.Errorf("driver answer %q: %w", b.out.Text(), err)
	}
	if a.ID != id {
		return nil, fmt.Errorf("driver answered request %d, want %d: %s", a.ID, id, a.Error)
	}
	if a.Error != "" {
		return nil, errors.New(a.Error)
	}
	return a.Result, nil
}

func (b *Browser) close() {
	_ = b.stdin.Close() // the driver closes Chromium at the end of its input
	if err := b.cmd.Wait(); err != nil {
		b.t.Logf("browser driver: %v (stderr: %s)", err, b.stderr)
	}
}

// NewPage opens a page in a fresh context (its own cookies, storage and
// authenticators) at the given viewport size in CSS pixels.
func (b *Browser) NewPage(width, height int) *Page {
	b.t.Helper()
	raw, err := b.call(0, "newPage", map[string]int{"width": width, "height": height})
	if err != nil {
		b.t.Fatalf("browser: new page: %v", err)
	}
	var id int
	if err := json.Unmarshal(raw, &id); err != nil {
		b.t.Fatalf("browser: new page id %s: %v", raw, err)
	}
	return &Page{b: b, id: id}
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = w.buf[len(w.buf)-w.max:]
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.TrimSpace(string(w.buf))
}
