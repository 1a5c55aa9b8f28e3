// Package plugins launches and supervises the factor plugins the configuration
// names and gives the rest of the host one typed client per factor instance.
//
// Each plugin binary runs as a small pool of go-plugin processes over gRPC
// with AutoMTLS, its SHA-256 (and optionally its directory tree) pinned, and
// without the host's environment. One process serves every factor instance of
// its binary (sms and sms-7, each with its own settings). go-plugin never
// restarts a plugin, so this package does: calls are spread over the live
// processes, a call whose process died is retried once on another one, the
// dead process is replaced in the background at once, and only replacements
// that keep dying on start back off. A factor can also run in this process
// behind the same interface, for tests and benchmarks.
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

	"github.com/factorgate/factorgate/sdk"
)

// Binary is a plugin executable, what pins it, and how it is supervised.
// Zero supervision settings take the manager's defaults.
type Binary struct {
	// Name identifies the binary in configuration and logs ("totp").
	Name   string
	Path   string
	SHA256 string
	// TreeDir and TreeSHA256, when set, pin the directory the plugin runs
	// from as well (an interpreted plugin's sources); see HashTree.
	TreeDir    string
	TreeSHA256 string
	// Processes is how many processes serve the plugin.
	Processes int
	// StartTimeout bounds one process's start and handshake; CallTimeout
	// bounds one call.
	StartTimeout time.Duration
	CallTimeout  time.Duration
}

// InstanceConfig is one configured factor instance: a name callers route to,
// the binary that serves it, and its settings.
type InstanceConfig struct {
	Name     string
	Plugin   string
	Settings json.RawMessage
	// Optional marks an instance nobody configured (found in the plugin
	// directory): settings the factor refuses leave it out with a warning
	// instead of stopping the load.
	Optional bool
}

// Options tune supervision. Zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// DestinationKey is the secret key every factor instance gets at
	// configuration to name the destinations it sends to (see
	// sdk.DestinationRequest.Key); empty gives none.
	DestinationKey []byte
	// Processes is the default number of processes per plugin (default 2).
	Processes int
	// StartTimeout is the default bound of a process's start (default 10s).
	StartTimeout time.Duration
	// CallTimeout is the default bound of one call (default 5s).
	CallTimeout time.Duration
	// WatchInterval is how often a keeper looks for an exited process (default 50ms).
	WatchInterval time.Duration
	// HealthInterval is how often a live process is health-checked (default
	// 10s); HealthTimeout bounds one check (default 2s).
	HealthInterval time.Duration
	HealthTimeout  time.Duration
	// StableAfter: a process that dies sooner after its start counts as
	// dying on start (default 500ms).
	StableAfter time.Duration
	// BackoffBase doubles per consecutive start failure of a slot past the
	// first, up to BackoffMax (defaults 100ms, 1s). The maximum is short so a
	// plugin that recovers serves again within about a second.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Observer hears of every call and every replacement process (nil: none).
	Observer Observer
}

// Observer hears of what the plugins do, for metrics (*metrics.Metrics). Its
// methods must be cheap and must not block: they run on every call.
type Observer interface {
	// PluginCall reports one call of method on plugin: its outcome ("ok",
	// "refused", "failed", "timeout", "transport", "unavailable",
	// "canceled") and how long it took, retry included.
	PluginCall(plugin, method, outcome string, d time.Duration)
	// PluginRestart reports a process started to replace one that died.
	PluginRestart(plugin string)
}

// nopObserver is the Observer of a manager without one.
type nopObserver struct{}

func (nopObserver) PluginCall(string, string, string, time.Duration) {}
func (nopObserver) PluginRestart(string)                             {}

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Processes <= 0 {
		o.Processes = 2
	}
	set(&o.StartTimeout, 10*time.Second)
	set(&o.CallTimeout, 5*time.Second)
	set(&o.WatchInterval, 50*time.Millisecond)
	set(&o.HealthInterval, 10*time.Second)
	set(&o.HealthTimeout, 2*time.Second)
	set(&o.StableAfter, 500*time.Millisecond)
	set(&o.BackoffBase, 100*time.Millisecond)
	set(&o.BackoffMax, time.Second)
	return o
}

// settingsFor applies the manager's defaults to b's supervision settings.
func (o *Options) settingsFor(b Binary) poolSettings {
	s := poolSettings{processes: b.Processes, startTimeout: b.StartTimeout, callTimeout: b.CallTimeout}
	if s.processes <= 0 {
		s.processes = o.Processes
	}
	if s.startTimeout <= 0 {
		s.startTimeout = o.StartTimeout
	}
	if s.callTimeout <= 0 {
		s.callTimeout = o.CallTimeout
	}
	return s
}

var instanceName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Manager owns the plugin processes and the factor instances they serve.
type Manager struct {
	opts Options

	mu        sync.RWMutex
	pools     map[string]*pool
	instances map[string]*Instance
	closed    bool
}

// New returns an empty manager; Load starts plugins and AddInProcess adds
// in-process factors.
func New(opts Options) *Manager {
	o := opts.withDefaults()
	return &Manager{opts: o, pools: map[string]*pool{}, instances: map[string]*Instance{}}
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
	local.DestinationKey = m.opts.DestinationKey
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

// PluginNames lists the loaded plugin binaries by name.
func (m *Manager) PluginNames() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.pools))
	for name := range m.pools {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// PluginHealthy reports an error when no process of the plugin called name
// takes calls, for a readiness check per plugin.
func (m *Manager) PluginHealthy(name string) error {
	m.mu.RLock()
	p, ok := m.pools[name]
	m.mu.RUnlock()
	if !ok {
		return fmt.Errorf("plugin %s is not loaded", name)
	}
	if health, _, lastErr := p.status(); health != HealthHealthy {
		return fmt.Errorf("plugin %s is %s: %w", name, health, lastErr)
	}
	return nil
}

// PIDs returns the live process ids of each plugin binary, for tests and
// diagnostics.
func (m *Manager) PIDs() map[string][]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[string][]int{}
	for name, p := range m.pools {
		out[name] = p.pids()
	}
	return out
}

// Close stops every plugin process. It is safe to call more than once.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	pools := make([]*pool, 0, len(m.pools))
	for _, p := range m.pools {
		pools = append(pools, p)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
	return nil
}
