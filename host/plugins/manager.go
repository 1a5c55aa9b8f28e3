// Package plugins launches and supervises the factor plugins the configuration
// names and gives the rest of the host one typed client per factor instance.
//
// Each plugin binary runs as one go-plugin process over gRPC with AutoMTLS,
// its SHA-256 pinned, and without the host's environment. One process can serve
// several factor instances (sms and sms-7 from one binary, each with its own
// settings). go-plugin never restarts a plugin, so this package does: a watcher
// respawns a process as soon as it exits, a call that failed because the
// process died is retried once on the new one, and a crash loop backs off and
// marks the plugin unhealthy. A factor can also run in this process behind the
// same interface, for tests and benchmarks.
package plugins

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"sync"
	"time"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// Binary is a plugin executable and its pinned SHA-256 (hex).
type Binary struct {
	// Name identifies the binary in configuration and logs ("totp").
	Name   string
	Path   string
	SHA256 string
}

// InstanceConfig is one configured factor instance: a name callers route to,
// the binary that serves it, and its settings.
type InstanceConfig struct {
	Name     string
	Plugin   string
	Settings json.RawMessage
}

// Options tune supervision. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// StartTimeout bounds a plugin's start and handshake (default 10s).
	StartTimeout time.Duration
	// CallTimeout bounds a call without its own deadline (default 15s).
	CallTimeout time.Duration
	// WatchInterval is how often a watcher looks for an exited process (default 50ms).
	WatchInterval time.Duration
	// HealthInterval is how often a live process is pinged (default 10s).
	HealthInterval time.Duration
	// MaxCrashes within CrashWindow are restarted at once; more start a back-off
	// (defaults 5 in 1 minute).
	MaxCrashes  int
	CrashWindow time.Duration
	// BackoffBase doubles per crash past MaxCrashes up to BackoffMax (defaults 1s, 1m).
	BackoffBase time.Duration
	BackoffMax  time.Duration
}

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	set(&o.StartTimeout, 10*time.Second)
	set(&o.CallTimeout, 15*time.Second)
	set(&o.WatchInterval, 50*time.Millisecond)
	set(&o.HealthInterval, 10*time.Second)
	set(&o.CrashWindow, time.Minute)
	set(&o.BackoffBase, time.Second)
	set(&o.BackoffMax, time.Minute)
	if o.MaxCrashes <= 0 {
		o.MaxCrashes = 5
	}
	return o
}

var instanceName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Manager owns the plugin processes and the factor instances they serve.
type Manager struct {
	opts Options

	mu        sync.RWMutex
	processes map[string]*process
	instances map[string]*Instance
	closed    bool
}

// New returns an empty manager; Load starts plugins and AddInProcess adds
// in-process factors.
func New(opts Options) *Manager {
	o := opts.withDefaults()
	return &Manager{opts: o, processes: map[string]*process{}, instances: map[string]*Instance{}}
}

// Load launches each binary that an instance names, checks its pinned hash,
// and configures the instances. Either every instance is ready or Load fails
// and nothing it started keeps running.
func (m *Manager) Load(ctx context.Context, binaries []Binary, instances []InstanceConfig) (err error) {
	byName := map[string]Binary{}
	for _, b := range binaries {
		if _, dup := byName[b.Name]; dup {
			return fmt.Errorf("plugin %q is listed twice", b.Name)
		}
		byName[b.Name] = b
	}
	grouped := map[string][]InstanceConfig{}
	for _, ic := range instances {
		if !instanceName.MatchString(ic.Name) {
			return fmt.Errorf("factor instance name %q: use lowercase letters, digits and dashes", ic.Name)
		}
		if _, ok := byName[ic.Plugin]; !ok {
			return fmt.Errorf("factor instance %q names plugin %q, which is not configured", ic.Name, ic.Plugin)
		}
		grouped[ic.Plugin] = append(grouped[ic.Plugin], ic)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, ic := range instances {
		if _, dup := m.instances[ic.Name]; dup {
			return fmt.Errorf("factor instance %q is configured twice", ic.Name)
		}
	}
	var started []*process
	defer func() {
		if err != nil {
			for _, p := range started {
				p.stop()
			}
		}
	}()
	names := make([]string, 0, len(grouped))
	for name := range grouped {
		names = append(names, name)
	}
	sort.Strings(names)
	ready := map[string]*Instance{}
	for _, name := range names {
		bin := byName[name]
		pin, err := parsePin(bin.SHA256)
		if err != nil {
			return fmt.Errorf("plugin %q: %w", name, err)
		}
		if _, running := m.processes[name]; running {
			return fmt.Errorf("plugin %q is already loaded", name)
		}
		p := newProcess(bin, pin, &m.opts, m.opts.Logger)
		insts := make([]*Instance, 0, len(grouped[name]))
		for _, ic := range grouped[name] {
			insts = append(insts, &Instance{name: ic.Name, plugin: name, settings: ic.Settings, proc: p})
		}
		p.configure = func(ctx context.Context, c factorv1.FactorServiceClient) error {
			for _, in := range insts {
				desc, err := sdk.NewRPC(c, in.name).Configure(ctx, in.settings)
				if err != nil {
					return fmt.Errorf("factor instance %q: %w", in.name, err)
				}
				in.setDescription(desc)
			}
			return nil
		}
		if err := p.start(ctx); err != nil {
			return err
		}
		started = append(started, p)
		for _, in := range insts {
			ready[in.name] = in
		}
	}
	for _, p := range started {
		m.processes[p.bin.Name] = p
	}
	for name, in := range ready {
		m.instances[name] = in
		m.opts.Logger.Info("factor instance ready", "instance", name, "plugin", in.plugin,
			"factor", in.Description().Name, "version", in.Description().Version)
	}
	return nil
}

// AddInProcess serves the factor instance name from f in this process, with
// settings applied as a plugin would apply them.
func (m *Manager) AddInProcess(ctx context.Context, name string, f sdk.Factor, settings json.RawMessage) error {
	if !instanceName.MatchString(name) {
		return fmt.Errorf("factor instance name %q: use lowercase letters, digits and dashes", name)
	}
	local, err := sdk.ConfigureLocal(ctx, f, settings)
	if err != nil {
		return fmt.Errorf("factor instance %q: %w", name, err)
	}
	desc, _ := local.Describe(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if _, dup := m.instances[name]; dup {
		return fmt.Errorf("factor instance %q is configured twice", name)
	}
	in := &Instance{name: name, plugin: "in-process", local: local}
	in.setDescription(desc)
	m.instances[name] = in
	return nil
}

// Instance returns the factor instance called name.
func (m *Manager) Instance(name string) (*Instance, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	in, ok := m.instances[name]
	return in, ok
}

// InstanceInfo describes a factor instance for health and listing endpoints.
type InstanceInfo struct {
	Name        string
	Plugin      string
	InProcess   bool
	Description sdk.Description
	Health      Health
	Restarts    int
	// LastError is the last failure of the plugin process, if any.
	LastError string
}

// Instances lists the factor instances by name.
func (m *Manager) Instances() []InstanceInfo {
	m.mu.RLock()
	list := make([]*Instance, 0, len(m.instances))
	for _, in := range m.instances {
		list = append(list, in)
	}
	m.mu.RUnlock()
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	out := make([]InstanceInfo, 0, len(list))
	for _, in := range list {
		out = append(out, in.Info())
	}
	return out
}

// Healthy reports an error naming every instance whose plugin is not healthy.
func (m *Manager) Healthy() error {
	var errs []error
	for _, info := range m.Instances() {
		if info.Health != HealthHealthy {
			errs = append(errs, fmt.Errorf("factor instance %s (plugin %s): %s", info.Name, info.Plugin, info.Health))
		}
	}
	return errors.Join(errs...)
}

// PIDs returns the live process id of each plugin binary, for tests and diagnostics.
func (m *Manager) PIDs() map[string]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string]int{}
	for name, p := range m.processes {
		out[name] = p.pid()
	}
	return out
}

// Close stops every plugin process. It is safe to call more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	procs := make([]*process, 0, len(m.processes))
	for _, p := range m.processes {
		procs = append(procs, p)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
	return nil
}
