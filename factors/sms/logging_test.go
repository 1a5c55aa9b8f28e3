package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// pluginLog captures what the factor logs, in the JSON lines a plugin writes
// (sdk.NewLogHandler is the handler sdk.NewLogger uses).
type pluginLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *pluginLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *pluginLog) option() Option {
	return WithLogger(slog.New(sdk.NewLogHandler(l, slog.LevelDebug)))
}

// lines returns every line, without its timestamp (whose microseconds could
// match a code by chance).
func (l *pluginLog) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		delete(m, "@timestamp")
		out = append(out, m)
	}
	return out
}

// text is every line's fields, for searching.
func (l *pluginLog) text(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, m := range l.lines(t) {
		enc, _ := json.Marshal(m)
		b.Write(enc)
		b.WriteByte('\n')
	}
	return b.String()
}

// phoneForms are the ways testPhone could be written.
var phoneForms = []string{testPhone, "61412345678", "412345678", "0412345678", "0412 345 678", "412 345 678", "+61 412 345 678"}

func assertNoPhone(t *testing.T, text string) {
	t.Helper()
	for _, form := range phoneForms {
		if strings.Contains(text, form) {
			t.Fatalf("the log shows the phone number as %q:\n%s", form, text)
		}
	}
}

// The log sender is the one place a code reaches the log; the number stays
// masked there and everywhere else. The test reads the codes from the log,
// as a developer running the server does.
func TestLogSenderLogsNoPhoneNumber(t *testing.T) {
	var log pluginLog
	f := configure(t, New(log.option()), nil, `{"allow_log_sender":true}`)
	ctx := context.Background()
	bodyRE := regexp.MustCompile(`code is ([0-9]{6})`)
	codeFromLog := func(id string) string {
		t.Helper()
		for _, m := range log.lines(t) {
			if m["challenge_id"] == id && m["body"] != nil {
				if c := bodyRE.FindStringSubmatch(m["body"].(string)); c != nil {
					if m["to"] != testMasked || m["@level"] != "warn" {
						t.Fatalf("log sender line %v", m)
					}
					return c[1]
				}
			}
		}
		t.Fatalf("no message for %s in the log:\n%s", id, log.text(t))
		return ""
	}

	b, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": "0412 345 678", "country": "AU"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	code := codeFromLog(b.Display.Extra["challenge_id"])
	fin, err := f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{PendingState: b.PendingState, Proof: sdk.Proof{Code: code}, Now: testNow})
	if err != nil || fin.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment = %v, %v", fin.Result, err)
	}
	now := testNow.Add(time.Minute)
	ch, err := f.Challenge(ctx, sdk.ChallengeRequest{CredentialState: fin.CredentialState, Now: now})
	if err != nil || ch.Result != sdk.ResultOK {
		t.Fatalf("Challenge = %v, %v", ch.Result, err)
	}
	if th, err := f.Challenge(ctx, sdk.ChallengeRequest{CredentialState: ch.CredentialState, Now: now}); err != nil || th.Result != sdk.ResultThrottled {
		t.Fatalf("second Challenge = %v, %v", th.Result, err)
	}
	code = codeFromLog(ch.Display.Extra["challenge_id"])
	v, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: ch.CredentialState, ChallengeState: ch.ChallengeState, Proof: sdk.Proof{Code: code}, Now: now})
	if err != nil || v.Result != sdk.ResultOK {
		t.Fatalf("Verify = %v, %v", v.Result, err)
	}
	if _, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": "+61 2 9876 5432"}, Now: now}); err == nil {
		t.Fatal("a landline was enrolled")
	}

	text := log.text(t)
	assertNoPhone(t, text)
	if !strings.Contains(text, "development only") {
		t.Fatalf("no warning about the log sender:\n%s", text)
	}
}

// With a real sender no code reaches the log, whatever happens to the send,
// and neither does the number.
func TestWebhookAndTwilioLogNoCodeOrPhoneNumber(t *testing.T) {
	var log pluginLog
	ctx := context.Background()
	g := newGateway(t)
	sleeps := &noSleep{}
	f := configure(t, New(log.option(), WithSleep(sleeps.sleep)), g, `{}`)

	var codes []string
	b, code := begin(t, f, g, testNow)
	codes = append(codes, code)
	fin, err := f.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{PendingState: b.PendingState, Proof: sdk.Proof{Code: wrongCode(code)}, Now: testNow})
	if err != nil || fin.Result != sdk.ResultInvalid {
		t.Fatalf("wrong code: %v, %v", fin.Result, err)
	}
	cred := enroll(t, f, g, testNow)
	codes = append(codes, g.code(t, g.last(t).ChallengeID))
	// A send that fails after retries, and one that is refused.
	g.answer(status(503), status(503), status(503), status(400))
	for range 2 {
		if _, err := f.Challenge(ctx, sdk.ChallengeRequest{CredentialState: cred, Now: testNow.Add(time.Minute)}); err == nil {
			t.Fatal("Challenge succeeded against a failing gateway")
		}
		codes = append(codes, g.code(t, g.last(t).ChallengeID))
	}
	ch, code := challenge(t, f, g, cred, testNow.Add(time.Minute))
	codes = append(codes, code)
	for _, proof := range []string{wrongCode(code), code, code} {
		if _, err := f.Verify(ctx, sdk.VerifyRequest{CredentialState: ch.CredentialState, ChallengeState: ch.ChallengeState, Proof: sdk.Proof{Code: proof}, Now: testNow.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}

	// Twilio's refusal repeats the number; the log must not.
	tg := newGateway(t)
	tw := twilioFactor(t, tg, "+14155552671", log.option())
	tg.answer(answerWith(400, `{"code":21211,"message":"The 'To' number +61412345678 is not a valid phone number."}`))
	if _, err := tw.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": testPhone}, Now: testNow}); err == nil {
		t.Fatal("BeginEnrollment succeeded against a refusing gateway")
	}
	if n := len(tg.received()); n != 1 {
		t.Fatalf("%d Twilio requests, want 1", n)
	}

	text := log.text(t)
	assertNoPhone(t, text)
	for _, c := range codes {
		if strings.Contains(text, c) {
			t.Fatalf("the log shows the code %s:\n%s", c, text)
		}
	}
	// The log does say what happened, with the masked number.
	for _, want := range []string{`"@message":"sms: code sent"`, `"@message":"sms: sending a code failed"`, `"to":"` + testMasked + `"`, "HTTP 503", "Twilio error 21211"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the log lacks %s:\n%s", want, text)
		}
	}
	if strings.Contains(text, "development only") {
		t.Fatal("a real sender warned about the log sender")
	}
}
