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
	// the rounds; OwnCPU the part of the server process itself.
	CPU, OwnCPU time.Duration
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

// PluginRSSTarget is the most memory a built-in plugin process may keep
// resident under load: 20 MB (decimal, the stricter reading), in MiB as
// RSS reports it.
const PluginRSSTarget = 20e6 / (1 << 20)

// PluginRSSCheck says how a plugin's peak RSS (MiB) compares with
// PluginRSSTarget, for the summary.
func PluginRSSCheck(peak float64) string {
	verdict := "ok"
	if peak > PluginRSSTarget {
		verdict = "OVER"
	}
	return fmt.Sprintf("peak %.1f MiB of %.1f MiB (20 MB): %s", peak, PluginRSSTarget, verdict)
}
