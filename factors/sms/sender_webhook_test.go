package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// testMessage is a message as the factor hands it to a sender.
var testMessage = outgoing{to: testPhone, masked: testMasked, body: "Your Factorgate code is 123456", challengeID: "00112233445566778899aabbccddeeff"}

// webhookFactor is a factor whose webhook sender posts to g with the sender
// keys in extra (a JSON fragment starting with a comma, or "").
func webhookFactor(t *testing.T, g *gateway, extra string, opts ...Option) *Factor {
	t.Helper()
	settings := `{"sender":{"type":"webhook","url":"` + g.srv.URL + `/hooks/sms?token=abc","allow_insecure_http":true` + extra + `}}`
	return configure(t, New(append([]Option{quiet()}, opts...)...), nil, settings)
}

func TestWebhookRequest(t *testing.T) {
	g := newGateway(t)
	f := webhookFactor(t, g, `,"header_name":"x-api-key","header_value":"k-123","instance":"sms-7"`)
	receipt, err := f.sender.send(context.Background(), testMessage)
	if err != nil || receipt != "" {
		t.Fatalf("send = %q, %v", receipt, err)
	}
	reqs := g.received()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/hooks/sms" || r.query != "token=abc" {
		t.Fatalf("request %s %s?%s", r.method, r.path, r.query)
	}
	if r.header.Get("Content-Type") != "application/json" || r.header.Get("X-Api-Key") != "k-123" || !strings.HasPrefix(r.header.Get("User-Agent"), "factorgate-factor-sms/") {
		t.Fatalf("headers %v", r.header)
	}
	var body map[string]string
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	want := map[string]string{"to": testPhone, "body": testMessage.body, "instance": "sms-7", "challenge_id": testMessage.challengeID}
	if len(body) != len(want) {
		t.Fatalf("body %v, want %v", body, want)
	}
	for k, v := range want {
		if body[k] != v {
			t.Fatalf("body %s = %q, want %q", k, body[k], v)
		}
	}
}

func TestWebhookTLS(t *testing.T) {
	var got []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	settings := `{"sender":{"type":"webhook","url":"` + srv.URL + `/sms","max_retries":0}}`

	trusting := configure(t, New(quiet(), WithHTTPClient(srv.Client())), nil, settings)
	if _, err := trusting.sender.send(context.Background(), testMessage); err != nil {
		t.Fatalf("send with a client that trusts the server: %v", err)
	}
	// The default client checks certificates: the test server's is not trusted.
	strict := configure(t, New(quiet()), nil, settings)
	if _, err := strict.sender.send(context.Background(), testMessage); !errors.Is(err, sdk.ErrTemporary) {
		t.Fatalf("send to an untrusted server = %v, want sdk.ErrTemporary", err)
	}
	if !slices.Equal(got, []string{"/sms"}) {
		t.Fatalf("requests %v", got)
	}
}

func TestHTTPRetries(t *testing.T) {
	const date = "Wed, 02 Jan 2030 03:04:00 GMT"
	tests := []struct {
		name      string
		extra     string
		answers   []func(http.ResponseWriter)
		wantErr   string // "" for success
		wantReqs  int
		wantWaits []time.Duration
	}{
		{name: "200", answers: nil, wantReqs: 1},
		{name: "201", answers: []func(http.ResponseWriter){status(201)}, wantReqs: 1},
		{name: "503 then success", answers: []func(http.ResponseWriter){status(503)}, wantReqs: 2, wantWaits: []time.Duration{250 * time.Millisecond}},
		{name: "500 and 502 then success", answers: []func(http.ResponseWriter){status(500), status(502)}, wantReqs: 3,
			wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "503 until the retries run out", answers: []func(http.ResponseWriter){status(503), status(503), status(503)},
			wantErr: "answered HTTP 503 (3 attempts)", wantReqs: 3, wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{name: "no retries", extra: `,"max_retries":0`, answers: []func(http.ResponseWriter){status(503)}, wantErr: "HTTP 503 (1 attempt)", wantReqs: 1},
		{name: "five retries", extra: `,"max_retries":5,"timeout":"20s"`,
			answers: []func(http.ResponseWriter){status(503), status(503), status(503), status(503), status(503)}, wantReqs: 6,
			wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		{name: "400 is permanent", answers: []func(http.ResponseWriter){status(400)}, wantErr: "refused the message", wantReqs: 1},
		{name: "401 is permanent", answers: []func(http.ResponseWriter){status(401)}, wantErr: "HTTP 401", wantReqs: 1},
		{name: "404 is permanent", answers: []func(http.ResponseWriter){status(404)}, wantErr: "HTTP 404", wantReqs: 1},
		{name: "redirect is not followed", answers: []func(http.ResponseWriter){status(307, "Location: /elsewhere")}, wantErr: "redirect", wantReqs: 1},
		{name: "429 without Retry-After backs off", answers: []func(http.ResponseWriter){status(429)}, wantReqs: 2, wantWaits: []time.Duration{250 * time.Millisecond}},
		{name: "429 with Retry-After seconds", answers: []func(http.ResponseWriter){status(429, "Retry-After: 2")}, wantReqs: 2, wantWaits: []time.Duration{2 * time.Second}},
		{name: "429 with Retry-After zero", answers: []func(http.ResponseWriter){status(429, "Retry-After: 0")}, wantReqs: 2, wantWaits: []time.Duration{0}},
		{name: "503 with Retry-After date", answers: []func(http.ResponseWriter){status(503, "Date: "+date, "Retry-After: Wed, 02 Jan 2030 03:04:03 GMT")},
			wantReqs: 2, wantWaits: []time.Duration{3 * time.Second}},
		{name: "429 with Retry-After past the budget", answers: []func(http.ResponseWriter){status(429, "Retry-After: 30")},
			wantErr: "a retry after 30s would pass the 5s time budget", wantReqs: 1},
		{name: "429 with Retry-After past a longer budget", extra: `,"timeout":"40s"`, answers: []func(http.ResponseWriter){status(429, "Retry-After: 30")},
			wantReqs: 2, wantWaits: []time.Duration{30 * time.Second}},
		{name: "500 with Retry-After backs off as usual", answers: []func(http.ResponseWriter){status(500, "Retry-After: 3")}, wantReqs: 2,
			wantWaits: []time.Duration{250 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t)
			g.answer(tc.answers...)
			sleeps := &noSleep{}
			f := webhookFactor(t, g, tc.extra, WithSleep(sleeps.sleep))
			_, err := f.sender.send(context.Background(), testMessage)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("send: %v", err)
				}
			} else {
				if !errors.Is(err, sdk.ErrTemporary) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("send = %v, want sdk.ErrTemporary with %q", err, tc.wantErr)
				}
				// The query may carry a token: errors never show it.
				if strings.Contains(err.Error(), "token=abc") {
					t.Fatalf("error %q shows the query", err)
				}
			}
			reqs := g.received()
			if len(reqs) != tc.wantReqs {
				t.Fatalf("%d requests, want %d", len(reqs), tc.wantReqs)
			}
			for _, r := range reqs {
				if r.path != "/hooks/sms" || string(r.body) != string(reqs[0].body) {
					t.Fatalf("retries differ: %s %q", r.path, r.body)
				}
			}
			if waits := sleeps.recorded(); !slices.Equal(waits, tc.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tc.wantWaits)
			}
		})
	}
}

func TestWebhookNetworkError(t *testing.T) {
	g := newGateway(t)
	sleeps := &noSleep{}
	f := webhookFactor(t, g, "", WithSleep(sleeps.sleep))
	g.srv.Close()
	_, err := f.sender.send(context.Background(), testMessage)
	if !errors.Is(err, sdk.ErrTemporary) || !strings.Contains(err.Error(), "(3 attempts)") {
		t.Fatalf("send = %v, want sdk.ErrTemporary after 3 attempts", err)
	}
	if strings.Contains(err.Error(), "token=abc") {
		t.Fatalf("error %q shows the query", err)
	}
	if len(sleeps.recorded()) != 2 {
		t.Fatalf("waits %v", sleeps.recorded())
	}
}

// A gateway that does not answer ends the send at the time budget. This is
// the one test that waits, for the shortest budget allowed (1s): the budget
// is a deadline on the request itself.
func TestWebhookTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits one second")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices the client leaving only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	f := configure(t, New(quiet()), nil, `{"sender":{"type":"webhook","url":"`+srv.URL+`/sms","allow_insecure_http":true,"timeout":"1s"}}`)
	_, err := f.sender.send(context.Background(), testMessage)
	if !errors.Is(err, sdk.ErrTemporary) || !strings.Contains(err.Error(), "within 1s") {
		t.Fatalf("send = %v, want sdk.ErrTemporary for no answer within 1s", err)
	}
}

// A send the caller gave up on is the caller's cancellation, not a gateway
// failure.
func TestWebhookCallerCancel(t *testing.T) {
	g := newGateway(t)
	f := webhookFactor(t, g, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.sender.send(ctx, testMessage)
	if !errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrTemporary) {
		t.Fatalf("send = %v, want context.Canceled", err)
	}

	// Cancelled during a back-off wait.
	g.answer(status(503))
	ctx, cancel = context.WithCancel(context.Background())
	f = webhookFactor(t, g, "", WithSleep(func(context.Context, time.Duration) error { cancel(); return context.Canceled }))
	if _, err = f.sender.send(ctx, testMessage); !errors.Is(err, context.Canceled) {
		t.Fatalf("send cancelled while waiting = %v, want context.Canceled", err)
	}
}

func TestRetryAfter(t *testing.T) {
	const date = "Wed, 02 Jan 2030 03:04:00 GMT"
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"absent", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"zero", map[string]string{"Retry-After": "0"}, 0, true},
		{"negative", map[string]string{"Retry-After": "-1"}, 0, false},
		{"fraction", map[string]string{"Retry-After": "1.5"}, 0, false},
		{"text", map[string]string{"Retry-After": "soon"}, 0, false},
		{"huge", map[string]string{"Retry-After": "99999999"}, time.Hour, true},
		{"date", map[string]string{"Retry-After": "Wed, 02 Jan 2030 03:04:10 GMT", "Date": date}, 10 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": "Wed, 02 Jan 2030 03:03:00 GMT", "Date": date}, 0, true},
		{"date without Date", map[string]string{"Retry-After": "Wed, 02 Jan 2030 03:04:10 GMT"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			got, ok := retryAfter(h)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("retryAfter = %v, %v; want %v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// A burst of texts leaves a kept connection per text to the gateway, so the
// next burst reuses them instead of opening connections (and TLS sessions)
// afresh: http.DefaultTransport would keep two of the eight.
func TestDefaultClientKeepsBurstConnections(t *testing.T) {
	const burst = 8
	arrived, release := make(chan struct{}, burst), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		arrived <- struct{}{}
		<-release // every text is in flight, each on a connection of its own
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	f := configure(t, New(quiet()), nil, `{"sender":{"type":"webhook","url":"`+srv.URL+`/sms","allow_insecure_http":true}}`)

	kept := make(chan error, burst)
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		PutIdleConn: func(err error) { kept <- err },
	})
	sent := make(chan error, burst)
	for i := range burst {
		go func() {
			_, err := f.sender.send(ctx, outgoing{to: testPhone, masked: testMasked, body: "code", challengeID: fmt.Sprint(i)})
			sent <- err
		}()
	}
	for range burst {
		<-arrived
	}
	close(release)
	for range burst {
		if err := <-sent; err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	for range burst {
		if err := <-kept; err != nil {
			t.Errorf("a connection to the gateway was not kept: %v", err)
		}
	}
}
