package plugins

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// Health is the state of a plugin as the supervisor sees it.
type Health string

// The health states of a plugin.
const (
	// HealthStarting: no process has started yet.
	HealthStarting Health = "starting"
	// HealthHealthy: at least one process takes calls.
	HealthHealthy Health = "healthy"
	// HealthUnhealthy: no process takes calls; replacements keep failing.
	HealthUnhealthy Health = "unhealthy"
	// HealthStopped: the manager was closed.
	HealthStopped Health = "stopped"
)

// poolSettings are one plugin's supervision settings, defaults applied.
type poolSettings struct {
	processes    int
	startTimeout time.Duration
	callTimeout  time.Duration
}

// pool supervises the processes of one plugin binary and spreads calls over
// the live ones. Each slot has a keeper goroutine that launches a process,
// watches it and replaces it when it dies (see supervise.go).
type pool struct {
	bin      Binary
	pin      []byte
	settings poolSettings
	opts     *Options
	logger   *slog.Logger
	// configure sets up every factor instance this binary serves on a freshly
	// launched process.
	configure func(ctx context.Context, c factorv1.FactorServiceClient) error

	// ctx ends when the pool stops; it kills processes still starting.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu sync.Mutex
	// live are the processes taking calls; changed is closed and replaced
	// whenever live changes, to wake callers waiting for a replacement.
	live    []*member
	changed chan struct{}
	next    int // round-robin position
	// pending counts slots that have no live process and are not backing
	// off: their process is starting or about to be replaced.
	pending int
	// nextAttempt is when each backing-off slot tries again.
	nextAttempt map[int]time.Time
	everLive    bool
	restarts    int
	lastErr     error
	closed      bool
}

func newPool(bin Binary, pin []byte, settings poolSettings, opts *Options) *pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &pool{
		bin: bin, pin: pin, settings: settings, opts: opts,
		logger: opts.Logger.With("plugin", bin.Name),
		ctx:    ctx, cancel: cancel,
		changed:     make(chan struct{}),
		nextAttempt: map[int]time.Time{},
		pending:     settings.processes,
	}
}

// start launches every slot's first process and waits for each first
// attempt. It returns the first attempts' errors; the keepers go on retrying
// failed slots in the background either way.
func (p *pool) start() []error {
	results := make(chan error, p.settings.processes)
	p.wg.Add(p.settings.processes)
	for slot := range p.settings.processes {
		go p.keep(slot, results)
	}
	var errs []error
	for range p.settings.processes {
		if err := <-results; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// stop ends every process for good and waits for the keepers. Live
// processes are asked to exit first; cancelling p.ctx then kills any process
// still starting.
func (p *pool) stop() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	live := slices.Clone(p.live)
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, m := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.kill()
		}()
	}
	wg.Wait()
	p.cancel()
	p.wg.Wait()
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// call runs fn on a live process. A call whose process died under it (a
// confirmed transport failure) is retried once on another live process,
// and the dead one is replaced in the background at once.
//
// The retry is safe because factor calls are pure functions of the state the
// host hands in: the host commits nothing until a call returns, so the dead
// process's answer, if it produced one, is simply lost. A Challenge retry
// cannot send beyond the send budget either: the budget lives in the
// credential state the host hands in (a factor that sends records its last
// send there, and the host commits it with compare-and-swap), and the retry
// receives the very same state, so the factor applies the same limits; at
// worst the user receives one duplicate of a message the budget allowed
// (side effects are at-least-once), and only the retry's challenge is kept.
func (p *pool) call(ctx context.Context, method string, fn func(context.Context, factorv1.FactorServiceClient) error) error {
	start := time.Now()
	err := p.callRetrying(ctx, method, fn)
	p.opts.Observer.PluginCall(p.bin.Name, method, callOutcome(ctx, err), time.Since(start))
	return err
}

// callOutcome names how a call ended, for the observer.
func callOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return "ok"
	case ctx.Err() != nil:
		return "canceled"
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrClosed):
		return "unavailable"
	case errors.Is(err, sdk.ErrTimeout):
		return "timeout"
	case errors.Is(err, sdk.ErrTransport):
		return "transport"
	case errors.Is(err, sdk.ErrFactorFailed):
		return "failed"
	default:
		return "refused"
	}
}

// callRetrying is call without the observer.
func (p *pool) callRetrying(ctx context.Context, method string, fn func(context.Context, factorv1.FactorServiceClient) error) error {
	m, err := p.pick(ctx, nil)
	if err != nil {
		return err
	}
	err = p.invoke(ctx, m, fn)
	if !p.crashed(ctx, m, err) {
		return p.callError(method, m, err)
	}
	p.logger.Warn("plugin process failed during a call; retrying on another process", "method", method, "pid", m.pid, "error", err)
	m.reportFailure(err)
	other, perr := p.pick(ctx, m)
	if perr != nil {
		return perr
	}
	err = p.invoke(ctx, other, fn)
	if p.crashed(ctx, other, err) {
		other.reportFailure(err)
		return p.unavailable(err)
	}
	return p.callError(method, other, err)
}

// invoke runs fn on m within the plugin's call timeout.
func (p *pool) invoke(ctx context.Context, m *member, fn func(context.Context, factorv1.FactorServiceClient) error) error {
	cctx, cancel := context.WithTimeout(ctx, p.settings.callTimeout)
	defer cancel()
	return fn(cctx, m.rpc)
}

// crashed reports whether err means m's process is gone. Only a failure of
// the transport counts, and only once confirmed: the process exited or its
// health check fails. A status the plugin answered is that call's error.
func (p *pool) crashed(ctx context.Context, m *member, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if errors.Is(err, sdk.ErrTimeout) {
		// The process may be hung rather than slow: check it without holding
		// up this caller, whose answer (503) does not depend on it.
		go p.checkAfterTimeout(m)
		return false
	}
	if !errors.Is(err, sdk.ErrTransport) && !errors.Is(err, sdk.ErrFactorFailed) {
		return false
	}
	return m.check(ctx, p.opts.HealthTimeout) != nil
}

func (p *pool) checkAfterTimeout(m *member) {
	if err := m.check(p.ctx, p.opts.HealthTimeout); err != nil && p.ctx.Err() == nil {
		m.reportFailure(err)
	}
}

// callError logs a failed call with the plugin's name and returns it; a
// plugin's own error leaves its process running.
func (p *pool) callError(method string, m *member, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sdk.ErrFactorFailed), errors.Is(err, sdk.ErrTimeout), errors.Is(err, sdk.ErrTransport):
		p.logger.Warn("factor call failed", "method", method, "pid", m.pid, "error", err)
	default:
		p.logger.Info("factor call refused", "method", method, "pid", m.pid, "error", err)
	}
	return err
}

// pick returns a live process other than exclude, round robin. When none is
// live but a replacement is starting (or is about to replace exclude), it
// waits for it within the call timeout; otherwise the plugin is unavailable.
func (p *pool) pick(ctx context.Context, exclude *member) (*member, error) {
	var timeout <-chan time.Time
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		for range p.live {
			m := p.live[p.next%len(p.live)]
			p.next++
			if m != exclude {
				p.mu.Unlock()
				return m, nil
			}
		}
		replacing := p.pending > 0 || (exclude != nil && slices.Contains(p.live, exclude))
		changed := p.changed
		p.mu.Unlock()
		if !replacing {
			return nil, p.unavailable(nil)
		}
		if timeout == nil {
			t := time.NewTimer(p.settings.callTimeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-changed:
		case <-timeout:
			return nil, p.unavailable(nil)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// unavailable is the error for a call no live process can take, with how
// long to wait before the next process may be up.
func (p *pool) unavailable(cause error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cause == nil {
		cause = p.lastErr
	}
	// A slot starting now should be up within a second or so; a slot backing
	// off is up shortly after its next attempt.
	wait := time.Second
	if p.pending == 0 && len(p.nextAttempt) > 0 {
		earliest := time.Time{}
		for _, at := range p.nextAttempt {
			if earliest.IsZero() || at.Before(earliest) {
				earliest = at
			}
		}
		wait = max(time.Until(earliest)+wait/2, wait)
	}
	return &unavailableError{plugin: p.bin.Name, retryAfter: wait, cause: cause}
}

// status reports the plugin's health for health endpoints and `plugins list`.
func (p *pool) status() (Health, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return HealthStopped, p.restarts, p.lastErr
	case len(p.live) > 0:
		return HealthHealthy, p.restarts, p.lastErr
	case !p.everLive && p.lastErr == nil:
		return HealthStarting, p.restarts, p.lastErr
	}
	return HealthUnhealthy, p.restarts, p.lastErr
}

// pids returns the process ids of the live processes.
func (p *pool) pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, 0, len(p.live))
	for _, m := range p.live {
		out = append(out, m.pid)
	}
	return out
}
