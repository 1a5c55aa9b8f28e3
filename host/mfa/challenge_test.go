package mfa_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// wrongCode returns a code that is not c.
func wrongCode(c string) string {
	return fmt.Sprintf("%0*d", len(c), (atoiOrZero(c)+1)%1000000)
}

// A factor that sends codes: the enrollment confirms with the code sent,
// every challenge replaces the previous one, a code answers its challenge
// once, and wrong, spent, expired and unknown challenges are told apart.
func TestChallengeAndVerify(t *testing.T) {
	eachHost(t, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 100}, SendLimits: mfa.SendLimits{ResendInterval: 10 * time.Second}}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "sms", Params: map[string]string{"phone": "+61412345678"}})
		if err != nil {
			t.Fatal(err)
		}
		sent := f.sms.lastCode(t)
		// A wrong confirmation code is counted in the pending state.
		_, err = f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, Factor: "sms", Proof: sdk.Proof{Code: wrongCode(sent)}})
		if !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("wrong confirmation code: %v", err)
		}
		if _, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, Factor: "sms", Proof: sdk.Proof{Code: sent}}); err != nil {
			t.Fatalf("confirm with the code sent: %v", err)
		}

		challenge := func() mfa.Challenge {
			t.Helper()
			ch, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
			if err != nil {
				t.Fatal(err)
			}
			if ch.ID == "" || ch.Factor != "sms" || !ch.ExpiresAt.After(f.clock.Now()) {
				t.Fatalf("challenge %+v", ch)
			}
			return ch
		}
		verify := func(challengeID, c string) error {
			_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "sms", ChallengeID: challengeID, Proof: sdk.Proof{Code: c}})
			return err
		}

		f.clock.Add(time.Minute)
		first := challenge()
		firstCode := f.sms.lastCode(t)
		// Another code at once is refused by the resend interval.
		_, err = f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
		if d, ok := mfa.RetryAfter(err); !errors.Is(err, mfa.ErrThrottled) || !ok || d <= 0 {
			t.Fatalf("second challenge at once: %v (retry after %v)", err, d)
		}
		f.clock.Add(11 * time.Second)
		second := challenge()
		c := f.sms.lastCode(t)

		for _, step := range []struct {
			name        string
			challengeID string
			code        string
			want        error // nil: accepted
		}{
			{"the replaced challenge is gone", first.ID, firstCode, mfa.ErrNoChallenge},
			{"an unknown challenge", "no-such-challenge", c, mfa.ErrNoChallenge},
			{"a wrong code", "", wrongCode(c), mfa.ErrInvalidCode},
			{"the right code for the newest challenge", "", c, nil},
			{"the same code again", second.ID, c, mfa.ErrReplayed},
		} {
			if err := verify(step.challengeID, step.code); !errors.Is(err, step.want) || (step.want == nil && err != nil) {
				t.Fatalf("%s: %v, want %v", step.name, err, step.want)
			}
		}

		// Wrong codes spend a challenge.
		f.clock.Add(11 * time.Second)
		spent := challenge()
		c = f.sms.lastCode(t)
		var last error
		for range 4 {
			last = verify(spent.ID, wrongCode(c))
		}
		if !errors.Is(last, mfa.ErrChallengeSpent) {
			t.Fatalf("after four wrong codes: %v, want ErrChallengeSpent", last)
		}
		if err := verify(spent.ID, c); !errors.Is(err, mfa.ErrChallengeSpent) {
			t.Fatalf("right code for a spent challenge: %v, want ErrChallengeSpent", err)
		}

		// An expired challenge is refused and dropped.
		f.clock.Add(11 * time.Second)
		expiring := challenge()
		c = f.sms.lastCode(t)
		f.clock.Add(expiring.ExpiresAt.Sub(f.clock.Now()))
		if err := verify("", c); !errors.Is(err, mfa.ErrExpired) {
			t.Fatalf("code of an expired challenge: %v, want ErrExpired", err)
		}
		if err := verify(expiring.ID, c); !errors.Is(err, mfa.ErrNoChallenge) {
			t.Fatalf("expired challenge again: %v, want ErrNoChallenge", err)
		}

		results := map[string]int{}
		for _, e := range f.auditByID() {
			results[e.Action+":"+e.Result]++
		}
		for _, want := range []string{"challenge:ok", "challenge:throttled", "verify:ok", "verify:invalid", "verify:replayed",
			"verify:no_challenge", "verify:challenge_spent", "verify:expired", "enroll.confirm:invalid"} {
			if results[want] == 0 {
				t.Errorf("no audit event %s in %v", want, results)
			}
		}
	})
}
