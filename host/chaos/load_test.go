package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// totpPeriod is the TOTP step of the default factor settings.
const totpPeriod = 30 * time.Second

// account is a user with an enrolled TOTP credential and the last code the
// host acknowledged for it.
type account struct {
	id     string
	secret string

	mu       sync.Mutex
	lastCode string
	lastStep int64
}

func step(t time.Time) int64 { return t.Unix() / int64(totpPeriod/time.Second) }

func code(t *testing.T, secret string, at time.Time) string {
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrollUsers creates n users through the native API, each with a confirmed
// TOTP credential.
func enrollUsers(t *testing.T, h *host, admin string, n int) []*account {
	t.Helper()
	accounts := make([]*account, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				accounts[i] = enrollOne(t, h, admin, fmt.Sprintf("chaos-%04d", i))
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return accounts
}

func enrollOne(t *testing.T, h *host, admin, name string) *account {
	ctx := context.Background()
	r := h.do(ctx, http.MethodPost, "/v1/users", admin, map[string]string{"name": name})
	var user struct{ ID string }
	if r.err != nil || r.status != http.StatusCreated && r.status != http.StatusOK || json.Unmarshal(r.body, &user) != nil {
		t.Errorf("create user %s: %d %v %s", name, r.status, r.err, r.body)
		return nil
	}
	base := "/v1/users/" + url.PathEscape(user.ID) + "/factors/totp/enrollments"
	r = h.do(ctx, http.MethodPost, base, admin, map[string]any{})
	var pending struct {
		ID      string
		Display struct{ Secret string }
	}
	if r.err != nil || r.status >= 300 || json.Unmarshal(r.body, &pending) != nil || pending.Display.Secret == "" {
		t.Errorf("begin enrollment of %s: %d %v %s", name, r.status, r.err, r.body)
		return nil
	}
	now := time.Now()
	c := code(t, pending.Display.Secret, now)
	r = h.do(ctx, http.MethodPost, base+"/"+url.PathEscape(pending.ID)+"/confirm", admin, map[string]string{"code": c})
	if r.err != nil || r.status >= 300 {
		t.Errorf("confirm enrollment of %s: %d %v %s", name, r.status, r.err, r.body)
		return nil
	}
	return &account{id: user.ID, secret: pending.Display.Secret, lastCode: c, lastStep: step(now)}
}

// verify sends the code of the next TOTP step (the factor accepts one step
// of skew), so a user verified every 40s never repeats a step.
func verify(t *testing.T, ctx context.Context, h *host, admin string, a *account) response {
	at := time.Now().Add(totpPeriod)
	c := code(t, a.secret, at)
	r := h.do(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(a.id)+"/factors/totp/verify", admin, map[string]string{"code": c})
	if r.err == nil && r.status == http.StatusOK {
		a.mu.Lock()
		if s := step(at); s > a.lastStep {
			a.lastCode, a.lastStep = c, s
		}
		a.mu.Unlock()
	}
	return r
}

// sample is one request of the load.
type sample struct {
	start time.Time
	response
}

// load sends verificationsPerSecond verifications, round robin over the
// accounts, until stop is closed, and returns every sample in start order.
func load(t *testing.T, h *host, admin string, accounts []*account, stop <-chan struct{}) []sample {
	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	tick := time.NewTicker(time.Second / verificationsPerSecond)
	defer tick.Stop()
	for next := 0; ; next++ {
		select {
		case <-stop:
			wg.Wait()
			sort.Slice(samples, func(i, j int) bool { return samples[i].start.Before(samples[j].start) })
			return samples
		case <-tick.C:
		}
		a := accounts[next%len(accounts)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			r := verify(t, context.Background(), h, admin, a)
			mu.Lock()
			samples = append(samples, sample{start: start, response: r})
			mu.Unlock()
		}()
	}
}

// tally counts the answers of a set of samples.
type tally struct {
	requests, ok, unavailableWithRetry, unavailableWithout, serverErrors, clientErrors, transport int
	maxLatency                                                                                    time.Duration
	statuses                                                                                      map[int]int
}

func count(samples []sample) tally {
	c := tally{statuses: map[int]int{}}
	for _, s := range samples {
		c.requests++
		c.maxLatency = max(c.maxLatency, s.latency)
		switch {
		case s.err != nil:
			c.transport++
		case s.status == http.StatusOK:
			c.ok++
		case s.status == http.StatusServiceUnavailable && s.retryAfter != "":
			c.unavailableWithRetry++
		case s.status == http.StatusServiceUnavailable:
			c.unavailableWithout++
		case s.status >= 500:
			c.serverErrors++
		default:
			c.clientErrors++
		}
		if s.err == nil {
			c.statuses[s.status]++
		}
	}
	return c
}

func (c tally) failures() int { return c.requests - c.ok }

func (c tally) rate() float64 {
	if c.requests == 0 {
		return 0
	}
	return 100 * float64(c.failures()) / float64(c.requests)
}

func (c tally) String() string {
	return fmt.Sprintf("requests %d, failures %d (%.3f%%): 503+Retry-After %d, 503 without %d, other 5xx %d, 4xx %d, transport %d; statuses %v; max latency %s",
		c.requests, c.failures(), c.rate(), c.unavailableWithRetry, c.unavailableWithout, c.serverErrors, c.clientErrors, c.transport, c.statuses, c.maxLatency.Round(time.Millisecond))
}

// between returns the samples started in [from, to).
func between(samples []sample, from, to time.Time) []sample {
	var out []sample
	for _, s := range samples {
		if !s.start.Before(from) && s.start.Before(to) {
			out = append(out, s)
		}
	}
	return out
}

// recoveredAt returns when the first request started at or after from
// succeeded, and whether one did.
func recoveredAt(samples []sample, from time.Time) (time.Time, bool) {
	for _, s := range samples {
		if !s.start.Before(from) && s.err == nil && s.status == http.StatusOK {
			return s.start, true
		}
	}
	return time.Time{}, false
}

// checkNothingLost waits until every account's next step is current, then
// checks each account: replaying its last acknowledged code is refused (the
// acknowledged verification was committed, once) and a fresh code verifies
// (the credential survived).
func checkNothingLost(t *testing.T, h *host, admin string, accounts []*account) (lost, applied int) {
	t.Helper()
	var latest int64
	for _, a := range accounts {
		latest = max(latest, a.lastStep)
	}
	if wait := time.Until(time.Unix((latest)*int64(totpPeriod/time.Second), 0)); wait > 0 {
		t.Logf("waiting %s for a TOTP step no account has used", wait.Round(time.Second))
		time.Sleep(wait)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, a := range accounts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx := context.Background()
			replay := h.do(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(a.id)+"/factors/totp/verify", admin, map[string]string{"code": a.lastCode})
			fresh := verify(t, ctx, h, admin, a)
			mu.Lock()
			defer mu.Unlock()
			if replay.err != nil || replay.status == http.StatusOK {
				applied++
				t.Errorf("user %s: replaying the last acknowledged code: %d %v", a.id, replay.status, replay.err)
			}
			if fresh.err != nil || fresh.status != http.StatusOK {
				lost++
				t.Errorf("user %s cannot verify any more: %d %v %s", a.id, fresh.status, fresh.err, fresh.body)
			}
		}()
	}
	wg.Wait()
	return lost, applied
}
