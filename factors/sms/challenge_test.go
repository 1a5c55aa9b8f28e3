package sms

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestChallenge(t *testing.T) {
	f, g := newTestFactor(t, `{"digits":7}`)
	cred := enroll(t, f, g, testNow)
	now := testNow.Add(time.Minute)
	resp, code := challenge(t, f, g, cred, now)

	id := resp.Display.Extra["challenge_id"]
	if d := resp.Display; d.MaskedDestination != testMasked || d.Message != "We sent a code to "+testMasked || !d.ExpiresAt.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("display %+v", d)
	}
	m := g.last(t)
	if m.To != testPhone || m.ChallengeID != id || len(code) != 7 {
		t.Fatalf("message %+v", m)
	}
	ch, err := decodeChallenge(resp.ChallengeState)
	if err != nil {
		t.Fatalf("challenge state: %v", err)
	}
	if ch.Code.ID != id || ch.Code.Digits != 7 || ch.Code.Attempts != 0 || ch.Code.Used || !ch.Code.Expires.Equal(now.Add(5*time.Minute)) {
		t.Fatalf("challenge state %+v", ch)
	}
	if bytes.Contains(resp.ChallengeState, []byte(code)) {
		t.Fatal("the challenge state contains the code")
	}
	next, err := decodeCredential(resp.CredentialState)
	if err != nil {
		t.Fatalf("credential state: %v", err)
	}
	if next.Phone != testPhone || !next.LastSent.Equal(now) || next.Latest.ID != id || next.Latest.Used {
		t.Fatalf("credential state %+v", next)
	}
	// A new enrollment's id is never reused by a challenge.
	old, _ := decodeCredential(cred)
	if old.Latest.ID == id {
		t.Fatal("the challenge reused the enrollment's id")
	}
}

func TestChallengeThrottle(t *testing.T) {
	tests := []struct {
		name      string
		settings  string
		after     time.Duration // after the last send
		wantRetry time.Duration // 0: the challenge goes ahead
	}{
		{"at once", `{}`, 0, 30 * time.Second},
		{"after ten seconds", `{}`, 10 * time.Second, 20 * time.Second},
		{"half a second before the end rounds up", `{}`, 29*time.Second + 500*time.Millisecond, time.Second},
		{"at the interval", `{}`, 30 * time.Second, 0},
		{"well after", `{}`, time.Hour, 0},
		{"last send in the future waits one interval", `{}`, -time.Hour, 30 * time.Second},
		{"longer interval", `{"resend_interval":"2m"}`, time.Minute, time.Minute},
		{"longer interval passed", `{"resend_interval":"2m"}`, 2 * time.Minute, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, g := newTestFactor(t, tc.settings)
			// The enrollment's code was used, so the first challenge, at
			// testNow, sends at once and is the last send.
			first, err := f.Challenge(context.Background(), sdk.ChallengeRequest{CredentialState: enroll(t, f, g, testNow), Now: testNow})
			if err != nil || first.Result != sdk.ResultOK {
				t.Fatalf("first challenge right after enrollment: %v, %v", first.Result, err)
			}
			cred := first.CredentialState
			sent := len(g.received())
			resp, err := f.Challenge(context.Background(), sdk.ChallengeRequest{CredentialState: cred, Now: testNow.Add(tc.after)})
			if err != nil {
				t.Fatalf("Challenge: %v", err)
			}
			if tc.wantRetry == 0 {
				if resp.Result != sdk.ResultOK || len(g.received()) != sent+1 {
					t.Fatalf("result %v (%s), %d messages", resp.Result, resp.Reason, len(g.received())-sent)
				}
				return
			}
			if resp.Result != sdk.ResultThrottled || resp.RetryAfter != tc.wantRetry || resp.Reason == "" {
				t.Fatalf("result %v, retry after %v (%q); want throttled, %v", resp.Result, resp.RetryAfter, resp.Reason, tc.wantRetry)
			}
			if resp.ChallengeState != nil || resp.CredentialState != nil || len(g.received()) != sent {
				t.Fatal("a throttled challenge returned state or sent a message")
			}
		})
	}
}

func TestChallengeThrottlesResend(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred := enroll(t, f, g, testNow)
	first, _ := challenge(t, f, g, cred, testNow.Add(time.Minute))
	cred = first.CredentialState
	resp, err := f.Challenge(context.Background(), sdk.ChallengeRequest{CredentialState: cred, Now: testNow.Add(time.Minute + 5*time.Second)})
	if err != nil || resp.Result != sdk.ResultThrottled || resp.RetryAfter != 25*time.Second {
		t.Fatalf("resend after 5s: %v, %v, %v", resp.Result, resp.RetryAfter, err)
	}
	second, _ := challenge(t, f, g, cred, testNow.Add(time.Minute+30*time.Second))
	if second.Display.Extra["challenge_id"] == first.Display.Extra["challenge_id"] {
		t.Fatal("the resend reused the challenge id")
	}
}

func TestChallengeRefusals(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred := enroll(t, f, g, testNow)
	tests := []struct {
		name    string
		req     sdk.ChallengeRequest
		wantErr error
	}{
		{"parameters", sdk.ChallengeRequest{CredentialState: cred, Params: map[string]string{"phone": "+61400000000"}, Now: testNow.Add(time.Hour)}, sdk.ErrInvalidParams},
		{"no time", sdk.ChallengeRequest{CredentialState: cred}, nil},
		{"no credential", sdk.ChallengeRequest{Now: testNow.Add(time.Hour)}, sdk.ErrBadState},
		{"pending state as credential", sdk.ChallengeRequest{CredentialState: mustPending(t, f, g), Now: testNow.Add(time.Hour)}, sdk.ErrBadState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent := len(g.received())
			resp, err := f.Challenge(context.Background(), tc.req)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Challenge = %v, %v; want %v", resp.Result, err, tc.wantErr)
			}
			if resp.ChallengeState != nil || resp.CredentialState != nil || len(g.received()) != sent {
				t.Fatal("a refused challenge returned state or sent a message")
			}
		})
	}
}

func mustPending(t *testing.T, f *Factor, g *gateway) []byte {
	b, _ := begin(t, f, g, testNow)
	return b.PendingState
}

// A failed send changes nothing: no state, and the number is not throttled.
func TestChallengeSendFailure(t *testing.T) {
	sleeps := &noSleep{}
	f, g := newTestFactor(t, `{}`, WithSleep(sleeps.sleep))
	cred := enroll(t, f, g, testNow)
	g.answer(status(http.StatusServiceUnavailable), status(http.StatusServiceUnavailable), status(http.StatusServiceUnavailable))
	now := testNow.Add(time.Minute)
	resp, err := f.Challenge(context.Background(), sdk.ChallengeRequest{CredentialState: cred, Now: now})
	if !errors.Is(err, sdk.ErrTemporary) {
		t.Fatalf("Challenge = %v, want sdk.ErrTemporary", err)
	}
	if resp.ChallengeState != nil || resp.CredentialState != nil || resp.Result != sdk.ResultUnspecified {
		t.Fatalf("a failed send returned %+v", resp)
	}
	// Retried twice (the default), then given up.
	if n := len(g.received()); n != 4 {
		t.Fatalf("%d requests, want 1 for the enrollment and 3 for the challenge", n)
	}
	if _, code := challenge(t, f, g, cred, now); code == "" {
		t.Fatal("no code after the failure")
	}
}
