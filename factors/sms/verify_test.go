package sms

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// challenged enrolls and challenges at testNow+1m, and returns the states
// and the code.
func challenged(t testing.TB, f *Factor, g *gateway) (cred, ch []byte, code string) {
	t.Helper()
	cred = enroll(t, f, g, testNow)
	resp, code := challenge(t, f, g, cred, testNow.Add(time.Minute))
	return resp.CredentialState, resp.ChallengeState, code
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		attempts []attempt
	}{
		{"right code", `{}`, []attempt{
			{"right", time.Second, sdk.ResultOK, 0, true},
		}},
		{"right code with spaces", `{}`, []attempt{
			{"spaced", time.Second, sdk.ResultOK, 0, true},
		}},
		{"wrong then right", `{}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"wrong", time.Second, sdk.ResultInvalid, 2, true},
			{"right", time.Second, sdk.ResultOK, 2, true},
		}},
		{"wrong three times locks the code", `{}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"wrong", time.Second, sdk.ResultInvalid, 2, true},
			{"wrong", time.Second, sdk.ResultLockedByFactor, 3, true},
			{"right", time.Second, sdk.ResultLockedByFactor, 0, false},
			{"wrong", time.Second, sdk.ResultLockedByFactor, 0, false},
		}},
		{"five attempts allowed", `{"max_attempts":5}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"wrong", time.Second, sdk.ResultInvalid, 2, true},
			{"wrong", time.Second, sdk.ResultInvalid, 3, true},
			{"wrong", time.Second, sdk.ResultInvalid, 4, true},
			{"right", time.Second, sdk.ResultOK, 4, true},
		}},
		{"reused", `{}`, []attempt{
			{"right", time.Second, sdk.ResultOK, 0, true},
			{"right", 2 * time.Second, sdk.ResultReplayed, 0, false},
		}},
		{"expired", `{}`, []attempt{
			{"right", 5 * time.Minute, sdk.ResultExpired, 0, false},
		}},
		{"expired after wrong tries", `{}`, []attempt{
			{"wrong", time.Second, sdk.ResultInvalid, 1, true},
			{"right", 6 * time.Minute, sdk.ResultExpired, 0, false},
		}},
		{"malformed codes do not count", `{}`, []attempt{
			{"malformed", time.Second, sdk.ResultInvalid, 0, false},
			{"١٢٣٤٥٦", time.Second, sdk.ResultInvalid, 0, false},
			{strings.Repeat("1", 10000), time.Second, sdk.ResultInvalid, 0, false},
			{"right", time.Second, sdk.ResultOK, 0, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, g := newTestFactor(t, tc.settings)
			cred, ch, code := challenged(t, f, g)
			sent := testNow.Add(time.Minute)
			for i, a := range tc.attempts {
				proof := proofFor(a.proof, code)
				if a.proof == "spaced" {
					proof = code[:3] + " " + code[3:]
				}
				credBefore, chBefore := bytes.Clone(cred), bytes.Clone(ch)
				resp, err := f.Verify(context.Background(), sdk.VerifyRequest{
					User: sdk.User{ID: "u-1"}, CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: proof}, Now: sent.Add(a.after),
				})
				if err != nil {
					t.Fatalf("attempt %d: Verify: %v", i, err)
				}
				if !bytes.Equal(cred, credBefore) || !bytes.Equal(ch, chBefore) {
					t.Fatalf("attempt %d: the input states changed", i)
				}
				if resp.Result != a.want {
					t.Fatalf("attempt %d: result %v (%s), want %v", i, resp.Result, resp.Reason, a.want)
				}
				if a.want != sdk.ResultOK && (resp.Reason == "" || resp.CredentialState != nil) {
					t.Fatalf("attempt %d: reason %q, credential state %q", i, resp.Reason, resp.CredentialState)
				}
				if (resp.ChallengeState != nil) != a.wantState {
					t.Fatalf("attempt %d: challenge state returned %v, want %v", i, resp.ChallengeState != nil, a.wantState)
				}
				if resp.ChallengeState == nil {
					continue
				}
				st, err := decodeChallenge(resp.ChallengeState)
				if err != nil {
					t.Fatalf("attempt %d: returned challenge state: %v", i, err)
				}
				if st.Code.Attempts != a.wantAttempts || st.Code.Used != (a.want == sdk.ResultOK) {
					t.Fatalf("attempt %d: attempts %d, used %v", i, st.Code.Attempts, st.Code.Used)
				}
				ch = resp.ChallengeState
				if a.want == sdk.ResultOK {
					next, err := decodeCredential(resp.CredentialState)
					if err != nil || !next.Latest.Used || next.Latest.ID != st.Code.ID {
						t.Fatalf("attempt %d: credential %+v, %v", i, next, err)
					}
					cred = resp.CredentialState
				}
			}
		})
	}
}

// After a success, each returned state on its own refuses the code again.
func TestVerifyReplayedAgainstEitherState(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred, ch, code := challenged(t, f, g)
	now := testNow.Add(time.Minute + time.Second)
	ok, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: code}, Now: now})
	if err != nil || ok.Result != sdk.ResultOK {
		t.Fatalf("Verify = %v, %v", ok.Result, err)
	}
	tests := []struct {
		name     string
		cred, ch []byte
	}{
		{"both new states", ok.CredentialState, ok.ChallengeState},
		{"new credential, old challenge", ok.CredentialState, ch},
		{"old credential, new challenge", cred, ok.ChallengeState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: tc.cred, ChallengeState: tc.ch, Proof: sdk.Proof{Code: code}, Now: now})
			if err != nil || resp.Result != sdk.ResultReplayed {
				t.Fatalf("Verify = %v (%s), %v; want replayed", resp.Result, resp.Reason, err)
			}
			if resp.ChallengeState != nil || resp.CredentialState != nil {
				t.Fatal("a replay returned state")
			}
		})
	}
}

// A resend supersedes the previous code: it no longer verifies, with its own
// challenge state or the new one.
func TestVerifyResendInvalidatesPreviousCode(t *testing.T) {
	// Deterministic codes, so that the two codes surely differ.
	f, g := newTestFactor(t, `{}`, WithRand(&sequenceReader{}))
	cred := enroll(t, f, g, testNow)
	first, firstCode := challenge(t, f, g, cred, testNow.Add(time.Minute))
	second, secondCode := challenge(t, f, g, first.CredentialState, testNow.Add(2*time.Minute))
	cred = second.CredentialState
	now := testNow.Add(2*time.Minute + time.Second)
	if firstCode == secondCode {
		t.Fatalf("both challenges sent %s", firstCode)
	}
	tests := []struct {
		name   string
		ch     []byte
		code   string
		want   sdk.Result
		reason string
	}{
		{"old code, old challenge", first.ChallengeState, firstCode, sdk.ResultExpired, "a newer code has been sent; enter the code from the latest message"},
		{"new code, old challenge", first.ChallengeState, secondCode, sdk.ResultExpired, "a newer code has been sent; enter the code from the latest message"},
		{"old code, new challenge", second.ChallengeState, firstCode, sdk.ResultInvalid, ""},
		{"new code, new challenge", second.ChallengeState, secondCode, sdk.ResultOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: cred, ChallengeState: tc.ch, Proof: sdk.Proof{Code: tc.code}, Now: now})
			if err != nil || resp.Result != tc.want {
				t.Fatalf("Verify = %v (%s), %v; want %v", resp.Result, resp.Reason, err, tc.want)
			}
			if tc.reason != "" && resp.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", resp.Reason, tc.reason)
			}
		})
	}
}

// A code is bound to the challenge that sent it: even a challenge state
// carrying the same key and hash under another id refuses it.
func TestVerifyCodeBoundToChallenge(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred := enroll(t, f, g, testNow)
	first, firstCode := challenge(t, f, g, cred, testNow.Add(time.Minute))
	second, _ := challenge(t, f, g, first.CredentialState, testNow.Add(2*time.Minute))
	a, err := decodeChallenge(first.ChallengeState)
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeChallenge(second.ChallengeState)
	if err != nil {
		t.Fatal(err)
	}
	// b's id with a's key and hash.
	forged := b.Code
	forged.Key, forged.Hash = a.Code.Key, a.Code.Hash
	ch, err := encodeChallenge(newChallenge(forged))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: second.CredentialState, ChallengeState: ch, Proof: sdk.Proof{Code: firstCode}, Now: testNow.Add(2*time.Minute + time.Second)})
	if err != nil || resp.Result != sdk.ResultInvalid {
		t.Fatalf("Verify = %v, %v; want invalid", resp.Result, err)
	}
}

func TestVerifyRequestTime(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred, ch, code := challenged(t, f, g)
	tests := []struct {
		name string
		now  time.Time
		want sdk.Result
	}{
		{"zero time", time.Time{}, sdk.ResultInvalid},
		{"before 1970", time.Unix(-1, 0), sdk.ResultInvalid},
		{"a moment before the send (clocks apart)", testNow.Add(time.Minute - time.Second), sdk.ResultOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: code}, Now: tc.now})
			if err != nil || resp.Result != tc.want {
				t.Fatalf("Verify = %v (%s), %v; want %v", resp.Result, resp.Reason, err, tc.want)
			}
		})
	}
}

func TestVerifyBadState(t *testing.T) {
	f, g := newTestFactor(t, `{}`)
	cred, ch, code := challenged(t, f, g)
	pending, _ := begin(t, f, g, testNow)
	garbage := [][]byte{
		nil, {}, []byte("null"), []byte("{}"), []byte("\x00garbage\xff"),
		cred[:len(cred)/2], ch[:len(ch)-1],
		flip(cred, 0), flip(cred, len(cred)/2), flip(cred, len(cred)-1),
		flip(ch, 0), flip(ch, len(ch)/2), flip(ch, len(ch)-1),
		pending.PendingState,
	}
	for i, bad := range garbage {
		for _, which := range []string{"credential", "challenge"} {
			req := sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: code}, Now: testNow.Add(time.Minute + time.Second)}
			if which == "credential" {
				req.CredentialState = bad
			} else {
				req.ChallengeState = bad
			}
			resp, err := f.Verify(context.Background(), req)
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("garbage %d as %s state: err %v, want sdk.ErrBadState", i, which, err)
			}
			if resp.Result == sdk.ResultOK || resp.ChallengeState != nil || resp.CredentialState != nil {
				t.Fatalf("garbage %d as %s state: %+v", i, which, resp)
			}
		}
	}
	// The same proof with the real states passes, or the refusals show nothing.
	resp, err := f.Verify(context.Background(), sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: code}, Now: testNow.Add(time.Minute + time.Second)})
	if err != nil || resp.Result != sdk.ResultOK {
		t.Fatalf("control: %v, %v", resp.Result, err)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func FuzzVerify(f *testing.F) {
	fac, g := newTestFactor(f, `{}`)
	cred, ch, code := challenged(f, fac, g)
	f.Add(cred, ch, code, testNow.Add(time.Minute).Unix())
	f.Add(cred, ch, wrongCode(code), testNow.Add(time.Minute).Unix())
	f.Add(cred, ch, "", int64(0))
	f.Add(cred[:len(cred)-2], ch, code, testNow.Unix())
	f.Add(cred, []byte("null"), code, testNow.Unix())
	f.Add([]byte{}, []byte{}, "000000", int64(-1))
	f.Fuzz(func(t *testing.T, cred, ch []byte, code string, unix int64) {
		_, credErr := decodeCredential(cred)
		_, chErr := decodeChallenge(ch)
		resp, err := fac.Verify(context.Background(), sdk.VerifyRequest{CredentialState: cred, ChallengeState: ch, Proof: sdk.Proof{Code: code}, Now: time.Unix(unix, 0)})
		if credErr != nil || chErr != nil {
			if !errors.Is(err, sdk.ErrBadState) || resp.Result == sdk.ResultOK {
				t.Fatalf("unreadable state: %v, %v", resp.Result, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("readable states: %v", err)
		}
		if resp.ChallengeState != nil {
			if _, err := decodeChallenge(resp.ChallengeState); err != nil {
				t.Fatalf("returned an unreadable challenge state: %v", err)
			}
		}
		if resp.Result == sdk.ResultOK {
			next, err := decodeCredential(resp.CredentialState)
			if err != nil || !next.Latest.Used {
				t.Fatalf("OK with credential %+v, %v", next, err)
			}
		}
	})
}
