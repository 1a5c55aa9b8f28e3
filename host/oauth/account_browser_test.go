package oauth_test

import (
	"strings"
	"testing"
	"time"

	chromium "github.com/factorgate/factorgate/host/internal/browser"
)

// Browser tests of the account and login pages in Chromium, at a phone's
// width and a desktop's: the account page's actions with step-up, legible
// backup codes and keys, and no serious accessibility problem.

var browserWidths = []struct {
	name  string
	width int
}{{"phone", 390}, {"desktop", 1280}}

// checkAxe fails the test on a serious or critical accessibility violation
// of the page as it is now.
func checkAxe(t *testing.T, p *chromium.Page, where string) {
	t.Helper()
	if v := chromium.Serious(p.Axe()); len(v) != 0 {
		t.Errorf("%s: accessibility violations: %v", where, v)
	}
}

// checkCodesLegible fails the test when a backup code's text overlaps
// another code's cell, is cut off, or leaves its page, or when the list
// draws bullets outside its cells.
func checkCodesLegible(t *testing.T, p *chromium.Page, width int) {
	t.Helper()
	texts, cells := p.TextBoxes("ul.codes li"), p.Boxes("ul.codes li")
	if len(texts) < 5 || len(texts) != len(cells) {
		t.Fatalf("%d codes, %d cells", len(texts), len(cells))
	}
	for i, tb := range texts {
		if tb.Clipped || tb.X < 0 || tb.X+tb.Width > float64(width) || tb.Width == 0 {
			t.Errorf("code %q is drawn at %+v in a %d px page", tb.Text, tb, width)
		}
		for j, cell := range cells {
			if i != j && tb.Overlaps(cell) {
				t.Errorf("code %q overlaps the cell of %q", tb.Text, texts[j].Text)
			}
		}
	}
	var outsideBullets bool
	p.Eval(`[...document.querySelectorAll('ul.codes li')].some(li => {
		const s = getComputedStyle(li);
		return s.listStyleType !== 'none' && s.listStylePosition !== 'inside';
	})`, &outsideBullets)
	if outsideBullets {
		t.Error("the codes have bullets drawn outside their cells")
	}
}

// checkKeyLegible fails the test when the authenticator key is cut off,
// leaves its card, or is not in groups of four.
func checkKeyLegible(t *testing.T, p *chromium.Page) {
	t.Helper()
	key, card := p.TextBoxes(".secret"), p.Boxes("main")
	if len(key) != 1 || len(card) != 1 {
		t.Fatalf("key boxes %+v, card %+v", key, card)
	}
	if k, c := key[0], card[0]; k.Clipped || k.X < c.X || k.X+k.Width > c.X+c.Width {
		t.Errorf("key %q drawn at %+v, outside its card %+v", k.Text, k, c)
	}
	for _, g := range strings.Fields(key[0].Text) {
		if len(g) > 4 {
			t.Errorf("key %q has a group longer than four characters", key[0].Text)
		}
	}
}

// browserTOTP types the user's next TOTP code into the page's code field
// and submits it.
func browserTOTP(h *host, p *chromium.Page, secret string) {
	p.Fill("#code", h.totpCode(secret))
	h.nextStep()
	p.ClickNav("form:has(#code) button[type=submit]")
}

func TestBrowserAccountPage(t *testing.T) {
	for _, w := range browserWidths {
		t.Run(w.name, func(t *testing.T) {
			b := chromium.Start(t)
			h := sqliteHost(t, hostOptions{})
			bob := h.user("bob")
			secret, _ := h.enrollTOTP(bob)
			p := b.NewPage(w.width, 900)

			p.Goto(h.url + "/account")
			checkAxe(t, p, "password step")
			p.Fill("#username", "bob")
			p.Fill("#password", password)
			p.ClickNav("button[type=submit]")
			checkAxe(t, p, "verify step")
			browserTOTP(h, p, secret)
			if got := p.Text("h1"); got != "Your account" {
				t.Fatalf("after sign-in the page is %q: %s", got, p.Content())
			}
			checkAxe(t, p, "account page")
			if events := strings.Join(p.Texts("ol.events li"), "\n"); !strings.Contains(events, "Signed in") || !strings.Contains(events, "Chrome") {
				t.Errorf("events: %s", events)
			}

			// Adding a factor with a stale session asks for the TOTP first.
			h.clock.Add(6 * time.Minute)
			p.Goto(h.url + "/account")
			p.ClickNav(`button:has-text("Verify to add a factor")`)
			checkAxe(t, p, "step-up page")
			browserTOTP(h, p, secret)
			browserAddSMS(t, h, p)

			// Removing it with a stale session asks again.
			h.clock.Add(6 * time.Minute)
			p.ClickNav(`form[action="/account/remove"] button:has-text("Text message")`)
			if got := p.Text("h1"); got != "Verify it's you" {
				t.Fatalf("remove with a stale session shows %q", got)
			}
			browserTOTP(h, p, secret)
			if got := p.Text(".notice"); got != "The factor was removed." || p.Count(`ul.factors h3:text-is("Text message")`) != 0 {
				t.Fatalf("after removal: notice %q: %s", got, p.Content())
			}

			// New backup codes (the step-up is fresh), legible at this width.
			p.ClickNav(`button:has-text("Get new backup codes")`)
			checkCodesLegible(t, p, w.width)
			checkAxe(t, p, "new backup codes")
			p.ClickNav(`a:has-text("Back to your account")`)
			if events := strings.Join(p.Texts("ol.events li"), "\n"); !strings.Contains(events, "New backup codes") || !strings.Contains(events, "Removed Text message") {
				t.Errorf("events after the changes: %s", events)
			}

			p.ClickNav(`button:has-text("Sign out everywhere")`)
			checkAxe(t, p, "signed out")
			p.Goto(h.url + "/account")
			if p.Count("#password") != 1 {
				t.Fatalf("after signing out everywhere the account page is open: %s", p.Content())
			}
		})
	}
}

// browserAddSMS adds a text-message factor on the account page.
func browserAddSMS(t *testing.T, h *host, p *chromium.Page) {
	t.Helper()
	const phone = "+61412345678"
	p.Fill("#phone-sms", phone)
	p.Fill("#nickname-sms", "Work phone")
	p.ClickNav(`form[action="/account/add"]:has(#phone-sms) button[type=submit]`)
	if got := p.Text("h1"); got != "Confirm your new factor" {
		t.Fatalf("add SMS: page %q: %s", got, p.Content())
	}
	checkAxe(t, p, "confirm new factor")
	p.Fill("#code", h.sms.lastCode(t, phone))
	p.ClickNav("form:has(#code) button[type=submit]")
	if got := p.Text(".notice"); got != "Your new factor is ready." {
		t.Fatalf("after adding SMS: notice %q: %s", got, p.Content())
	}
	if p.Count(`li:has(h3:text-is("Text message")):has-text("Work phone")`) != 1 {
		t.Errorf("the new factor is not listed with its name: %s", p.Content())
	}
}

// TestBrowserEnrollmentPages: the enrolment of a login, at both widths:
// accessible steps, a key in groups of four inside its card, and backup
// codes that do not overlap.
func TestBrowserEnrollmentPages(t *testing.T) {
	for _, w := range browserWidths {
		t.Run(w.name, func(t *testing.T) {
			b := chromium.Start(t)
			h := sqliteHost(t, hostOptions{})
			h.user("amy")
			id, secret := h.client(clientSpec{id: "bank", requireMFA: true})
			c := h.rp(t, id, secret)
			p := b.NewPage(w.width, 900)
			p.Goto(c.authorization().url)
			p.Fill("#username", "amy")
			p.Fill("#password", password)
			p.ClickNav("button[type=submit]")
			if got := p.Text("h1"); got != "Set up a second factor" {
				t.Fatalf("enrolment page is %q", got)
			}
			checkAxe(t, p, "enrolment choice")
			p.ClickNav(`button:has-text("Use Authenticator app")`)
			checkAxe(t, p, "enrolment confirm")
			checkKeyLegible(t, p)
			key := strings.ReplaceAll(p.Text(".secret"), " ", "")
			browserTOTP(h, p, key)
			if got := p.Text("h1"); got != "Save your backup codes" {
				t.Fatalf("after confirming: %q", got)
			}
			checkCodesLegible(t, p, w.width)
			checkAxe(t, p, "backup codes")
		})
	}
}
