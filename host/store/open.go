package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// SQLite connection settings. busy_timeout makes a writer wait for the write
// lock instead of failing; _txlock=immediate takes that lock when a
// transaction begins, so a transaction never fails to upgrade from reading to
// writing.
const (
	sqliteBusyTimeout = 10 * time.Second
	sqliteMaxConns    = 16
)

// PostgreSQL pool size when the URL has no pool_max_conns parameter: enough
// for a few dozen concurrent requests, each holding a connection for one
// short statement or transaction at a time.
const defaultPostgresMaxConns = 24

// SQLStore implements [Store] on SQLite or PostgreSQL through database/sql.
// It is safe for concurrent use.
type SQLStore struct {
	db      *sql.DB
	dialect dialect
	logger  *slog.Logger
	now     func() time.Time
	// writer runs every write transaction of a SQLite store (group
	// commit); nil on PostgreSQL.
	writer *committer
	// stmts keeps the prepared statements of a SQLite store; nil on
	// PostgreSQL, whose driver keeps its own.
	stmts *stmtCache
	// clients keeps decoded OAuth clients by id (oauth_client_cache.go),
	// tokens API tokens with their users by hash (tokens.go).
	clients kept[OAuthClient]
	tokens  kept[tokenWithUser]
	// deleting holds the OAuth requests being deleted without waiting for
	// the commit (FositeStore.removeLater).
	deleting sync.Map
	// rebound keeps the PostgreSQL form of the query texts run (rebind).
	rebound reboundCache
}

// Open connects to the database named by databaseURL and applies any pending
// migrations.
//
// A URL starting with postgres:// or postgresql:// selects PostgreSQL; it is
// passed to pgx, except for an optional pool_max_conns parameter that sets
// the size of the connection pool (default 24). The schema is the first one
// on the connection's search_path (for example ?search_path=factorgate).
// Concurrent migrations are serialised with an advisory lock.
//
// Anything else is the path of a SQLite database file, created together with
// its parent directory (mode 0700 and 0600) when missing. Each connection
// enables WAL mode with synchronous=FULL, a 10 s busy timeout and foreign
// keys, and begins every transaction with BEGIN IMMEDIATE. Every write runs
// on one writer goroutine that commits concurrent transactions together
// (see InTx); statements are prepared once per connection.
//
// A nil logger discards log output.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*SQLStore, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var (
		s   *SQLStore
		err error
	)
	if isPostgresURL(databaseURL) {
		s, err = openPostgres(ctx, databaseURL)
	} else {
		s, err = openSQLite(ctx, databaseURL)
	}
	if err != nil {
		return nil, err
	}
	s.logger = logger
	s.clients.recheck, s.tokens.recheck = clientRecheck, tokenRecheck
	if err := s.migrate(ctx); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	if s.dialect == sqliteDialect {
		s.stmts = &stmtCache{stmts: map[string]*sql.Stmt{}}
		if s.writer, err = startCommitter(ctx, s); err != nil {
			_ = s.db.Close()
			return nil, err
		}
	}
	return s, nil
}

func isPostgresURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

func openSQLite(ctx context.Context, path string) (*SQLStore, error) {
	switch {
	case path == "":
		return nil, errors.New("store: open: empty database path")
	case path == ":memory:":
		return nil, errors.New("store: open: in-memory SQLite databases are not supported, use a file path")
	case strings.Contains(path, "://"):
		return nil, fmt.Errorf("store: open: %q: unsupported database URL scheme", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: open: create database directory: %w", err)
	}
	// Create the file with restrictive permissions; SQLite gives its WAL and
	// shared-memory files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	db.SetMaxOpenConns(sqliteMaxConns)
	db.SetMaxIdleConns(sqliteMaxConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	return &SQLStore{db: db, dialect: sqliteDialect, now: time.Now}, nil
}

// sqliteDSN turns a file path into the driver's URI form with the pragmas of
// the store. Characters with a meaning in URIs are escaped in the path.
func sqliteDSN(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	ms := strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10)
	return "file:" + escaped +
		"?_pragma=busy_timeout(" + ms + ")" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)" +
		"&_pragma=foreign_keys(1)" +
		"&_txlock=immediate"
}

func openPostgres(ctx context.Context, databaseURL string) (*SQLStore, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// The error may echo the URL, which can hold a password.
		return nil, errors.New("store: open postgres: malformed database URL")
	}
	maxConns := defaultPostgresMaxConns
	q := u.Query()
	if v := q.Get("pool_max_conns"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("store: open postgres: invalid pool_max_conns %q", v)
		}
		maxConns = n
		q.Del("pool_max_conns")
		u.RawQuery = q.Encode()
	}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return &SQLStore{db: db, dialect: postgresDialect, now: time.Now}, nil
}

// migrate applies the embedded migrations that the database lacks.
func (s *SQLStore) migrate(ctx context.Context) error {
	provider, err := s.migrationProvider(ctx)
	if err != nil {
		return err
	}
	// Several processes may open a new SQLite file at once. SQLite has no
	// session lock to serialise them, so a migrator that loses the race
	// fails on objects the winner created; it retries and then finds the
	// migration applied.
	const attempts = 5
	for attempt := 1; ; attempt++ {
		results, err := provider.Up(ctx)
		for _, r := range results {
			if r.Error == nil {
				s.logger.Info("store: applied migration", "dialect", s.dialect,
					"version", r.Source.Version, "duration", r.Duration)
			}
		}
		if err == nil {
			break
		}
		if s.dialect != sqliteDialect || attempt == attempts {
			return fmt.Errorf("store: migrations: %w", err)
		}
		s.logger.Debug("store: retrying migrations", "error", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: migrations: %w", ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
	version, err := provider.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	s.logger.Debug("store: schema up to date", "dialect", s.dialect, "version", version)
	return nil
}

// migrationProvider returns the migrations of the store's dialect: the
// embedded SQL files and the Go migrations whose SQL differs per database.
func (s *SQLStore) migrationProvider(ctx context.Context) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(auditIDMigration(s.dialect)),
	}
	gooseDialect := goose.DialectSQLite3
	if s.dialect == postgresDialect {
		gooseDialect = goose.DialectPostgres
		var schema string
		if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(current_schema(), '')").Scan(&schema); err != nil {
			return nil, fmt.Errorf("store: migrations: current schema: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(pgAdvisoryLock{id: migrationLockID(schema)}))
	}
	provider, err := goose.NewProvider(gooseDialect, s.db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	return provider, nil
}

// pgAdvisoryLock serialises migrations of one PostgreSQL schema with a
// session-level advisory lock, waiting for it instead of polling.
type pgAdvisoryLock struct{ id int64 }

func (l pgAdvisoryLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", l.id); err != nil {
		return fmt.Errorf("acquire migration lock: %w", err)
	}
	return nil
}

func (l pgAdvisoryLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.id); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}

// migrationLockID derives the advisory lock key from the schema, so that
// stores in different schemas of one database migrate independently.
func migrationLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("factorgate/store/migrate:" + schema))
	return int64(h.Sum64())
}

// Dialect returns DialectSQLite or DialectPostgres.
func (s *SQLStore) Dialect() string { return string(s.dialect) }

// Ping checks that the database is reachable.
func (s *SQLStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close stops the writer and closes the connection pool.
func (s *SQLStore) Close() error {
	if s.writer != nil {
		if err := s.writer.close(); err != nil {
			s.logger.Debug("store: close writer connection", "error", err)
		}
	}
	if s.stmts != nil {
		s.stmts.close()
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
