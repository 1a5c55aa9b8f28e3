package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the cache; the store's queries are constants, far
// fewer than this.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text. database/sql
// prepares a *sql.Stmt lazily on each connection it runs on and keeps it
// there, so a query is parsed once per connection instead of on every call.
type stmtCache struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// stmt returns the prepared statement of query for the transaction carried by
// ctx or for the pool, or nil when the store does not cache statements
// (PostgreSQL: pgx keeps its own cache of prepared statements per
// connection) or the statement cannot be prepared (the caller then runs the
// query unprepared and reports its error).
func (s *SQLStore) stmt(ctx context.Context, query string) *sql.Stmt {
	if s.stmts == nil {
		return nil
	}
	s.stmts.mu.RLock()
	st, ok := s.stmts.stmts[query]
	full := len(s.stmts.stmts) >= maxCachedStmts
	s.stmts.mu.RUnlock()
	if !ok {
		if full {
			return nil
		}
		var err error
		if st, err = s.db.PrepareContext(ctx, s.rebind(query)); err != nil {
			return nil
		}
		s.stmts.mu.Lock()
		if prev, ok := s.stmts.stmts[query]; ok {
			_ = st.Close()
			st = prev
		} else {
			s.stmts.stmts[query] = st
		}
		s.stmts.mu.Unlock()
	}
	if tx, ok := s.txFrom(ctx); ok {
		return tx.StmtContext(ctx, st)
	}
	return st
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		_ = st.Close()
		delete(c.stmts, q)
	}
}
