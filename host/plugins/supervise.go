package plugins

import (
	"slices"
	"time"
)

// keep runs one slot of the pool for the pool's life: launch a process,
// watch it, and replace it as soon as it dies. go-plugin never restarts a
// plugin, so this loop is what does. first receives the result of the slot's
// first launch attempt.
//
// Replacements start at once. Only a slot whose replacements keep dying on
// start (failing to launch, or exiting within StableAfter) backs off,
// doubling from BackoffBase up to BackoffMax, so a broken plugin does not
// spin while a plugin that is merely killed now and then is back at once.
//
// The slot counts in p.pending (callers may wait for it) only while it
// starts its first process or replaces one that ran stably: a slot whose
// starts fail is not worth waiting for, and its callers get a prompt 503.
func (p *pool) keep(slot int, first chan<- error) {
	defer p.wg.Done()
	failures := 0 // consecutive start failures of this slot
	expected := true
	for attempt := 0; ; attempt++ {
		if failures > 1 && !p.backOff(slot, failures) {
			return
		}
		m, err := p.launchSlot(slot, attempt > 0)
		if attempt == 0 && err != nil {
			first <- err
		}
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			failures++
			if expected {
				p.addPending(-1)
				expected = false
			}
			p.logger.Warn("plugin process failed to start", "slot", slot, "failures", failures, "error", err)
			continue
		}
		ready := first
		if attempt > 0 {
			ready = nil
		}
		cause, stable := p.serve(m, expected, ready)
		m.kill()
		if cause == nil || p.isClosed() {
			return
		}
		if failures, expected = 0, stable; !stable {
			failures = 1
		}
		p.logger.Warn("plugin process died; replacing it", "slot", slot, "pid", m.pid,
			"uptime", time.Since(m.started).Round(time.Millisecond), "error", cause)
	}
}

// backOff waits before the next launch of a slot whose replacements keep
// dying on start. It returns false when the pool stopped meanwhile.
func (p *pool) backOff(slot, failures int) bool {
	delay := p.opts.BackoffBase << min(failures-2, 16)
	if delay <= 0 || delay > p.opts.BackoffMax {
		delay = p.opts.BackoffMax
	}
	p.mu.Lock()
	p.nextAttempt[slot] = time.Now().Add(delay)
	p.mu.Unlock()
	p.logger.Error("plugin keeps failing to start; backing off", "slot", slot, "failures", failures, "retry_in", delay, "error", p.lastError())
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-p.ctx.Done():
		return false
	case <-t.C:
	}
	p.mu.Lock()
	delete(p.nextAttempt, slot)
	p.mu.Unlock()
	return true
}

// launchSlot launches a process for slot.
func (p *pool) launchSlot(slot int, replacement bool) (*member, error) {
	if replacement {
		p.mu.Lock()
		p.restarts++
		p.mu.Unlock()
		p.opts.Observer.PluginRestart(p.bin.Name)
	}
	m, err := p.launch(p.ctx, slot)
	if err != nil {
		p.mu.Lock()
		p.lastErr = err
		p.broadcastLocked()
		p.mu.Unlock()
	}
	return m, err
}

func (p *pool) addPending(n int) {
	p.mu.Lock()
	p.pending += n
	p.broadcastLocked()
	p.mu.Unlock()
}

// serve puts m into service, watches it and takes it out of service again.
// It returns why m failed (nil when the pool stopped) and whether m ran
// long enough to count as stable; a stable process's replacement is pending
// from the moment m leaves service. expected says the slot counted in
// p.pending until now. A non-nil ready hears once m takes calls.
func (p *pool) serve(m *member, expected bool, ready chan<- error) (cause error, stable bool) {
	p.mu.Lock()
	p.live = append(p.live, m)
	if expected {
		p.pending--
	}
	p.everLive = true
	p.broadcastLocked()
	p.mu.Unlock()
	p.logger.Info("plugin process started", "slot", m.slot, "pid", m.pid)
	if ready != nil {
		ready <- nil
	}

	cause = p.watch(m)

	p.mu.Lock()
	defer p.mu.Unlock()
	p.live = slices.DeleteFunc(p.live, func(lm *member) bool { return lm == m })
	stable = time.Since(m.started) >= p.opts.StableAfter
	if cause != nil {
		p.lastErr = cause
		if stable {
			p.pending++
		}
	}
	p.broadcastLocked()
	return cause, stable
}

// watch waits until m's process fails: a caller reports a confirmed
// transport failure, the process exits, or its periodic health check fails.
// It returns nil when the pool stops.
func (p *pool) watch(m *member) error {
	exitTick := time.NewTicker(p.opts.WatchInterval)
	defer exitTick.Stop()
	healthTick := time.NewTicker(p.opts.HealthInterval)
	defer healthTick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return nil
		case cause := <-m.failed:
			return cause
		case <-exitTick.C:
			if m.client.Exited() {
				return errExited
			}
		case <-healthTick.C:
			if err := m.check(p.ctx, p.opts.HealthTimeout); err != nil && p.ctx.Err() == nil {
				return err
			}
		}
	}
}

// broadcastLocked wakes callers waiting for the set of live processes to
// change. p.mu must be held.
func (p *pool) broadcastLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pool) lastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}
