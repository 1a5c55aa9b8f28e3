package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/oauth"
)

// TestThirdPartyFactorAtLogin: the email example, a third party's factor
// that declares a sent code and an email address to enroll with, is offered
// on the login pages by its display name, enrolled there, and proves the
// next login.
func TestThirdPartyFactorAtLogin(t *testing.T) {
	mail := testsignin.NewMailbox(t)
	h := sqliteHost(t, hostOptions{mail: mail})
	h.user("erin")
	const addr = "erin@example.net"
	id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
	c := h.rp(t, id, secret)
	start := time.Now().Add(-time.Second)

	b := h.browser()
	a := c.authorization()
	p := b.signIn(b.get(a.url), "erin")
	if !p.contains(`value="email"`) || !p.contains("Use Email") || !p.contains(`type="email"`) || !p.contains("Email address") {
		t.Fatalf("the enrollment page does not offer the email factor: %d %s", p.status, p.body)
	}
	p = b.submit(p, "/login/enroll", url.Values{"factor": {"email"}, "email": {addr}})
	if p.status != http.StatusOK || !p.contains("We sent a code to e***@example.net") || strings.Contains(p.body, addr) {
		t.Fatalf("confirm step: %d %s", p.status, p.body)
	}
	p = b.submit(p, "/login/enroll/confirm", url.Values{"code": {mail.Last(t, addr)}})
	if p.contains("shown only this once") {
		p = b.submit(p, "/login/continue", nil)
	}
	_, claims := c.exchange(t, a, codeFrom(t, p, a.state))
	checkAuth(t, "enrollment login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)

	// The next login sends a code to the address and takes it.
	h.mfaClock.Add(time.Minute)
	b2 := h.browser()
	a2 := c.authorization()
	sent := mail.Count()
	p = b2.signIn(b2.get(a2.url), "erin")
	if mail.Count() != sent+1 || !p.contains("Email") || !p.contains("We sent a code to") {
		t.Fatalf("verify step: %d mails, page %s", mail.Count()-sent, p.body)
	}
	p = b2.enterCode(p, mail.Last(t, addr))
	_, claims = c.exchange(t, a2, codeFrom(t, p, a2.state))
	checkAuth(t, "email login", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)
}
