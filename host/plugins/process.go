package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/factorgate/factorgate/plugin"
	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// Health is the state of a plugin process as the supervisor sees it.
type Health string

// The health states of a plugin.
const (
	HealthStarting  Health = "starting"
	HealthHealthy   Health = "healthy"
	HealthUnhealthy Health = "unhealthy"
	HealthStopped   Health = "stopped"
)

// ErrUnhealthy is returned for calls to a plugin that is crash-looping and
// waiting out its back-off.
var ErrUnhealthy = errors.New("factor plugin unhealthy")

// ErrClosed is returned for calls after the manager was closed.
var ErrClosed = errors.New("plugin manager closed")

// process supervises one plugin binary. go-plugin never restarts a plugin, so
// the process keeps a generation counter under its lock: whoever sees the
// current generation fail restarts it, and a caller holding an older
// generation finds the restart already done.
type process struct {
	bin    Binary
	pin    []byte
	opts   *Options
	logger *slog.Logger
	// configure sets up every factor instance this binary serves on a freshly
	// launched process.
	configure func(ctx context.Context, c factorv1.FactorServiceClient) error

	mu          sync.Mutex
	gen         uint64
	client      *goplugin.Client
	protocol    goplugin.ClientProtocol
	rpc         factorv1.FactorServiceClient
	health      Health
	lastErr     error
	crashes     []time.Time // recent unplanned exits and failed launches
	restarts    int
	retryAt     time.Time // no launch before this while unhealthy
	closed      bool
	stopWatcher chan struct{}
}

func newProcess(bin Binary, pin []byte, opts *Options, logger *slog.Logger) *process {
	return &process{bin: bin, pin: pin, opts: opts, logger: logger.With("plugin", bin.Name), health: HealthStarting}
}

// start launches the first process; a failure here fails the host's start.
func (p *process) start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.launchLocked(ctx); err != nil {
		p.health = HealthUnhealthy
		p.lastErr = err
		return err
	}
	return nil
}

// launchLocked starts a new plugin process, configures its instances, and
// starts the watcher of that generation. p.mu must be held.
func (p *process) launchLocked(ctx context.Context) error {
	// go-plugin's own check only says "checksums did not match"; check first
	// so the operator reads which file and which hashes.
	if err := verifyPin(p.bin.Path, p.bin.SHA256); err != nil {
		return err
	}
	cmd := exec.Command(p.bin.Path)
	configureCmd(cmd)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.ClientPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		SecureConfig:     &goplugin.SecureConfig{Checksum: p.pin, Hash: sha256.New()},
		Logger:           newHCLogAdapter(p.opts.Logger, p.bin.Name),
		StartTimeout:     p.opts.StartTimeout,
	})
	protocol, err := client.Client()
	if err != nil {
		client.Kill()
		return fmt.Errorf("start plugin %s (%s): %w", p.bin.Name, p.bin.Path, err)
	}
	raw, err := protocol.Dispense(plugin.Name)
	if err != nil {
		client.Kill()
		return fmt.Errorf("plugin %s: dispense %q: %w", p.bin.Name, plugin.Name, err)
	}
	rpc, ok := raw.(factorv1.FactorServiceClient)
	if !ok {
		client.Kill()
		return fmt.Errorf("plugin %s: protocol version %d is not supported", p.bin.Name, client.NegotiatedVersion())
	}
	cctx, cancel := context.WithTimeout(ctx, p.opts.CallTimeout)
	defer cancel()
	if err := p.configure(cctx, rpc); err != nil {
		client.Kill()
		return fmt.Errorf("plugin %s: %w", p.bin.Name, err)
	}
	p.gen++
	p.client, p.protocol, p.rpc = client, protocol, rpc
	p.health = HealthHealthy
	p.lastErr = nil
	stop := make(chan struct{})
	p.stopWatcher = stop
	go p.watch(p.gen, client, protocol, stop)
	p.logger.Info("plugin started", "generation", p.gen, "pid", pidOf(client), "protocol", client.NegotiatedVersion())
	return nil
}

func pidOf(c *goplugin.Client) int {
	if rc := c.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// watch respawns the process of generation gen as soon as it exits, and
// health-checks it while it runs.
func (p *process) watch(gen uint64, client *goplugin.Client, protocol goplugin.ClientProtocol, stop <-chan struct{}) {
	exitTick := time.NewTicker(p.opts.WatchInterval)
	defer exitTick.Stop()
	healthTick := time.NewTicker(p.opts.HealthInterval)
	defer healthTick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-exitTick.C:
			if client.Exited() {
				p.replace(gen, errors.New("plugin process exited"))
				return
			}
		case <-healthTick.C:
			if err := protocol.Ping(); err != nil {
				p.replace(gen, fmt.Errorf("health check failed: %w", err))
				return
			}
		}
	}
}

// replace replaces the process of generation gen after it failed; if another
// caller already replaced it, there is nothing to do. A crash loop backs off
// and marks the plugin unhealthy, and a timer tries again after the back-off.
func (p *process) replace(gen uint64, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.gen != gen || p.rpc == nil {
		return
	}
	p.logger.Warn("plugin failed; restarting", "generation", gen, "error", cause)
	p.retireLocked()
	p.noteCrashLocked(cause)
	p.relaunchLocked()
}

// retireLocked stops the current process and forgets it.
func (p *process) retireLocked() {
	if p.stopWatcher != nil {
		close(p.stopWatcher)
		p.stopWatcher = nil
	}
	if p.client != nil {
		// Kill is quick for a process that already exited; a hung one gets
		// go-plugin's graceful period and is then killed.
		p.client.Kill()
	}
	p.client, p.protocol, p.rpc = nil, nil, nil
}

func (p *process) noteCrashLocked(cause error) {
	now := time.Now()
	p.lastErr = cause
	recent := p.crashes[:0]
	for _, t := range p.crashes {
		if now.Sub(t) < p.opts.CrashWindow {
			recent = append(recent, t)
		}
	}
	p.crashes = append(recent, now)
}

// relaunchLocked starts a new process at once unless the plugin is crash
// looping, in which case it schedules the attempt after a growing back-off.
func (p *process) relaunchLocked() {
	if n := len(p.crashes); n > p.opts.MaxCrashes {
		delay := p.opts.BackoffBase << min(n-p.opts.MaxCrashes-1, 16)
		if delay > p.opts.BackoffMax || delay <= 0 {
			delay = p.opts.BackoffMax
		}
		p.health = HealthUnhealthy
		p.retryAt = time.Now().Add(delay)
		p.logger.Error("plugin is crash-looping; backing off", "crashes", n, "window", p.opts.CrashWindow, "retry_in", delay, "error", p.lastErr)
		gen := p.gen
		time.AfterFunc(delay, func() { p.retryAfterBackoff(gen) })
		return
	}
	p.restarts++
	if err := p.launchLocked(context.Background()); err != nil {
		p.logger.Error("plugin restart failed", "error", err)
		p.noteCrashLocked(err)
		p.relaunchLocked()
	}
}

func (p *process) retryAfterBackoff(gen uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.gen != gen || p.rpc != nil {
		return
	}
	p.restarts++
	if err := p.launchLocked(context.Background()); err != nil {
		p.logger.Error("plugin restart failed", "error", err)
		p.noteCrashLocked(err)
		p.relaunchLocked()
	}
}

// current returns the live client and its generation.
func (p *process) current() (uint64, factorv1.FactorServiceClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return 0, nil, ErrClosed
	case p.rpc == nil:
		return 0, nil, fmt.Errorf("%w: %s: %v (next attempt in %s)", ErrUnhealthy, p.bin.Name, p.lastErr, time.Until(p.retryAt).Round(time.Millisecond))
	}
	return p.gen, p.rpc, nil
}

// call runs fn against the live process. When fn fails because the process
// died (an ErrTransport error), the process is restarted (once, whoever sees
// it first) and fn is retried once on the new one. That is safe because the
// host commits nothing until a call returns.
func (p *process) call(ctx context.Context, fn func(context.Context, factorv1.FactorServiceClient) error) error {
	gen, rpc, err := p.current()
	if err != nil {
		return err
	}
	err = p.invoke(ctx, rpc, fn)
	if err == nil || !errors.Is(err, sdk.ErrTransport) || ctx.Err() != nil {
		return err
	}
	p.replace(gen, err)
	_, rpc, cerr := p.current()
	if cerr != nil {
		return fmt.Errorf("%w (after: %w)", cerr, err)
	}
	return p.invoke(ctx, rpc, fn)
}

func (p *process) invoke(ctx context.Context, rpc factorv1.FactorServiceClient, fn func(context.Context, factorv1.FactorServiceClient) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.opts.CallTimeout)
		defer cancel()
	}
	return fn(ctx, rpc)
}

// status reports the plugin's health for health endpoints and `plugins list`.
func (p *process) status() (Health, int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health, p.restarts, p.lastErr
}

// pid returns the live process id, or 0.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return 0
	}
	return pidOf(p.client)
}

// stop ends the process for good.
func (p *process) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.retireLocked()
	p.health = HealthStopped
}
