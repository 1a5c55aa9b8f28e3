package mfa_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// A confirmation can enroll a factor that needs no proof (backup codes) in
// the same commit; a factor that needs a proof cannot be enrolled that way,
// and then nothing is confirmed.
func TestConfirmWithCompanion(t *testing.T) {
	eachHost(t, mfa.Options{}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
		if err != nil {
			t.Fatal(err)
		}
		proof := sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}
		for _, tc := range []struct {
			also string
			want error
		}{
			{"no-such-factor", mfa.ErrUnknownFactor},
			{"totp", mfa.ErrUnsupported}, // needs a proof of its own
		} {
			_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: proof, AlsoEnroll: tc.also})
			if !errors.Is(err, tc.want) {
				t.Fatalf("confirm also enrolling %q: %v, want %v", tc.also, err, tc.want)
			}
			if _, err := f.svc.PendingEnrollment(ctx, f.user.ID, "totp"); err != nil {
				t.Fatalf("a refused companion confirmed the enrollment: %v", err)
			}
		}

		f.clock.Add(30 * time.Second)
		proof = sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}
		conf, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: proof, AlsoEnroll: "backup-codes"})
		if err != nil {
			t.Fatal(err)
		}
		also := conf.Also
		if also == nil || also.Credential.Factor != "backup-codes" || also.Credential.Status != store.CredentialActive || len(also.Display.Codes) == 0 {
			t.Fatalf("companion %+v", also)
		}
		if conf.Credential.Status != store.CredentialActive || conf.Credential.AMR[0] != "otp" {
			t.Fatalf("confirmed %+v", conf.Credential)
		}
		for _, factor := range []string{"totp", "backup-codes"} {
			if _, err := f.svc.ActiveCredential(ctx, f.user.ID, factor); err != nil {
				t.Fatalf("%s not active: %v", factor, err)
			}
		}
		v, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "backup-codes", Proof: sdk.Proof{Code: also.Display.Codes[0]}})
		if err != nil || v.Credential.ID != also.Credential.ID {
			t.Fatalf("verify a backup code shown once: %+v, %v", v, err)
		}
		_, err = f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "backup-codes", Proof: sdk.Proof{Code: also.Display.Codes[0]}})
		if !errors.Is(err, mfa.ErrReplayed) {
			t.Fatalf("the same backup code again: %v, want ErrReplayed", err)
		}
	})
}

// Confirmations racing on one enrollment, on two hosts: exactly one
// activates it, every other one is told it was already confirmed.
func TestConcurrentConfirmationsActivateOnce(t *testing.T) {
	eachBackendTwoHosts(t, func(t *testing.T, f, other *fixture) {
		en, err := f.svc.BeginEnrollment(t.Context(), meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
		if err != nil {
			t.Fatal(err)
		}
		proof := sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}
		var mu sync.Mutex
		outcomes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 8 {
			svc := []*mfa.Service{f.svc, other.svc}[i%2]
			wg.Go(func() {
				_, err := svc.ConfirmEnrollment(t.Context(), meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: proof})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					outcomes["ok"]++
				case errors.Is(err, mfa.ErrReplayed), errors.Is(err, mfa.ErrNoEnrollment):
					outcomes["already confirmed"]++
				default:
					t.Errorf("unexpected: %v", err)
				}
			})
		}
		wg.Wait()
		if outcomes["ok"] != 1 || outcomes["already confirmed"] != 7 {
			t.Fatalf("outcomes %v, want one confirmation", outcomes)
		}
	})
}

// eachBackendTwoHosts runs fn on every backend with two hosts (their
// own connection pools and in-process factors) on one database and one clock.
func eachBackendTwoHosts(t *testing.T, fn func(t *testing.T, f, other *fixture)) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		// Every attempt counts toward the lockout; these are many at once.
		lockout := mfa.LockoutPolicy{MaxFailures: 100}
		f := newFixture(t, newURL, false, mfa.Options{Lockout: lockout})
		other := &fixture{env: f.env, st: f.openStore(), sms: f.sms, spy: f.spy}
		other.svc = mfa.New(other.st, f.factors, f.sealer, mfa.Options{Now: f.clock.Now, Lockout: lockout})
		fn(t, f, other)
	})
}

// Failures that need no factor: every lifecycle step names what is wrong.
func TestLifecycleRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		f := newFixture(t, newURL, false, mfa.Options{})
		ctx := t.Context()
		f.enrollTOTP()
		other, err := f.st.CreateUser(ctx, store.User{ID: "user-2", OrgID: f.user.OrgID, Name: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		othersPending, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: other.ID, Factor: "totp"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			op   func() error
			want error
		}{
			{"begin for nobody", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{Factor: "totp"})
				return err
			}, mfa.ErrUserNotFound},
			{"begin for an unknown user", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: "ghost", Factor: "totp"})
				return err
			}, mfa.ErrUserNotFound},
			{"begin an unknown factor", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "carrier-pigeon"})
				return err
			}, mfa.ErrUnknownFactor},
			{"begin a factor already active", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
				return err
			}, mfa.ErrAlreadyEnrolled},
			{"begin with parameters the factor refuses", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "sms", Params: map[string]string{"phone": "not a number"}})
				if mfa.Reason(err) == "" {
					return fmt.Errorf("no reason given: %w", err)
				}
				return err
			}, mfa.ErrInvalidParams},
			{"confirm with nothing pending", func() error {
				_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, Factor: "totp", Proof: sdk.Proof{Code: "123456"}})
				return err
			}, mfa.ErrNoEnrollment},
			{"confirm another user's enrollment", func() error {
				_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: othersPending.ID, Proof: sdk.Proof{Code: "123456"}})
				return err
			}, mfa.ErrNoEnrollment},
			{"confirm for an unknown user", func() error {
				_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: "ghost", Factor: "totp"})
				return err
			}, mfa.ErrUserNotFound},
			{"challenge a factor without challenges", func() error {
				_, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "totp"})
				return err
			}, mfa.ErrUnsupported},
			{"challenge a factor not enrolled", func() error {
				_, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
				return err
			}, mfa.ErrNotEnrolled},
			{"verify a factor not enrolled", func() error {
				_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: other.ID, Factor: "totp", Proof: sdk.Proof{Code: "123456"}})
				return err
			}, mfa.ErrNotEnrolled},
			{"verify an unknown factor", func() error {
				_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "carrier-pigeon"})
				return err
			}, mfa.ErrUnknownFactor},
			{"cancel with nothing pending", func() error {
				_, err := f.svc.CancelEnrollment(ctx, meta, f.user.ID, "totp")
				return err
			}, mfa.ErrNoEnrollment},
			{"cancel for an unknown user", func() error {
				_, err := f.svc.CancelEnrollment(ctx, meta, "ghost", "totp")
				return err
			}, mfa.ErrUserNotFound},
			{"remove an unknown credential", func() error {
				_, err := f.svc.RemoveCredential(ctx, meta, f.user.ID, "no-such-credential")
				return err
			}, mfa.ErrNotFound},
			{"remove another user's enrollment", func() error {
				_, err := f.svc.RemoveCredential(ctx, meta, f.user.ID, othersPending.ID)
				return err
			}, mfa.ErrNotFound},
			{"remove for an unknown user", func() error {
				_, err := f.svc.RemoveCredential(ctx, meta, "ghost", othersPending.ID)
				return err
			}, mfa.ErrUserNotFound},
			{"list for an unknown user", func() error {
				_, err := f.svc.ListCredentials(ctx, "ghost")
				return err
			}, mfa.ErrUserNotFound},
			{"an active credential not enrolled", func() error {
				_, err := f.svc.ActiveCredential(ctx, f.user.ID, "sms")
				return err
			}, mfa.ErrNotEnrolled},
			{"a pending enrollment that is not there", func() error {
				_, err := f.svc.PendingEnrollment(ctx, f.user.ID, "sms")
				return err
			}, mfa.ErrNoEnrollment},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.op(); !errors.Is(err, tc.want) {
					t.Fatalf("%v, want %v", err, tc.want)
				}
			})
		}
		// The other user's enrollment survived every attempt on it.
		if _, err := f.svc.PendingEnrollment(ctx, other.ID, "totp"); err != nil {
			t.Fatalf("bob's enrollment: %v", err)
		}
	})
}

// Pending enrollments end: cancelled, expired (then hidden from lists), or
// confirmed; a confirmation that would replace an active credential needs
// Replace.
func TestPendingEnrollments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		f := newFixture(t, newURL, false, mfa.Options{EnrollmentTTL: 5 * time.Minute})
		ctx := t.Context()
		f.enrollTOTP()
		begin := func() mfa.Enrollment {
			t.Helper()
			en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
			if err != nil {
				t.Fatal(err)
			}
			return en
		}
		pendingCount := func() int {
			t.Helper()
			list, err := f.svc.ListCredentials(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range list {
				if c.Status == store.CredentialPending {
					n++
				}
			}
			return n
		}

		en := begin()
		if info, err := f.svc.PendingEnrollment(ctx, f.user.ID, "totp"); err != nil || info.ID != en.ID || info.DisplayName == "" {
			t.Fatalf("pending enrollment %+v, %v", info, err)
		}
		if removed, err := f.svc.CancelEnrollment(ctx, meta, f.user.ID, "totp"); err != nil || removed.CredentialID != en.ID {
			t.Fatalf("cancel: %+v, %v", removed, err)
		}
		if pendingCount() != 0 {
			t.Fatal("a cancelled enrollment is listed")
		}

		en = begin()
		f.clock.Add(5 * time.Minute)
		if _, err := f.svc.PendingEnrollment(ctx, f.user.ID, "totp"); !errors.Is(err, mfa.ErrNoEnrollment) {
			t.Fatalf("expired enrollment: %v, want ErrNoEnrollment", err)
		}
		if pendingCount() != 0 {
			t.Fatal("an expired enrollment is listed")
		}

		en = begin()
		_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}})
		if !errors.Is(err, mfa.ErrAlreadyEnrolled) {
			t.Fatalf("confirm over an active credential without Replace: %v, want ErrAlreadyEnrolled", err)
		}
		f.clock.Add(30 * time.Second)
		conf, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Replace: true, Proof: sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}})
		if err != nil {
			t.Fatal(err)
		}
		if active, err := f.svc.ActiveCredential(ctx, f.user.ID, "totp"); err != nil || active.ID != conf.Credential.ID {
			t.Fatalf("active credential %+v, %v; want the replacement %s", active, err, conf.Credential.ID)
		}
	})
}

// A factor's failures reach the caller as the lifecycle's error kinds, and
// are audited as such; an error the lifecycle does not know stays wrapped.
func TestFactorFailures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		f := newFixture(t, newURL, false, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 100}})
		ctx := t.Context()
		secret := f.enrollTOTP()
		f.enrollSMS()
		boom := errors.New("boom")
		for _, tc := range []struct {
			call    string // the factor call that fails
			err     error
			want    error
			outcome string // the audit event's result
			op      func() error
		}{
			{"totp.BeginEnrollment", sdk.ErrTemporary, mfa.ErrUnavailable, "unavailable", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
				return err
			}},
			{"backup-codes.FinishEnrollment", sdk.ErrNotConfigured, mfa.ErrUnavailable, "unavailable", func() error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "backup-codes"})
				return err
			}},
			{"totp.FinishEnrollment", fmt.Errorf("decode: %w", sdk.ErrBadState), mfa.ErrCredentialBroken, "credential_broken", func() error {
				en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
				if err != nil {
					return err
				}
				_, err = f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: "123456"}})
				return err
			}},
			{"sms.Challenge", sdk.ErrUnsupported, mfa.ErrUnsupported, "error", func() error {
				_, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
				return err
			}},
			{"totp.Verify", sdk.ErrTransport, mfa.ErrUnavailable, "unavailable", func() error {
				_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, f.clock.Now())}})
				return err
			}},
			{"totp.Verify", boom, boom, "error", func() error {
				_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, f.clock.Now())}})
				return err
			}},
		} {
			t.Run(fmt.Sprintf("%s %v", tc.call, tc.err), func(t *testing.T) {
				f.spy.failWith(tc.call, tc.err)
				defer f.spy.failWith(tc.call, nil)
				err := tc.op()
				if !errors.Is(err, tc.want) {
					t.Fatalf("%v, want %v", err, tc.want)
				}
				if tc.want == boom && isKind(err) {
					t.Fatalf("an unknown factor error became a lifecycle kind: %v", err)
				}
				events, err := f.st.ListAudit(ctx, f.user.ID, 1)
				if err != nil || len(events) != 1 || events[0].Result != tc.outcome {
					t.Fatalf("newest audit event %+v, %v; want result %q", events, err, tc.outcome)
				}
			})
		}
	})
}

func isKind(err error) bool {
	for _, k := range mfa.Kinds() {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}
