package scanner

import (
	"net/http"
	"sync"
	"testing"
)

// Twenty enable?method=sms at once send one text: one request is queued,
// the others are 429 with Retry-After.
func testScannerSMSRace(t *testing.T, s *scannerServer) {
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		statuses = map[int]int{}
		gate     = make(chan struct{})
	)
	for range 20 {
		wg.Go(func() {
			<-gate
			r, err := http.NewRequest(http.MethodPut, s.srv.URL+pathEnable+"?method=sms&phone_number=%2B61499999999", nil)
			if err != nil {
				t.Error(err)
				return
			}
			r.Header.Set("x-api-key", s.env.apiKey)
			r.Header.Set("Authorization", "Bearer "+s.env.token)
			resp, err := http.DefaultClient.Do(r)
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
	if sent := s.env.outbox.Count(); statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 || sent != 1 {
		t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, sent)
	}
}
