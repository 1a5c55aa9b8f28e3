package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable reports that the database could not be reached: the
// connection broke or could not be made. Nothing was changed that the caller
// was told about, and the call may succeed when retried later.
var ErrUnavailable = errors.New("temporarily unavailable")

// unavailable wraps err with ErrUnavailable when it says the database could
// not be reached, so that every door answers 503 rather than 500. Errors of
// the query itself (a constraint, a conflict) are returned as they are.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: database: %w", ErrUnavailable, err)
	}
	return err
}

// row is a *sql.Row whose Scan reports an unreachable database as
// ErrUnavailable.
type row struct{ *sql.Row }

func (r row) Scan(dest ...any) error { return unavailable(r.Row.Scan(dest...)) }
