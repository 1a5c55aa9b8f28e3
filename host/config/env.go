package config

// Environment variables. Each one overrides the key named in its comment;
// an unset or empty variable leaves the key alone.
const (
	// EnvConfig names the configuration file for [FromEnvironment].
	EnvConfig = "FACTORGATE_CONFIG"

	EnvListen      = "FACTORGATE_LISTEN"        // listen
	EnvAdminListen = "FACTORGATE_ADMIN_LISTEN"  // admin_listen
	EnvTLSCertFile = "FACTORGATE_TLS_CERT_FILE" // tls_cert_file
	EnvTLSKeyFile  = "FACTORGATE_TLS_KEY_FILE"  // tls_key_file
	EnvPublicURL   = "FACTORGATE_PUBLIC_URL"    // public_url
	EnvDataDir     = "FACTORGATE_DATA_DIR"      // data_dir
	EnvDatabaseURL = "FACTORGATE_DATABASE_URL"  // database_url
	EnvPluginDir   = "FACTORGATE_PLUGIN_DIR"    // plugin_dir
	EnvSealKeys    = "FACTORGATE_SEAL_KEYS"     // seal_keys (the recommended place for them)
	EnvLogLevel    = "FACTORGATE_LOG_LEVEL"     // log.level
	EnvLogFormat   = "FACTORGATE_LOG_FORMAT"    // log.format
)

// envOverride ties an environment variable to the key it overrides.
type envOverride struct {
	name string
	key  string
	set  func(*Config, string)
}

// envOverrides lists the variables in the order they are applied.
func envOverrides() []envOverride {
	return []envOverride{
		{EnvListen, "listen", func(c *Config, v string) { c.Listen = v }},
		{EnvAdminListen, "admin_listen", func(c *Config, v string) { c.AdminListen = v }},
		{EnvTLSCertFile, "tls_cert_file", func(c *Config, v string) { c.TLSCertFile = v }},
		{EnvTLSKeyFile, "tls_key_file", func(c *Config, v string) { c.TLSKeyFile = v }},
		{EnvPublicURL, "public_url", func(c *Config, v string) { c.PublicURL = v }},
		{EnvDataDir, "data_dir", func(c *Config, v string) { c.DataDir = v }},
		{EnvDatabaseURL, "database_url", func(c *Config, v string) { c.Database = DSN(v) }},
		{EnvPluginDir, "plugin_dir", func(c *Config, v string) { c.PluginDir = v }},
		{EnvSealKeys, "seal_keys", func(c *Config, v string) { c.SealKeys = Secret(v) }},
		{EnvLogLevel, "log.level", func(c *Config, v string) { c.Log.Level = v }},
		{EnvLogFormat, "log.format", func(c *Config, v string) { c.Log.Format = v }},
	}
}

// applyEnv applies the overrides env reports and records their origin, so
// that a bad value is reported under the variable's name.
func applyEnv(c *Config, env func(string) (string, bool), o *origins) {
	if env == nil {
		return
	}
	for _, e := range envOverrides() {
		v, ok := env(e.name)
		if !ok || v == "" {
			continue
		}
		e.set(c, v)
		o.setEnv(e.key, e.name)
	}
}
