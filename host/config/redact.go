package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
)

// redacted replaces a secret in output.
const redacted = "[redacted]"

// passwordMask replaces a password inside a database URL.
const passwordMask = "xxxxx"

// Secret is a configuration value that must never be shown, such as
// seal_keys. It prints as "[redacted]" (or as nothing when unset) through
// fmt with any verb, log/slog, encoding/json and YAML. Use string(s) where the
// value itself is needed.
type Secret string

// String returns "[redacted]", or "" when the secret is unset.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints the redacted form whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) { formatSafe(f, verb, s.String()) }

// LogValue implements [slog.LogValuer].
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalYAML writes the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// DSN is database_url: a SQLite file path or a PostgreSQL URL that can hold a
// password. It prints with the password masked through fmt with any verb,
// log/slog, encoding/json and YAML. Use string(d) where the value itself is
// needed.
type DSN string

// IsPostgres reports whether d is a postgres:// or postgresql:// URL.
func (d DSN) IsPostgres() bool {
	l := strings.ToLower(string(d))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Redacted returns d with any password masked: the password of the URL's
// user information and every query parameter whose name contains
// "password". A value that is not a PostgreSQL URL but mentions a password is
// replaced as a whole.
func (d DSN) Redacted() string {
	s := string(d)
	if !d.IsPostgres() {
		if strings.Contains(strings.ToLower(s), "password") {
			return redacted
		}
		return s
	}
	start := strings.Index(s, "://") + len("://")

	// Query parameters first, so that an '@' inside one cannot hide them.
	if q := strings.IndexByte(s, '?'); q >= 0 {
		query, frag := s[q+1:], ""
		if h := strings.IndexByte(query, '#'); h >= 0 {
			query, frag = query[:h], query[h:]
		}
		params := strings.Split(query, "&")
		for i, p := range params {
			if k, _, ok := strings.Cut(p, "="); ok && strings.Contains(strings.ToLower(k), "password") {
				params[i] = k + "=" + passwordMask
			}
		}
		s = s[:q+1] + strings.Join(params, "&") + frag
	}

	// The user information ends at the last '@'. Taking the last one of the
	// whole string masks too much rather than too little when a password
	// holds unescaped '/', '?' or '@'.
	if at := strings.LastIndexByte(s, '@'); at > start {
		if colon := strings.IndexByte(s[start:at], ':'); colon >= 0 {
			s = s[:start+colon+1] + passwordMask + s[at:]
		}
	}
	return s
}

// String returns [DSN.Redacted].
func (d DSN) String() string { return d.Redacted() }

// Format prints the redacted form whatever the verb.
func (d DSN) Format(f fmt.State, verb rune) { formatSafe(f, verb, d.Redacted()) }

// LogValue implements [slog.LogValuer].
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.Redacted()) }

// MarshalJSON writes the redacted form.
func (d DSN) MarshalJSON() ([]byte, error) { return json.Marshal(d.Redacted()) }

// MarshalYAML writes the redacted form.
func (d DSN) MarshalYAML() (any, error) { return d.Redacted(), nil }

// formatSafe prints s for any fmt verb: quoted for %q and %#v, plain
// otherwise.
func formatSafe(f fmt.State, verb rune, s string) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue implements [slog.LogValuer]. It shows the effective
// configuration without secrets: seal_keys appears as "[redacted]", the
// database URL with its password masked, and factor settings (which may hold
// a plugin's credentials) only by their names.
func (c *Config) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue("<nil>")
	}
	plugins := make([]slog.Attr, 0, len(c.Plugins))
	for _, name := range sortedKeys(c.Plugins) {
		p := c.Plugins[name]
		plugins = append(plugins, slog.Group(name,
			slog.String("path", c.ResolvePluginPath(p)),
			slog.String("sha256", p.SHA256),
			slog.String("tree", c.ResolvePluginTree(p)),
			slog.String("tree_sha256", p.TreeSHA256),
			slog.Int("processes", p.Processes),
			slog.String("start_timeout", formatDuration(p.StartTimeout)),
			slog.String("call_timeout", formatDuration(p.CallTimeout))))
	}
	factors := make([]slog.Attr, 0, len(c.Factors))
	for _, name := range sortedKeys(c.Factors) {
		f := c.Factors[name]
		factors = append(factors, slog.Group(name,
			slog.String("plugin", f.Plugin),
			slog.String("settings", settingNames(f.Settings))))
	}
	routes := make([]slog.Attr, 0, len(c.Routes))
	for _, route := range sortedKeys(c.Routes) {
		routes = append(routes, slog.String(route, c.Routes[route]))
	}
	return slog.GroupValue(
		slog.String("listen", c.Listen),
		slog.String("admin_listen", c.AdminListen),
		slog.String("tls_cert_file", c.TLSCertFile),
		slog.String("tls_key_file", c.TLSKeyFile),
		slog.String("public_url", c.PublicURL),
		slog.String("data_dir", c.DataDir),
		slog.String("database_url", DSN(c.DatabaseURL()).Redacted()),
		slog.String("plugin_dir", c.PluginDir),
		slog.String("seal_keys", c.SealKeys.String()),
		slog.Group("log",
			slog.String("level", c.Log.Level),
			slog.String("format", c.Log.Format)),
		slog.Group("http",
			slog.Int("max_body_bytes", c.HTTP.MaxBodyBytes),
			slog.String("read_timeout", formatDuration(c.HTTP.ReadTimeout)),
			slog.String("write_timeout", formatDuration(c.HTTP.WriteTimeout)),
			slog.String("shutdown_timeout", formatDuration(c.HTTP.ShutdownTimeout)),
			slog.String("trusted_proxies", strings.Join(c.HTTP.TrustedProxies, ","))),
		slog.Group("lockout",
			slog.Int("max_failures", c.Lockout.MaxFailures),
			slog.String("base_delay", formatDuration(c.Lockout.BaseDelay)),
			slog.String("max_delay", formatDuration(c.Lockout.MaxDelay))),
		slog.Group("signin",
			slog.Int("per_address_burst", c.SignIn.PerAddressBurst),
			slog.Int("per_address_per_minute", c.SignIn.PerAddressPerMinute),
			slog.Int("per_name_burst", c.SignIn.PerNameBurst),
			slog.Int("per_name_per_minute", c.SignIn.PerNamePerMinute),
			slog.Int("concurrent_hashes", c.SignIn.ConcurrentHashes),
			slog.Int("name_ceiling", c.SignIn.NameCeiling)),
		slog.Group("enrollment", slog.String("ttl", formatDuration(c.Enrollment.TTL))),
		slog.Group("challenge", slog.String("ttl", formatDuration(c.Challenge.TTL))),
		slog.Group("send_limits",
			slog.String("resend_interval", formatDuration(c.SendLimits.ResendInterval)),
			slog.Int("per_user_hour", c.SendLimits.PerUserHour),
			slog.Int("per_destination_day", c.SendLimits.PerDestinationDay),
			slog.Int("per_minute", c.SendLimits.PerMinute)),
		slog.Bool("discover_plugins", c.DiscoverPlugins()),
		slog.Attr{Key: "plugins", Value: slog.GroupValue(plugins...)},
		slog.Attr{Key: "factors", Value: slog.GroupValue(factors...)},
		slog.Attr{Key: "routes", Value: slog.GroupValue(routes...)},
		slog.Group("bootstrap", slog.Bool("demo", c.Bootstrap.Demo)),
	)
}

// String renders [Config.LogValue] as space-separated key=value pairs with
// dotted key paths, for instance "listen=127.0.0.1:8080 log.level=info ...".
func (c *Config) String() string {
	var b strings.Builder
	writeAttrs(&b, "", c.LogValue())
	return b.String()
}

// Format prints [Config.String] whatever the verb, so that printing a
// configuration with fmt never shows a secret.
func (c *Config) Format(f fmt.State, verb rune) { formatSafe(f, verb, c.String()) }

// writeAttrs flattens a slog value into key=value pairs.
func writeAttrs(b *strings.Builder, prefix string, v slog.Value) {
	if v.Kind() != slog.KindGroup {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(prefix)
		b.WriteByte('=')
		s := v.String()
		if s == "" || strings.ContainsAny(s, " \"=") {
			s = strconv.Quote(s)
		}
		b.WriteString(s)
		return
	}
	for _, a := range v.Group() {
		writeAttrs(b, joinKey(prefix, a.Key), a.Value.Resolve())
	}
}

// settingNames lists the top-level setting names of a JSON object.
func settingNames(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return strings.Join(sortedKeys(m), ",")
}
