package testsignin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
)

// Outbox records the SMS the factor sends through its webhook sender.
type Outbox struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []SMS
}

// SMS is one message the factor sent.
type SMS struct {
	To   string `json:"to"`
	Body string `json:"body"`
}

// NewOutbox starts the webhook that receives the factor's messages; it
// stops when t ends.
func NewOutbox(t testing.TB) *Outbox {
	o := &Outbox{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m SMS
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		o.sent = append(o.sent, m)
		o.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// URL is the webhook's base URL.
func (o *Outbox) URL() string { return o.srv.URL }

var smsCode = regexp.MustCompile(`\b[0-9]{7}\b`)

// Last returns the newest message and the 7-digit code in it.
func (o *Outbox) Last(t *testing.T) (SMS, string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) == 0 {
		t.Fatal("no SMS was sent")
	}
	m := o.sent[len(o.sent)-1]
	code := smsCode.FindString(m.Body)
	if code == "" {
		t.Fatalf("no 7-digit code in the SMS %q", m.Body)
	}
	return m, code
}

// Count is how many messages were sent.
func (o *Outbox) Count() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.sent) }
