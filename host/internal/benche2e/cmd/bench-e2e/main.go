// Command bench-e2e runs `make bench-e2e`: it seeds enrolled users into fresh
// databases, starts the host (with its TOTP plugin) and the floor program,
// and loads them in interleaved rounds with fresh valid codes, on SQLite and
// (when FACTORGATE_TEST_POSTGRES_DSN is set) on PostgreSQL. It prints
// verifications per second, p50 and p99 of each, the ratios host/floor, the
// processor time per verification and the memory of the host and its plugin
// processes.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/factorgate/factorgate/host/internal/benche2e"
)

type config struct {
	host, plugin, floor string
	users, clients      int
	rounds, requests    int
	postgres            string
	pprof               string // directory for CPU profiles of the host; empty: none
}

func main() {
	var c config
	flag.StringVar(&c.host, "host", "bin/factorgate", "the host binary")
	flag.StringVar(&c.plugin, "plugin", "bin/plugins/factorgate-factor-totp", "the TOTP plugin binary")
	flag.StringVar(&c.floor, "floor", "bin/bench-floor", "the floor binary")
	flag.IntVar(&c.users, "users", envInt("BENCH_USERS", 5000), "enrolled users (BENCH_USERS)")
	flag.IntVar(&c.clients, "clients", envInt("BENCH_CLIENTS", 16), "concurrent clients (BENCH_CLIENTS)")
	flag.IntVar(&c.rounds, "rounds", envInt("BENCH_ROUNDS", 3), "rounds per server and concurrency (BENCH_ROUNDS, at least 3)")
	flag.IntVar(&c.requests, "requests", envInt("BENCH_REQUESTS", 8000), "verifications per round at full concurrency (BENCH_REQUESTS)")
	flag.StringVar(&c.postgres, "postgres", os.Getenv("FACTORGATE_TEST_POSTGRES_DSN"), "PostgreSQL URL; empty skips PostgreSQL")
	flag.StringVar(&c.pprof, "pprof", os.Getenv("BENCH_PPROF"), "write CPU profiles of the host during its rounds at full concurrency to this directory (BENCH_PPROF)")
	flag.Parse()
	c.rounds = max(c.rounds, 3)
	if err := run(context.Background(), c); err != nil {
		slog.Error("bench-e2e", "error", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func run(ctx context.Context, c config) error {
	load, _ := exec.Command("uptime").Output()
	fmt.Printf("bench-e2e: %d users, %d clients, %d rounds; load: %s", c.users, c.clients, c.rounds, load)
	if err := runBackend(ctx, c, ""); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if c.postgres == "" {
		fmt.Println("postgres: skipped (FACTORGATE_TEST_POSTGRES_DSN is not set)")
		return nil
	}
	if err := runBackend(ctx, c, c.postgres); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	load, _ = exec.Command("uptime").Output()
	fmt.Printf("load at the end: %s", load)
	return nil
}

// requestsPerRound keeps a run within the fresh codes the users can give:
// five each at once (the window of 2*Skew+1 steps less a step of margin on
// either side), one more each per TOTP period.
func requestsPerRound(c config) int {
	capacity := c.users*(2*benche2e.Skew-1)*9/10 - 400
	perRound := capacity / (c.rounds * 11 / 10)
	return max(min(c.requests, perRound), 100)
}

// seconds formats a duration for the report.
func seconds(d time.Duration) string { return d.Round(time.Millisecond).String() }
