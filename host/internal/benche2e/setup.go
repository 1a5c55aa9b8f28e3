package benche2e

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// Databases are the two databases of one backend: the host's and the
// floor's, each new.
type Databases struct {
	Backend, Host, Floor string
	// ServerPID is the PostgreSQL postmaster's process when the server
	// runs on this machine, so that its processor time can be read; else 0.
	ServerPID int
	cleanup   func()
}

// Close drops what NewDatabases created.
func (d Databases) Close() { d.cleanup() }

// NewDatabases returns fresh databases: SQLite files under dir, or two new
// schemas of the PostgreSQL database at dsn.
func NewDatabases(ctx context.Context, dir, dsn string) (Databases, error) {
	if dsn == "" {
		return Databases{Backend: "sqlite", Host: filepath.Join(dir, "host.db"), Floor: filepath.Join(dir, "floor.db"),
			cleanup: func() {}}, nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return Databases{}, fmt.Errorf("postgres: %w", err)
	}
	suffix := fmt.Sprintf("%d", os.Getpid())
	schemas := []string{"bench_host_" + suffix, "bench_floor_" + suffix}
	urls := make([]string, 2)
	for i, s := range schemas {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE; CREATE SCHEMA "+s); err != nil {
			_ = db.Close()
			return Databases{}, fmt.Errorf("postgres: create schema: %w", err)
		}
		u, err := url.Parse(dsn)
		if err != nil {
			return Databases{}, fmt.Errorf("postgres: %w", err)
		}
		q := u.Query()
		q.Set("search_path", s)
		u.RawQuery = q.Encode()
		urls[i] = u.String()
	}
	return Databases{Backend: "postgres", Host: urls[0], Floor: urls[1], ServerPID: localPostmaster(ctx, db), cleanup: func() {
		for _, s := range schemas {
			_, _ = db.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+s+" CASCADE")
		}
		_ = db.Close()
	}}, nil
}

// Host is the host under test with what it needs to start.
type Host struct {
	Bin, PluginPath string
	Env             []string
	Sealer          *seal.Sealer
}

// NewHost writes the host's configuration (the TOTP plugin pinned, the
// documented routes of other factors off) under dir and draws a seal key.
func NewHost(bin, pluginPath, dir, databaseURL string) (*Host, error) {
	// The host resolves a relative plugin path against its plugin directory.
	pluginPath, err := filepath.Abs(pluginPath)
	if err != nil {
		return nil, fmt.Errorf("plugin path: %w", err)
	}
	sum, err := fileSHA256(pluginPath)
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`listen: 127.0.0.1:0
plugins:
  totp:
    path: %s
    sha256: %q
factors:
  totp: {}
routes:
  scanner.sms: ""
  accounting.sms: ""
  slugbase.backup_codes: ""
`, pluginPath, sum)
	path := filepath.Join(dir, "factorgate.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	key, err := seal.GenerateKey("bench", nil)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	env := append(os.Environ(), "FACTORGATE_CONFIG="+path, "FACTORGATE_DATA_DIR="+dir,
		"FACTORGATE_SEAL_KEYS="+seal.FormatKeys(key), "FACTORGATE_LOG_LEVEL=warn", "FACTORGATE_DATABASE_URL="+databaseURL)
	return &Host{Bin: bin, PluginPath: pluginPath, Env: env, Sealer: sealer}, nil
}

func fileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("hash plugin: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Seed enrolls the accounts in the host's database.
func (h *Host) Seed(ctx context.Context, databaseURL string, accounts []Account) error {
	st, err := store.Open(ctx, databaseURL, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	return SeedHost(ctx, st, h.Sealer, accounts)
}

// AdminToken creates an administrator and returns an API token of it, with
// the host's own commands.
func (h *Host) AdminToken() (string, error) {
	if _, err := h.run("users", "create", "bench-admin", "--admin"); err != nil {
		return "", err
	}
	return h.run("tokens", "create", "bench-admin", "--admin")
}

func (h *Host) run(args ...string) (string, error) {
	cmd := exec.Command(h.Bin, args...)
	cmd.Env = h.Env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("factorgate %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Start starts the host server.
func (h *Host) Start(logs io.Writer) (*Process, error) {
	return Start(h.Bin, []string{"serve"}, h.Env, logs)
}

// localPostmaster returns the pid of the PostgreSQL server behind db when it
// runs on this machine: the parent of this connection's backend, both named
// postgres. Otherwise (a remote server) it returns 0.
func localPostmaster(ctx context.Context, db *sql.DB) int {
	var backend int
	if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&backend); err != nil {
		return 0
	}
	parent := ParentPID(backend)
	for _, pid := range []int{backend, parent} {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if pid == 0 || err != nil || !strings.HasPrefix(string(comm), "postgres") {
			return 0
		}
	}
	return parent
}
