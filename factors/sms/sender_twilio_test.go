package sms

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

const (
	testAccountSID = "AC0123456789abcdef0123456789abcdef"
	testAuthToken  = "twilio-auth-token-0123456789"
	testServiceSID = "MG0123456789abcdef0123456789abcdef"
	testMessageSID = "SM0123456789abcdef0123456789abcdef"
)

// twilioFactor is a factor whose Twilio sender calls g under /twilio.
func twilioFactor(t *testing.T, g *gateway, from string, opts ...Option) *Factor {
	t.Helper()
	settings := `{"sender":{"type":"twilio","account_sid":"` + testAccountSID + `","auth_token":"` + testAuthToken +
		`","from":"` + from + `","base_url":"` + g.srv.URL + `/twilio","allow_insecure_http":true}}`
	return configure(t, New(append([]Option{quiet()}, opts...)...), nil, settings)
}

func created() func(http.ResponseWriter) {
	return answerWith(http.StatusCreated, `{"sid":"`+testMessageSID+`","status":"queued","to":"`+testPhone+`"}`, "Content-Type: application/json")
}

func TestTwilioRequest(t *testing.T) {
	tests := []struct {
		name     string
		from     string
		wantForm url.Values
	}{
		{"from a number", "+14155552671", url.Values{"To": {testPhone}, "From": {"+14155552671"}, "Body": {testMessage.body}}},
		{"from a messaging service", testServiceSID, url.Values{"To": {testPhone}, "MessagingServiceSid": {testServiceSID}, "Body": {testMessage.body}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t)
			g.answer(created())
			f := twilioFactor(t, g, tc.from)
			receipt, err := f.sender.send(context.Background(), testMessage)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if receipt != testMessageSID {
				t.Fatalf("receipt %q, want the message SID", receipt)
			}
			reqs := g.received()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != "/twilio/2010-04-01/Accounts/"+testAccountSID+"/Messages.json" || r.query != "" {
				t.Fatalf("request %s %s?%s", r.method, r.path, r.query)
			}
			wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testAccountSID+":"+testAuthToken))
			if r.header.Get("Authorization") != wantAuth {
				t.Fatalf("Authorization %q, want %q", r.header.Get("Authorization"), wantAuth)
			}
			if r.header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.header.Get("Accept") != "application/json" {
				t.Fatalf("headers %v", r.header)
			}
			form, err := url.ParseQuery(string(r.body))
			if err != nil {
				t.Fatalf("form %q: %v", r.body, err)
			}
			if len(form) != len(tc.wantForm) {
				t.Fatalf("form %v, want %v", form, tc.wantForm)
			}
			for k, v := range tc.wantForm {
				if !slices.Equal(form[k], v) {
					t.Fatalf("form %s = %v, want %v", k, form[k], v)
				}
			}
		})
	}
}

func TestTwilioAnswers(t *testing.T) {
	const refusal = `{"code":21211,"message":"The 'To' number +61412345678 (61 412 345 678) is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`
	tests := []struct {
		name        string
		answers     []func(http.ResponseWriter)
		wantErr     string // "" for success
		wantReceipt string
		wantReqs    int
		wantWaits   []time.Duration
	}{
		{name: "created", answers: []func(http.ResponseWriter){created()}, wantReceipt: testMessageSID, wantReqs: 1},
		{name: "created with an unreadable answer", answers: []func(http.ResponseWriter){answerWith(201, "not json")}, wantReqs: 1},
		{name: "503 then created", answers: []func(http.ResponseWriter){status(503), created()}, wantReceipt: testMessageSID, wantReqs: 2,
			wantWaits: []time.Duration{250 * time.Millisecond}},
		{name: "429 with Retry-After then created", answers: []func(http.ResponseWriter){
			answerWith(429, `{"code":20429,"message":"Too Many Requests","status":429}`, "Retry-After: 1"), created()},
			wantReceipt: testMessageSID, wantReqs: 2, wantWaits: []time.Duration{time.Second}},
		{name: "invalid number is permanent", answers: []func(http.ResponseWriter){answerWith(400, refusal, "Content-Type: application/json")},
			wantErr: "Twilio error 21211: The 'To' number [number]) is not a valid phone number.", wantReqs: 1},
		{name: "bad credentials are permanent", answers: []func(http.ResponseWriter){
			answerWith(401, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)},
			wantErr: "HTTP 401: Twilio error 20003: Authenticate", wantReqs: 1},
		{name: "server errors until the retries run out", answers: []func(http.ResponseWriter){
			answerWith(500, `{"code":20500,"message":"Internal Server Error"}`), status(502), answerWith(503, "<html>down</html>")},
			wantErr: "HTTP 503 (3 attempts)", wantReqs: 3, wantWaits: []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGateway(t)
			g.answer(tc.answers...)
			sleeps := &noSleep{}
			f := twilioFactor(t, g, "+14155552671", WithSleep(sleeps.sleep))
			receipt, err := f.sender.send(context.Background(), testMessage)
			if tc.wantErr == "" {
				if err != nil || receipt != tc.wantReceipt {
					t.Fatalf("send = %q, %v; want %q", receipt, err, tc.wantReceipt)
				}
			} else {
				if !errors.Is(err, sdk.ErrTemporary) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("send = %v, want sdk.ErrTemporary with %q", err, tc.wantErr)
				}
				for _, secret := range []string{testAuthToken, testPhone, "412345678", "412 345 678"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error %q shows %q", err, secret)
					}
				}
			}
			if n := len(g.received()); n != tc.wantReqs {
				t.Fatalf("%d requests, want %d", n, tc.wantReqs)
			}
			if waits := sleeps.recorded(); !slices.Equal(waits, tc.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, tc.wantWaits)
			}
		})
	}
}

func TestTwilioDetail(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"code and message", `{"code":21610,"message":"Attempt to send to unsubscribed recipient"}`, "Twilio error 21610: Attempt to send to unsubscribed recipient"},
		{"number masked", `{"code":21211,"message":"Invalid 'To' Phone Number: +6141234XXXX"}`, "Twilio error 21211: Invalid 'To' Phone Number: [number]XXXX"},
		{"short digit runs kept", `{"code":21617,"message":"body exceeds 1600 characters"}`, "Twilio error 21617: body exceeds 1600 characters"},
		{"control characters dropped", "{\"code\":1,\"message\":\"a\\u001b[31mb\\nc\"}", "Twilio error 1: a[31mbc"},
		{"long message cut", `{"code":2,"message":"` + strings.Repeat("é", 150) + `"}`, "Twilio error 2: " + strings.Repeat("é", 100) + "..."},
		{"not JSON", `<html>Bad Gateway</html>`, ""},
		{"empty object", `{}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := twilioDetail(400, []byte(tc.body)); got != tc.want {
				t.Fatalf("twilioDetail = %q, want %q", got, tc.want)
			}
		})
	}
}
