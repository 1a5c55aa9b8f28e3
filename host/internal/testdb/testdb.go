// Package testdb gives tests a fresh database on every backend the store
// supports: a SQLite file always, and a PostgreSQL schema of its own when
// FACTORGATE_TEST_POSTGRES_DSN names a server (CI sets it; locally those runs
// skip with a message).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// PostgresDSNEnv names the environment variable with the PostgreSQL server
// tests run against, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresDSNEnv = "FACTORGATE_TEST_POSTGRES_DSN"

// Backend is one database kind tests run against.
type Backend struct {
	Name string
	// Skip, when set, says why this backend is not available.
	Skip string
	// NewURL returns the URL of a fresh, empty database removed when t ends.
	NewURL func(t testing.TB) string
}

// Backends returns SQLite and PostgreSQL.
func Backends() []Backend {
	dsn := os.Getenv(PostgresDSNEnv)
	pg := Backend{Name: "postgres", NewURL: func(t testing.TB) string { return NewPostgresSchema(t, dsn) }}
	if dsn == "" {
		pg.Skip = "set " + PostgresDSNEnv + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run against PostgreSQL"
	}
	return []Backend{
		{Name: "sqlite", NewURL: func(t testing.TB) string {
			// A missing parent directory checks that opening creates it.
			return filepath.Join(t.TempDir(), "data", "factorgate.db")
		}},
		pg,
	}
}

// Each runs fn as a subtest per backend, skipping unavailable ones with their reason.
func Each(t *testing.T, fn func(t *testing.T, newURL func(t testing.TB) string)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			if b.Skip != "" {
				t.Skip(b.Skip)
			}
			fn(t, b.NewURL)
		})
	}
}

// NewPostgresSchema creates a schema with a random name on the server at dsn,
// dropped when t ends, and returns dsn with its search_path set to it.
func NewPostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresDSNEnv, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema := "fg_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = admin.Close()
	})
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
