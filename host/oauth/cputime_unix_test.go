//go:build unix

package oauth_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the process has used:
// client and host run in one process, so its growth over a benchmark is
// what the work cost, however busy the rest of the machine is.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
