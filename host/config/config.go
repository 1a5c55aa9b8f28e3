// Package config loads the Factorgate server configuration: one YAML file
// plus FACTORGATE_* environment variables, validated as a whole at start.
//
// Values are taken, lowest precedence first, from [Default], from the YAML
// file (optional) and from the environment variables listed with
// [EnvListen] and its neighbours. A variable that is unset or empty leaves the
// value alone. The file is read strictly: a key the schema does not know is
// an error, so a typo never silently falls back to a default.
//
// Every problem is reported as an [*Error] naming where the value came from
// (file and line, or environment variable) and the key path, for example
//
//	config factorgate.yaml: line 7: unknown key "lockout.max_failure"
//	config factorgate.yaml: line 9: lockout.max_failures: must be between 1 and 1000, got 0
//	FACTORGATE_LISTEN: must be host:port, got "8080"
//
// and [Load] joins them with [errors.Join], so an operator sees all problems
// at once rather than one per start.
//
// # Plugins, factors and routes
//
// plugins pins the factor plugin binaries by path and SHA-256, factors
// configures named factor instances served by those plugins (each with its
// own settings, handed to the plugin as JSON), and routes says which factor
// instance serves each API endpoint or method value. When plugins is empty
// the configuration is in discovery mode ([Config.DiscoverPlugins]): the host
// finds factorgate-factor-* binaries in plugin_dir itself, which is meant for
// development only, and checks factors and routes against what it found.
//
// # Secrets
//
// seal_keys is a [Secret] and database_url a [DSN]: both print redacted
// through fmt, log/slog, encoding/json and YAML, as does a whole [Config]
// through [Config.LogValue] and [Config.String]. Configuration errors never
// echo either value.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// PluginBinaryPrefix starts the file name of every factor plugin binary; a
// plugin listed without a path is looked up as PluginBinaryPrefix+name in
// plugin_dir.
const PluginBinaryPrefix = "factorgate-factor-"

// sqliteFileName is the database file inside data_dir when database_url is
// empty.
const sqliteFileName = "factorgate.db"

// Config is the validated server configuration. [Load] and [Default] return
// it with every default applied: PublicURL is set, each plugin has a path,
// each factor names its plugin and has settings, and Routes holds only the
// routes in effect.
type Config struct {
	// Listen is the host:port the HTTP server binds.
	Listen string `yaml:"listen"`
	// AdminListen is the host:port of the admin listener (metrics at
	// /metrics, profiles under /debug/pprof); empty, the default, serves none.
	AdminListen string `yaml:"admin_listen"`
	// TLSCertFile and TLSKeyFile, set together, make listen serve HTTPS with
	// this PEM certificate chain and key, read again on SIGHUP; for
	// deployments without a reverse proxy that terminates TLS.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
	// PublicURL is the absolute URL clients reach the server at, without a
	// trailing slash. Derived from Listen when not configured.
	PublicURL string `yaml:"public_url"`
	// DataDir holds the SQLite database (by default) and other local state.
	DataDir string `yaml:"data_dir"`
	// Database is database_url as configured: empty, a SQLite file path or a
	// postgres:// URL. Use [Config.DatabaseURL] for the effective value.
	Database DSN `yaml:"database_url"`
	// PluginDir is where relative plugin paths, and discovered plugins, live.
	PluginDir string `yaml:"plugin_dir"`
	// SealKeys is FACTORGATE_SEAL_KEYS ("id:base64key,...", active key
	// first), or empty when the host should fall back to a development key.
	// It is not parsed here.
	SealKeys Secret `yaml:"seal_keys"`

	Log        LogConfig        `yaml:"log"`
	HTTP       HTTPConfig       `yaml:"http"`
	Lockout    LockoutConfig    `yaml:"lockout"`
	SignIn     SignInConfig     `yaml:"signin"`
	Enrollment EnrollmentConfig `yaml:"enrollment"`
	Challenge  ChallengeConfig  `yaml:"challenge"`
	SendLimits SendLimitsConfig `yaml:"send_limits"`

	// Plugins are the pinned plugin binaries by name. Empty means discovery
	// mode.
	Plugins map[string]PluginConfig `yaml:"plugins"`
	// Factors are the factor instances by instance name.
	Factors map[string]FactorConfig `yaml:"factors"`
	// Routes maps each route (an endpoint or method value such as
	// "scanner.totp") to the factor instance that serves it. A route that is
	// absent is not served.
	Routes map[string]string `yaml:"routes"`

	Bootstrap BootstrapConfig `yaml:"bootstrap"`
}

// LogConfig selects the log level and format.
type LogConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// HTTPConfig tunes the HTTP server.
type HTTPConfig struct {
	// MaxBodyBytes caps a request body (1 KiB to 10 MiB).
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// ReadTimeout, WriteTimeout and ShutdownTimeout are the server's read and
	// write deadlines and the grace period for in-flight requests at shutdown.
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// TrustedProxies lists the CIDRs (or single addresses) of reverse proxies
	// whose X-Forwarded-For header is believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
}

// LockoutConfig throttles repeated failed verifications.
type LockoutConfig struct {
	// MaxFailures is how many consecutive failures are allowed before a delay
	// is imposed (1 to 1000).
	MaxFailures int `yaml:"max_failures"`
	// BaseDelay is the first delay; it doubles per further failure up to
	// MaxDelay.
	BaseDelay time.Duration `yaml:"base_delay"`
	MaxDelay  time.Duration `yaml:"max_delay"`
}

// SignInConfig bounds password attempts. Password failures count on the
// lockout policy per user name and client address; the limits here refuse
// attempts at once, before a password is hashed.
type SignInConfig struct {
	// PerAddressBurst and PerAddressPerMinute: attempts one client address
	// may make at once, and how many more it earns a minute.
	PerAddressBurst     int `yaml:"per_address_burst"`
	PerAddressPerMinute int `yaml:"per_address_per_minute"`
	// PerNameBurst and PerNamePerMinute: attempts at one user name from
	// all addresses together.
	PerNameBurst     int `yaml:"per_name_burst"`
	PerNamePerMinute int `yaml:"per_name_per_minute"`
	// ConcurrentHashes caps the password hashes computed at once.
	ConcurrentHashes int `yaml:"concurrent_hashes"`
	// NameCeiling: a user name locks after this many times
	// lockout.max_failures failures from all addresses together.
	NameCeiling int `yaml:"name_ceiling"`
}

// EnrollmentConfig bounds pending enrollments.
type EnrollmentConfig struct {
	// TTL is how long a started, unconfirmed enrollment lives (1m to 24h).
	TTL time.Duration `yaml:"ttl"`
}

// ChallengeConfig bounds issued challenges.
type ChallengeConfig struct {
	// TTL is how long an issued challenge can be answered (30s to 10m).
	TTL time.Duration `yaml:"ttl"`
}

// SendLimitsConfig bounds the codes that factors which send them (SMS)
// send. The host reserves each send in the database before the factor is
// called, so these hold across every door and every host of a database.
type SendLimitsConfig struct {
	// ResendInterval: after a code went out for a user and factor, no other
	// goes out for them until this passed or the code was used (10s to 1h).
	ResendInterval time.Duration `yaml:"resend_interval"`
	// PerUserHour is how many codes one user may be sent an hour (1 to 1000).
	PerUserHour int `yaml:"per_user_hour"`
	// PerDestinationDay is how many codes one destination (a phone number)
	// may be sent a day, whichever users ask (1 to 10000).
	PerDestinationDay int `yaml:"per_destination_day"`
	// PerMinute is how many codes the whole deployment may send a minute
	// (1 to 1000000).
	PerMinute int `yaml:"per_minute"`
}

// PluginConfig pins one plugin binary and says how it is supervised.
type PluginConfig struct {
	// Path is the binary, relative to plugin_dir or absolute; see
	// [Config.ResolvePluginPath].
	Path string `yaml:"path"`
	// SHA256 is the binary's expected SHA-256 as 64 hex digits.
	SHA256 string `yaml:"sha256"`
	// Tree is a directory the plugin runs from (an interpreted plugin's
	// sources), relative to plugin_dir or absolute, pinned by TreeSHA256 as
	// `factorgate plugins hash --tree` prints it. Both or neither are set.
	Tree       string `yaml:"tree"`
	TreeSHA256 string `yaml:"tree_sha256"`
	// Processes is how many processes serve the plugin (1 to 16, default 2).
	Processes int `yaml:"processes"`
	// StartTimeout bounds the start of one process (default 10s);
	// CallTimeout bounds one call to the plugin (default 5s).
	StartTimeout time.Duration `yaml:"start_timeout"`
	CallTimeout  time.Duration `yaml:"call_timeout"`
}

// Plugin supervision defaults.
const (
	DefaultPluginProcesses    = 2
	DefaultPluginStartTimeout = 10 * time.Second
	DefaultPluginCallTimeout  = 5 * time.Second
)

// FactorConfig is one factor instance.
type FactorConfig struct {
	// Plugin names the plugin that serves the instance; it defaults to the
	// instance name.
	Plugin string `yaml:"plugin"`
	// Settings is the instance's settings mapping converted to a JSON object
	// ("{}" when none is given). Its meaning is up to the plugin.
	Settings json.RawMessage `yaml:"settings"`
}

// BootstrapConfig controls what the server creates at first start.
type BootstrapConfig struct {
	// Demo creates a demo user and API token (development only).
	Demo bool `yaml:"demo"`
}

// DefaultRoutes returns the routes that apply when the configuration does not
// override them, as a new map.
func DefaultRoutes() map[string]string {
	return map[string]string{
		"scanner.totp":          "totp",
		"scanner.sms":           "sms",
		"accounting.sms":        "sms-7",
		"zitadel.totp":          "totp",
		"zitadel.passkey":       "webauthn",
		"zitadel.u2f":           "webauthn",
		"slugbase.totp":         "totp",
		"slugbase.backup_codes": "backup-codes",
	}
}

// defaults is the configuration before anything is read, with PublicURL left
// empty so that it can be derived from the final Listen.
func defaults() *Config {
	return &Config{
		Listen:    "127.0.0.1:8080",
		DataDir:   "./data",
		PluginDir: "./bin/plugins",
		Log:       LogConfig{Level: "info", Format: "text"},
		HTTP: HTTPConfig{
			MaxBodyBytes:    64 << 10,
			ReadTimeout:     10 * time.Second,
			WriteTimeout:    30 * time.Second,
			ShutdownTimeout: 15 * time.Second,
			TrustedProxies:  []string{},
		},
		Lockout: LockoutConfig{
			MaxFailures: 5,
			BaseDelay:   30 * time.Second,
			MaxDelay:    time.Hour,
		},
		SignIn: SignInConfig{
			PerAddressBurst: 10, PerAddressPerMinute: 30,
			PerNameBurst: 20, PerNamePerMinute: 20,
			ConcurrentHashes: 4, NameCeiling: 10,
		},
		Enrollment: EnrollmentConfig{TTL: 10 * time.Minute},
		Challenge:  ChallengeConfig{TTL: 5 * time.Minute},
		SendLimits: SendLimitsConfig{ResendInterval: 30 * time.Second, PerUserHour: 10, PerDestinationDay: 20, PerMinute: 600},
		Plugins:    map[string]PluginConfig{},
		Factors:    map[string]FactorConfig{},
		Routes:     DefaultRoutes(),
	}
}

// Default returns the configuration used when there is no file and no
// environment variable is set: discovery mode, SQLite in ./data, listening
// on 127.0.0.1:8080.
func Default() *Config {
	c := defaults()
	c.PublicURL = derivePublicURL(c.Listen, false)
	return c
}

// FromEnvironment loads the file named by FACTORGATE_CONFIG (none when unset
// or empty) with the environment's overrides; see [Load]. In production env
// is [os.LookupEnv].
func FromEnvironment(env func(string) (string, bool)) (*Config, error) {
	path := ""
	if env != nil {
		if v, ok := env(EnvConfig); ok {
			path = v
		}
	}
	return Load(path, env)
}

// Load reads the YAML file at path (none when path is empty), applies the
// FACTORGATE_* overrides that env reports, fills in the defaults and
// validates the result. env is [os.LookupEnv] in production; nil means no
// variable is set.
//
// A file named explicitly must exist. On failure Load returns no
// configuration and an error that joins one [*Error] per problem (a file that
// cannot be read is reported alone).
func Load(path string, env func(string) (string, bool)) (*Config, error) {
	c := defaults()
	o := newOrigins(path)
	var problems []error
	var explicitRoutes map[string]string
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		var fromFile *Config
		fromFile, problems = decodeFile(path, data, o)
		if fromFile != nil {
			c, explicitRoutes = fromFile, fromFile.Routes
			c.Routes = DefaultRoutes()
			for k, v := range explicitRoutes {
				c.Routes[k] = v
			}
		}
	}
	applyEnv(c, env, o)
	problems = append(problems, finish(c, explicitRoutes, o)...)
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return c, nil
}

// DiscoverPlugins reports discovery mode: no plugin is pinned, so the host
// looks for factorgate-factor-* binaries in PluginDir (development only) and
// checks Factors and Routes against the plugins it finds.
func (c *Config) DiscoverPlugins() bool { return len(c.Plugins) == 0 }

// TLS reports whether listen serves HTTPS itself.
func (c *Config) TLS() bool { return c.TLSCertFile != "" && c.TLSKeyFile != "" }

// ResolvePluginPath returns the binary of p: p.Path itself when absolute,
// otherwise p.Path inside PluginDir.
func (c *Config) ResolvePluginPath(p PluginConfig) string {
	if filepath.IsAbs(p.Path) {
		return filepath.Clean(p.Path)
	}
	return filepath.Join(c.PluginDir, p.Path)
}

// ResolvePluginTree returns the pinned directory of p, resolved like
// [Config.ResolvePluginPath], or "" when p pins no tree.
func (c *Config) ResolvePluginTree(p PluginConfig) string {
	if p.Tree == "" {
		return ""
	}
	if filepath.IsAbs(p.Tree) {
		return filepath.Clean(p.Tree)
	}
	return filepath.Join(c.PluginDir, p.Tree)
}

// DatabaseURL returns the effective database: database_url when set,
// otherwise the SQLite file factorgate.db inside DataDir. A postgres:// or
// postgresql:// URL selects PostgreSQL, anything else is a SQLite path. The
// result can hold a password; log [Config.LogValue] instead.
func (c *Config) DatabaseURL() string {
	if c.Database != "" {
		return string(c.Database)
	}
	return filepath.Join(c.DataDir, sqliteFileName)
}

// IsPostgres reports whether the effective database is PostgreSQL.
func (c *Config) IsPostgres() bool { return c.Database.IsPostgres() }

// SlogLevel returns Level as a [slog.Level] (info when unrecognised, which a
// validated configuration never is).
func (l LogConfig) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// TrustedProxyPrefixes returns TrustedProxies parsed, a single address
// becoming a one-address prefix. Entries that do not parse are skipped; a
// validated configuration has none.
func (h HTTPConfig) TrustedProxyPrefixes() []netip.Prefix {
	out := make([]netip.Prefix, 0, len(h.TrustedProxies))
	for _, s := range h.TrustedProxies {
		if p, err := parsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parsePrefix parses a CIDR or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
