package benche2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Floor is the smallest server that does the host's job: read the user's
// secret, check the TOTP code, and make its use durable with one write
// (replay protection) before answering. On SQLite it writes through one
// connection in WAL mode with synchronous=FULL, so every answer waits for its
// own fsync; on PostgreSQL each write is one committed UPDATE.
type Floor struct {
	read, write *sql.DB
	postgres    bool
	get, use    *sql.Stmt
}

// OpenFloor opens (creating) the floor's table in the database at url: a
// postgres:// URL or a SQLite file path.
func OpenFloor(ctx context.Context, url string) (*Floor, error) {
	f := &Floor{postgres: strings.HasPrefix(url, "postgres")}
	var err error
	if f.postgres {
		if f.read, err = sql.Open("pgx", url); err == nil {
			f.read.SetMaxOpenConns(24)
			f.read.SetMaxIdleConns(24)
			f.write = f.read
		}
	} else {
		dsn := "file:" + filepath.ToSlash(url) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
		if f.read, err = sql.Open("sqlite", dsn); err == nil {
			f.read.SetMaxOpenConns(8)
			if f.write, err = sql.Open("sqlite", dsn); err == nil {
				f.write.SetMaxOpenConns(1)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("floor: open: %w", err)
	}
	if _, err := f.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS floor_users (
		id TEXT PRIMARY KEY, secret BYTEA NOT NULL, last_step BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("floor: create table: %w", err)
	}
	return f, f.prepare(ctx)
}

func (f *Floor) prepare(ctx context.Context) error {
	get, use := `SELECT secret, last_step FROM floor_users WHERE id = ?`,
		`UPDATE floor_users SET last_step = ? WHERE id = ? AND last_step < ?`
	if f.postgres {
		get, use = `SELECT secret, last_step FROM floor_users WHERE id = $1`,
			`UPDATE floor_users SET last_step = $1 WHERE id = $2 AND last_step < $3`
	}
	var err error
	if f.get, err = f.read.PrepareContext(ctx, get); err != nil {
		return fmt.Errorf("floor: prepare: %w", err)
	}
	if f.use, err = f.write.PrepareContext(ctx, use); err != nil {
		return fmt.Errorf("floor: prepare: %w", err)
	}
	return nil
}

// Close closes the database handles.
func (f *Floor) Close() error {
	if f.write != f.read {
		_ = f.write.Close()
	}
	return f.read.Close()
}

// Seed inserts the accounts.
func (f *Floor) Seed(ctx context.Context, accounts []Account) error {
	q := `INSERT INTO floor_users (id, secret, last_step) VALUES (?, ?, 0)`
	if f.postgres {
		q = `INSERT INTO floor_users (id, secret, last_step) VALUES ($1, $2, 0)`
	}
	for from := 0; from < len(accounts); from += seedBatch {
		tx, err := f.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("floor: seed: %w", err)
		}
		for _, a := range accounts[from:min(from+seedBatch, len(accounts))] {
			if _, err := tx.ExecContext(ctx, q, a.ID, a.Secret); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("floor: seed: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("floor: seed: %w", err)
		}
	}
	return nil
}

// ServeHTTP answers POST {"user": id, "code": code}: 200 when the code is
// valid and newer than the last one used, 409 when replayed, 401 when wrong.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct{ User, Code string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var secret []byte
	var last int64
	if err := f.get.QueryRowContext(r.Context(), req.User).Scan(&secret, &last); errors.Is(err, sql.ErrNoRows) {
		http.Error(w, "unknown user", http.StatusNotFound)
		return
	} else if err != nil {
		slog.ErrorContext(r.Context(), "floor: read user", "error", err)
		http.Error(w, "database", http.StatusServiceUnavailable)
		return
	}
	step, ok := MatchStep(secret, req.Code, Step(time.Now()))
	if !ok {
		http.Error(w, "invalid code", http.StatusUnauthorized)
		return
	}
	res, err := f.use.ExecContext(r.Context(), step, req.User, step)
	if err != nil {
		slog.ErrorContext(r.Context(), "floor: record use", "error", err)
		http.Error(w, "database", http.StatusServiceUnavailable)
		return
	}
	if n, _ := res.RowsAffected(); n != 1 || step <= last {
		http.Error(w, "replayed", http.StatusConflict)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"result":"ok"}`))
}
