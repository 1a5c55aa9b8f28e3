package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/factorgate/factorgate/host/internal/httprace"
	"github.com/factorgate/factorgate/host/plugins"
)

func (r *smsRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.messages)
}

// raceHTTP sends n POSTs of body to url at once and counts the answers by
// status, returning the body of a successful one; every 429 must carry
// Retry-After.
func raceHTTP(t *testing.T, n int, url, token string, body any) (map[int]int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	answers := httprace.Send(t, n, nil, func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req, nil
	})
	var won map[string]any
	for _, b := range answers.Bodies {
		if err := json.Unmarshal(b, &won); err != nil {
			t.Error(err)
		}
	}
	return answers.Statuses, won
}

// Twenty enrollment begins at once through the native API send one text,
// and so do twenty challenges right after the enrollment was confirmed;
// the others are 429 with Retry-After.
func TestSMSRacesThroughTheNativeAPI(t *testing.T) {
	rec := &smsRecorder{}
	gateway := httptest.NewServer(rec)
	defer gateway.Close()
	settings := fmt.Sprintf(`{"sender": {"type": "webhook", "url": %q, "allow_insecure_http": true}}`, gateway.URL+"/sms")
	h := newAPIHost(t, []plugins.InstanceConfig{{Name: "sms", Plugin: "sms", Settings: json.RawMessage(settings)}})
	path := h.base + "/v1/users/me/factors/sms"

	steps := []struct {
		name    string
		url     string
		body    any
		success int
	}{
		{"enrollment begin", path + "/enrollments", map[string]any{"params": map[string]string{"phone": "+61412345678"}}, http.StatusCreated},
		{"challenge", path + "/challenge", map[string]any{}, http.StatusOK},
	}
	for _, st := range steps {
		before := rec.count()
		got, won := raceHTTP(t, 20, st.url, h.token, st.body)
		if sent := rec.count() - before; got[st.success] != 1 || got[http.StatusTooManyRequests] != 19 || sent != 1 {
			t.Fatalf("%s: answers %v and %d texts; want one %d, nineteen 429 and one text", st.name, got, sent, st.success)
		}
		if st.success == http.StatusCreated {
			_, code, _ := rec.last(t)
			if status, body, _ := call(t, "POST", fmt.Sprintf("%s/enrollments/%s/confirm", path, won["id"]), h.token, map[string]string{"code": code}); status != http.StatusOK {
				t.Fatalf("confirm: %d %v", status, body)
			}
		}
	}
}
