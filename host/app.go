package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/config"
	"github.com/factorgate/factorgate/host/metrics"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// devKeyFile is the development seal key under the data directory.
const devKeyFile = "seal.key"

// app holds the parts a command needs, wired from the configuration.
type app struct {
	cfg     *config.Config
	log     *slog.Logger
	store   *store.SQLStore
	sealer  *seal.Sealer
	plugins *plugins.Manager
	mfa     *mfa.Service
	// lockout is the policy second factors (mfa) and passwords (oauth) share.
	lockout mfa.LockoutPolicy
	tokens  *auth.Tokens
	// metrics is the app's registry; every part reports to it.
	metrics *metrics.Metrics
}

type appOptions struct {
	// plugins launches the factor plugins (serve); administration commands
	// that never call a factor leave them alone.
	plugins bool
	// createDevKey allows generating a development seal key (make run).
	createDevKey bool
	// demo (serve --demo) lets discovered SMS instances write codes to the
	// log (allow_log_sender).
	demo bool
}

// destinationKeyLabel derives, from the active seal key, the key factors
// name send destinations with: secret, and the same on every host.
const destinationKeyLabel = "factorgate destination names v1"

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, opts appOptions) (_ *app, err error) {
	a := &app{cfg: cfg, log: log, metrics: metrics.New()}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.sealer, err = openSealer(cfg, log, opts.createDevKey); err != nil {
		return nil, err
	}
	if a.store, err = store.Open(ctx, cfg.DatabaseURL(), log); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := a.store.EnsureDefaultOrg(ctx); err != nil {
		return nil, err
	}
	destKey, err := a.sealer.DeriveKey(destinationKeyLabel)
	if err != nil {
		return nil, err
	}
	a.plugins = plugins.New(plugins.Options{Logger: log, DestinationKey: destKey, Observer: a.metrics})
	if opts.plugins {
		if err := loadPlugins(ctx, cfg, log, a.plugins, opts.demo); err != nil {
			return nil, err
		}
	}
	// One policy, built once, for second factors here and passwords in the
	// provider, so both count against the same per-user lock alike.
	a.lockout = mfa.LockoutPolicy{MaxFailures: cfg.Lockout.MaxFailures, BaseDelay: cfg.Lockout.BaseDelay, MaxDelay: cfg.Lockout.MaxDelay}.WithDefaults()
	a.lockout.Observer = lockWarnings{log: log, metrics: a.metrics}
	if err := a.lockout.Validate(); err != nil {
		return nil, fmt.Errorf("lockout: %w", err)
	}
	a.mfa = mfa.New(a.store, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
		in, ok := a.plugins.Instance(name)
		if !ok {
			return nil, false
		}
		return in, true
	}), a.sealer, mfa.Options{
		Logger:        log,
		Observer:      a.metrics,
		Lockout:       a.lockout,
		EnrollmentTTL: cfg.Enrollment.TTL,
		ChallengeTTL:  cfg.Challenge.TTL,
		SendLimits: mfa.SendLimits{
			ResendInterval:    cfg.SendLimits.ResendInterval,
			PerUserHour:       cfg.SendLimits.PerUserHour,
			PerDestinationDay: cfg.SendLimits.PerDestinationDay,
			PerMinute:         cfg.SendLimits.PerMinute,
		},
	})
	a.tokens = auth.NewTokens(a.store, nil, nil)
	return a, nil
}

// Close stops the plugins and closes the database.
func (a *app) Close() {
	if a.plugins != nil {
		a.plugins.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
}

// openSealer uses FACTORGATE_SEAL_KEYS, or the development key file under the
// data directory (created only when allowed, for `make run`).
func openSealer(cfg *config.Config, log *slog.Logger, allowCreate bool) (*seal.Sealer, error) {
	if keys := string(cfg.SealKeys); keys != "" {
		s, err := seal.ParseKeys(keys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", config.EnvSealKeys, err)
		}
		return s, nil
	}
	path := filepath.Join(cfg.DataDir, devKeyFile)
	if !allowCreate {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not set: generate a key with `factorgate keys generate` and set it", config.EnvSealKeys)
		}
	}
	s, created, err := seal.LoadOrCreateKeyFile(path, nil)
	if err != nil {
		return nil, fmt.Errorf("development seal key: %w", err)
	}
	log.Warn("factor state is sealed with a development key kept beside the database; set "+config.EnvSealKeys+" in production",
		"file", path, "created", created)
	return s, nil
}

// loadPlugins starts the configured factor instances: pinned binaries from the
// configuration, or, in development, the binaries found in the plugin
// directory with one instance each under the plugin's name. Such discovered
// instances are optional: one whose factor refuses its (absent) settings, an
// SMS factor without a sender, is left out with a warning. Under demo, the
// instances of the sms plugin may write their codes to the log.
func loadPlugins(ctx context.Context, cfg *config.Config, log *slog.Logger, m *plugins.Manager, demo bool) error {
	instances := map[string]plugins.InstanceConfig{}
	for name, f := range cfg.Factors {
		instances[name] = plugins.InstanceConfig{Name: name, Plugin: f.Plugin, Settings: f.Settings}
	}
	if cfg.DiscoverPlugins() {
		return loadDiscovered(ctx, cfg, log, m, instances, demo)
	}
	var bins []plugins.Binary
	for name, p := range cfg.Plugins {
		bins = append(bins, plugins.Binary{
			Name: name, Path: cfg.ResolvePluginPath(p), SHA256: p.SHA256,
			TreeDir: cfg.ResolvePluginTree(p), TreeSHA256: p.TreeSHA256,
			Processes: p.Processes, StartTimeout: p.StartTimeout, CallTimeout: p.CallTimeout,
		})
	}
	return m.Load(ctx, bins, sortedInstances(instances, demo))
}

// loadDiscovered starts, in development, the binaries found in the plugin
// directory, each with an instance under its own name beside the configured
// ones. An instance that was not configured and whose factor refuses to work
// without settings (an email factor needs its gateway, the SMS factor a
// sender) is left out with a warning saying why, and the host starts with
// the others.
func loadDiscovered(ctx context.Context, cfg *config.Config, log *slog.Logger, m *plugins.Manager, configured map[string]plugins.InstanceConfig, demo bool) error {
	bins, instances, err := discover(cfg, log, configured)
	if err != nil {
		return err
	}
	return m.Load(ctx, bins, sortedInstances(instances, demo))
}

// discover finds the plugin binaries of a development start and gives each
// an instance under its own name, beside the configured ones.
func discover(cfg *config.Config, log *slog.Logger, configured map[string]plugins.InstanceConfig) ([]plugins.Binary, map[string]plugins.InstanceConfig, error) {
	found, err := plugins.Discover(cfg.PluginDir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (build the plugins with `make build`, or set %s)", err, config.EnvPluginDir)
	}
	if len(found) == 0 {
		return nil, nil, fmt.Errorf("no factor plugins in %s (build them with `make build`, or set %s)", cfg.PluginDir, config.EnvPluginDir)
	}
	instances := maps.Clone(configured)
	names := make([]string, 0, len(found))
	for _, b := range found {
		names = append(names, b.Name)
		for _, in := range append([]plugins.InstanceConfig{{Name: b.Name, Plugin: b.Name}}, discoveredInstances(b.Name)...) {
			if _, ok := instances[in.Name]; !ok {
				// Not configured: a factor that refuses to work without
				// settings is left out with a warning.
				in.Optional = true
				instances[in.Name] = in
			}
		}
	}
	log.Warn("plugins are not pinned: using the binaries found in the plugin directory (development only); pin them under `plugins:` in the configuration",
		"dir", cfg.PluginDir, "plugins", names)
	return found, instances, nil
}

// sortedInstances lists instances by name; under demo, the instances of the
// sms plugin may write their codes to the log.
func sortedInstances(instances map[string]plugins.InstanceConfig, demo bool) []plugins.InstanceConfig {
	list := make([]plugins.InstanceConfig, 0, len(instances))
	for _, in := range instances {
		if demo {
			in = demoSettings(in)
		}
		list = append(list, in)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// demoSettings lets an instance of the plugin named sms write its codes to
// the log under serve --demo, unless its settings say otherwise.
func demoSettings(in plugins.InstanceConfig) plugins.InstanceConfig {
	settings := map[string]json.RawMessage{}
	if in.Plugin != "sms" || (len(in.Settings) > 0 && json.Unmarshal(in.Settings, &settings) != nil) {
		return in
	}
	if _, set := settings["allow_log_sender"]; set {
		return in
	}
	settings["allow_log_sender"] = json.RawMessage("true")
	if b, err := json.Marshal(settings); err == nil {
		in.Settings = b
	}
	return in
}

// discoveredInstances are the factor instances, beyond one per plugin under
// its own name, that a development start adds for the default routes: the
// accounting API's 7-digit SMS codes.
func discoveredInstances(plugin string) []plugins.InstanceConfig {
	if plugin == "sms" {
		return []plugins.InstanceConfig{{Name: "sms-7", Plugin: "sms", Settings: []byte(`{"digits": 7}`)}}
	}
	return nil
}
