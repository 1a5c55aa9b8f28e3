package scanner

import (
	"net/http"
	"testing"

	"github.com/factorgate/factorgate/host/internal/httprace"
)

// Twenty enable?method=sms at once send one text: one request is queued,
// the others are 429 with Retry-After.
func testScannerSMSRace(t *testing.T, s *scannerServer) {
	statuses := httprace.Send(t, 20, nil, func() (*http.Request, error) {
		r, err := http.NewRequest(http.MethodPut, s.srv.URL+pathEnable+"?method=sms&phone_number=%2B61499999999", nil)
		if err != nil {
			return nil, err
		}
		r.Header.Set("x-api-key", s.env.apiKey)
		r.Header.Set("Authorization", "Bearer "+s.env.token)
		return r, nil
	}).Statuses
	if sent := s.env.outbox.Count(); statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 || sent != 1 {
		t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, sent)
	}
}
