package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrSendRefused reports that a send reservation was refused: the slot is
// held or a budget is spent. The error is a *SendRefusedError, which says
// when the reservation would succeed.
var ErrSendRefused = errors.New("send refused")

// SendRefusedError is a refused send reservation.
type SendRefusedError struct {
	// Key is the slot or budget that refused (the one that frees last).
	Key string
	// RetryAt is the earliest time the same reservation would succeed.
	RetryAt time.Time
}

func (e *SendRefusedError) Error() string {
	return fmt.Sprintf("store: send refused by %q until %s", e.Key, e.RetryAt.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrSendRefused) hold.
func (e *SendRefusedError) Unwrap() error { return ErrSendRefused }

// SendBudget is a counter every send takes one unit from: at most Limit
// sends in a window of Window that starts with the first send after the
// previous window ended.
type SendBudget struct {
	Key    string
	Window time.Duration
	Limit  int
}

// SendReservation asks for the right to send once: the slot Slot must be
// free at Now and is then held until Until, and every budget must have a
// unit left.
type SendReservation struct {
	Slot    string
	Until   time.Time
	Budgets []SendBudget
	Now     time.Time
}

// sendRow is a send_limits row as read under its lock.
type sendRow struct {
	windowStart int64
	used        int
	heldUntil   *int64
}

// ReserveSend takes the send slot and one unit of every budget of r in one
// transaction, or takes nothing and returns a *SendRefusedError. Every row
// is created when missing and locked (SELECT ... FOR UPDATE on PostgreSQL,
// the database write lock on SQLite) in key order before it is read, so
// concurrent reservations from any number of hosts apply one after another:
// of N racing for one slot, exactly one wins.
func (s *SQLStore) ReserveSend(ctx context.Context, r SendReservation) error {
	if r.Slot == "" || r.Now.IsZero() || !r.Until.After(r.Now) {
		return errors.New("store: reserve send: a slot, a time and a later hold are required")
	}
	keys := []string{r.Slot}
	for _, b := range r.Budgets {
		if b.Key == "" || b.Key == r.Slot || b.Window <= 0 || b.Limit <= 0 {
			return fmt.Errorf("store: reserve send: invalid budget %q", b.Key)
		}
		keys = append(keys, b.Key)
	}
	slices.Sort(keys)
	if len(slices.Compact(keys)) != len(r.Budgets)+1 {
		return errors.New("store: reserve send: a key is given twice")
	}
	now := toMicros(r.Now)
	var refused *SendRefusedError
	err := s.InTx(ctx, func(ctx context.Context) error {
		rows := make(map[string]sendRow, len(keys))
		for _, k := range keys {
			row, err := s.lockSendRow(ctx, k, now)
			if err != nil {
				return err
			}
			rows[k] = row
		}
		refused = refusal(r, rows, now)
		if refused != nil {
			return nil
		}
		return s.takeSend(ctx, r, rows, now)
	})
	if err != nil {
		return wrapErr("reserve send", err)
	}
	if refused != nil {
		return refused
	}
	return nil
}

// lockSendRow creates the row named key when missing and reads it locked.
func (s *SQLStore) lockSendRow(ctx context.Context, key string, now int64) (sendRow, error) {
	if _, err := s.exec(ctx, `INSERT INTO send_limits (limit_key, window_start, used, held_until)
		VALUES (?, ?, 0, NULL) ON CONFLICT (limit_key) DO NOTHING`, key, now); err != nil {
		return sendRow{}, err
	}
	var row sendRow
	err := s.queryRow(ctx, `SELECT window_start, used, held_until FROM send_limits WHERE limit_key = ?`+s.dialect.forUpdate(), key).
		Scan(&row.windowStart, &row.used, &row.heldUntil)
	return row, err
}

// refusal says why r cannot be taken from rows, naming the key that frees
// last; nil when it can.
func refusal(r SendReservation, rows map[string]sendRow, now int64) *SendRefusedError {
	var out *SendRefusedError
	block := func(key string, until int64) {
		if out == nil || until > toMicros(out.RetryAt) {
			out = &SendRefusedError{Key: key, RetryAt: fromMicros(until)}
		}
	}
	if h := rows[r.Slot].heldUntil; h != nil && *h > now {
		block(r.Slot, *h)
	}
	for _, b := range r.Budgets {
		row := rows[b.Key]
		end := row.windowStart + b.Window.Microseconds()
		if end > now && row.used >= b.Limit {
			block(b.Key, end)
		}
	}
	return out
}

// takeSend holds the slot and takes one unit of every budget.
func (s *SQLStore) takeSend(ctx context.Context, r SendReservation, rows map[string]sendRow, now int64) error {
	if _, err := s.exec(ctx, `UPDATE send_limits SET held_until = ? WHERE limit_key = ?`, toMicros(r.Until), r.Slot); err != nil {
		return err
	}
	for _, b := range r.Budgets {
		row := rows[b.Key]
		if row.windowStart+b.Window.Microseconds() <= now {
			row.windowStart, row.used = now, 0
		}
		if _, err := s.exec(ctx, `UPDATE send_limits SET window_start = ?, used = ? WHERE limit_key = ?`,
			row.windowStart, row.used+1, b.Key); err != nil {
			return err
		}
	}
	return nil
}

// RefundSend gives back what ReserveSend took for r when nothing was sent
// (the factor failed or refused): the slot is freed if r still holds it,
// and each budget gets its unit back.
func (s *SQLStore) RefundSend(ctx context.Context, r SendReservation) error {
	err := s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.exec(ctx, `UPDATE send_limits SET held_until = NULL WHERE limit_key = ? AND held_until = ?`,
			r.Slot, toMicros(r.Until)); err != nil {
			return err
		}
		for _, b := range r.Budgets {
			if _, err := s.exec(ctx, `UPDATE send_limits SET used = used - 1 WHERE limit_key = ? AND used > 0`, b.Key); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapErr("refund send", err)
}

// FreeSendSlot frees the send slot named slot at once: the code it sent was
// used, so a new one may go out. The budgets keep what they counted.
func (s *SQLStore) FreeSendSlot(ctx context.Context, slot string) error {
	_, err := s.exec(ctx, `UPDATE send_limits SET held_until = NULL WHERE limit_key = ?`, slot)
	return wrapErr("free send slot", err)
}

// DeleteStaleSendLimits deletes the send limit rows that hold nothing at
// before: a window that started earlier and no slot held past it. Callers
// pass the current time less the longest budget window; a deleted row counts
// as an empty one, so nothing is lost.
func (s *SQLStore) DeleteStaleSendLimits(ctx context.Context, before time.Time) (int64, error) {
	b := toMicros(before)
	res, err := s.exec(ctx, `DELETE FROM send_limits WHERE window_start < ? AND (held_until IS NULL OR held_until < ?)`, b, b)
	if err != nil {
		return 0, wrapErr("delete stale send limits", err)
	}
	n, err := res.RowsAffected()
	return n, wrapErr("delete stale send limits", err)
}
