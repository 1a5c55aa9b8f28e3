package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)`
	if got := sqliteDialect.rebind(q); got != q {
		t.Fatalf("sqlite rebind changed the query: %s", got)
	}
	want := `SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)`
	if got := postgresDialect.rebind(q); got != want {
		t.Fatalf("postgres rebind = %s, want %s", got, want)
	}
}

// The store's cached rebind answers what the dialect's does, the first time
// and again, for SQLite and PostgreSQL; past maxRebound texts it stops
// keeping new ones but still answers right.
func TestStoreRebind(t *testing.T) {
	for _, d := range []dialect{sqliteDialect, postgresDialect} {
		s := &SQLStore{dialect: d}
		for i := range maxRebound + 8 {
			q := fmt.Sprintf(`SELECT %d FROM t WHERE a = ? AND b = '?' AND c = ?`, i)
			for range 2 {
				if got, want := s.rebind(q), d.rebind(q); got != want {
					t.Fatalf("%s: rebind(%s) = %s, want %s", d, q, got, want)
				}
			}
		}
		kept := 0
		s.rebound.texts.Range(func(any, any) bool { kept++; return true })
		if want := map[dialect]int{sqliteDialect: 0, postgresDialect: maxRebound}[d]; kept != want {
			t.Errorf("%s: %d texts kept, want %d", d, kept, want)
		}
	}
}

func TestSQLiteDSN(t *testing.T) {
	got := sqliteDSN("/data/a%b?c#d.db")
	if !strings.HasPrefix(got, "file:/data/a%25b%3fc%23d.db?") {
		t.Fatalf("sqliteDSN = %s", got)
	}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "_txlock=immediate"} {
		if !strings.Contains(got, p) {
			t.Errorf("sqliteDSN lacks %s: %s", p, got)
		}
	}
}

func TestOpenSQLiteDetails(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{"", ":memory:", "mysql://localhost/db"} {
		if s, err := Open(ctx, bad, nil); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
	// Odd characters in the path survive the URI form.
	path := filepath.Join(t.TempDir(), "we?ird #dir", "x%y.db")
	s := openStore(t, path)
	var mode string
	var fk, timeout int
	noErr(t, s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	noErr(t, s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	noErr(t, s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout))
	if mode != "wal" || fk != 1 || timeout != 10000 {
		t.Fatalf("journal_mode=%s foreign_keys=%d busy_timeout=%d", mode, fk, timeout)
	}
	var file string
	noErr(t, s.db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file))
	if file != path {
		t.Fatalf("database file %q, want %q", file, path)
	}
}
