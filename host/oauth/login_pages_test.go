package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/mfa"
)

// TestSMSStepResendAndOtherMethods: the SMS step says when a new code may
// be sent, a resend asked for too early says how long to wait and keeps
// where the code went, and the step offers the user's other methods.
func TestSMSStepResendAndOtherMethods(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	const phone = "+61412345678"
	carol := h.user("carol")
	h.enrollSMS(carol, phone)
	if _, err := h.mfa.BeginEnrollment(context.Background(), meta, mfa.BeginRequest{UserID: carol.ID, Factor: "backup-codes"}); err != nil {
		t.Fatal(err)
	}
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(t, id, secret)
	b := h.browser()
	p := b.signIn(b.get(c.authorization().url), "carol")
	for _, want := range []string{"We sent a code to", "You can ask for a new code from", "(in 30 seconds)", "Send a new code", "Use another method", "a backup code"} {
		if !p.contains(want) {
			t.Errorf("SMS step lacks %q", want)
		}
	}
	sent := h.sms.count()
	early := b.submit(p, "/login/resend", nil)
	if early.status != http.StatusTooManyRequests || !early.contains("You can ask for another code in") || !early.contains("We sent a code to") || h.sms.count() != sent {
		t.Fatalf("early resend: %d (%d sent) %s", early.status, h.sms.count()-sent, early.body)
	}
	h.clock.Add(31 * time.Second)
	h.mfaClock.Add(time.Minute)
	p = b.get(h.url + "/login?flow=" + url.QueryEscape(p.field(hiddenFlow)))
	if p.contains("You can ask for a new code from") || !p.contains("Send a new code") {
		t.Fatalf("after the interval: %s", p.body)
	}
	p = b.submit(p, "/login/resend", nil)
	if h.sms.count() != sent+1 || !p.contains("(in 30 seconds)") {
		t.Fatalf("resend after the interval: %d sent, page %s", h.sms.count()-sent, p.body)
	}
}

// TestEnrollmentKeepsTypedValues: a refused phone number is shown again in
// its field, so the user corrects it instead of typing it anew.
func TestEnrollmentKeepsTypedValues(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	h.user("dave")
	id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
	c := h.rp(t, id, secret)
	b := h.browser()
	p := b.signIn(b.get(c.authorization().url), "dave")
	p = b.submit(p, "/login/enroll", url.Values{"factor": {"sms"}, "phone": {"0412 34"}})
	if p.status != http.StatusBadRequest || !p.contains(`id="phone-sms" name="phone" value="0412 34"`) {
		t.Fatalf("refused phone number: %d %s", p.status, p.body)
	}
}
