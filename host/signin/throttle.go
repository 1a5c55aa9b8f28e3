package signin

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/factorgate/factorgate/host/internal/httpx"
)

// ThrottleOptions bound how fast password attempts are taken, before any
// password is hashed: a sign-in over a limit is refused at once (429 with
// Retry-After) rather than queued behind bcrypt. The limits are per host; the
// stored lockout counters are what holds across hosts.
type ThrottleOptions struct {
	// PerAddress: attempts a client address may make in a burst, and how
	// many more it earns per minute (default 10, then 30 a minute).
	PerAddressBurst  int
	PerAddressMinute float64
	// PerName: attempts at one user name from anywhere, in a burst and per
	// minute (default 20, then 20 a minute), so a botnet spread over many
	// addresses still cannot hash one victim's password without bound.
	PerNameBurst  int
	PerNameMinute float64
	// ConcurrentHashes caps the password hashes computed at once (default
	// 4); a sign-in that finds them all busy is refused.
	ConcurrentHashes int
	// Tracked is how many addresses and names are remembered (default
	// 100000 each); the least recently seen are forgotten first.
	Tracked int
}

func (o ThrottleOptions) withDefaults() ThrottleOptions {
	setInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setRate := func(p *float64, v float64) {
		if *p <= 0 {
			*p = v
		}
	}
	setInt(&o.PerAddressBurst, 10)
	setRate(&o.PerAddressMinute, 30)
	setInt(&o.PerNameBurst, 20)
	setRate(&o.PerNameMinute, 20)
	setInt(&o.ConcurrentHashes, 4)
	setInt(&o.Tracked, 100_000)
	return o
}

// throttle keeps the per-address and per-name rate limiters and the
// password-hash semaphore of one host.
type throttle struct {
	opts    ThrottleOptions
	mu      sync.Mutex // makes checking and spending several budgets one step
	byAddr  *lru.Cache[string, *rate.Limiter]
	byName  *lru.Cache[string, *rate.Limiter]
	hashing chan struct{}
}

func newThrottle(o ThrottleOptions) (*throttle, error) {
	o = o.withDefaults()
	byAddr, err := lru.New[string, *rate.Limiter](o.Tracked)
	if err != nil {
		return nil, err
	}
	byName, err := lru.New[string, *rate.Limiter](o.Tracked)
	if err != nil {
		return nil, err
	}
	return &throttle{opts: o, byAddr: byAddr, byName: byName, hashing: make(chan struct{}, o.ConcurrentHashes)}, nil
}

// admit takes one attempt from the address's and the name's budgets at now.
// It returns how long to wait when either is spent; an attempt refused by
// one budget takes nothing from the other.
func (t *throttle) admit(addr, name string, now time.Time) (time.Duration, bool) {
	a := t.limiter(t.byAddr, "a:"+addr, t.opts.PerAddressBurst, t.opts.PerAddressMinute)
	n := t.limiter(t.byName, "n:"+name, t.opts.PerNameBurst, t.opts.PerNameMinute)
	return t.take(now, a, n)
}

// admitAddress takes one attempt from the address's budget alone, for a
// sign-in that names no user (a passkey's).
func (t *throttle) admitAddress(addr string, now time.Time) (time.Duration, bool) {
	return t.take(now, t.limiter(t.byAddr, "a:"+addr, t.opts.PerAddressBurst, t.opts.PerAddressMinute))
}

// take spends one token from every limiter, or from none when any is short.
// It checks before it spends, under one lock, rather than reserving and
// cancelling: cancelled reservations that overlap restore less than they
// took, so a burst of refused attempts would leave a budget in debt and hold
// a legitimate user back long after the burst.
func (t *throttle) take(now time.Time, limiters ...*rate.Limiter) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, l := range limiters {
		if short := 1 - l.TokensAt(now); short > 0 {
			wait = max(wait, time.Duration(short/float64(l.Limit())*float64(time.Second)))
		}
	}
	if wait > 0 {
		return time.Duration(httpx.RetryAfterSeconds(wait)) * time.Second, false
	}
	for _, l := range limiters {
		l.AllowN(now, 1)
	}
	return 0, true
}

func (t *throttle) limiter(c *lru.Cache[string, *rate.Limiter], key string, burst int, perMinute float64) *rate.Limiter {
	if l, ok := c.Get(key); ok {
		return l
	}
	l := rate.NewLimiter(rate.Limit(perMinute/60), burst)
	if prev, ok, _ := c.PeekOrAdd(key, l); ok {
		return prev
	}
	return l
}

// acquireHash takes a password-hash slot if one is free at once.
func (t *throttle) acquireHash() (release func(), ok bool) {
	select {
	case t.hashing <- struct{}{}:
		return func() { <-t.hashing }, true
	default:
		return nil, false
	}
}

// hashBusyRetry is the Retry-After of a sign-in refused because every hash
// slot was busy: a second is long enough for a bcrypt hash to finish.
const hashBusyRetry = time.Second
