package benche2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Target is a server under load: the host's native API (with an admin
// token) or the floor.
type Target struct {
	Name  string
	Base  string // http://host:port
	Token string // the host's admin token; empty for the floor
}

// Result is one round of load.
type Result struct {
	Requests, OK int
	Statuses     map[int]int
	Starved      int // times no user had a fresh code to give
	Elapsed      time.Duration
	P50, P99     time.Duration
}

// PerSecond is the rate of successful verifications.
func (r Result) PerSecond() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%8.0f verify/s  p50 %6.2f ms  p99 %6.2f ms  (%d ok of %d, statuses %v, starved %d)",
		r.PerSecond(), ms(r.P50), ms(r.P99), r.OK, r.Requests, r.Statuses, r.Starved)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Loader sends fresh valid codes of its accounts to one server: each user's
// codes go out in increasing time steps, never one the server has seen.
type Loader struct {
	accounts []Account
	last     []atomic.Int64 // the last step sent per account
	cursor   atomic.Uint64
	client   *http.Client
}

// NewLoader returns a loader over the accounts for one server.
func NewLoader(accounts []Account, clients int) *Loader {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2, IdleConnTimeout: time.Minute}
	return &Loader{accounts: accounts, last: make([]atomic.Int64, len(accounts)),
		client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// next claims a fresh code of the next user that has one.
func (l *Loader) next() (Account, string, bool) {
	cur := Step(time.Now())
	for range 64 {
		i := int(l.cursor.Add(1) % uint64(len(l.accounts)))
		for {
			last := l.last[i].Load()
			// A step of margin on either side: the server may be in the
			// next step by the time the code arrives.
			s := max(last+1, cur-Skew+1)
			if s > cur+Skew-1 {
				break
			}
			if l.last[i].CompareAndSwap(last, s) {
				return l.accounts[i], Code(l.accounts[i].Secret, s), true
			}
		}
	}
	return Account{}, "", false
}

// Run sends requests verifications from clients concurrent clients.
func (l *Loader) Run(ctx context.Context, t Target, clients, requests int) Result {
	var (
		sent, starved atomic.Int64
		mu            sync.Mutex
		lat           []time.Duration
		statuses      = map[int]int{}
		wg            sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			local := map[int]int{}
			for sent.Add(1) <= int64(requests) && ctx.Err() == nil {
				a, code, ok := l.next()
				if !ok {
					starved.Add(1)
					sent.Add(-1)
					time.Sleep(20 * time.Millisecond)
					continue
				}
				t0 := time.Now()
				local[l.send(ctx, t, a, code)]++
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range local {
				statuses[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	r := Result{Elapsed: time.Since(start), Statuses: statuses, Starved: int(starved.Load()), Requests: len(lat), OK: statuses[http.StatusOK]}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.P50, r.P99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return r
}

// send posts one code and returns the status (0 when the request failed).
func (l *Loader) send(ctx context.Context, t Target, a Account, code string) int {
	var body []byte
	var target string
	if t.Token != "" {
		body, _ = json.Marshal(map[string]string{"code": code})
		target = t.Base + "/v1/users/" + url.PathEscape(a.ID) + "/factors/totp/verify"
	} else {
		body, _ = json.Marshal(map[string]string{"user": a.ID, "code": code})
		target = t.Base + "/verify"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}
