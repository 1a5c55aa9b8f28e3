package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// loadPlan is a validated Load request: the binaries that instances use, by
// name, with their parsed pins and their instances.
type loadPlan struct {
	names     []string // plugin names, sorted
	binaries  map[string]Binary
	pins      map[string][]byte
	instances map[string][]InstanceConfig
}

// Load starts each binary that an instance names and configures the
// instances on every process.
//
// A configuration error stops Load and leaves nothing running: a bad
// instance or plugin name, a missing binary, a file or tree that does not
// match its pin, settings the factor refuses. A plugin that is slow or keeps
// crashing at start does not: its instances are registered (their calls
// answer ErrUnavailable and Healthy names them), the error is logged, and its
// processes keep being started in the background.
func (m *Manager) Load(ctx context.Context, binaries []Binary, instances []InstanceConfig) error {
	plan, err := planLoad(binaries, instances)
	if err != nil {
		return err
	}
	m.mu.RLock()
	err = m.checkFreeLocked(plan)
	m.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("load plugins: %w", err)
	}
	pools, insts, err := m.startPools(plan)
	if err != nil {
		return err
	}
	return m.register(pools, insts)
}

// planLoad validates the request and checks every pin before anything runs.
func planLoad(binaries []Binary, instances []InstanceConfig) (*loadPlan, error) {
	plan := &loadPlan{binaries: map[string]Binary{}, pins: map[string][]byte{}, instances: map[string][]InstanceConfig{}}
	for _, b := range binaries {
		if _, dup := plan.binaries[b.Name]; dup {
			return nil, fmt.Errorf("plugin %q is listed twice", b.Name)
		}
		plan.binaries[b.Name] = b
	}
	seen := map[string]bool{}
	for _, ic := range instances {
		if !instanceName.MatchString(ic.Name) {
			return nil, fmt.Errorf("factor instance name %q: use lowercase letters, digits and dashes", ic.Name)
		}
		if seen[ic.Name] {
			return nil, fmt.Errorf("factor instance %q is configured twice", ic.Name)
		}
		seen[ic.Name] = true
		if _, ok := plan.binaries[ic.Plugin]; !ok {
			return nil, fmt.Errorf("factor instance %q names plugin %q, which is not configured", ic.Name, ic.Plugin)
		}
		plan.instances[ic.Plugin] = append(plan.instances[ic.Plugin], ic)
	}
	for name := range plan.instances {
		plan.names = append(plan.names, name)
	}
	sort.Strings(plan.names)
	for _, name := range plan.names {
		bin := plan.binaries[name]
		pin, err := parsePin(bin.SHA256)
		if err != nil {
			return nil, fmt.Errorf("plugin %q: %w", name, err)
		}
		if err := bin.verify(); err != nil {
			return nil, fmt.Errorf("plugin %q: %w", name, err)
		}
		plan.pins[name] = pin
	}
	return plan, nil
}

// checkFreeLocked refuses a plan whose plugins or instances are loaded
// already. m.mu must be held.
func (m *Manager) checkFreeLocked(plan *loadPlan) error {
	if m.closed {
		return ErrClosed
	}
	for _, name := range plan.names {
		if _, running := m.pools[name]; running {
			return fmt.Errorf("plugin %q is already loaded", name)
		}
		for _, ic := range plan.instances[name] {
			if _, dup := m.instances[ic.Name]; dup {
				return fmt.Errorf("factor instance %q is configured twice", ic.Name)
			}
		}
	}
	return nil
}

// startPools starts every plugin's pool at once and waits for each first
// attempt. A configuration error stops every pool; other start failures are
// logged and left to the keepers.
func (m *Manager) startPools(plan *loadPlan) ([]*pool, []*Instance, error) {
	pools := make([]*pool, len(plan.names))
	startErrs := make([][]error, len(plan.names))
	var insts []*Instance
	for i, name := range plan.names {
		p := newPool(plan.binaries[name], plan.pins[name], m.opts.settingsFor(plan.binaries[name]), &m.opts)
		own := make([]*Instance, 0, len(plan.instances[name]))
		for _, ic := range plan.instances[name] {
			own = append(own, &Instance{name: ic.Name, plugin: name, settings: ic.Settings, optional: ic.Optional, pool: p})
		}
		p.configure = configureAll(own, m.opts.DestinationKey, m.opts.Logger)
		pools[i] = p
		insts = append(insts, own...)
	}
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			startErrs[i] = p.start()
		}()
	}
	wg.Wait()
	var fatal []error
	for i, errs := range startErrs {
		for _, err := range errs {
			if isConfigurationError(err) {
				fatal = append(fatal, err)
				continue
			}
			m.opts.Logger.Error("plugin process did not start; serving without it and retrying in the background",
				"plugin", plan.names[i], "error", err)
		}
	}
	if len(fatal) > 0 {
		stopAll(pools)
		return nil, nil, errors.Join(fatal...)
	}
	return pools, insts, nil
}

// configureAll returns the set-up of a fresh process: every instance gets
// its settings and the destination key, and records the description the
// factor gives. An optional instance whose settings the factor refuses is
// left out, with a warning saying why, once.
func configureAll(insts []*Instance, key []byte, log *slog.Logger) func(context.Context, factorv1.FactorServiceClient) error {
	return func(ctx context.Context, c factorv1.FactorServiceClient) error {
		for _, in := range insts {
			if in.refused.Load() {
				continue
			}
			desc, err := sdk.NewRPC(c, in.name).ConfigureWithKey(ctx, in.settings, key)
			if in.optional && errors.Is(err, sdk.ErrInvalidSettings) {
				if in.refused.CompareAndSwap(false, true) {
					log.Warn("factor instance left out: the factor refused its settings; configure it under factors to use it",
						"instance", in.name, "plugin", in.plugin, "reason", err.Error())
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("factors.%s.settings: %w", in.name, err)
			}
			in.setDescription(desc)
		}
		return nil
	}
}

// register makes started pools and their instances visible to callers.
func (m *Manager) register(pools []*pool, insts []*Instance) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range pools {
		if _, running := m.pools[p.bin.Name]; running || m.closed {
			stopAll(pools)
			return fmt.Errorf("plugin %q was loaded concurrently, or the manager closed", p.bin.Name)
		}
	}
	for _, p := range pools {
		m.pools[p.bin.Name] = p
	}
	for _, in := range insts {
		if in.refused.Load() {
			continue
		}
		m.instances[in.name] = in
		info := in.Info()
		m.opts.Logger.Info("factor instance registered", "instance", in.name, "plugin", in.plugin,
			"health", info.Health, "factor", info.Description.Name, "version", info.Description.Version)
	}
	return nil
}

func stopAll(pools []*pool) {
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
}
