// Package httprace sends many HTTP requests at once, released together, for
// tests that show what a race does to the host: how many answers of each
// status came back, and that every 429 carries Retry-After.
package httprace

import (
	"io"
	"net/http"
	"sync"
	"testing"
)

// Answers are the answers of a race: how many of each status, and the bodies
// of the successful (2xx) ones.
type Answers struct {
	Statuses map[int]int
	Bodies   [][]byte
}

// Send sends n requests that newRequest makes, all released at once, with
// client (nil: http.DefaultClient). A failed request or a 429 without
// Retry-After fails t.
func Send(t *testing.T, n int, client *http.Client, newRequest func() (*http.Request, error)) Answers {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = Answers{Statuses: map[int]int{}}
		gate = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-gate
			req, err := newRequest()
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Error(err)
			}
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("a 429 without Retry-After")
			}
			mu.Lock()
			defer mu.Unlock()
			out.Statuses[resp.StatusCode]++
			if resp.StatusCode < 300 {
				out.Bodies = append(out.Bodies, body)
			}
		})
	}
	close(gate)
	wg.Wait()
	return out
}
