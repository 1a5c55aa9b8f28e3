// Command bench-floor serves the floor of `make bench-e2e`: HTTP, the same
// TOTP check as the host and one durable write per verification, on SQLite
// or PostgreSQL, with nothing else.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/factorgate/factorgate/host/internal/benche2e"
)

func main() {
	db := flag.String("db", "", "database: a SQLite file path or a postgres:// URL")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	if err := run(*db, *listen); err != nil {
		slog.Error("bench-floor", "error", err)
		os.Exit(1)
	}
}

func run(db, listen string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f, err := benche2e.OpenFloor(ctx, db)
	if err != nil {
		return err
	}
	defer f.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: f}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Printf("listening on http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
