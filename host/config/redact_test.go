package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

func TestDSNRedacted(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"user and password", "postgres://fg:s3cret@db:5432/fg?sslmode=require", "postgres://fg:xxxxx@db:5432/fg?sslmode=require"},
		{"postgresql scheme", "postgresql://fg:s3cret@db/fg", "postgresql://fg:xxxxx@db/fg"},
		{"no password", "postgres://fg@db/fg", "postgres://fg@db/fg"},
		{"no user information", "postgres://db/fg", "postgres://db/fg"},
		{"empty password", "postgres://fg:@db/fg", "postgres://fg:xxxxx@db/fg"},
		{"password query parameter", "postgres://db/fg?user=fg&password=s3cret&sslmode=require", "postgres://db/fg?user=fg&password=xxxxx&sslmode=require"},
		{"sslpassword parameter", "postgres://fg:a@db/fg?sslpassword=s3cret", "postgres://fg:xxxxx@db/fg?sslpassword=xxxxx"},
		{"several hosts", "postgres://fg:s3cret@db1:5432,db2:5432/fg", "postgres://fg:xxxxx@db1:5432,db2:5432/fg"},
		{"unescaped characters in password", "postgres://fg:s3/c?r@et@db/fg", "postgres://fg:xxxxx@db/fg"},
		{"escaped password", "postgres://fg:s3%40cret@db/fg", "postgres://fg:xxxxx@db/fg"},
		{"SQLite path kept", "/var/lib/factorgate/fg.db", "/var/lib/factorgate/fg.db"},
		{"keyword string hidden", "host=db password=s3cret", "[redacted]"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DSN(tc.dsn)
			if got := d.Redacted(); got != tc.want {
				t.Errorf("Redacted() = %q, want %q", got, tc.want)
			}
			for _, verb := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x", "%d"} {
				if out := fmt.Sprintf(verb, d); strings.Contains(out, "s3") {
					t.Errorf("%s printed %q", verb, out)
				}
			}
		})
	}
}

// secretConfig loads a configuration holding a seal key and a database
// password, both of which contain "SECRET".
func secretConfig(t *testing.T) *Config {
	t.Helper()
	path := writeConfig(t, `database_url: postgres://fg:dbSECRETpw@db.internal/fg?sslmode=require&password=qSECRET
seal_keys: "k1:SECRETSECRETSECRETSECRETSECRETSECRETSECRE="
factors:
  totp:
    settings: {issuer: Acme, api_key: settingSECRET}
`)
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLogValueMasksSecrets(t *testing.T) {
	c := secretConfig(t)
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("configuration", "config", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("configuration", "config", c)

	outputs := map[string]string{
		"text handler": text.String(),
		"json handler": js.String(),
		"String":       c.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "SECRET") {
				t.Errorf("output shows a secret:\n%s", out)
			}
			for _, want := range []string{
				"postgres://fg:xxxxx@db.internal/fg?sslmode=require&password=xxxxx",
				"[redacted]",
				"127.0.0.1:8080",
				"api_key,issuer",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}

	var decoded struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(js.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if got := decoded.Config["database_url"]; got != "postgres://fg:xxxxx@db.internal/fg?sslmode=require&password=xxxxx" {
		t.Errorf("database_url logged as %v", got)
	}
	if got := decoded.Config["seal_keys"]; got != "[redacted]" {
		t.Errorf("seal_keys logged as %v", got)
	}
}

func TestSealKeysNeverPrinted(t *testing.T) {
	c := secretConfig(t)
	const secret = "SECRETSECRET"
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs["pointer "+verb] = fmt.Sprintf(verb, c)
		outputs["value "+verb] = fmt.Sprintf(verb, *c)
		outputs["field "+verb] = fmt.Sprintf(verb, c.SealKeys)
	}
	outputs["String"] = c.String()
	outputs["slog value"] = c.LogValue().String()
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json.Marshal"] = string(js)
	ym, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs["yaml.Marshal"] = string(ym)
	for name, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, "dbSECRETpw") {
			t.Errorf("%s shows a secret: %s", name, out)
		}
	}
	if string(c.SealKeys) != "k1:SECRETSECRETSECRETSECRETSECRETSECRETSECRE=" {
		t.Errorf("the value itself is still available: %q", string(c.SealKeys))
	}
	if Secret("").String() != "" {
		t.Errorf("unset secret prints as %q", Secret("").String())
	}
}

func TestErrorsNeverEchoSecrets(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
	}{
		{"blank seal keys from env", "", map[string]string{EnvSealKeys: "   "}},
		{"bad database URL in file", "database_url: mysql://root:SECRET@db/x\n", nil},
		{"bad database URL from env", "", map[string]string{EnvDatabaseURL: "mysql://root:SECRET@db/x"}},
		{"keyword DSN", "database_url: host=db password=SECRET\n", nil},
		{"wrong type for seal keys", "seal_keys: [SECRET]\n", nil},
		{"public_url with credentials", "public_url: https://admin:SECRET@mfa.example.com\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadString(t, tc.yaml, tc.env)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

func TestStringFormat(t *testing.T) {
	c := Default()
	c.PluginDir = filepath.Join("bin", "plugins")
	got := c.String()
	for _, want := range []string{
		"listen=127.0.0.1:8080 ",
		" public_url=http://127.0.0.1:8080 ",
		` seal_keys="" `,
		" log.level=info log.format=text ",
		" http.read_timeout=10s ",
		" discover_plugins=true ",
		" routes.scanner.totp=totp ",
		" bootstrap.demo=false",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("String() = %q, lacks %q", got, want)
		}
	}
}
