package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/factorgate/factorgate/host/internal/benche2e"
)

// servers are the host and the floor of one backend, started.
type servers struct {
	host, floor         *benche2e.Process
	hostLoad, floorLoad *benche2e.Loader
	hostT, floorT       benche2e.Target
	admin, backend      string // the host's admin listener (profiling on) and the backend's name
	databasePID         int    // a local PostgreSQL server's postmaster, or 0
}

func runBackend(ctx context.Context, c config, dsn string) error {
	dir, err := os.MkdirTemp("", "factorgate-bench-e2e-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	dbs, err := benche2e.NewDatabases(ctx, dir, dsn)
	if err != nil {
		return err
	}
	defer dbs.Close()
	s, stop, err := start(ctx, c, dir, dbs)
	if err != nil {
		return err
	}
	defer stop()
	perRound := requestsPerRound(c)
	fmt.Printf("\n== %s: %d verifications per round at %d clients, %d at 1 client\n", dbs.Backend, perRound, c.clients, perRound/10)
	s.hostLoad.Run(ctx, s.hostT, c.clients, 200) // warm up both
	s.floorLoad.Run(ctx, s.floorT, c.clients, 200)
	many := rounds(ctx, c, s, c.clients, perRound)
	one := rounds(ctx, c, s, 1, perRound/10)
	for _, series := range append(many, one...) {
		series.Print(os.Stdout)
	}
	report(dbs.Backend, s, many, one)
	return nil
}

// start creates and seeds the databases and starts both servers.
func start(ctx context.Context, c config, dir string, dbs benche2e.Databases) (*servers, func(), error) {
	accounts, err := benche2e.NewAccounts(c.users)
	if err != nil {
		return nil, nil, err
	}
	h, err := benche2e.NewHost(c.host, c.plugin, dir, dbs.Host)
	if err != nil {
		return nil, nil, err
	}
	admin := ""
	if c.pprof != "" {
		if admin, err = benche2e.FreeAddr(); err != nil {
			return nil, nil, err
		}
		h.Env = append(h.Env, "FACTORGATE_ADMIN_LISTEN="+admin)
	}
	t0 := time.Now()
	if err := h.Seed(ctx, dbs.Host, accounts); err != nil {
		return nil, nil, err
	}
	f, err := benche2e.OpenFloor(ctx, dbs.Floor)
	if err != nil {
		return nil, nil, err
	}
	err = f.Seed(ctx, accounts)
	_ = f.Close()
	if err != nil {
		return nil, nil, err
	}
	fmt.Printf("seeded %d users into host and floor databases in %s\n", len(accounts), seconds(time.Since(t0)))
	token, err := h.AdminToken()
	if err != nil {
		return nil, nil, err
	}
	var hostLogs, floorLogs bytes.Buffer
	hostProc, err := h.Start(&hostLogs)
	if err != nil {
		return nil, nil, fmt.Errorf("%w\n%s", err, hostLogs.String())
	}
	floorProc, err := benche2e.Start(c.floor, []string{"-db", dbs.Floor}, os.Environ(), &floorLogs)
	if err != nil {
		hostProc.Stop()
		return nil, nil, fmt.Errorf("%w\n%s", err, floorLogs.String())
	}
	s := &servers{host: hostProc, floor: floorProc, admin: admin, backend: dbs.Backend, databasePID: dbs.ServerPID,
		hostLoad: benche2e.NewLoader(accounts, c.clients), floorLoad: benche2e.NewLoader(accounts, c.clients),
		hostT:  benche2e.Target{Name: "host", Base: hostProc.Base, Token: token},
		floorT: benche2e.Target{Name: "floor", Base: floorProc.Base}}
	return s, func() { hostProc.Stop(); floorProc.Stop() }, nil
}

// rounds runs the host and the floor in turn, rounds times each.
func rounds(ctx context.Context, c config, s *servers, clients, requests int) []benche2e.Series {
	host := benche2e.Series{Name: "host", Clients: clients}
	floor := benche2e.Series{Name: "floor", Clients: clients}
	for i := range c.rounds {
		profiled := profile(ctx, c, s, clients == c.clients, i)
		s.measure(&host, s.host, func() benche2e.Result { return s.hostLoad.Run(ctx, s.hostT, clients, requests) })
		profiled()
		s.measure(&floor, s.floor, func() benche2e.Result { return s.floorLoad.Run(ctx, s.floorT, clients, requests) })
	}
	return []benche2e.Series{host, floor}
}

// measure runs one round against server and adds it to series, with the
// processor time it cost the server (with its plugins), the server process
// alone, a local database server and the load generator (this process).
func (s *servers) measure(series *benche2e.Series, server *benche2e.Process, round func() benche2e.Result) {
	pid := server.Cmd.Process.Pid
	type usage struct{ tree, own, database, load time.Duration }
	now := func() usage {
		return usage{benche2e.TreeCPU(pid), benche2e.CPU(pid), s.databaseCPU(), benche2e.CPU(os.Getpid())}
	}
	before := now()
	series.Rounds = append(series.Rounds, round())
	after := now()
	series.CPU += after.tree - before.tree
	series.OwnCPU += after.own - before.own
	series.DatabaseCPU += after.database - before.database
	series.LoadCPU += after.load - before.load
}

// databaseCPU is the processor time of a local PostgreSQL server so far, or
// 0 when there is none to read.
func (s *servers) databaseCPU() time.Duration {
	if s.databasePID == 0 {
		return 0
	}
	return benche2e.ServerCPU(s.databasePID)
}

// profile starts a CPU profile of the host's round when asked for and on,
// and returns what waits for it and writes it. `go tool pprof` merges the
// profiles of the rounds when given them all.
func profile(ctx context.Context, c config, s *servers, on bool, round int) func() {
	if !on || s.admin == "" {
		return func() {}
	}
	path := filepath.Join(c.pprof, fmt.Sprintf("host-%s-%d.pprof", s.backend, round+1))
	done := make(chan error, 1)
	go func() { done <- benche2e.Profile(ctx, s.admin, 3*time.Second, path) }()
	return func() {
		if err := <-done; err != nil {
			fmt.Fprintf(os.Stderr, "profile: %v\n", err)
			return
		}
		fmt.Printf("profile of the host written to %s\n", path)
	}
}

// report prints the ratios and the memory of the host and its plugins, and
// checks them against the targets.
func report(backend string, s *servers, many, one []benche2e.Series) {
	host, floor := many[0], many[1]
	ratio := host.PerSecond() / floor.PerSecond()
	fmt.Printf("%s SUMMARY: host %.0f/s (p50 %.2f ms, p99 %.2f ms) vs floor %.0f/s (p50 %.2f ms, p99 %.2f ms) at %d clients: ratio %.2fx\n",
		backend, host.PerSecond(), host.P50(), host.P99(), floor.PerSecond(), floor.P50(), floor.P99(), host.Clients, ratio)
	fmt.Printf("%s SUMMARY: at 1 client host p50 %.2f ms p99 %.2f ms, floor p50 %.2f ms p99 %.2f ms\n",
		backend, one[0].P50(), one[0].P99(), one[1].P50(), one[1].P99())
	fmt.Printf("%s SUMMARY: cpu per verification: host+plugins %.3f ms (host %.3f ms), floor %.3f ms\n",
		backend, host.CPUPerVerification(), host.OwnCPUPerVerification(), floor.CPUPerVerification())
	fmt.Printf("%s SUMMARY: load generator cpu per verification: host %.3f ms, floor %.3f ms\n",
		backend, host.LoadCPUPerVerification(), floor.LoadCPUPerVerification())
	if s.databasePID != 0 {
		fmt.Printf("%s SUMMARY: database server cpu per verification: host %.3f ms, floor %.3f ms\n",
			backend, host.DatabaseCPUPerVerification(), floor.DatabaseCPUPerVerification())
	}
	printBudget(backend, host, floor)
	pid := s.host.Cmd.Process.Pid
	rss, hostPeak := benche2e.RSS(pid)
	fmt.Printf("%s SUMMARY: memory: host RSS %.1f MiB (peak %.1f)", backend, rss, hostPeak)
	plugins := benche2e.Children(pid)
	pluginPeaks := make([]float64, len(plugins))
	for i, c := range plugins {
		var rss float64
		rss, pluginPeaks[i] = benche2e.RSS(c)
		fmt.Printf(", plugin %d RSS %.1f MiB (peak %.1f)", c, rss, pluginPeaks[i])
	}
	rss, peak := benche2e.RSS(s.floor.Cmd.Process.Pid)
	fmt.Printf("; floor RSS %.1f MiB (peak %.1f)\n", rss, peak)

	clients := fmt.Sprintf(" at %d clients", host.Clients)
	checks := []check{
		{benche2e.Goal{What: "ratio to the floor" + clients, Unit: "x", Limit: minRatio(backend)}, ratio},
		{benche2e.Goal{What: "p99" + clients, Unit: " ms", Limit: 25, AtMost: true}, host.P99()},
		{benche2e.Goal{What: "cpu per verification", Unit: " ms", Limit: 0.8, AtMost: true}, host.CPUPerVerification()},
		{benche2e.Goal{What: "host peak RSS", Unit: " MiB", Limit: benche2e.MiB(60), AtMost: true, Note: " (60 MB)"}, hostPeak},
	}
	if backend == "sqlite" {
		checks = append(checks, check{benche2e.Goal{What: "p50 at 1 client", Unit: " ms", Limit: 1.5, AtMost: true}, one[0].P50()})
	}
	for i, c := range plugins {
		what := fmt.Sprintf("plugin %d peak RSS", c)
		checks = append(checks, check{benche2e.Goal{What: what, Unit: " MiB", Limit: benche2e.MiB(20), AtMost: true, Note: " (20 MB)"}, pluginPeaks[i]})
	}
	for _, c := range checks {
		fmt.Printf("%s TARGET: %s\n", backend, c.goal.Check(c.figure))
	}
}

// printBudget compares the processor time a verification may cost at the
// target ratio, when the machine's processors do nothing else, with what the
// host's rounds spent: the host and its plugins, the load generator and a
// local database server.
func printBudget(backend string, host, floor benche2e.Series) {
	goal := minRatio(backend) * floor.PerSecond()
	if goal == 0 {
		return
	}
	budget := float64(runtime.NumCPU()) * 1000 / goal
	spent := host.CPUPerVerification() + host.LoadCPUPerVerification() + host.DatabaseCPUPerVerification()
	fmt.Printf("%s SUMMARY: at %.2fx of the floor (%.0f/s) %d processors allow %.3f ms of cpu per verification in all; the host's rounds spent %.3f ms\n",
		backend, minRatio(backend), goal, runtime.NumCPU(), budget, spent)
}

// check is a figure of the summary and the goal it is held to.
type check struct {
	goal   benche2e.Goal
	figure float64
}

// minRatio is the share of its floor's verifications per second the host
// must reach on a backend: with group commit, SQLite's host can beat a floor
// that waits for one fsync per request; PostgreSQL's makes two round trips
// where its floor makes one.
func minRatio(backend string) float64 {
	if backend == "sqlite" {
		return 1.0
	}
	return 0.8
}
