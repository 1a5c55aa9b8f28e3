package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// mapEnv is an environment for tests.
func mapEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeConfig writes content to factorgate.yaml in a new temporary directory
// and returns its path.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "factorgate.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadString loads content as a configuration file with env.
func loadString(t *testing.T, content string, env map[string]string) (*Config, error) {
	t.Helper()
	return Load(writeConfig(t, content), mapEnv(env))
}

// problems splits a joined error into its messages.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

// pinned is a plugins and factors section that leaves discovery mode.
const pinned = `
plugins:
  totp:
    sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
factors:
  totp: {}
`

func TestDefaults(t *testing.T) {
	for name, load := range map[string]func() (*Config, error){
		"Load without file":          func() (*Config, error) { return Load("", nil) },
		"Load with empty env":        func() (*Config, error) { return Load("", mapEnv(nil)) },
		"FromEnvironment":            func() (*Config, error) { return FromEnvironment(mapEnv(nil)) },
		"FromEnvironment empty path": func() (*Config, error) { return FromEnvironment(mapEnv(map[string]string{EnvConfig: ""})) },
		"empty file":                 func() (*Config, error) { return loadString(t, "", nil) },
		"comments only":              func() (*Config, error) { return loadString(t, "# nothing here\n", nil) },
		"empty sections":             func() (*Config, error) { return loadString(t, "log:\nhttp:\nplugins:\nroutes:\n", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			c, err := load()
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if want := Default(); !reflect.DeepEqual(c, want) {
				t.Errorf("got  %#v\nwant %#v", *c, *want)
			}
		})
	}

	c := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, "127.0.0.1:8080"},
		{"public_url", c.PublicURL, "http://127.0.0.1:8080"},
		{"data_dir", c.DataDir, "./data"},
		{"database_url", string(c.Database), ""},
		{"DatabaseURL", c.DatabaseURL(), filepath.Join("data", "factorgate.db")},
		{"IsPostgres", c.IsPostgres(), false},
		{"plugin_dir", c.PluginDir, "./bin/plugins"},
		{"seal_keys", string(c.SealKeys), ""},
		{"log", c.Log, LogConfig{Level: "info", Format: "text"}},
		{"http.max_body_bytes", c.HTTP.MaxBodyBytes, 65536},
		{"http.read_timeout", c.HTTP.ReadTimeout, 10 * time.Second},
		{"http.write_timeout", c.HTTP.WriteTimeout, 30 * time.Second},
		{"http.shutdown_timeout", c.HTTP.ShutdownTimeout, 15 * time.Second},
		{"http.trusted_proxies", len(c.HTTP.TrustedProxies), 0},
		{"lockout", c.Lockout, LockoutConfig{MaxFailures: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}},
		{"enrollment.ttl", c.Enrollment.TTL, 10 * time.Minute},
		{"challenge.ttl", c.Challenge.TTL, 5 * time.Minute},
		{"send_limits", c.SendLimits, SendLimitsConfig{ResendInterval: 30 * time.Second, PerUserHour: 10, PerDestinationDay: 20, PerMinute: 600}},
		{"plugins", len(c.Plugins), 0},
		{"factors", len(c.Factors), 0},
		{"DiscoverPlugins", c.DiscoverPlugins(), true},
		{"routes", c.Routes, DefaultRoutes()},
		{"bootstrap.demo", c.Bootstrap.Demo, false},
	}
	for _, tc := range checks {
		t.Run("Default/"+tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestFullFile(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.yaml"), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, "0.0.0.0:9443"},
		{"public_url", c.PublicURL, "https://mfa.example.com/factorgate"},
		{"data_dir", c.DataDir, "/var/lib/factorgate"},
		{"DatabaseURL", c.DatabaseURL(), "postgres://factorgate:s3cret-pw@db.internal:5432/factorgate?sslmode=verify-full"},
		{"IsPostgres", c.IsPostgres(), true},
		{"plugin_dir", c.PluginDir, "/usr/libexec/factorgate"},
		{"seal_keys", string(c.SealKeys), "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k1:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="},
		{"log", c.Log, LogConfig{Level: "debug", Format: "json"}},
		{"http", c.HTTP, HTTPConfig{
			MaxBodyBytes:    131072,
			ReadTimeout:     5 * time.Second,
			WriteTimeout:    20 * time.Second,
			ShutdownTimeout: time.Minute,
			TrustedProxies:  []string{"10.0.0.0/8", "fd00::/8", "192.168.1.10"},
		}},
		{"trusted proxy prefixes", len(c.HTTP.TrustedProxyPrefixes()), 3},
		{"trusted proxy address", c.HTTP.TrustedProxyPrefixes()[2].String(), "192.168.1.10/32"},
		{"lockout", c.Lockout, LockoutConfig{MaxFailures: 3, BaseDelay: time.Minute, MaxDelay: 2 * time.Hour}},
		{"enrollment.ttl", c.Enrollment.TTL, 15 * time.Minute},
		{"challenge.ttl", c.Challenge.TTL, 2 * time.Minute},
		{"DiscoverPlugins", c.DiscoverPlugins(), false},
		{"plugins", c.Plugins, map[string]PluginConfig{
			// Hashes are normalised to lower case.
			// Supervision settings left out take the defaults.
			"totp": {Path: "factorgate-factor-totp", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Processes: 2, StartTimeout: 10 * time.Second, CallTimeout: 5 * time.Second},
			"sms": {Path: "/opt/factorgate/sms-plugin", SHA256: "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
				Tree: "sms-sources", TreeSHA256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
				Processes: 4, StartTimeout: 30 * time.Second, CallTimeout: 2 * time.Second},
			"backup-codes": {Path: "factorgate-factor-backup-codes", SHA256: "fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13",
				Processes: 2, StartTimeout: 10 * time.Second, CallTimeout: 5 * time.Second},
		}},
		{"sms tree", c.ResolvePluginTree(c.Plugins["sms"]), "/usr/libexec/factorgate/sms-sources"},
		{"totp tree", c.ResolvePluginTree(c.Plugins["totp"]), ""},
		{"totp path", c.ResolvePluginPath(c.Plugins["totp"]), "/usr/libexec/factorgate/factorgate-factor-totp"},
		{"sms path", c.ResolvePluginPath(c.Plugins["sms"]), "/opt/factorgate/sms-plugin"},
		{"backup-codes path", c.ResolvePluginPath(c.Plugins["backup-codes"]), "/usr/libexec/factorgate/factorgate-factor-backup-codes"},
		{"factor plugins", factorPlugins(c), map[string]string{"totp": "totp", "sms": "sms", "sms-7": "sms", "backup-codes": "backup-codes"}},
		{"totp settings", string(c.Factors["totp"].Settings), `{"algorithms":["SHA1","SHA256"],"digits":6,"issuer":"Factorgate","period":30}`},
		{"sms settings", string(c.Factors["sms"].Settings), `{"digits":6,"gateway":{"retry":true,"timeout_seconds":2.5,"url":"https://sms.example.com/send"}}`},
		{"sms-7 settings", string(c.Factors["sms-7"].Settings), `{"digits":7}`},
		{"backup-codes settings", string(c.Factors["backup-codes"].Settings), `{}`},
		{"routes", c.Routes, map[string]string{
			"scanner.totp":          "totp",
			"scanner.sms":           "sms",
			"accounting.sms":        "sms-7",
			"slugbase.totp":         "totp",
			"slugbase.backup_codes": "backup-codes",
			// zitadel.totp is switched off with "".
		}},
		{"bootstrap.demo", c.Bootstrap.Demo, true},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got  %v\nwant %v", tc.got, tc.want)
			}
		})
	}
}

func factorPlugins(c *Config) map[string]string {
	out := map[string]string{}
	for name, f := range c.Factors {
		out[name] = f.Plugin
	}
	return out
}

// schemaKeys lists the key paths of every field of t, leaving out the
// entries of maps and lists.
func schemaKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for name, ft := range yamlFields(t) {
		key := joinKey(prefix, name)
		keys = append(keys, key)
		if ft.Kind() == reflect.Struct {
			keys = append(keys, schemaKeys(ft, key)...)
		}
	}
	return keys
}

func TestExampleFile(t *testing.T) {
	const path = "example.yaml"
	c, err := Load(path, nil)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	// The example shows the defaults for everything but the plugin
	// section, which it fills in to show the pinned form.
	want := Default()
	want.Plugins, want.Factors = c.Plugins, c.Factors
	if !reflect.DeepEqual(c, want) {
		t.Errorf("example departs from the defaults:\ngot  %v\nwant %v", c, want)
	}
	if len(c.Plugins) == 0 || len(c.Routes) != len(DefaultRoutes()) {
		t.Errorf("example should pin plugins and serve every default route, got %d plugins, routes %v", len(c.Plugins), c.Routes)
	}

	// Every key of the schema appears in the example.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := newOrigins(path)
	if _, errs := decodeFile(path, data, o); len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, key := range schemaKeys(reflect.TypeFor[Config](), "") {
		if _, ok := o.byKey[key]; !ok {
			t.Errorf("example.yaml does not show %q", key)
		}
	}
	for route := range DefaultRoutes() {
		if _, ok := o.byKey["routes."+route]; !ok {
			t.Errorf("example.yaml does not show route %q", route)
		}
	}
}

func TestMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	for name, load := range map[string]func() (*Config, error){
		"Load":            func() (*Config, error) { return Load(path, nil) },
		"FromEnvironment": func() (*Config, error) { return FromEnvironment(mapEnv(map[string]string{EnvConfig: path})) },
	} {
		t.Run(name, func(t *testing.T) {
			c, err := load()
			if c != nil || !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("got %v, %v; want a not-exist error", c, err)
			}
			if !strings.Contains(err.Error(), "config "+path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestFromEnvironmentReadsFile(t *testing.T) {
	path := writeConfig(t, "listen: 127.0.0.1:9999\n")
	c, err := FromEnvironment(mapEnv(map[string]string{EnvConfig: path}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9999" || c.PublicURL != "http://127.0.0.1:9999" {
		t.Errorf("got listen %q public_url %q", c.Listen, c.PublicURL)
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{
			name: "nested key names path and line",
			yaml: "listen: 127.0.0.1:8080\nlog:\n  level: info\n\n\nlockout:\n  max_failure: 3\n",
			want: []string{`factorgate.yaml: line 7: unknown key "lockout.max_failure"`},
		},
		{
			name: "top level",
			yaml: "listen: 127.0.0.1:8080\nlisten_addr: :80\n",
			want: []string{`factorgate.yaml: line 2: unknown key "listen_addr"`},
		},
		{
			name: "inside a plugin entry",
			yaml: "plugins:\n  totp:\n    sha: abc\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nfactors:\n  totp: {}\n",
			want: []string{`factorgate.yaml: line 3: unknown key "plugins.totp.sha"`},
		},
		{
			name: "inside a factor entry",
			yaml: "factors:\n  totp:\n    setting: {digits: 6}\n",
			want: []string{`factorgate.yaml: line 3: unknown key "factors.totp.setting"`},
		},
		{
			name: "flow mapping",
			yaml: "http: {read_timeout: 5s, red_timeout: 5s}\n",
			want: []string{`factorgate.yaml: line 1: unknown key "http.red_timeout"`},
		},
		{
			name: "several at once, in file order",
			yaml: "lgo:\n  level: info\nhttp:\n  max_body: 10\nbootstrap:\n  demo: true\n  admin: true\n",
			want: []string{
				`factorgate.yaml: line 1: unknown key "lgo"`,
				`factorgate.yaml: line 4: unknown key "http.max_body"`,
				`factorgate.yaml: line 7: unknown key "bootstrap.admin"`,
			},
		},
		{
			name: "duplicate key",
			yaml: "lockout:\n  max_failures: 3\n  max_failures: 4\n",
			want: []string{`factorgate.yaml: line 3: duplicate key "lockout.max_failures" (first given on line 2)`},
		},
		{
			name: "through a merge key",
			yaml: "base: &b {level: info}\nlog:\n  <<: *b\n",
			want: []string{`factorgate.yaml: line 1: unknown key "base"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadString(t, tc.yaml, nil)
			got := problems(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems %q, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "config ") || !strings.HasSuffix(got[i], w) {
					t.Errorf("problem %d = %q, want it to end in %q", i, got[i], w)
				}
			}
		})
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string // the problem, after "config <path>: "
	}{
		// Types, caught while reading the file.
		{"int as string", "lockout:\n  max_failures: many\n", `line 2: lockout.max_failures: must be a whole number, got a string`},
		{"int too large", "http:\n  max_body_bytes: 18446744073709551615\n", `line 2: http.max_body_bytes: number 18446744073709551615 is too large`},
		{"duration without unit", "http:\n  read_timeout: 10\n", `line 2: http.read_timeout: must be a duration such as 30s or 1h, got the number 10 (add a unit)`},
		{"duration unparsable", "challenge:\n  ttl: five minutes\n", `line 2: challenge.ttl: invalid duration "five minutes"; use a number and unit such as 30s, 10m or 1h`},
		{"string as number", "plugin_dir: 42\n", `line 1: plugin_dir: must be a string, got the number 42 (put the value in quotes)`},
		{"string as list", "listen: [a, b]\n", `line 1: listen: must be a string, got a list`},
		{"bool as string", "bootstrap:\n  demo: yes please\n", `line 2: bootstrap.demo: must be true or false, got a string`},
		{"section as scalar", "lockout: 5\n", `line 1: lockout: must be a mapping of keys to values, got the number 5`},
		{"list as mapping", "http:\n  trusted_proxies: {a: b}\n", `line 2: http.trusted_proxies: must be a list, got a mapping`},
		{"list entry type", "http:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - [x]\n", `line 4: http.trusted_proxies[1]: must be a string, got a list`},
		{"unquoted numeric hash", "plugins:\n  totp:\n    sha256: 1234\nfactors:\n  totp: {}\n", `line 3: plugins.totp.sha256: must be a string, got the number 1234 (put the value in quotes)`},
		{"document not a mapping", "- a\n- b\n", `line 1: must be a mapping of keys to values, got a list`},
		{"YAML syntax", "listen: 127.0.0.1:8080\nlog:\n  level: [info\n", `line 3: invalid YAML: `},
		{"two documents", "listen: :8080\n---\nlisten: :9090\n", `line 3: the file holds 2 YAML documents; use one`},

		// Values.
		{"listen not host:port", "listen: localhost\n", `line 1: listen: must be host:port, such as 127.0.0.1:8080 or :8080, got "localhost"`},
		{"listen port", "listen: 127.0.0.1:99999\n", `line 1: listen: port must be a number from 0 to 65535, got "99999"`},
		{"listen host", "listen: bad_host!:80\n", `line 1: listen: "bad_host!" is not an IP address or host name`},
		{"public_url relative", "public_url: mfa.example.com\n", `line 1: public_url: must be an absolute http or https URL such as https://mfa.example.com, got "mfa.example.com"`},
		{"public_url scheme", "public_url: ftp://mfa.example.com\n", `line 1: public_url: scheme must be http or https, got "ftp"`},
		{"public_url trailing slash", "public_url: https://mfa.example.com/\n", `line 1: public_url: must not end with a slash, got "https://mfa.example.com/"`},
		{"public_url query", "public_url: https://mfa.example.com?x=1\n", `line 1: public_url: must not have a query or fragment, got "https://mfa.example.com?x=1"`},
		{"public_url credentials", "public_url: https://u:p@mfa.example.com\n", `line 1: public_url: must not contain a user name or password`},
		{"data_dir empty", "data_dir: \"\"\n", `line 1: data_dir: must not be empty`},
		{"plugin_dir empty", "plugin_dir: \" \"\n", `line 1: plugin_dir: must not be empty`},
		{"database scheme", "database_url: mysql://u:pw@db/x\n", `line 1: database_url: unsupported scheme "mysql"; use a SQLite file path or a postgres:// URL`},
		{"database in memory", "database_url: \":memory:\"\n", `line 1: database_url: in-memory SQLite databases are not supported; give a file path`},
		{"database keyword DSN", "database_url: host=db user=fg password=pw\n", `line 1: database_url: key=value connection strings are not supported; use a postgres://user:password@host/dbname URL`},
		{"seal_keys blank", "seal_keys: \"   \"\n", `line 1: seal_keys: must not be blank; leave it unset instead`},
		{"log level", "log:\n  level: verbose\n", `line 2: log.level: must be one of debug, info, warn, error; got "verbose"`},
		{"log format", "log:\n  format: xml\n", `line 2: log.format: must be text or json, got "xml"`},
		{"max_body_bytes low", "http:\n  max_body_bytes: 100\n", `line 2: http.max_body_bytes: must be between 1024 and 10485760 (1 KiB to 10 MiB), got 100`},
		{"max_body_bytes high", "http:\n  max_body_bytes: 10485761\n", `line 2: http.max_body_bytes: must be between 1024 and 10485760 (1 KiB to 10 MiB), got 10485761`},
		{"read_timeout", "http:\n  read_timeout: 0s\n", `line 2: http.read_timeout: must be between 1s and 10m, got 0s`},
		{"write_timeout", "http:\n  write_timeout: 1h\n", `line 2: http.write_timeout: must be between 1s and 10m, got 1h`},
		{"shutdown_timeout", "http:\n  shutdown_timeout: -5s\n", `line 2: http.shutdown_timeout: must be between 1s and 10m, got -5s`},
		{"trusted proxy", "http:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n", `line 4: http.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR (such as 10.0.0.0/8) or an IP address`},
		{"max_failures zero", "lockout:\n  max_failures: 0\n", `line 2: lockout.max_failures: must be between 1 and 1000, got 0`},
		{"resend_interval short", "send_limits:\n  resend_interval: 1s\n", `line 2: send_limits.resend_interval: must be between 10s and 1h, got 1s`},
		{"per_user_hour zero", "send_limits:\n  per_user_hour: 0\n", `line 2: send_limits.per_user_hour: must be between 1 and 1000, got 0`},
		{"per_destination_day high", "send_limits:\n  per_destination_day: 10001\n", `line 2: send_limits.per_destination_day: must be between 1 and 10000, got 10001`},
		{"per_minute negative", "send_limits:\n  per_minute: -1\n", `line 2: send_limits.per_minute: must be between 1 and 1000000, got -1`},
		{"max_failures high", "lockout:\n  max_failures: 1001\n", `line 2: lockout.max_failures: must be between 1 and 1000, got 1001`},
		{"admin listener address", "admin_listen: nowhere\n", `line 1: admin_listen:`},
		{"certificate without key", "tls_cert_file: /etc/factorgate/cert.pem\n", `line 1: tls_cert_file: tls_cert_file and tls_key_file are set together or not at all`},
		{"no sign-in burst", "signin:\n  per_address_burst: 0\n", `line 2: signin.per_address_burst: must be between 1 and 10000, got 0`},
		{"no hashes at all", "signin:\n  concurrent_hashes: 0\n", `line 2: signin.concurrent_hashes: must be between 1 and 256, got 0`},
		{"base_delay", "lockout:\n  base_delay: 0s\n", `line 2: lockout.base_delay: must be positive, got 0s`},
		{"max_delay below base", "lockout:\n  base_delay: 2h\n  max_delay: 1h\n", `line 3: lockout.max_delay: must be at least lockout.base_delay (2h), got 1h`},
		{"max_delay default below base", "lockout:\n  base_delay: 2h\n", `line 1: lockout.max_delay: must be at least lockout.base_delay (2h), got 1h`},
		{"enrollment ttl low", "enrollment:\n  ttl: 30s\n", `line 2: enrollment.ttl: must be between 1m and 24h, got 30s`},
		{"enrollment ttl high", "enrollment:\n  ttl: 25h\n", `line 2: enrollment.ttl: must be between 1m and 24h, got 25h`},
		{"challenge ttl low", "challenge:\n  ttl: 10s\n", `line 2: challenge.ttl: must be between 30s and 10m, got 10s`},
		{"challenge ttl high", "challenge:\n  ttl: 11m\n", `line 2: challenge.ttl: must be between 30s and 10m, got 11m`},
		{"plugin name", "plugins:\n  TOTP:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nfactors:\n  totp: {plugin: TOTP}\n",
			`line 2: plugins.TOTP: plugin names must start with a lowercase letter and hold only lowercase letters, digits and dashes (at most 63 characters)`},
		{"plugin sha256 missing", "plugins:\n  totp:\n    path: x\nfactors:\n  totp: {}\n", `line 2: plugins.totp.sha256: is required: the SHA-256 of the binary as 64 hex digits`},
		{"plugin sha256 malformed", "plugins:\n  totp:\n    sha256: abc\nfactors:\n  totp: {}\n", `line 3: plugins.totp.sha256: must be 64 hex digits, got "abc"`},
		{"plugin processes", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    processes: 17\nfactors:\n  totp: {}\n", `line 4: plugins.totp.processes: must be between 1 and 16, got 17`},
		{"plugin start_timeout", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    start_timeout: 500ms\nfactors:\n  totp: {}\n", `line 4: plugins.totp.start_timeout: must be between 1s and 5m, got 500ms`},
		{"plugin call_timeout", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    call_timeout: 2m\nfactors:\n  totp: {}\n", `line 4: plugins.totp.call_timeout: must be between 100ms and 1m, got 2m`},
		{"plugin tree without hash", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    tree: src\nfactors:\n  totp: {}\n", `line 2: plugins.totp.tree_sha256: is required with tree: print it with ` + "`factorgate plugins hash --tree DIR`"},
		{"plugin tree hash without tree", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    tree_sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nfactors:\n  totp: {}\n", `line 2: plugins.totp.tree: is required with tree_sha256: the directory the hash pins`},
		{"plugin tree hash malformed", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n    tree: src\n    tree_sha256: xyz\nfactors:\n  totp: {}\n", `line 5: plugins.totp.tree_sha256: must be 64 hex digits, got "xyz"`},
		{"plugin path blank", "plugins:\n  totp:\n    path: \" \"\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\nfactors:\n  totp: {}\n", `line 3: plugins.totp.path: must not be blank`},
		{"plugins without factors", "plugins:\n  totp:\n    sha256: \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n", `factors: at least one factor instance must be configured when plugins are listed`},
		{"factor name", pinned + "  Bad_Name: {plugin: totp}\n", `line 7: factors.Bad_Name: factor instance names must start with a lowercase letter and hold only lowercase letters, digits and dashes (at most 63 characters)`},
		{"factor plugin unknown", pinned + "  sms: {plugin: sms}\n", `line 7: factors.sms.plugin: names plugin "sms", which is not configured under plugins (configured: totp)`},
		{"factor plugin defaults to name", pinned + "  sms: {}\n", `line 7: factors.sms.plugin: names plugin "sms", which is not configured under plugins (configured: totp)`},
		{"settings not a mapping", "factors:\n  totp:\n    settings: [1, 2]\n", `line 3: factors.totp.settings: must be a mapping of setting names to values, got a list`},
		{"settings scalar", "factors:\n  totp:\n    settings: digits=6\n", `line 3: factors.totp.settings: must be a mapping of setting names to values, got a string`},
		{"settings duplicate", "factors:\n  totp:\n    settings:\n      digits: 6\n      digits: 8\n", `line 5: factors.totp.settings: duplicate setting "digits" (first given on line 4)`},
		{"settings not JSON", "factors:\n  totp:\n    settings:\n      limit: .inf\n", `line 4: factors.totp.settings: .inf cannot be represented in JSON`},
		{"route unknown", "routes:\n  scaner.totp: totp\n", `line 2: routes.scaner.totp: unknown route; the routes are accounting.sms, scanner.sms, scanner.totp, slugbase.backup_codes, slugbase.totp, zitadel.passkey, zitadel.totp, zitadel.u2f`},
		{"route instance name", "routes:\n  scanner.totp: TOTP\n", `line 2: routes.scanner.totp: "TOTP" is not a valid factor instance name`},
		{"route names unconfigured factor", pinned + "routes:\n  scanner.sms: sms\n", `line 8: routes.scanner.sms: names factor instance "sms", which is not configured under factors`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.yaml)
			c, err := Load(path, nil)
			if err == nil {
				t.Fatalf("Load succeeded: %v", c)
			}
			got := problems(err)
			want := "config " + path + ": " + tc.want
			if len(got) != 1 || !strings.HasPrefix(got[0], want) {
				t.Fatalf("got %q\nwant one problem starting %q", got, want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error is not a *Error: %T", err)
			}
			if ce.File != path {
				t.Errorf("Error.File = %q, want %q", ce.File, path)
			}
		})
	}
}

func TestAllProblemsAtOnce(t *testing.T) {
	path := writeConfig(t, `listen: nowhere
lockout:
  max_failures: 0
  max_failure: 3
http:
  read_timeout: soon
  max_body_bytes: 1
`)
	_, err := Load(path, mapEnv(map[string]string{EnvLogFormat: "xml"}))
	got := problems(err)
	want := []string{
		"config " + path + `: line 4: unknown key "lockout.max_failure"`,
		"config " + path + `: line 6: http.read_timeout: invalid duration "soon"; use a number and unit such as 30s, 10m or 1h`,
		"config " + path + `: line 1: listen: must be host:port, such as 127.0.0.1:8080 or :8080, got "nowhere"`,
		`FACTORGATE_LOG_FORMAT: must be text or json, got "xml"`,
		"config " + path + `: line 7: http.max_body_bytes: must be between 1024 and 10485760 (1 KiB to 10 MiB), got 1`,
		"config " + path + `: line 3: lockout.max_failures: must be between 1 and 1000, got 0`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestEnvOverrides(t *testing.T) {
	file := `listen: 127.0.0.1:8080
public_url: http://file.example
data_dir: /file/data
database_url: /file/db.sqlite
plugin_dir: /file/plugins
seal_keys: "file:AAAA"
log:
  level: info
  format: text
`
	tests := []struct {
		env   string
		value string
		get   func(*Config) string
	}{
		{EnvListen, "0.0.0.0:9000", func(c *Config) string { return c.Listen }},
		{EnvPublicURL, "https://env.example", func(c *Config) string { return c.PublicURL }},
		{EnvDataDir, "/env/data", func(c *Config) string { return c.DataDir }},
		{EnvDatabaseURL, "postgresql://fg:pw@db/fg", func(c *Config) string { return c.DatabaseURL() }},
		{EnvPluginDir, "/env/plugins", func(c *Config) string { return c.PluginDir }},
		{EnvSealKeys, "env:BBBB", func(c *Config) string { return string(c.SealKeys) }},
		{EnvLogLevel, "warn", func(c *Config) string { return c.Log.Level }},
		{EnvLogFormat, "json", func(c *Config) string { return c.Log.Format }},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			base, err := loadString(t, file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(base); got == tc.value {
				t.Fatalf("file already gives %q", got)
			}
			c, err := loadString(t, file, map[string]string{tc.env: tc.value})
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != tc.value {
				t.Errorf("%s=%q: got %q", tc.env, tc.value, got)
			}
			// An empty variable leaves the file's value alone.
			c, err = loadString(t, file, map[string]string{tc.env: ""})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tc.get(c), tc.get(base); got != want {
				t.Errorf("%s empty: got %q, want the file's %q", tc.env, got, want)
			}
			// Without a file too.
			c, err = Load("", mapEnv(map[string]string{tc.env: tc.value}))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != tc.value {
				t.Errorf("no file, %s=%q: got %q", tc.env, tc.value, got)
			}
		})
	}

	t.Run("listen env derives public_url", func(t *testing.T) {
		c, err := Load("", mapEnv(map[string]string{EnvListen: ":9000"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.PublicURL != "http://localhost:9000" {
			t.Errorf("public_url = %q", c.PublicURL)
		}
	})
	t.Run("log level case", func(t *testing.T) {
		c, err := Load("", mapEnv(map[string]string{EnvLogLevel: "DEBUG"}))
		if err != nil {
			t.Fatal(err)
		}
		if c.Log.Level != "debug" || c.Log.SlogLevel().String() != "DEBUG" {
			t.Errorf("level = %q (%v)", c.Log.Level, c.Log.SlogLevel())
		}
	})
}

func TestEnvBadValues(t *testing.T) {
	tests := []struct {
		env, value string
		want       string
	}{
		{EnvListen, "8080", `FACTORGATE_LISTEN: must be host:port, such as 127.0.0.1:8080 or :8080, got "8080"`},
		{EnvPublicURL, "https://mfa.example.com/", `FACTORGATE_PUBLIC_URL: must not end with a slash, got "https://mfa.example.com/"`},
		{EnvDataDir, "  ", `FACTORGATE_DATA_DIR: must not be empty`},
		{EnvDatabaseURL, "mysql://root:hunter2@db/fg", `FACTORGATE_DATABASE_URL: unsupported scheme "mysql"; use a SQLite file path or a postgres:// URL`},
		{EnvPluginDir, " ", `FACTORGATE_PLUGIN_DIR: must not be empty`},
		{EnvSealKeys, " \t ", `FACTORGATE_SEAL_KEYS: must not be blank; leave it unset instead`},
		{EnvLogLevel, "trace", `FACTORGATE_LOG_LEVEL: must be one of debug, info, warn, error; got "trace"`},
		{EnvLogFormat, "logfmt", `FACTORGATE_LOG_FORMAT: must be text or json, got "logfmt"`},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			// The file's value is good; the variable's is not.
			_, err := loadString(t, "listen: 127.0.0.1:8080\n", map[string]string{tc.env: tc.value})
			got := problems(err)
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Env != tc.env || ce.File != "" || ce.Line != 0 {
				t.Errorf("Error = %+v, want Env %s and no file position", ce, tc.env)
			}
		})
	}
}

func TestDiscoveryMode(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		discover bool
		err      string
		routes   map[string]string
	}{
		{
			name:     "factors and routes unchecked without plugins",
			yaml:     "factors:\n  webauthn:\n    plugin: passkeys\n    settings: {rp: example.com}\nroutes:\n  scanner.totp: webauthn\n",
			discover: true,
			routes: func() map[string]string {
				r := DefaultRoutes()
				r["scanner.totp"] = "webauthn"
				return r
			}(),
		},
		{
			name:     "settings only, plugin defaults to the instance name",
			yaml:     "factors:\n  totp:\n    settings: {issuer: Dev}\n",
			discover: true,
			routes:   DefaultRoutes(),
		},
		{
			name:     "empty plugins mapping",
			yaml:     "plugins: {}\n",
			discover: true,
			routes:   DefaultRoutes(),
		},
		{
			name: "pinned plugins check factors",
			yaml: pinned + "  webauthn:\n    plugin: passkeys\n",
			err:  `factors.webauthn.plugin: names plugin "passkeys", which is not configured under plugins`,
		},
		{
			name: "pinned plugins keep only default routes with a configured instance",
			yaml: pinned,
			routes: map[string]string{
				"scanner.totp":  "totp",
				"zitadel.totp":  "totp",
				"slugbase.totp": "totp",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadString(t, tc.yaml, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DiscoverPlugins() != tc.discover {
				t.Errorf("DiscoverPlugins() = %v, want %v", c.DiscoverPlugins(), tc.discover)
			}
			if !reflect.DeepEqual(c.Routes, tc.routes) {
				t.Errorf("routes = %v, want %v", c.Routes, tc.routes)
			}
		})
	}
	t.Run("factor plugin defaults", func(t *testing.T) {
		c, err := loadString(t, "factors:\n  totp:\n    settings: {issuer: Dev}\n", nil)
		if err != nil {
			t.Fatal(err)
		}
		if f := c.Factors["totp"]; f.Plugin != "totp" || string(f.Settings) != `{"issuer":"Dev"}` {
			t.Errorf("factor = %+v", f)
		}
	})
}

func TestRoutes(t *testing.T) {
	all := pinned + `  sms: {plugin: totp}
  sms-7: {plugin: totp}
  backup-codes: {plugin: totp}
  other: {plugin: totp}
  webauthn: {plugin: totp}
`
	tests := []struct {
		name string
		yaml string
		want map[string]string
	}{
		{"defaults when omitted", all, DefaultRoutes()},
		{"merged over defaults", all + "routes:\n  scanner.totp: other\n", func() map[string]string {
			r := DefaultRoutes()
			r["scanner.totp"] = "other"
			return r
		}()},
		{"empty value switches a route off", all + "routes:\n  scanner.sms: \"\"\n  accounting.sms:\n", func() map[string]string {
			r := DefaultRoutes()
			delete(r, "scanner.sms")
			delete(r, "accounting.sms")
			return r
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadString(t, tc.yaml, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Routes, tc.want) {
				t.Errorf("routes = %v, want %v", c.Routes, tc.want)
			}
		})
	}
	t.Run("DefaultRoutes is a fresh map", func(t *testing.T) {
		r := DefaultRoutes()
		r["scanner.totp"] = "changed"
		if DefaultRoutes()["scanner.totp"] != "totp" || Default().Routes["scanner.totp"] != "totp" {
			t.Error("DefaultRoutes shares its map")
		}
	})
}

func TestSettingsJSON(t *testing.T) {
	tests := []struct {
		name     string
		settings string // YAML for the settings key, indented by four spaces
		want     string
	}{
		{"absent", "", `{}`},
		{"null", "    settings:\n", `{}`},
		{"empty mapping", "    settings: {}\n", `{}`},
		{"scalars", "    settings:\n      s: text\n      i: 42\n      neg: -7\n      f: 2.5\n      t: true\n      n: null\n      q: \"0123\"\n",
			`{"f":2.5,"i":42,"n":null,"neg":-7,"q":"0123","s":"text","t":true}`},
		{"nested maps", "    settings:\n      a:\n        b:\n          c: 1\n", `{"a":{"b":{"c":1}}}`},
		{"lists", "    settings:\n      l: [1, two, false, {k: v}, [x]]\n", `{"l":[1,"two",false,{"k":"v"},["x"]]}`},
		{"non-string keys become strings", "    settings:\n      1: one\n      true: yes\n", `{"1":"one","true":"yes"}`},
		{"no HTML escaping", "    settings:\n      issuer: \"A & <B>\"\n", `{"issuer":"A & <B>"}`},
		{"block scalar", "    settings:\n      msg: |\n        line one\n        line two\n", `{"msg":"line one\nline two\n"}`},
		{"anchors and merge keys", "    settings:\n      base: &b {digits: 6}\n      copy: *b\n      merged:\n        <<: *b\n        period: 30\n",
			`{"base":{"digits":6},"copy":{"digits":6},"merged":{"digits":6,"period":30}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadString(t, "factors:\n  totp:\n"+tc.settings, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Factors["totp"].Settings
			if string(got) != tc.want {
				t.Errorf("settings = %s, want %s", got, tc.want)
			}
			if !json.Valid(got) {
				t.Errorf("settings are not valid JSON: %s", got)
			}
		})
	}
}

func TestYAMLFeatures(t *testing.T) {
	c, err := loadString(t, `
timeouts: &t
  read_timeout: 3s
  write_timeout: 4s
`[1:]+"http:\n  <<: *t\n  shutdown_timeout: 5s\n", nil)
	if err == nil || !strings.Contains(err.Error(), `line 1: unknown key "timeouts"`) {
		t.Fatalf("got %v, %v", c, err)
	}

	c, err = loadString(t, "log: &l\n  level: warn\nhttp:\n  max_body_bytes: 2048\nlisten: !!str 127.0.0.1:8080\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "warn" || c.HTTP.MaxBodyBytes != 2048 {
		t.Errorf("got %v", c)
	}
	c, err = loadString(t, "plugins:\n  totp:\n    sha256: !!str 1234567890123456789012345678901234567890123456789012345678901234\nfactors:\n  totp: {}\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Plugins["totp"].SHA256; got != "1234567890123456789012345678901234567890123456789012345678901234" {
		t.Errorf("sha256 = %q", got)
	}
}

func TestDatabase(t *testing.T) {
	tests := []struct {
		name, value, dataDir string
		want                 string
		postgres             bool
	}{
		{"default SQLite in data_dir", "", "/srv/fg", "/srv/fg/factorgate.db", false},
		{"SQLite path", "/var/db/fg.sqlite", "/srv/fg", "/var/db/fg.sqlite", false},
		{"SQLite URI", "file:fg.db?_pragma=foreign_keys(1)", "/srv/fg", "file:fg.db?_pragma=foreign_keys(1)", false},
		{"postgres", "postgres://fg@db/fg", "/srv/fg", "postgres://fg@db/fg", true},
		{"postgresql upper case", "PostgreSQL://fg@db/fg", "/srv/fg", "PostgreSQL://fg@db/fg", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("", mapEnv(map[string]string{EnvDatabaseURL: tc.value, EnvDataDir: tc.dataDir}))
			if err != nil {
				t.Fatal(err)
			}
			if c.DatabaseURL() != tc.want || c.IsPostgres() != tc.postgres {
				t.Errorf("DatabaseURL() = %q, IsPostgres() = %v; want %q, %v", c.DatabaseURL(), c.IsPostgres(), tc.want, tc.postgres)
			}
		})
	}
}

func TestResolvePluginPath(t *testing.T) {
	c := Default()
	c.PluginDir = "/opt/fg/plugins"
	tests := []struct {
		path, want string
	}{
		{"factorgate-factor-totp", "/opt/fg/plugins/factorgate-factor-totp"},
		{"sub/dir/bin", "/opt/fg/plugins/sub/dir/bin"},
		{"/usr/local/bin/totp", "/usr/local/bin/totp"},
		{"/usr/local/../bin/totp", "/usr/bin/totp"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := c.ResolvePluginPath(PluginConfig{Path: tc.path}); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPublicURLDerivation(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080"},
		{":8080", "http://localhost:8080"},
		{"0.0.0.0:80", "http://localhost:80"},
		{"[::]:8443", "http://localhost:8443"},
		{"[::1]:8080", "http://[::1]:8080"},
		{"mfa.internal:8080", "http://mfa.internal:8080"},
	}
	for _, tc := range tests {
		t.Run(tc.listen, func(t *testing.T) {
			c, err := Load("", mapEnv(map[string]string{EnvListen: tc.listen}))
			if err != nil {
				t.Fatal(err)
			}
			if c.PublicURL != tc.want {
				t.Errorf("public_url = %q, want %q", c.PublicURL, tc.want)
			}
		})
	}
}

func TestFactorSettingsYAMLRoundTrip(t *testing.T) {
	c, err := Load(filepath.Join("testdata", "full.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(c.Factors)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "digits: 7") {
		t.Errorf("settings not written as a mapping:\n%s", out)
	}
	var back map[string]FactorConfig
	if err := yaml.UnmarshalWithOptions(out, &back, yaml.Strict()); err != nil {
		t.Fatalf("reading back:\n%s\n%v", out, err)
	}
	if !reflect.DeepEqual(back, c.Factors) {
		t.Errorf("round trip changed the factors:\ngot  %v\nwant %v", back, c.Factors)
	}
}
