package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestBeginEnrollment(t *testing.T) {
	tests := []struct {
		name       string
		settings   string
		params     map[string]string
		wantDigits int
		wantTTL    time.Duration
		wantBody   string // with the code as {code}
	}{
		{"defaults", `{}`, map[string]string{"phone": testPhone}, 6, 5 * time.Minute, "Your Factorgate code is {code}"},
		{"national number with country", `{}`, map[string]string{"phone": "0412 345 678", "country": "AU"}, 6, 5 * time.Minute, "Your Factorgate code is {code}"},
		{"eight digits, two minutes, own message", `{"digits":8,"code_ttl":"2m","issuer":"Acme","message":"{{.Code}} is your {{.Issuer}} code ({{.Minutes}} min)"}`,
			map[string]string{"phone": testPhone}, 8, 2 * time.Minute, "{code} is your Acme code (2 min)"},
		{"ten digits", `{"digits":10}`, map[string]string{"phone": testPhone}, 10, 5 * time.Minute, "Your Factorgate code is {code}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, g := newTestFactor(t, tc.settings)
			resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u-1"}, Params: tc.params, Now: testNow})
			if err != nil {
				t.Fatalf("BeginEnrollment: %v", err)
			}
			id := resp.Display.Extra["challenge_id"]
			d := resp.Display
			if d.MaskedDestination != testMasked || d.Message != "We sent a code to "+testMasked || !d.ExpiresAt.Equal(testNow.Add(tc.wantTTL)) || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
				t.Fatalf("display %+v", d)
			}
			if d.Secret != "" || d.URI != "" || len(d.Codes) != 0 {
				t.Fatalf("display shows more than it should: %+v", d)
			}

			reqs := g.received()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			m := g.last(t)
			code := codeRE.FindString(m.Body)
			if m.To != testPhone || m.ChallengeID != id || m.Instance != "sms" || len(code) != tc.wantDigits ||
				m.Body != strings.ReplaceAll(tc.wantBody, "{code}", code) {
				t.Fatalf("message %+v", m)
			}

			st, err := decodePending(resp.PendingState)
			if err != nil {
				t.Fatalf("pending state: %v", err)
			}
			if st.Phone != testPhone || !st.Sent.Equal(testNow) || st.Code.ID != id || st.Code.Digits != tc.wantDigits ||
				!st.Code.Expires.Equal(testNow.Add(tc.wantTTL)) || st.Code.Attempts != 0 || st.Code.MaxAttempts != 3 || st.Code.Used {
				t.Fatalf("pending state %+v", st)
			}
			// Only the keyed hash of the code is kept.
			if bytes.Contains(resp.PendingState, []byte(code)) {
				t.Fatalf("the pending state contains the code: %s", resp.PendingState)
			}
			mac := hmac.New(sha256.New, st.Code.Key)
			mac.Write([]byte(id + code))
			if !bytes.Equal(st.Code.Hash, mac.Sum(nil)) {
				t.Fatal("the stored hash is not HMAC(key, id || code)")
			}
		})
	}
}

func TestBeginEnrollmentDeterministicRand(t *testing.T) {
	f, g := newTestFactor(t, `{}`, WithRand(&sequenceReader{}))
	resp, code := begin(t, f, g, testNow)
	// The id, then the key, then the code's digits come from the reader.
	if id := resp.Display.Extra["challenge_id"]; id != "000102030405060708090a0b0c0d0e0f" {
		t.Fatalf("challenge id %s", id)
	}
	st, err := decodePending(resp.PendingState)
	if err != nil {
		t.Fatal(err)
	}
	wantKey := make([]byte, 32)
	for i := range wantKey {
		wantKey[i] = byte(16 + i)
	}
	if !bytes.Equal(st.Code.Key, wantKey) {
		t.Fatalf("key %x", st.Code.Key)
	}
	if code != "890123" { // bytes 48..53, each mod 10
		t.Fatalf("code %s", code)
	}
}

func TestBeginEnrollmentInvalidParams(t *testing.T) {
	tests := []struct {
		name    string
		params  map[string]string
		wantMsg string
	}{
		{"no params", nil, "enter your mobile phone number"},
		{"empty phone", map[string]string{"phone": ""}, "enter your mobile phone number"},
		{"landline", map[string]string{"phone": "+61 2 9876 5432"}, "this is a landline number; enter a mobile phone number"},
		{"pager", map[string]string{"phone": "+447640123456"}, "this is a pager number; enter a mobile phone number"},
		{"VoIP", map[string]string{"phone": "+445612345678"}, "VoIP"},
		{"invalid", map[string]string{"phone": "+15555550100"}, "this is not a valid phone number"},
		{"national without country", map[string]string{"phone": "0412345678"}, "international format"},
		{"bad country", map[string]string{"phone": "0412345678", "country": "Australia"}, "two-letter"},
		{"unknown parameter", map[string]string{"phone": testPhone, "email": "a@example.com"}, `unknown parameter "email"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, g := newTestFactor(t, `{}`)
			resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u-1"}, Params: tc.params, Now: testNow})
			if !errors.Is(err, sdk.ErrInvalidParams) {
				t.Fatalf("BeginEnrollment = %v, want sdk.ErrInvalidParams", err)
			}
			// The host shows the text after the sentinel's own to the user.
			msg, ok := strings.CutPrefix(err.Error(), sdk.ErrInvalidParams.Error()+": ")
			if !ok || !strings.Contains(msg, tc.wantMsg) {
				t.Fatalf("error %q, want the user-safe message %q", err, tc.wantMsg)
			}
			if len(resp.PendingState) != 0 || len(g.received()) != 0 {
				t.Fatal("a refused enrollment returned state or sent a message")
			}
		})
	}
}

func TestBeginEnrollmentNoTime(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	for _, now := range []time.Time{{}, time.Unix(-1, 0)} {
		_, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": testPhone}, Now: now})
		if err == nil {
			t.Fatalf("BeginEnrollment at %v succeeded", now)
		}
	}
	if len(g.received()) != 0 {
		t.Fatal("a message was sent")
	}
}

func TestBeginEnrollmentSendFailure(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	g.answer(status(http.StatusBadRequest))
	resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": testPhone}, Now: testNow})
	if !errors.Is(err, sdk.ErrTemporary) {
		t.Fatalf("BeginEnrollment = %v, want sdk.ErrTemporary", err)
	}
	if len(resp.PendingState) != 0 || resp.Display.MaskedDestination != "" {
		t.Fatalf("a failed send returned %+v", resp)
	}
	if !strings.Contains(err.Error(), testMasked) || strings.Contains(err.Error(), testPhone) {
		t.Fatalf("error %q: want the masked number only", err)
	}
}

// attempt is one try at confirming or verifying, with what must come of it.
type attempt struct {
	proof        string        // "right", "wrong", "malformed" or a literal code
	after        time.Duration // after the send
	want         sdk.Result
	wantAttempts int  // attempts counted in the returned state
	wantState    bool // a state must be returned
}

func TestFinishEnrollment(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		attempts []attempt
	}{
		{"right code", `{}`, []attempt{
			{"right", time.Second, sdk.ResultOK, 0, true},
		}},
		{"wrong then right", `{}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"right", 2 * time.Second, sdk.ResultOK, 1, true},
		}},
		{"wrong three times locks the code", `{}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"wrong", time.Second, sdk.ResultInvalid, 2, true},
			{"wrong", time.Second, sdk.ResultLockedByFactor, 3, true},
			{"right", time.Second, sdk.ResultLockedByFactor, 0, false},
		}},
		{"one attempt allowed", `{"max_attempts":1}`, []attempt{
			{"wrong", time.Second, sdk.ResultLockedByFactor, 1, true},
			{"right", time.Second, sdk.ResultLockedByFactor, 0, false},
		}},
		{"right code reused", `{}`, []attempt{
			{"right", time.Second, sdk.ResultOK, 0, true},
			{"right", time.Second, sdk.ResultReplayed, 0, false},
			{"wrong", time.Second, sdk.ResultReplayed, 0, false},
		}},
		{"expired at the TTL", `{}`, []attempt{
			{"right", 5 * time.Minute, sdk.ResultExpired, 0, false},
		}},
		{"just before the TTL", `{}`, []attempt{
			{"right", 5*time.Minute - time.Nanosecond, sdk.ResultOK, 0, true},
		}},
		{"expired with a short TTL", `{"code_ttl":"1m"}`, []attempt{
			{"right", time.Minute + time.Second, sdk.ResultExpired, 0, false},
		}},
		{"malformed codes do not count", `{}`, []attempt{
			{"malformed", time.Second, sdk.ResultInvalid, 0, false},
			{"12345", time.Second, sdk.ResultInvalid, 0, false},
			{"1234567", time.Second, sdk.ResultInvalid, 0, false},
			{"", time.Second, sdk.ResultInvalid, 0, false},
			{"right", time.Second, sdk.ResultOK, 0, true},
		}},
		{"request time missing", `{}`, []attempt{
			{"right", -testNow.Sub(time.Time{}), sdk.ResultInvalid, 0, false},
			{"right", time.Second, sdk.ResultOK, 0, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, g := newTestFactor(t, tc.settings)
			b, code := begin(t, f, g, testNow)
			pending := b.PendingState
			for i, a := range tc.attempts {
				before := bytes.Clone(pending)
				resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
					User: sdk.User{ID: "u-1"}, PendingState: pending, Proof: sdk.Proof{Code: proofFor(a.proof, code)}, Now: testNow.Add(a.after),
				})
				if err != nil {
					t.Fatalf("attempt %d: FinishEnrollment: %v", i, err)
				}
				if !bytes.Equal(before, pending) {
					t.Fatalf("attempt %d: the input state changed", i)
				}
				if resp.Result != a.want {
					t.Fatalf("attempt %d: result %v (%s), want %v", i, resp.Result, resp.Reason, a.want)
				}
				if a.want != sdk.ResultOK && (resp.Reason == "" || len(resp.CredentialState) != 0) {
					t.Fatalf("attempt %d: reason %q, credential %q", i, resp.Reason, resp.CredentialState)
				}
				if (resp.PendingState != nil) != a.wantState {
					t.Fatalf("attempt %d: pending state returned %v, want %v", i, resp.PendingState != nil, a.wantState)
				}
				if resp.PendingState == nil {
					continue
				}
				st, err := decodePending(resp.PendingState)
				if err != nil {
					t.Fatalf("attempt %d: returned pending state: %v", i, err)
				}
				if st.Code.Attempts != a.wantAttempts || st.Code.Used != (a.want == sdk.ResultOK) {
					t.Fatalf("attempt %d: attempts %d used %v", i, st.Code.Attempts, st.Code.Used)
				}
				pending = resp.PendingState
				if a.want == sdk.ResultOK {
					checkEnrolledCredential(t, resp, b)
				}
			}
		})
	}
}

// proofFor turns an attempt's proof into a code.
func proofFor(proof, code string) string {
	switch proof {
	case "right":
		return code
	case "wrong":
		return wrongCode(code)
	case "malformed":
		return code[:3] + "x" + code[4:]
	}
	return proof
}

func checkEnrolledCredential(t *testing.T, resp sdk.FinishEnrollmentResponse, b sdk.BeginEnrollmentResponse) {
	t.Helper()
	cred, err := decodeCredential(resp.CredentialState)
	if err != nil {
		t.Fatalf("credential state: %v", err)
	}
	if cred.Phone != testPhone || !cred.LastSent.IsZero() || cred.Latest.ID != b.Display.Extra["challenge_id"] || !cred.Latest.Used {
		t.Fatalf("credential %+v", cred)
	}
	if resp.Display.MaskedDestination != testMasked || !strings.Contains(resp.Display.Message, testMasked) {
		t.Fatalf("display %+v", resp.Display)
	}
}

func TestFinishEnrollmentReasons(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	b, code := begin(t, f, g, testNow)
	pending := b.PendingState
	want := []string{
		"the code is not correct; 2 attempts left",
		"the code is not correct; 1 attempt left",
		"too many wrong codes; start the enrollment again",
	}
	for i, w := range want {
		resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{PendingState: pending, Proof: sdk.Proof{Code: wrongCode(code)}, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Reason != w {
			t.Fatalf("attempt %d: reason %q, want %q", i, resp.Reason, w)
		}
		pending = resp.PendingState
	}
}
