package store

import (
	"sync"
	"time"
)

// keptCap bounds the entries of a kept map: far more OAuth clients, or API
// tokens in use within a second, than a deployment has.
const keptCap = 4096

// kept keeps values read from the database by key, each with when it was
// last checked against the database. A value is served without a query for
// recheck after that. A change made through the store drops it once the
// change commits (forget, called through SQLStore.afterCommit), so recheck
// bounds only how late a change made by another process (another host, the
// CLI) takes effect here. With recheck zero nothing kept
// is ever fresh (Open sets it). It is safe for concurrent use.
type kept[V any] struct {
	recheck time.Duration

	mu sync.RWMutex
	m  map[string]keptEntry[V]
	// gen counts forget calls, so that a value read before a change made
	// here is not kept after it.
	gen uint64
}

type keptEntry[V any] struct {
	v       V
	checked time.Time
}

// fresh returns the value kept for key if it was checked against the
// database less than recheck before now.
func (k *kept[V]) fresh(key string, now time.Time) (V, bool) {
	k.mu.RLock()
	e, ok := k.m[key]
	k.mu.RUnlock()
	if !ok || now.Sub(e.checked) >= k.recheck || now.Before(e.checked) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// renew returns the value kept for key if current says it is still the one
// in the database, read at now, and notes that it was checked then.
func (k *kept[V]) renew(key string, now time.Time, current func(V) bool) (V, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.m[key]
	if !ok || !current(e.v) {
		var zero V
		return zero, false
	}
	e.checked = now
	k.m[key] = e
	return e.v, true
}

// generation returns the count of forget calls, for put: a reader takes it
// before its query.
func (k *kept[V]) generation() uint64 {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.gen
}

// put keeps v, read from the database at now, unless something was
// forgotten since gen; when full it drops some other entry.
func (k *kept[V]) put(key string, v V, now time.Time, gen uint64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != gen {
		return
	}
	if k.m == nil {
		k.m = map[string]keptEntry[V]{}
	}
	if _, ok := k.m[key]; !ok && len(k.m) >= keptCap {
		for other := range k.m {
			delete(k.m, other)
			break
		}
	}
	k.m[key] = keptEntry[V]{v: v, checked: now}
}

// forget drops the value kept for key.
func (k *kept[V]) forget(key string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	k.gen++
}

// forgetWhere drops every value for which drop holds. It walks the whole
// map, which is fine for changes as rare as revoking a token.
func (k *kept[V]) forgetWhere(drop func(V) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, e := range k.m {
		if drop(e.v) {
			delete(k.m, key)
		}
	}
	k.gen++
}
