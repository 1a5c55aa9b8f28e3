package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few differences between SQLite and PostgreSQL that the
// queries of this package have to care about. Queries are written once with
// '?' placeholders and rebound here.
type dialect string

const (
	sqliteDialect   dialect = DialectSQLite
	postgresDialect dialect = DialectPostgres
)

// rebind rewrites the '?' placeholders of q into the form the dialect
// expects: unchanged for SQLite, $1, $2, ... for PostgreSQL. Question marks
// inside single-quoted literals are left alone.
func (d dialect) rebind(q string) string {
	if d != postgresDialect || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n, quoted := 0, false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxRebound bounds the reboundCache; the store's query texts are
// constants and a few built from them, far fewer than this.
const maxRebound = 1024

// reboundCache keeps the PostgreSQL form of each query text: rewriting the
// placeholders of every statement on every call took 2.5% of the host's
// processor time on the verification path.
type reboundCache struct {
	texts sync.Map // query text -> its rebound form
	n     atomic.Int32
}

// rebind is dialect.rebind through the store's cache.
func (s *SQLStore) rebind(q string) string {
	if s.dialect != postgresDialect {
		return q
	}
	if r, ok := s.rebound.texts.Load(q); ok {
		return r.(string)
	}
	r := s.dialect.rebind(q)
	if s.rebound.n.Add(1) <= maxRebound {
		s.rebound.texts.Store(q, r)
	}
	return r
}

// forUpdate returns the row-locking clause appended to a SELECT that is
// followed by an UPDATE of the same row in the same transaction. SQLite has no
// row locks and needs none: every transaction is BEGIN IMMEDIATE and holds the
// database write lock from its start.
func (d dialect) forUpdate() string {
	if d == postgresDialect {
		return " FOR UPDATE"
	}
	return ""
}

// forNoKeyUpdate is like forUpdate but does not block inserts of rows that
// reference the locked row through a foreign key.
func (d dialect) forNoKeyUpdate() string {
	if d == postgresDialect {
		return " FOR NO KEY UPDATE"
	}
	return ""
}

// isUniqueViolation reports whether err is a unique or primary key violation.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// isForeignKeyViolation reports whether err is a foreign key violation.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	return false
}

// wrapErr adds the failed operation to err and maps database errors onto the
// package's sentinel errors.
func wrapErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("store: %s: %w: %w", op, ErrAlreadyExists, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("store: %s: referenced row: %w: %w", op, ErrNotFound, err)
	default:
		return fmt.Errorf("store: %s: %w", op, err)
	}
}

// Times are stored as microseconds since the Unix epoch.

// toMicros converts t for a NOT NULL time column.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts a NOT NULL time column back to UTC.
func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros converts t for a nullable time column: the zero time is NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromNullMicros converts a nullable time column back; NULL is the zero time.
func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// normTime returns t as it reads back from the database.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromMicros(toMicros(t))
}

// nonNilBytes returns b, or an empty slice when b is nil, so that NOT NULL
// byte columns receive an empty value rather than NULL.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// nullString stores the empty string as NULL (for optional references).
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
