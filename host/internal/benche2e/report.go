package benche2e

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Series is the rounds of one server at one concurrency.
type Series struct {
	Name    string
	Clients int
	Rounds  []Result
	// CPU is the processor time the server (and its plugins) used over
	// the rounds; OwnCPU the part of the server process itself; DatabaseCPU
	// that of a database server on this machine (PostgreSQL) meanwhile, and
	// LoadCPU that of the load generator (this process).
	CPU, OwnCPU, DatabaseCPU, LoadCPU time.Duration
}

// median returns the median of f over the rounds.
func (s Series) median(f func(Result) float64) float64 {
	v := make([]float64, len(s.Rounds))
	for i, r := range s.Rounds {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// PerSecond, P50 and P99 are the medians over the rounds.
func (s Series) PerSecond() float64 { return s.median(Result.PerSecond) }
func (s Series) P50() float64       { return s.median(func(r Result) float64 { return ms(r.P50) }) }
func (s Series) P99() float64       { return s.median(func(r Result) float64 { return ms(r.P99) }) }

// CPUPerVerification is the server's processor time per successful
// verification, in milliseconds.
func (s Series) CPUPerVerification() float64 { return s.perVerification(s.CPU) }

// OwnCPUPerVerification is CPUPerVerification without the plugins.
func (s Series) OwnCPUPerVerification() float64 { return s.perVerification(s.OwnCPU) }

// DatabaseCPUPerVerification is the database server's processor time per
// successful verification, in milliseconds.
func (s Series) DatabaseCPUPerVerification() float64 { return s.perVerification(s.DatabaseCPU) }

// LoadCPUPerVerification is the load generator's processor time per
// successful verification, in milliseconds.
func (s Series) LoadCPUPerVerification() float64 { return s.perVerification(s.LoadCPU) }

func (s Series) perVerification(d time.Duration) float64 {
	ok := 0
	for _, r := range s.Rounds {
		ok += r.OK
	}
	if ok == 0 {
		return 0
	}
	return ms(d) / float64(ok)
}

// Print writes the rounds and the medians of a series.
func (s Series) Print(w io.Writer) {
	for i, r := range s.Rounds {
		fmt.Fprintf(w, "  %-22s clients %2d round %d: %s\n", s.Name, s.Clients, i+1, r)
	}
	fmt.Fprintf(w, "  %-22s clients %2d MEDIAN  : %8.0f verify/s  p50 %6.2f ms  p99 %6.2f ms  cpu %.3f ms/verify\n",
		s.Name, s.Clients, s.PerSecond(), s.P50(), s.P99(), s.CPUPerVerification())
}

// Goal is a target the benchmark checks a figure against.
type Goal struct {
	What   string  // what is measured, e.g. "p99 at 16 clients"
	Unit   string  // appended to the figures, e.g. " ms"
	Limit  float64 // the goal
	AtMost bool    // whether the figure must stay at or under Limit (else reach it)
	Note   string  // appended to the limit, e.g. " (20 MB)"
}

// Check states figure v against the goal t: what it is, the goal, and
// whether it is met.
func (t Goal) Check(v float64) string {
	relation, met := "at least", v >= t.Limit
	if t.AtMost {
		relation, met = "at most", v <= t.Limit
	}
	verdict := "met"
	if !met {
		verdict = "MISSED"
	}
	return fmt.Sprintf("%s %.2f%s, %s %.2f%s%s: %s", t.What, v, t.Unit, relation, t.Limit, t.Unit, t.Note, verdict)
}

// MiB converts decimal megabytes, the stricter reading of a memory goal,
// to the MiB that RSS is reported in.
func MiB(megabytes float64) float64 { return megabytes * 1e6 / (1 << 20) }
