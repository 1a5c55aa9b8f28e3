package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/config"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// apikeysEnv is the environment of a command run against a fresh data directory.
func apikeysEnv(t *testing.T) (env map[string]string, dataDir string) {
	t.Helper()
	key, err := seal.GenerateKey("k1", nil)
	if err != nil {
		t.Fatal(err)
	}
	dataDir = t.TempDir()
	return map[string]string{
		config.EnvDataDir:  dataDir,
		config.EnvSealKeys: seal.FormatKeys(key),
		config.EnvLogLevel: "error",
	}, dataDir
}

// runAPIKeys runs `factorgate apikeys ARGS...` the way run does, with its own
// output buffers.
func runAPIKeys(t *testing.T, env map[string]string, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, env: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}}
	cmd := c.apikeysCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err = cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// checkKey reports what the server would say about key.
func checkKey(t *testing.T, dataDir, key string) error {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dataDir, "factorgate.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return auth.NewAPIKeys(st, nil, nil).Check(context.Background(), key)
}

func TestAPIKeysCommand(t *testing.T) {
	env, dataDir := apikeysEnv(t)

	// The database exists through the registered commands first, as an
	// operator's would.
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, strings.NewReader(""), &out, &errOut, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, errOut.String())
	}

	created, err := runAPIKeys(t, env, "create", "scanner")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(created)
	if !strings.HasPrefix(key, auth.APIKeyPrefix) || strings.Count(created, "\n") != 1 {
		t.Fatalf("create printed %q, want only the key", created)
	}
	if err := checkKey(t, dataDir, key); err != nil {
		t.Fatalf("the created key is refused: %v", err)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"name taken", []string{"create", "scanner"}, "a live API key with this name exists"},
		{"bad name", []string{"create", "two words"}, "API key names are 1 to 64"},
		{"no name", []string{"create"}, "accepts 1 arg"},
		{"revoke unknown", []string{"revoke", "nope"}, `no live API key with id or name "nope"`},
		{"list takes no args", []string{"list", "x"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runAPIKeys(t, env, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}

	listed, err := runAPIKeys(t, env, "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(listed), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], " scanner ") || !strings.Contains(lines[1], " live ") || strings.Contains(listed, key) {
		t.Fatalf("list printed:\n%s", listed)
	}

	revoked, err := runAPIKeys(t, env, "revoke", "scanner")
	if err != nil || !strings.HasPrefix(revoked, "revoked API key ") {
		t.Fatalf("revoke printed %q, %v", revoked, err)
	}
	if err := checkKey(t, dataDir, key); !errors.Is(err, auth.ErrBadAPIKey) {
		t.Fatalf("the revoked key: %v, want ErrBadAPIKey", err)
	}
	listed, err = runAPIKeys(t, env, "list")
	if err != nil || !strings.Contains(listed, " revoked ") {
		t.Fatalf("list after revoke printed %q, %v", listed, err)
	}
}
