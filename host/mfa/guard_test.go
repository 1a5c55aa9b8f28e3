package mfa_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// No factor is ever called while a database transaction is open on the
// context: every lifecycle step that calls one refuses, before the call, and
// the same step succeeds outside the transaction.
func TestNoFactorCallInsideATransaction(t *testing.T) {
	eachHost(t, mfa.Options{Lockout: mfa.LockoutPolicy{MaxFailures: 100}}, func(t *testing.T, f *fixture) {
		secret := f.enrollTOTP()
		f.enrollSMS()
		f.clock.Add(time.Minute)
		pending, err := f.svc.BeginEnrollment(t.Context(), meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			refused string // the factor step that is refused
			op      func(ctx context.Context) error
		}{
			// The SMS factor names its destination before it is asked to send.
			{"challenge", "Destination", func(ctx context.Context) error {
				_, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
				return err
			}},
			{"verify", "Verify", func(ctx context.Context) error {
				_, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, secret, f.clock.Now())}})
				return err
			}},
			{"begin an enrollment", "BeginEnrollment", func(ctx context.Context) error {
				en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
				if err == nil {
					pending = en // it replaced the earlier one
				}
				return err
			}},
			{"enroll a factor that needs no proof", "BeginEnrollment", func(ctx context.Context) error {
				_, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "backup-codes", Replace: true})
				return err
			}},
			{"confirm an enrollment", "FinishEnrollment", func(ctx context.Context) error {
				_, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: pending.ID,
					Proof: sdk.Proof{Code: code(t, pending.Display.Secret, f.clock.Now())}, Replace: true})
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := f.spy.total()
				rollback := errors.New("roll back")
				err := f.st.InTx(t.Context(), func(ctx context.Context) error {
					err := tc.op(ctx)
					var refused *mfa.TransactionOpenError
					if !errors.As(err, &refused) || refused.Call != tc.refused {
						t.Errorf("inside a transaction: %v, want the %s call refused", err, tc.refused)
					}
					return rollback
				})
				if !errors.Is(err, rollback) {
					t.Fatal(err)
				}
				if n := f.spy.total() - before; n != 0 {
					t.Fatalf("%d factor calls were made inside the transaction", n)
				}
				if err := tc.op(t.Context()); err != nil {
					t.Fatalf("outside a transaction: %v", err)
				}
			})
		}
	})
}
