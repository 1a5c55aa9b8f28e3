package testsignin

import (
	"net/http"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/internal/httprace"
)

// Race sends n copies of one POST at once (released together) and counts
// the answers by status. Every 429 must carry Retry-After.
func (e *Env) Race(t *testing.T, n int, path string, header map[string]string, body string) map[int]int {
	t.Helper()
	return httprace.Send(t, n, e.Server.Client(), func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, e.Server.URL+path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return req, nil
	}).Statuses
}
