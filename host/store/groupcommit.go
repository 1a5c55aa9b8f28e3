package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Group commit for SQLite.
//
// SQLite has one writer at a time, and in WAL mode with synchronous=FULL every
// commit waits for its own fsync. Instead of letting each transaction take the
// write lock in turn (and sleep in the busy handler while another holds it),
// the store hands every write transaction to one goroutine that owns one
// connection. It runs the transactions that are waiting together as one
// database transaction, each inside a savepoint of its own, and commits them
// with one fsync. Each caller is answered only after the commit that holds
// its work is durable; a caller whose function fails has only its savepoint
// rolled back.

// maxBatch bounds how many transactions share one commit.
const maxBatch = 64

// maxLater bounds the writes handed over without waiting (see later) that
// may wait for the writer; past it, callers wait for theirs.
const maxLater = 4096

// errClosed is returned to a transaction submitted after Close.
var errClosed = errors.New("store: closed")

// errAbandoned, returned by a function of the writer, rolls back its whole
// batch, not only its savepoint: its caller lost track of the transaction and
// may still run statements in it (see FositeStore.BeginTX), which must fail
// rather than land in another member's savepoint.
var errAbandoned = errors.New("store: transaction abandoned by its caller")

// writeRequest is one transaction waiting for the writer.
type writeRequest struct {
	ctx  context.Context
	fn   func(ctx context.Context) error
	done chan writeResult
}

// writeResult is what the writer answers a request with.
type writeResult struct {
	err error
	// panicked holds what fn panicked with, re-raised in the caller.
	panicked any
	didPanic bool
}

// committer is the single writer of a SQLite store.
type committer struct {
	s       *SQLStore
	conn    *sql.Conn
	reqs    chan *writeRequest
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once

	// pending holds the writes handed over by later; wake tells an idle
	// writer there are some.
	mu      sync.Mutex
	pending []deferredWrite
	wake    chan struct{}
}

// startCommitter takes one connection of the pool for writing and starts
// the writer on it.
func startCommitter(ctx context.Context, s *SQLStore) (*committer, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: open writer connection: %w", err)
	}
	c := &committer{s: s, conn: conn, reqs: make(chan *writeRequest),
		quit: make(chan struct{}), stopped: make(chan struct{}), wake: make(chan struct{}, 1)}
	go c.run()
	return c, nil
}

// close stops the writer after the batch in progress and releases its
// connection. Requests that arrive later fail with errClosed.
func (c *committer) close() error {
	c.once.Do(func() { close(c.quit) })
	<-c.stopped
	return c.conn.Close()
}

// submit hands r to the writer and waits for its answer. It waits even when
// ctx ends meanwhile: once the writer has started r, only the commit decides
// whether its work happened.
//
// A request the writer does not take within the busy timeout fails, as a
// transaction waiting that long for SQLite's write lock would: the writer is
// held up by a leased transaction, or by a function that waits for another
// write (which would otherwise wait forever).
func (c *committer) submit(r *writeRequest) writeResult {
	if err := c.enqueue(r); err != nil {
		return writeResult{err: err}
	}
	return <-r.done
}

// enqueue hands r to the writer, waiting at most the busy timeout.
func (c *committer) enqueue(r *writeRequest) error {
	busy := time.NewTimer(sqliteBusyTimeout)
	defer busy.Stop()
	select {
	case c.reqs <- r:
		return nil
	case <-c.stopped:
		return errClosed
	case <-r.ctx.Done():
		return fmt.Errorf("store: begin transaction: %w", r.ctx.Err())
	case <-busy.C:
		return fmt.Errorf("store: begin transaction: the writer was busy for %v", sqliteBusyTimeout)
	}
}

// run collects the requests that are waiting into batches. Before it stops,
// it runs what later handed over.
func (c *committer) run() {
	defer close(c.stopped)
	batch := make([]*writeRequest, 0, maxBatch)
	for {
		select {
		case r := <-c.reqs:
			batch = append(batch[:0], r)
		case <-c.wake:
			batch = batch[:0]
		case <-c.quit:
			c.runBatch(nil)
			return
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		c.runBatch(batch)
	}
}

// deferredWrite is a write handed over by later, and what to call once its
// batch has ended.
type deferredWrite struct {
	fn    func(ctx context.Context) error
	ended func()
}

// later hands fn to the writer to run in its next batch, and returns without
// waiting for it to run or for its commit; ended, if not nil, is called once
// that batch has committed or failed. It is for writes that only tidy up,
// such as deleting a row that nothing can use any more, whose caller need
// not wait for an fsync: a failure is logged, and a host that stops before
// the commit leaves the row to expire. Any write submitted after later
// returns commits together with fn or after it. When too many are waiting,
// later runs fn as a transaction of its own and waits for it.
func (c *committer) later(ctx context.Context, fn func(ctx context.Context) error, ended func()) error {
	c.mu.Lock()
	if len(c.pending) >= maxLater {
		c.mu.Unlock()
		if ended != nil {
			defer ended()
		}
		return c.inTx(ctx, fn)
	}
	c.pending = append(c.pending, deferredWrite{fn: fn, ended: ended})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the writer is woken already
	}
	return nil
}

// takeLater returns the writes later handed over and forgets them.
func (c *committer) takeLater() []deferredWrite {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.pending
	c.pending = nil
	return ws
}

// runLater runs the writes later handed over, each in a savepoint of its
// own, at the start of the batch's transaction. The returned error is a
// failure of the savepoint statements, not of a write.
func (c *committer) runLater(tx *sql.Tx, ws []deferredWrite) error {
	for _, w := range ws {
		res, err := c.runOne(tx, &writeRequest{ctx: context.Background(), fn: w.fn}, true)
		if err != nil {
			return err
		}
		if res.err != nil || res.didPanic {
			c.s.logger.Warn("store: a deferred write failed", slog.Any("error", res.err), slog.Any("panic", res.panicked))
		}
	}
	return nil
}

// endLater tells the writes of a batch that has ended.
func endLater(ws []deferredWrite) {
	for _, w := range ws {
		if w.ended != nil {
			w.ended()
		}
	}
}

// runBatch runs what later handed over and the batch's functions in one
// transaction and commits it.
func (c *committer) runBatch(batch []*writeRequest) {
	fns := c.takeLater()
	if len(batch) == 0 && len(fns) == 0 {
		return
	}
	defer endLater(fns)
	results := make([]writeResult, len(batch))
	bg := context.Background()
	tx, err := c.conn.BeginTx(bg, nil)
	if err != nil {
		c.abort(nil, batch, fns, fmt.Errorf("store: begin transaction: %w", unavailable(err)))
		return
	}
	if err := c.runLater(tx, fns); err != nil {
		c.abort(tx, batch, fns, fmt.Errorf("store: group commit: %w", unavailable(err)))
		return
	}
	savepoints := len(batch) > 1 || len(fns) > 0
	failed := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = fmt.Errorf("store: begin transaction: %w", err)
			failed++
			continue
		}
		res, err := c.runOne(tx, r, savepoints)
		if err != nil {
			// The savepoint itself failed: nothing of this batch is sure.
			c.abort(tx, batch, fns, fmt.Errorf("store: group commit: %w", unavailable(err)))
			return
		}
		if errors.Is(res.err, errAbandoned) {
			c.abort(tx, batch, fns, fmt.Errorf("store: group commit: %w", errAbandoned))
			return
		}
		results[i] = res
		if res.err != nil || res.didPanic {
			failed++
		}
	}
	if !savepoints && failed == len(batch) {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		c.laterLost(len(fns), err)
		err = fmt.Errorf("store: commit transaction: %w", unavailable(err))
		for i := range results {
			if results[i].err == nil && !results[i].didPanic {
				results[i].err = err
			}
		}
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// runOne runs one request's function inside the batch's transaction, in a
// savepoint of its own when it shares the transaction. The returned error is
// a failure of the savepoint statements, not of the function.
func (c *committer) runOne(tx *sql.Tx, r *writeRequest, savepoint bool) (writeResult, error) {
	bg := context.Background()
	if savepoint {
		if _, err := tx.ExecContext(bg, "SAVEPOINT batch_member"); err != nil {
			return writeResult{}, err
		}
	}
	// The function runs without the caller's cancellation: interrupting a
	// statement would roll back the whole batch.
	res := callFn(c.s.withTx(context.WithoutCancel(r.ctx), tx), r.fn)
	if !savepoint {
		return res, nil
	}
	if res.err != nil || res.didPanic {
		if _, err := tx.ExecContext(bg, "ROLLBACK TO batch_member"); err != nil {
			return writeResult{}, err
		}
	}
	if _, err := tx.ExecContext(bg, "RELEASE batch_member"); err != nil {
		return writeResult{}, err
	}
	return res, nil
}

// callFn calls fn, turning a panic into a result for the caller to re-raise.
func callFn(ctx context.Context, fn func(ctx context.Context) error) (res writeResult) {
	defer func() {
		if p := recover(); p != nil {
			res = writeResult{panicked: p, didPanic: true}
		}
	}()
	return writeResult{err: fn(ctx)}
}

// abort rolls back a batch that cannot commit (tx is nil when it never
// began) and answers every caller with err.
func (c *committer) abort(tx *sql.Tx, batch []*writeRequest, fns []deferredWrite, err error) {
	if tx != nil {
		_ = tx.Rollback()
	}
	c.laterLost(len(fns), err)
	for _, r := range batch {
		r.done <- writeResult{err: err}
	}
}

// laterLost logs that n deferred writes were not committed.
func (c *committer) laterLost(n int, err error) {
	if n > 0 {
		c.s.logger.Warn("store: deferred writes were not committed", slog.Int("writes", n), slog.Any("error", err))
	}
}

// inTx runs fn through the writer (see InTx).
func (c *committer) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	res := c.submit(&writeRequest{ctx: ctx, fn: fn, done: make(chan writeResult, 1)})
	if res.didPanic {
		panic(res.panicked)
	}
	return res.err
}
