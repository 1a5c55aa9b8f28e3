package testsignin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
)

// Mailbox records the messages the email example factor (examples/emailotp)
// posts to its webhook: the email gateway of tests.
type Mailbox struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []Mail
}

// Mail is one message the factor sent.
type Mail struct {
	To   string `json:"to"`
	Text string `json:"text"`
}

// MailboxToken is the bearer token the mailbox expects from the factor.
const MailboxToken = "test-webhook-token"

// NewMailbox starts the webhook; it stops when t ends.
func NewMailbox(t testing.TB) *Mailbox {
	b := &Mailbox{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m Mail
		if r.Header.Get("Authorization") != "Bearer "+MailboxToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.sent = append(b.sent, m)
		b.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// Settings are the email factor's settings that send to this mailbox.
func (b *Mailbox) Settings() json.RawMessage {
	s, _ := json.Marshal(map[string]string{"webhook_url": b.srv.URL, "webhook_token": MailboxToken})
	return s
}

var mailCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// Last returns the newest message to addr and the code in it.
func (b *Mailbox) Last(t testing.TB, addr string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if b.sent[i].To == addr {
			if c := mailCode.FindString(b.sent[i].Text); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code was mailed to %s (%d messages)", addr, len(b.sent))
	return ""
}

// Count is how many messages were sent.
func (b *Mailbox) Count() int { b.mu.Lock(); defer b.mu.Unlock(); return len(b.sent) }
