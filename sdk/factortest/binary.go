package factortest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// Outcome is how one check of CheckBinary ended.
type Outcome string

// The outcomes of a check.
const (
	Passed  Outcome = "pass"
	Failed  Outcome = "FAIL"
	Skipped Outcome = "skip"
)

// CheckResult is one check of CheckBinary: its outcome, what it found wrong
// (each failure says what the factor did and what was expected) and what it
// logged, such as why it was skipped.
type CheckResult struct {
	Name     string
	Outcome  Outcome
	Failures []string
	Log      []string
}

// Report is what CheckBinary found.
type Report struct {
	Checks []CheckResult
}

// Passed reports whether every check that ran passed.
func (r Report) Passed() bool {
	for _, c := range r.Checks {
		if c.Outcome == Failed {
			return false
		}
	}
	return len(r.Checks) > 0
}

// CheckBinary runs the kit against the plugin executable at path, in any
// language, launched as the host launches it, outside `go test`. The
// `factorgate plugins check` command uses it. With p nil it runs only the
// checks that need no valid proof (the description, refusal of unreadable
// states) and reports the others skipped; with a Prover, every check. The
// checks share one plugin process, so a failure to start it is the one result;
// the plugin's own log lines go to the result named "start".
func CheckBinary(ctx context.Context, path string, p Prover, opts ...Option) (report Report) {
	cfg := newConfig(append(opts, WithBinary(path)))
	start := newReporter(ctx, "start")
	var h *harness
	start.run(func(tb testing.TB) {
		cfg.validate(tb)
		h = newSubprocessHarness(tb, path, p, cfg)
	})
	if start.Failed() {
		start.cleanup()
		return Report{Checks: []CheckResult{start.result()}}
	}
	defer func() {
		// The plugin stops here, so its last log lines belong to start.
		start.cleanup()
		report.Checks = append([]CheckResult{start.result()}, report.Checks...)
	}()
	for _, c := range checks {
		r := newReporter(ctx, c.name)
		if c.needsProver && p == nil {
			r.skip("needs valid proofs: give a prover")
		} else {
			r.run(func(tb testing.TB) { c.run(tb, h) })
		}
		r.cleanup()
		report.Checks = append(report.Checks, r.result())
	}
	return report
}

// reporter is the testing.TB a check runs with under CheckBinary. It records
// failures, skips and log lines instead of failing a test. Only the methods
// the kit and a Prover use are implemented; testing.TB is embedded (nil) to
// satisfy its unexported method.
type reporter struct {
	testing.TB

	name   string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	failed   bool
	skipped  bool
	failures []string
	logs     []string
	cleanups []func()
}

func newReporter(ctx context.Context, name string) *reporter {
	ctx, cancel := context.WithCancel(ctx)
	return &reporter{name: name, ctx: ctx, cancel: cancel}
}

// run runs fn as the testing package runs a test: in its own goroutine, so
// that FailNow and SkipNow end it, and with a panic reported as a failure.
func (r *reporter) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				r.Errorf("the check panicked: %v\n%s", v, debug.Stack())
			}
		}()
		fn(r)
	}()
	<-done
}

// cleanup cancels the check's context and runs its cleanups, last first.
func (r *reporter) cleanup() {
	r.cancel()
	r.mu.Lock()
	fns := r.cleanups
	r.cleanups = nil
	r.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

func (r *reporter) result() CheckResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := CheckResult{Name: r.name, Outcome: Passed, Failures: r.failures, Log: r.logs}
	switch {
	case r.failed:
		out.Outcome = Failed
	case r.skipped:
		out.Outcome = Skipped
	}
	return out
}

func (r *reporter) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	if msg != "" {
		r.failures = append(r.failures, msg)
	}
}

func (r *reporter) skip(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = true
	r.logs = append(r.logs, msg)
}

func (r *reporter) Helper()                           {}
func (r *reporter) Name() string                      { return r.name }
func (r *reporter) Context() context.Context          { return r.ctx }
func (r *reporter) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *reporter) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *reporter) Fail()                             { r.fail("") }
func (r *reporter) FailNow()                          { r.fail(""); runtime.Goexit() }
func (r *reporter) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *reporter) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *reporter) Skip(args ...any)                  { r.skip(fmt.Sprint(args...)); runtime.Goexit() }
func (r *reporter) Skipf(format string, args ...any) {
	r.skip(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *reporter) SkipNow()        { r.skip(""); runtime.Goexit() }
func (r *reporter) Log(args ...any) { r.Logf("%s", fmt.Sprint(args...)) }

func (r *reporter) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

func (r *reporter) Cleanup(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, fn)
}

func (r *reporter) Failed() bool  { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *reporter) Skipped() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.skipped }

// TempDir returns a new directory removed when the check ends.
func (r *reporter) TempDir() string {
	dir, err := os.MkdirTemp("", "factortest-")
	if err != nil {
		r.Fatalf("temporary directory: %v", err)
	}
	r.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
