package plugins

import (
	"os"
	"os/signal"
	"syscall"
)

// StopOnSignals closes m when the process receives SIGINT or SIGTERM, then
// lets the signal take its usual course (the process exits). The returned
// function stops listening. Together with Close deferred in main and the
// kernel's parent-death signal, no plugin process outlives its host.
func StopOnSignals(m *Manager) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			m.Close()
			signal.Stop(ch)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Signal(sig)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
