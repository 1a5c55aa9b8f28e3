package accounting

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
)

// Twenty opt-ins at once send one text: one is answered 200, the others
// 429 with Retry-After.
func TestAccountingOptInRace(t *testing.T) {
	bins := accountingBuildPlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newAccountingEnv(t, bins, newURL(t), mfa.LockoutPolicy{})
		var (
			mu       sync.Mutex
			wg       sync.WaitGroup
			statuses = map[int]int{}
			gate     = make(chan struct{})
		)
		for range 20 {
			wg.Go(func() {
				<-gate
				req, err := http.NewRequest(http.MethodPost, e.srv.URL+optInPath+"?FileId="+strconv.FormatInt(e.org.ID, 10), strings.NewReader(`{"MobileNumber":"0499999999"}`))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+e.alice.token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
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
		if sent := e.sms.count(); statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 || sent != 1 {
			t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, sent)
		}
	})
}
