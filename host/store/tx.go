package store

import (
	"context"
	"database/sql"
	"fmt"
)

// txKey is the context key under which a store keeps its open transaction.
// It includes the store so that a transaction of one store is never joined by
// another.
type txKey struct{ s *SQLStore }

// openTxKey marks a context that carries an open transaction of any store.
type openTxKey struct{}

// withTx returns ctx carrying tx as the open transaction of s.
func (s *SQLStore) withTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(context.WithValue(ctx, txKey{s}, tx), openTxKey{}, true)
}

// afterTxKey is the context key of the functions to run once the outermost
// InTx of a store has ended.
type afterTxKey struct{ s *SQLStore }

// afterTx is the functions a transaction runs once it has ended.
type afterTx struct{ fns []func() }

func (a *afterTx) run() {
	for _, fn := range a.fns {
		fn()
	}
}

// afterCommit runs fn once what ctx's transaction has written is committed
// or rolled back: when the outermost InTx ends, or at once for a statement
// outside InTx, which has committed when it returns. The kept clients and
// tokens are dropped then, not before: a reader that read the old row until
// the commit could otherwise keep it. (A FositeStore.BeginTX transaction
// runs fn at once; it changes neither.)
func (s *SQLStore) afterCommit(ctx context.Context, fn func()) {
	if a, ok := ctx.Value(afterTxKey{s}).(*afterTx); ok {
		a.fns = append(a.fns, fn)
		return
	}
	fn()
}

// InTransaction reports whether ctx carries an open transaction of a store
// (from InTx or FositeStore.BeginTX), so that work which must never run
// while a transaction holds its locks, such as a call to a factor plugin
// that may take seconds, can refuse.
func InTransaction(ctx context.Context) bool {
	open, _ := ctx.Value(openTxKey{}).(bool)
	return open
}

// querier is the part of *sql.DB and *sql.Tx used by the store.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txFrom returns the transaction of s carried by ctx, if any.
func (s *SQLStore) txFrom(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{s}).(*sql.Tx)
	return tx, ok
}

// q returns the transaction carried by ctx or, outside a transaction, the
// connection pool.
func (s *SQLStore) q(ctx context.Context) querier {
	if tx, ok := s.txFrom(ctx); ok {
		return tx
	}
	return s.db
}

// exec, query and queryRow run a query written with '?' placeholders in the
// transaction carried by ctx, if any. On SQLite the query is prepared once
// per connection and kept (see stmt), and a write outside a transaction goes
// through the writer like any transaction.
// An unreachable database is reported as ErrUnavailable.
func (s *SQLStore) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.writer != nil {
		if _, ok := s.txFrom(ctx); !ok {
			var res sql.Result
			err := s.InTx(ctx, func(ctx context.Context) error {
				var err error
				res, err = s.exec(ctx, query, args...)
				return err
			})
			return res, err
		}
	}
	if st := s.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, unavailable(err)
	}
	res, err := s.q(ctx).ExecContext(ctx, s.rebind(query), args...)
	return res, unavailable(err)
}

func (s *SQLStore) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, query); st != nil {
		rows, err := st.QueryContext(ctx, args...)
		return rows, unavailable(err)
	}
	rows, err := s.q(ctx).QueryContext(ctx, s.rebind(query), args...)
	return rows, unavailable(err)
}

func (s *SQLStore) queryRow(ctx context.Context, query string, args ...any) row {
	if st := s.stmt(ctx, query); st != nil {
		return row{st.QueryRowContext(ctx, args...)}
	}
	return row{s.q(ctx).QueryRowContext(ctx, s.rebind(query), args...)}
}

// InTx runs fn in one transaction. The context passed to fn carries the
// transaction: every method of s called with it (or a context derived from
// it) runs inside the transaction. The transaction commits when fn returns
// nil and rolls back when fn returns an error, which InTx returns unchanged,
// or panics, in which case the panic continues after the rollback.
//
// A nested InTx with a context that already carries a transaction of s joins
// it: fn runs directly and the outermost InTx decides about commit. An inner
// error should therefore be returned to the outer function; on PostgreSQL a
// failed statement aborts the whole transaction anyway.
//
// On SQLite fn runs on the store's one writer, in a savepoint of a
// transaction it may share with other callers' functions (group commit): InTx
// returns once that transaction is durable, and a failing fn rolls back only
// its own savepoint. fn runs without ctx's cancellation and holds up every
// other writer while it runs, so keep it short and never wait inside it. A
// transaction context must not be used from several goroutines at once.
func (s *SQLStore) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if _, ok := s.txFrom(ctx); ok {
		return fn(ctx)
	}
	after := &afterTx{}
	defer after.run() // last, after the commit or the rollback
	ctx = context.WithValue(ctx, afterTxKey{s}, after)
	if s.writer != nil {
		return s.writer.inTx(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", unavailable(err))
	}
	done := false
	defer func() {
		if !done {
			// fn failed or panicked; the rollback error adds nothing useful.
			_ = tx.Rollback()
		}
	}()
	if err := fn(s.withTx(ctx, tx)); err != nil {
		return err
	}
	done = true
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit transaction: %w", unavailable(err))
	}
	return nil
}
