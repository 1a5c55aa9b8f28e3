package oauth

import (
	"net/http"
	"strings"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
)

// accountData is what the account templates render.
type accountData struct {
	pageData
	// Message is the text of a page that only says something.
	Message string
	// Notice says what the last action did.
	Notice string
	User   string
	// FreshUntil is when the last second factor proven stops sufficing for
	// changes; empty when it does not.
	FreshUntil    stamp
	Factors       []accountFactor
	CanRegenerate bool
	Events        []accountEvent
	StepUp        *stepUpData
}

// stamp is a time as the pages show it, with its machine-readable form.
type stamp struct {
	ISO  string
	Text string
}

func stampOf(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	t = t.UTC()
	return stamp{ISO: t.Format(time.RFC3339), Text: t.Format("2 Jan 2006, 15:04 UTC")}
}

// accountFactor is one of the user's factors as the page lists it.
type accountFactor struct {
	ID          string
	DisplayName string
	Nickname    string
	Added       stamp
	LastUsed    stamp
	Backup      bool
}

// accountEvent is a security event as the page lists it.
type accountEvent struct {
	When    stamp
	What    string
	Outcome string
	OK      bool
	Address string
	Browser string
}

// renderAccount renders the account page with a notice or an error.
func (p *Provider) renderAccount(w http.ResponseWriter, r *http.Request, se auth.Session, status int, notice, errMsg string) {
	p.renderAccountForm(w, r, se, status, errMsg, enrollPosted{Notice: notice})
}

// renderAccountForm renders the account page, the add form showing what
// was posted.
func (p *Provider) renderAccountForm(w http.ResponseWriter, r *http.Request, se auth.Session, status int, errMsg string, posted enrollPosted) {
	ctx := r.Context()
	d := accountData{
		pageData: pageData{Title: "Your account", CSRF: se.CSRFToken(), Error: errMsg, Posted: posted, Wide: true},
		Notice:   posted.Notice, User: se.User.Name,
	}
	if p.fresh(se) {
		d.FreshUntil = stampOf(se.AuthTime.Add(stepUpWindow))
	}
	creds, err := p.d.MFA.ListCredentials(ctx, se.User.ID)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
		return
	}
	for _, c := range creds {
		if c.Status != store.CredentialActive {
			continue
		}
		f := accountFactor{ID: c.ID, DisplayName: p.factorName(c.Factor), Nickname: c.Name,
			Added: stampOf(c.CreatedAt), LastUsed: stampOf(c.LastUsedAt), Backup: c.Factor == p.d.BackupCodes}
		d.CanRegenerate = d.CanRegenerate || (f.Backup && p.backupCompanion() != "")
		d.Factors = append(d.Factors, f)
	}
	d.Options = p.accountOptions(r, se.User.ID)
	events, err := p.d.Store.ListAudit(ctx, se.User.ID, accountEvents)
	if err != nil {
		p.renderError(w, r, http.StatusInternalServerError, "Your security events could not be listed.", err)
		return
	}
	for _, e := range events {
		d.Events = append(d.Events, p.accountEvent(e))
	}
	p.render(w, status, "account", d)
}

// accountEvent describes an audit event for the person it is about.
func (p *Provider) accountEvent(e store.AuditEvent) accountEvent {
	factor := p.factorName(e.Factor)
	what := map[string]string{
		"enroll.begin":          "Started adding " + factor,
		"enroll.confirm":        "Added " + factor,
		"enroll.cancel":         "Stopped adding " + factor,
		"challenge":             "Code sent for " + factor,
		"verify":                "Verified with " + factor,
		"remove":                "Removed " + factor,
		signin.ActionPassword:   "Entered the password",
		signin.ActionLogin:      "Signed in",
		actionSignOut:           "Signed out",
		actionSignOutEverywhere: "Signed out everywhere",
	}[e.Action]
	if what == "" {
		what = e.Action
	}
	if e.Action == "enroll.confirm" && e.Factor == p.d.BackupCodes {
		what = "New backup codes"
	}
	out := accountEvent{When: stampOf(e.Time), What: what, OK: e.Result == "ok", Address: e.RemoteAddr, Browser: e.UserAgent}
	out.Outcome = outcomeText(e.Result)
	if e.Action == signin.ActionPassword && e.Result == "invalid" {
		out.Outcome = "Failed: wrong password"
	}
	if out.Address == "" {
		out.Address = "unknown address"
	}
	if out.Browser == "" {
		out.Browser = "unknown browser"
	}
	return out
}

// outcomeText says what an audit result means.
func outcomeText(result string) string {
	switch result {
	case "ok":
		return "Succeeded"
	case "invalid":
		return "Failed: wrong code"
	case "replayed":
		return "Failed: code already used"
	case "expired":
		return "Failed: expired"
	case "locked":
		return "Refused: too many failed attempts"
	case "throttled":
		return "Refused: too many attempts in a short time"
	}
	return "Failed: " + strings.ReplaceAll(result, "_", " ")
}
