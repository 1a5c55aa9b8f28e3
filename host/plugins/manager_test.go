package plugins_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

// bins holds the real plugin binaries built once for this package's tests;
// misbehavePath is the test plugin of testdata/misbehave.
var (
	bins          map[string]plugins.Binary
	misbehavePath string
)

func TestMain(m *testing.M) {
	if os.Getenv(hostHelperEnv) != "" {
		runHostHelper()
		return
	}
	dir, err := os.MkdirTemp("", "factorgate-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = testplugins.Build(dir)
	if err == nil {
		misbehavePath = filepath.Join(dir, "misbehave")
		err = buildMisbehave(misbehavePath)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// logBuffer collects the host's log lines so tests can assert on them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newManager(t *testing.T, opts plugins.Options) (*plugins.Manager, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := plugins.New(opts)
	t.Cleanup(func() { m.Close() })
	return m, logs
}

func totpInstances(names ...string) []plugins.InstanceConfig {
	var out []plugins.InstanceConfig
	for _, n := range names {
		out = append(out, plugins.InstanceConfig{Name: n, Plugin: "totp", Settings: json.RawMessage(`{}`)})
	}
	return out
}

func beginTOTP(ctx context.Context, in *plugins.Instance) error {
	resp, err := in.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u1", Name: "alice"}, Now: time.Now()})
	if err != nil {
		return err
	}
	if len(resp.PendingState) == 0 || !strings.HasPrefix(resp.Display.URI, "otpauth://totp/") {
		return fmt.Errorf("unexpected enrollment response: %+v", resp.Display)
	}
	return nil
}

func TestLoadConfiguresInstancesOnOneProcess(t *testing.T) {
	m, logs := newManager(t, plugins.Options{})
	instances := []plugins.InstanceConfig{
		{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{}`)},
		{Name: "totp-8", Plugin: "totp", Settings: json.RawMessage(`{"digits": 8, "algorithm": "SHA256"}`)},
	}
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, instances); err != nil {
		t.Fatal(err)
	}
	infos := m.Instances()
	if len(infos) != 2 {
		t.Fatalf("got %d instances, want 2", len(infos))
	}
	for _, info := range infos {
		if info.Health != plugins.HealthHealthy || info.InProcess || info.Description.Name != "totp" {
			t.Errorf("instance %s: %+v", info.Name, info)
		}
		if !info.Description.Has(sdk.CapabilityEnroll) {
			t.Errorf("instance %s lacks the enroll capability: %+v", info.Name, info.Description)
		}
	}
	if pids := m.PIDs(); len(pids) != 1 || len(pids["totp"]) != 2 {
		t.Fatalf("want a pool of two totp processes, got %v", pids)
	}
	wantProcs := fmt.Sprintf("GOMAXPROCS=%d", (runtime.GOMAXPROCS(0)+1)/2)
	for _, pid := range m.PIDs()["totp"] {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Logf("environment of plugin %d not readable here: %v", pid, err)
			continue
		}
		if vars := strings.Split(string(env), "\x00"); !slices.Contains(vars, wantProcs) {
			t.Errorf("plugin %d started with %q, want %s among them", pid, vars, wantProcs)
		}
	}
	ctx := context.Background()
	for _, name := range []string{"totp", "totp-8"} {
		in, ok := m.Instance(name)
		if !ok {
			t.Fatalf("instance %s missing", name)
		}
		resp, err := in.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u1", Name: "alice"}, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		wantDigits := map[string]string{"totp": "digits=6", "totp-8": "digits=8"}[name]
		if !strings.Contains(resp.Display.URI, wantDigits) {
			t.Errorf("instance %s: URI %q lacks %s: instances must keep their own settings", name, resp.Display.URI, wantDigits)
		}
	}
	if err := m.Healthy(); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	// The plugin's own log line reaches the host log at its level, tagged
	// with the plugin.
	if !strings.Contains(logs.String(), `"level":"INFO","msg":"serving factor","plugin":"totp"`) {
		t.Errorf("plugin log line not in host log:\n%s", logs.String())
	}
}

func TestLoadRejectsBadConfiguration(t *testing.T) {
	good := bins["totp"]
	tests := []struct {
		name      string
		binaries  []plugins.Binary
		instances []plugins.InstanceConfig
		want      string
	}{
		{"unknown plugin", []plugins.Binary{good}, []plugins.InstanceConfig{{Name: "x", Plugin: "nope"}}, `names plugin "nope"`},
		{"bad instance name", []plugins.Binary{good}, []plugins.InstanceConfig{{Name: "Bad Name", Plugin: "totp"}}, "lowercase"},
		{"bad pin", []plugins.Binary{{Name: "totp", Path: good.Path, SHA256: "abc"}}, totpInstances("totp"), "64 hex digits"},
		{"bad settings", []plugins.Binary{good}, []plugins.InstanceConfig{{Name: "totp", Plugin: "totp", Settings: json.RawMessage(`{"digits": 7}`)}}, "digits"},
		{"missing binary", []plugins.Binary{{Name: "totp", Path: filepath.Join(t.TempDir(), "missing"), SHA256: good.SHA256}}, totpInstances("totp"), "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newManager(t, plugins.Options{})
			err := m.Load(context.Background(), tc.binaries, tc.instances)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to mention %q", err, tc.want)
			}
			if len(m.Instances()) != 0 || len(m.PIDs()) != 0 {
				t.Fatalf("a failed Load left instances or processes behind")
			}
		})
	}
}

func TestWrongPinnedHashIsRefused(t *testing.T) {
	m, _ := newManager(t, plugins.Options{})
	bin := bins["totp"]
	wrong := strings.Repeat("ab", 32)
	err := m.Load(context.Background(), []plugins.Binary{{Name: "totp", Path: bin.Path, SHA256: wrong}}, totpInstances("totp"))
	if !errors.Is(err, plugins.ErrChecksumMismatch) {
		t.Fatalf("want ErrChecksumMismatch, got %v", err)
	}
	for _, part := range []string{bin.Path, bin.SHA256, wrong} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not name %q", err, part)
		}
	}
}

func TestCallIsRetriedOnAnotherProcessAfterSIGKILL(t *testing.T) {
	// A long watch interval leaves noticing the death to the failing call.
	m, _ := newManager(t, plugins.Options{WatchInterval: time.Hour, HealthInterval: time.Hour})
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, totpInstances("totp")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("totp")
	before := m.PIDs()["totp"]
	killAndWait(t, before[0])

	// Calls go round robin, so one of two consecutive calls meets the dead
	// process; both succeed.
	for range 2 {
		if err := beginTOTP(context.Background(), in); err != nil {
			t.Fatalf("call after SIGKILL: %v", err)
		}
	}
	after := waitFor(t, func() ([]int, bool) {
		pids := m.PIDs()["totp"]
		return pids, len(pids) == 2 && !slices.Contains(pids, before[0])
	})
	if !slices.Contains(after, before[1]) {
		t.Errorf("the live process %d was replaced too: %v", before[1], after)
	}
	if info := in.Info(); info.Restarts != 1 || info.Health != plugins.HealthHealthy {
		t.Fatalf("after one kill: %+v", info)
	}
}

func TestConcurrentCallersSeeNoFailureAndOneReplacement(t *testing.T) {
	m, _ := newManager(t, plugins.Options{WatchInterval: time.Hour, HealthInterval: time.Hour})
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, totpInstances("totp", "totp-b")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("totp")
	inB, _ := m.Instance("totp-b")
	killAndWait(t, m.PIDs()["totp"][0])

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := in
			if i%2 == 1 {
				target = inB
			}
			errs <- beginTOTP(context.Background(), target)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call after kill: %v", err)
		}
	}
	waitFor(t, func() (bool, bool) { return true, len(m.PIDs()["totp"]) == 2 })
	if got := in.Info().Restarts; got != 1 {
		t.Fatalf("restarts = %d, want exactly 1 for one death", got)
	}
	// Both instances were configured on the replacement too.
	for range 4 {
		if err := beginTOTP(context.Background(), inB); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCallWaitsForTheReplacementWhenEveryProcessDied(t *testing.T) {
	// Any uptime counts as stable here, so the replacement of the killed
	// process is worth waiting for however fast the test kills it.
	m, _ := newManager(t, plugins.Options{Processes: 1, StableAfter: time.Nanosecond})
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, totpInstances("totp")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("totp")
	old := m.PIDs()["totp"][0]
	killAndWait(t, old)
	if err := beginTOTP(context.Background(), in); err != nil {
		t.Fatalf("call while the only process is replaced: %v", err)
	}
	if pids := m.PIDs()["totp"]; len(pids) != 1 || pids[0] == old {
		t.Fatalf("process not replaced: %v", pids)
	}
}

func TestInProcessFactorBehindTheSameInterface(t *testing.T) {
	m, _ := newManager(t, plugins.Options{})
	if err := m.AddInProcess(context.Background(), "totp", totp.New(), json.RawMessage(`{"digits": 8}`)); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("totp")
	if info := in.Info(); !info.InProcess || info.Health != plugins.HealthHealthy {
		t.Fatalf("in-process info: %+v", info)
	}
	if err := beginTOTP(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if err := m.AddInProcess(context.Background(), "bad", totp.New(), json.RawMessage(`{"digits": 7}`)); err == nil {
		t.Fatal("invalid settings accepted in process")
	}
}

func TestClosedManagerRefusesCalls(t *testing.T) {
	m, _ := newManager(t, plugins.Options{})
	if err := m.Load(context.Background(), []plugins.Binary{bins["totp"]}, totpInstances("totp")); err != nil {
		t.Fatal(err)
	}
	in, _ := m.Instance("totp")
	pids := m.PIDs()["totp"]
	m.Close()
	if err := beginTOTP(context.Background(), in); !errors.Is(err, plugins.ErrClosed) {
		t.Fatalf("call after Close: %v, want ErrClosed", err)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// hostHelperEnv makes the test binary act as a small host process that loads
// the plugin, reports its pid on stdout and then ends the way it is told.
const hostHelperEnv = "FACTORGATE_TEST_HOST_HELPER"

func runHostHelper() {
	mode := os.Getenv(hostHelperEnv)
	bin := plugins.Binary{Name: "totp", Path: os.Getenv("HELPER_PLUGIN_PATH"), SHA256: os.Getenv("HELPER_PLUGIN_SHA256")}
	m := plugins.New(plugins.Options{Processes: 1, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	// The same shape as the host's main: stop plugins on return, on panic and on signals.
	defer m.Close()
	stop := plugins.StopOnSignals(m)
	defer stop()
	if err := m.Load(context.Background(), []plugins.Binary{bin}, totpInstances("totp")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(m.PIDs()["totp"][0])
	switch mode {
	case "panic":
		time.Sleep(200 * time.Millisecond)
		panic("host helper panics on purpose")
	default:
		time.Sleep(time.Minute)
	}
}

func TestNoOrphanPluginsAfterHostExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   string
		signal syscall.Signal
	}{
		{"SIGINT", "wait", syscall.SIGINT},
		{"SIGTERM", "wait", syscall.SIGTERM},
		{"SIGKILL", "wait", syscall.SIGKILL},
		{"panic", "panic", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), hostHelperEnv+"="+tc.mode,
				"HELPER_PLUGIN_PATH="+bins["totp"].Path, "HELPER_PLUGIN_SHA256="+bins["totp"].SHA256)
			cmd.Stderr = os.Stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			line := make([]byte, 32)
			n, err := stdout.Read(line)
			if err != nil {
				t.Fatalf("reading plugin pid: %v", err)
			}
			pluginPID, err := strconv.Atoi(strings.TrimSpace(string(line[:n])))
			if err != nil || pluginPID <= 0 {
				t.Fatalf("helper printed %q", line[:n])
			}
			if !alive(pluginPID) {
				t.Fatalf("plugin %d not running", pluginPID)
			}
			if tc.signal != 0 {
				if err := cmd.Process.Signal(tc.signal); err != nil {
					t.Fatal(err)
				}
			}
			cmd.Wait()
			waitGone(t, pluginPID)
		})
	}
}

func killAndWait(t *testing.T, pid int) {
	t.Helper()
	if pid == 0 {
		t.Fatal("no process to kill")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(data))
	return len(fields) > 2 && fields[2] != "Z"
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	waitFor(t, func() (bool, bool) { return true, !alive(pid) })
}

// waitFor polls cond until it holds or ten seconds pass. It waits for an event
// (a process to exit or start); it does not time the code under test.
func waitFor[T any](t *testing.T, cond func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := cond()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
