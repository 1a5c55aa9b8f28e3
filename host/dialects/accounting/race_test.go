package accounting

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/internal/httprace"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
)

// Twenty opt-ins at once send one text: one is answered 200, the others
// 429 with Retry-After.
func TestAccountingOptInRace(t *testing.T) {
	bins := accountingBuildPlugins(t)
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		e := newAccountingEnv(t, bins, newURL(t), mfa.LockoutPolicy{})
		statuses := httprace.Send(t, 20, nil, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+optInPath+"?FileId="+strconv.FormatInt(e.org.ID, 10), strings.NewReader(`{"MobileNumber":"0499999999"}`))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+e.alice.token)
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		}).Statuses
		if sent := e.sms.count(); statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 || sent != 1 {
			t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, sent)
		}
	})
}
