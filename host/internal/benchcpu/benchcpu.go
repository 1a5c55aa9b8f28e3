// Package benchcpu measures the processor time of a benchmark's timed part:
// of the benchmark's own process and of other processes it names (plugins).
// CPU per operation is the cost of one operation, which the machine's load
// changes far less than the time per operation.
package benchcpu

import (
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/benche2e"
)

// Clock measures from Start to Report.
type Clock struct {
	b            *testing.B
	pids         []int
	self, others time.Duration
	selfOK       bool
}

// Start resets b's timer and starts measuring this process and the
// processes pids.
func Start(b *testing.B, pids ...int) Clock {
	b.ResetTimer()
	c := Clock{b: b, pids: pids}
	c.self, c.selfOK = processCPU()
	c.others = c.othersCPU()
	return c
}

// Report stops b's timer and reports the CPU time per operation of this
// process as selfMetric and, when Start named processes, theirs as
// plugin-cpu-ns/op.
func (c Clock) Report(selfMetric string) {
	c.b.StopTimer()
	if c.b.N == 0 {
		return
	}
	if self, ok := processCPU(); c.selfOK && ok {
		c.b.ReportMetric(float64(self-c.self)/float64(c.b.N), selfMetric)
	}
	if len(c.pids) > 0 {
		c.b.ReportMetric(float64(c.othersCPU()-c.others)/float64(c.b.N), "plugin-cpu-ns/op")
	}
}

func (c Clock) othersCPU() time.Duration {
	var total time.Duration
	for _, pid := range c.pids {
		total += benche2e.CPU(pid)
	}
	return total
}
