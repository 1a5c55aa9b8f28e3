package testsignin

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Race sends n copies of one POST at once (released together) and counts
// the answers by status. Every 429 must carry Retry-After.
func (e *Env) Race(t *testing.T, n int, path string, header map[string]string, body string) map[int]int {
	t.Helper()
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		statuses = map[int]int{}
		gate     = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-gate
			req, err := http.NewRequest(http.MethodPost, e.Server.URL+path, strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := e.Server.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("a 429 without Retry-After")
			}
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		})
	}
	close(gate)
	wg.Wait()
	return statuses
}
