package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bounds of the numeric settings.
const (
	minBodyBytes   = 1 << 10
	maxBodyBytes   = 10 << 20
	minServerTime  = time.Second
	maxServerTime  = 10 * time.Minute
	maxFailuresMax = 1000
	minEnrollTTL   = time.Minute
	maxEnrollTTL   = 24 * time.Hour
	minChalTTL     = 30 * time.Second
	maxChalTTL     = 10 * time.Minute
	maxNameLen     = 63

	maxPluginProcesses = 16
	minPluginStart     = time.Second
	maxPluginStart     = 5 * time.Minute
	minPluginCall      = 100 * time.Millisecond
	maxPluginCall      = time.Minute
)

// validator collects problems, attributing each to where its value came from.
type validator struct {
	o    *origins
	errs []error
}

// add reports a problem with key, unless one was reported for it already
// while reading the file.
func (v *validator) add(key, format string, args ...any) {
	if v.o.bad[key] {
		return
	}
	v.errs = append(v.errs, v.o.errorAt(key, fmt.Sprintf(format, args...)))
}

// finish fills in the defaults that depend on other values, validates c and
// settles the routes in effect. explicitRoutes are the routes the file gave,
// which, unlike default routes, must name a configured factor.
func finish(c *Config, explicitRoutes map[string]string, o *origins) []error {
	v := &validator{o: o}
	fillEmptySections(c)
	v.places(c)
	v.logging(c)
	v.http(c.HTTP)
	v.lifetimes(c)
	v.plugins(c)
	v.factors(c)
	v.routes(c, explicitRoutes)
	return v.errs
}

// fillEmptySections gives sections the file left empty (a bare "plugins:")
// their empty values, so later steps never meet a nil map.
func fillEmptySections(c *Config) {
	if c.Plugins == nil {
		c.Plugins = map[string]PluginConfig{}
	}
	if c.Factors == nil {
		c.Factors = map[string]FactorConfig{}
	}
	if c.Routes == nil {
		c.Routes = DefaultRoutes()
	}
	if c.HTTP.TrustedProxies == nil {
		c.HTTP.TrustedProxies = []string{}
	}
}

// places checks where the server listens and keeps its state, deriving
// public_url from listen when it is not set.
func (v *validator) places(c *Config) {
	listenOK := true
	if msg := checkListen(c.Listen); msg != "" {
		v.add("listen", "%s", msg)
		listenOK = false
	}
	if c.AdminListen != "" {
		if msg := checkListen(c.AdminListen); msg != "" {
			v.add("admin_listen", "%s", msg)
		} else if c.AdminListen == c.Listen && !strings.HasSuffix(c.Listen, ":0") {
			v.add("admin_listen", "must differ from listen: the admin endpoints are not for clients")
		}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		v.add("tls_cert_file", "tls_cert_file and tls_key_file are set together or not at all")
	}
	if c.PublicURL == "" {
		if listenOK {
			c.PublicURL = derivePublicURL(c.Listen, c.TLS())
		}
	} else if msg := checkPublicURL(c.PublicURL); msg != "" {
		v.add("public_url", "%s", msg)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		v.add("data_dir", "must not be empty")
	}
	if msg := checkDatabase(string(c.Database)); msg != "" {
		v.add("database_url", "%s", msg)
	}
	if strings.TrimSpace(c.PluginDir) == "" {
		v.add("plugin_dir", "must not be empty")
	}
	if c.SealKeys != "" && strings.TrimSpace(string(c.SealKeys)) == "" {
		v.add("seal_keys", "must not be blank; leave it unset instead")
	}
}

// logging normalises and checks the log level and format.
func (v *validator) logging(c *Config) {
	c.Log.Level = strings.ToLower(c.Log.Level)
	c.Log.Format = strings.ToLower(c.Log.Format)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", "must be one of debug, info, warn, error; got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		v.add("log.format", "must be text or json, got %q", c.Log.Format)
	}
}

// http checks the HTTP server's limits, timeouts and trusted proxies.
func (v *validator) http(h HTTPConfig) {
	if h.MaxBodyBytes < minBodyBytes || h.MaxBodyBytes > maxBodyBytes {
		v.add("http.max_body_bytes", "must be between %d and %d (1 KiB to 10 MiB), got %d", minBodyBytes, maxBodyBytes, h.MaxBodyBytes)
	}
	v.durationBetween("http.read_timeout", h.ReadTimeout, minServerTime, maxServerTime)
	v.durationBetween("http.write_timeout", h.WriteTimeout, minServerTime, maxServerTime)
	v.durationBetween("http.shutdown_timeout", h.ShutdownTimeout, minServerTime, maxServerTime)
	for i, p := range h.TrustedProxies {
		if _, err := parsePrefix(strings.TrimSpace(p)); err != nil {
			v.add(fmt.Sprintf("http.trusted_proxies[%d]", i), "%q is not a CIDR (such as 10.0.0.0/8) or an IP address", p)
		}
	}
}

// lifetimes checks the lockout policy, how long enrollments and challenges
// live and the send limits.
func (v *validator) lifetimes(c *Config) {
	l := c.Lockout
	if l.MaxFailures < 1 || l.MaxFailures > maxFailuresMax {
		v.add("lockout.max_failures", "must be between 1 and %d, got %d", maxFailuresMax, l.MaxFailures)
	}
	if l.BaseDelay <= 0 {
		v.add("lockout.base_delay", "must be positive, got %s", formatDuration(l.BaseDelay))
	} else if l.MaxDelay < l.BaseDelay {
		v.add("lockout.max_delay", "must be at least lockout.base_delay (%s), got %s", formatDuration(l.BaseDelay), formatDuration(l.MaxDelay))
	}
	v.signIn(c.SignIn)
	v.durationBetween("enrollment.ttl", c.Enrollment.TTL, minEnrollTTL, maxEnrollTTL)
	v.durationBetween("challenge.ttl", c.Challenge.TTL, minChalTTL, maxChalTTL)
	sl := c.SendLimits
	v.durationBetween("send_limits.resend_interval", sl.ResendInterval, 10*time.Second, time.Hour)
	v.intBetween("send_limits.per_user_hour", sl.PerUserHour, 1, 1000)
	v.intBetween("send_limits.per_destination_day", sl.PerDestinationDay, 1, 10000)
	v.intBetween("send_limits.per_minute", sl.PerMinute, 1, 1000000)
}

// intBetween checks that n lies in [lo, hi].
func (v *validator) intBetween(key string, n, lo, hi int) {
	if n < lo || n > hi {
		v.add(key, "must be between %d and %d, got %d", lo, hi, n)
	}
}

// signIn checks the password throttle's limits.
func (v *validator) signIn(s SignInConfig) {
	for _, n := range []struct {
		key    string
		v, max int
	}{
		{"signin.per_address_burst", s.PerAddressBurst, 10000},
		{"signin.per_address_per_minute", s.PerAddressPerMinute, 100000},
		{"signin.per_name_per_minute", s.PerNamePerMinute, 100000},
		{"signin.per_name_burst", s.PerNameBurst, 10000},
		{"signin.concurrent_hashes", s.ConcurrentHashes, 256},
		{"signin.name_ceiling", s.NameCeiling, 1000},
	} {
		if n.v < 1 || n.v > n.max {
			v.add(n.key, "must be between 1 and %d, got %d", n.max, n.v)
		}
	}
}

// durationBetween checks that d lies in [lo, hi].
func (v *validator) durationBetween(key string, d, lo, hi time.Duration) {
	if d < lo || d > hi {
		v.add(key, "must be between %s and %s, got %s", formatDuration(lo), formatDuration(hi), formatDuration(d))
	}
}

// plugins checks the pinned binaries and their supervision settings, giving
// each a default path, process count and timeouts.
func (v *validator) plugins(c *Config) {
	for _, name := range sortedKeys(c.Plugins) {
		p := c.Plugins[name]
		key := "plugins." + name
		if !validName(name) {
			v.add(key, "plugin names must start with a lowercase letter and hold only lowercase letters, digits and dashes (at most %d characters)", maxNameLen)
		}
		if p.Path == "" {
			p.Path = PluginBinaryPrefix + name
		} else if strings.TrimSpace(p.Path) == "" {
			v.add(key+".path", "must not be blank")
		}
		p.SHA256 = v.pin(key+".sha256", p.SHA256, "is required: the SHA-256 of the binary as 64 hex digits")
		v.tree(key, &p)
		v.supervision(key, &p)
		c.Plugins[name] = p
	}
}

// pin checks a pinned hash and returns it in lower case.
func (v *validator) pin(key, value, missing string) string {
	switch {
	case value == "":
		v.add(key, "%s", missing)
	case !isSHA256(value):
		v.add(key, "must be 64 hex digits, got %q", value)
	default:
		return strings.ToLower(value)
	}
	return value
}

// tree checks that a pinned directory comes with its hash and the reverse.
func (v *validator) tree(key string, p *PluginConfig) {
	switch {
	case p.Tree == "" && p.TreeSHA256 == "":
	case strings.TrimSpace(p.Tree) == "":
		v.add(key+".tree", "is required with tree_sha256: the directory the hash pins")
	default:
		p.TreeSHA256 = v.pin(key+".tree_sha256", p.TreeSHA256, "is required with tree: print it with `factorgate plugins hash --tree DIR`")
	}
}

// supervision applies and checks the process count and timeouts.
func (v *validator) supervision(key string, p *PluginConfig) {
	if p.Processes == 0 {
		p.Processes = DefaultPluginProcesses
	} else if p.Processes < 1 || p.Processes > maxPluginProcesses {
		v.add(key+".processes", "must be between 1 and %d, got %d", maxPluginProcesses, p.Processes)
	}
	if p.StartTimeout == 0 {
		p.StartTimeout = DefaultPluginStartTimeout
	}
	if p.CallTimeout == 0 {
		p.CallTimeout = DefaultPluginCallTimeout
	}
	v.durationBetween(key+".start_timeout", p.StartTimeout, minPluginStart, maxPluginStart)
	v.durationBetween(key+".call_timeout", p.CallTimeout, minPluginCall, maxPluginCall)
}

// factors checks the factor instances, defaulting each one's plugin to its
// own name and its settings to an empty object.
func (v *validator) factors(c *Config) {
	if !c.DiscoverPlugins() && len(c.Factors) == 0 {
		v.add("factors", "at least one factor instance must be configured when plugins are listed")
	}
	for _, name := range sortedKeys(c.Factors) {
		f := c.Factors[name]
		key := "factors." + name
		if !validName(name) {
			v.add(key, "factor instance names must start with a lowercase letter and hold only lowercase letters, digits and dashes (at most %d characters)", maxNameLen)
		}
		if f.Plugin == "" {
			f.Plugin = name
		}
		if len(f.Settings) == 0 {
			f.Settings = []byte("{}")
		}
		c.Factors[name] = f
		switch {
		case c.DiscoverPlugins():
			// Checked by the host against the plugins it discovers.
			if !validName(f.Plugin) {
				v.add(key+".plugin", "%q is not a valid plugin name", f.Plugin)
			}
		default:
			if _, ok := c.Plugins[f.Plugin]; !ok {
				v.add(key+".plugin", "names plugin %q, which is not configured under plugins (configured: %s)",
					f.Plugin, strings.Join(sortedKeys(c.Plugins), ", "))
			}
		}
	}
}

// routes checks the routes and drops those not in effect: routes set
// to "" (switched off) and, unless plugins are discovered, default routes
// whose factor instance is not configured. A route the file gives must name
// a configured factor instance.
func (v *validator) routes(c *Config, explicit map[string]string) {
	known := DefaultRoutes()
	for _, route := range sortedKeys(c.Routes) {
		instance := c.Routes[route]
		key := "routes." + route
		_, isExplicit := explicit[route]
		_, configured := c.Factors[instance]
		switch {
		case known[route] == "":
			v.add(key, "unknown route; the routes are %s", strings.Join(sortedKeys(known), ", "))
			delete(c.Routes, route)
		case instance == "":
			delete(c.Routes, route)
		case !validName(instance):
			v.add(key, "%q is not a valid factor instance name", instance)
		case c.DiscoverPlugins():
			// Checked by the host against the plugins it discovers.
		case configured:
		case isExplicit:
			v.add(key, "names factor instance %q, which is not configured under factors", instance)
		default:
			delete(c.Routes, route)
		}
	}
}

// checkListen validates a host:port listen address.
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("must be host:port, such as 127.0.0.1:8080 or :8080, got %q", s)
	}
	// Port 0 asks the kernel for a free port (the server prints the one it got).
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port must be a number from 0 to 65535, got %q", port)
	}
	if host != "" && !validHost(host) {
		return fmt.Sprintf("%q is not an IP address or host name", host)
	}
	return ""
}

// validHost accepts an IP address or a DNS host name.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// derivePublicURL turns a valid listen address into the URL a local client
// would use: unspecified hosts become localhost.
func derivePublicURL(listen string, tls bool) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if a, err := netip.ParseAddr(host); host == "" || (err == nil && a.IsUnspecified()) {
		host = "localhost"
	}
	u := url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}
	if tls {
		u.Scheme = "https"
	}
	return u.String()
}

// checkPublicURL validates an absolute http(s) URL without a trailing slash.
func checkPublicURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return fmt.Sprintf("must be an absolute http or https URL such as https://mfa.example.com, got %q", s)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme must be http or https, got %q", u.Scheme)
	case u.User != nil:
		return "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Sprintf("must not have a query or fragment, got %q", s)
	case strings.HasSuffix(s, "/"):
		return fmt.Sprintf("must not end with a slash, got %q", s)
	}
	return ""
}

// checkDatabase validates database_url without ever repeating it, as it can
// hold a password.
func checkDatabase(s string) string {
	switch {
	case s == "", DSN(s).IsPostgres():
		return ""
	case strings.TrimSpace(s) == "":
		return "must not be blank; leave it empty for the default SQLite file"
	case strings.Contains(s, ":memory:") || strings.Contains(s, "mode=memory"):
		return "in-memory SQLite databases are not supported; give a file path"
	case looksLikeKeywordDSN(s):
		return "key=value connection strings are not supported; use a postgres://user:password@host/dbname URL"
	}
	if i := strings.Index(s, "://"); i > 0 {
		return fmt.Sprintf("unsupported scheme %q; use a SQLite file path or a postgres:// URL", strings.ToLower(s[:i]))
	}
	return ""
}

// looksLikeKeywordDSN recognises a PostgreSQL key=value connection string
// ("host=db user=x password=y"), which would otherwise be taken for a SQLite
// file name.
func looksLikeKeywordDSN(s string) bool {
	for _, f := range strings.Fields(s) {
		k, _, ok := strings.Cut(f, "=")
		switch strings.ToLower(k) {
		case "host", "hostaddr", "port", "dbname", "user", "password", "sslmode":
			if ok {
				return true
			}
		}
	}
	return false
}

// validName reports whether s is a plugin or factor instance name: a
// lowercase letter, then lowercase letters, digits and dashes.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isSHA256 reports whether s is 64 hex digits.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// formatDuration prints d without zero trailing units: 24h rather than
// 24h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
