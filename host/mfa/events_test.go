package mfa_test

import (
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// Every lifecycle change returns the audit event it committed: the event is
// in the log with the change's action and time, and ids grow with each change.
func TestChangesReturnTheirAuditEvents(t *testing.T) {
	eachHost(t, mfa.Options{}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		type change struct {
			want  string // action:result of the audit event
			event mfa.Event
		}
		var changes []change
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		record := func(want string, ev mfa.Event) { changes = append(changes, change{want, ev}) }

		en, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
		must(err)
		record("enroll.begin:ok", en.Event)
		conf, err := f.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID,
			Proof: sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}, AlsoEnroll: "backup-codes"})
		must(err)
		record("enroll.confirm:ok", conf.Event)
		record("enroll.confirm:ok", conf.Also.Event)

		f.clock.Add(30 * time.Second)
		v, err := f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "totp", Proof: sdk.Proof{Code: code(t, en.Display.Secret, f.clock.Now())}})
		must(err)
		record("verify:ok", v.Event)

		// A factor that confirms without proof is active at once; its
		// enrollment's event is the confirmation.
		codes, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "backup-codes", Replace: true})
		must(err)
		record("enroll.confirm:ok", codes.Event)

		smsEnrollment, smsConfirmed := f.enrollSMS()
		record("enroll.begin:ok", smsEnrollment.Event)
		record("enroll.confirm:ok", smsConfirmed.Event)
		f.clock.Add(time.Minute)
		ch, err := f.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: f.user.ID, Factor: "sms"})
		must(err)
		record("challenge:ok", ch.Event)
		v, err = f.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: f.user.ID, Factor: "sms", ChallengeID: ch.ID, Proof: sdk.Proof{Code: f.sms.lastCode(t)}})
		must(err)
		record("verify:ok", v.Event)

		pending, err := f.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp", Replace: true})
		must(err)
		record("enroll.begin:ok", pending.Event)
		cancelled, err := f.svc.CancelEnrollment(ctx, meta, f.user.ID, "totp")
		must(err)
		record("enroll.cancel:ok", cancelled.Event)
		if cancelled.CredentialID != pending.ID || cancelled.Factor != "totp" {
			t.Errorf("cancelled %+v, want enrollment %s", cancelled, pending.ID)
		}
		removed, err := f.svc.RemoveCredential(ctx, meta, f.user.ID, smsConfirmed.Credential.ID)
		must(err)
		record("remove:ok", removed.Event)
		if removed.CredentialID != smsConfirmed.Credential.ID || removed.Factor != "sms" {
			t.Errorf("removed %+v, want credential %s", removed, smsConfirmed.Credential.ID)
		}

		logged := f.auditByID()
		for i, c := range changes {
			e, ok := logged[c.event.ID]
			if !ok || e.Action+":"+e.Result != c.want || !e.Time.Equal(c.event.Time) {
				t.Errorf("change %d (%s) returned event %+v; the log has %+v", i, c.want, c.event, e)
			}
			if i > 0 && c.event.ID <= changes[i-1].event.ID {
				t.Errorf("change %d (%s) has event id %d after %d", i, c.want, c.event.ID, changes[i-1].event.ID)
			}
		}
	})
}

// An audit event keeps where the request came from: the client's address
// and the summary of its User-Agent, of a success and of a failure alike.
func TestAuditKeepsClientAddressAndAgent(t *testing.T) {
	eachHost(t, mfa.Options{}, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		m := mfa.Meta{Actor: f.user.ID, RemoteAddr: "198.51.100.4", Via: "test", UserAgent: "Firefox on Android"}
		en, err := f.svc.BeginEnrollment(ctx, m, mfa.BeginRequest{UserID: f.user.ID, Factor: "totp"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ConfirmEnrollment(ctx, m, mfa.ConfirmRequest{UserID: f.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: "000000"}})
		if err == nil {
			t.Fatal("a wrong code confirmed the enrollment")
		}
		var seen int
		for _, e := range f.auditByID() {
			if e.Action != "enroll.begin" && e.Action != "enroll.confirm" {
				continue
			}
			seen++
			if e.RemoteAddr != m.RemoteAddr || e.UserAgent != m.UserAgent {
				t.Errorf("%s:%s recorded address %q and agent %q, want %q and %q", e.Action, e.Result, e.RemoteAddr, e.UserAgent, m.RemoteAddr, m.UserAgent)
			}
		}
		if seen != 2 {
			t.Fatalf("found %d enrollment events, want 2", seen)
		}
	})
}
