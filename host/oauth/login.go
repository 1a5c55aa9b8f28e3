package oauth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/httpx"
	"github.com/factorgate/factorgate/host/internal/reqlog"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Steps of a login flow.
const (
	stepPassword = "password" // username and password
	stepChoose   = "choose"   // pick one of several enrolled factors
	stepVerify   = "verify"   // enter the chosen factor's code
	stepEnroll   = "enroll"   // no factor yet but one is required: pick one to enroll
	stepConfirm  = "confirm"  // confirm the enrollment with a first code
	stepCodes    = "codes"    // backup codes were shown once; continue
	stepPasskey  = "passkey"  // sign in with a passkey, without a user name
)

// loginFlow is a browser login between an authorization request and its
// code. It is kept sealed in the database, bound to the browser that started
// it, and advanced one step per form post.
type loginFlow struct {
	ID      string `json:"-"`
	Version int64  `json:"-"`

	// Bind is the hash of the browser's binding cookie.
	Bind       []byte    `json:"bind"`
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Query      string    `json:"query"`
	RequireMFA bool      `json:"require_mfa"`
	ACRValues  []string  `json:"acr_values,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// Account: the flow signs in to the account page, or adds a factor on
	// it, instead of answering an authorization request.
	Account bool `json:"account,omitempty"`
	// Nickname is the name the user gives the factor being added.
	Nickname string `json:"nickname,omitempty"`
	// Ceremony: the factor being added is proven in the browser (a
	// security key or passkey), so its confirm step runs the ceremony.
	Ceremony bool `json:"ceremony,omitempty"`

	// What is proven so far.
	UserID   string    `json:"user_id,omitempty"`
	AMR      []string  `json:"amr,omitempty"`
	AuthTime time.Time `json:"auth_time"`

	Step         string `json:"step"`
	Factor       string `json:"factor,omitempty"`
	EnrollmentID string `json:"enrollment_id,omitempty"`
	// ChallengeID is the passkey challenge the passkey step answers.
	ChallengeID string       `json:"challenge_id,omitempty"`
	Display     *flowDisplay `json:"display,omitempty"`
}

// flowDisplay is what the current step shows again on reload: an enrollment's
// secret and QR code, or where a code was sent.
type flowDisplay struct {
	Secret string `json:"secret,omitempty"`
	URI    string `json:"uri,omitempty"`
	QRPNG  []byte `json:"qr_png,omitempty"`
	Masked string `json:"masked,omitempty"`
	// SentAt is when the code was sent.
	SentAt time.Time `json:"sent_at,omitzero"`
	// Options are a browser ceremony's options (WebAuthn), as JSON.
	Options []byte `json:"options,omitempty"`
}

func flowAAD(id string) []byte { return seal.AAD("oauth-login-flow", id) }

func (p *Provider) flowURL(id string) string {
	return p.url(pathLogin) + "?flow=" + url.QueryEscape(id)
}

// createFlow stores a new flow and sets its id.
func (p *Provider) createFlow(ctx context.Context, fl *loginFlow) error {
	fl.ID = randomToken(18)
	state, err := p.sealFlow(fl)
	if err != nil {
		return err
	}
	stored, err := p.d.Store.CreateLoginFlow(ctx, store.LoginFlow{ID: fl.ID, State: state, CreatedAt: fl.CreatedAt, ExpiresAt: fl.CreatedAt.Add(p.d.LoginFlowLifespan)})
	if err != nil {
		return fmt.Errorf("store login flow: %w", err)
	}
	fl.Version = stored.Version
	return nil
}

func (p *Provider) sealFlow(fl *loginFlow) ([]byte, error) {
	b, err := json.Marshal(fl)
	if err != nil {
		return nil, fmt.Errorf("encode login flow: %w", err)
	}
	sealed, err := p.d.Sealer.Seal(b, flowAAD(fl.ID))
	if err != nil {
		return nil, fmt.Errorf("seal login flow: %w", err)
	}
	return sealed, nil
}

// saveFlow writes fl back; a concurrent step of the same flow makes it fail
// with store.ErrConflict.
func (p *Provider) saveFlow(ctx context.Context, fl *loginFlow) error {
	state, err := p.sealFlow(fl)
	if err != nil {
		return err
	}
	v, err := p.d.Store.UpdateLoginFlow(ctx, fl.ID, fl.Version, state)
	if err != nil {
		return fmt.Errorf("store login flow: %w", err)
	}
	fl.Version = v
	return nil
}

// errFlowGone reports a flow that is unknown, expired, finished or bound to
// another browser: the user starts again from the application.
var errFlowGone = errors.New("login flow not found")

// loadFlow loads the flow the request names and checks that it belongs to
// this browser and, for a form post, that the CSRF token is the browser's.
func (p *Provider) loadFlow(r *http.Request) (*loginFlow, error) {
	fl, err := p.loadBoundFlow(r)
	if err != nil {
		return nil, err
	}
	c, _ := r.Cookie(bindCookieName)
	if r.Method == http.MethodPost && !auth.CheckCSRF(c.Value, r.PostFormValue("csrf")) {
		return nil, auth.ErrBadCSRF
	}
	return fl, nil
}

// loadBoundFlow loads the flow the request names and checks that it belongs
// to this browser; the caller checks the CSRF token of a post.
func (p *Provider) loadBoundFlow(r *http.Request) (*loginFlow, error) {
	id := r.FormValue("flow")
	if id == "" || len(id) > 64 {
		return nil, errFlowGone
	}
	c, err := r.Cookie(bindCookieName)
	if err != nil || c.Value == "" {
		return nil, errFlowGone
	}
	sf, err := p.d.Store.GetLoginFlow(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errFlowGone
	}
	if err != nil {
		return nil, fmt.Errorf("load login flow: %w", err)
	}
	if !p.now().Before(sf.ExpiresAt) {
		return nil, errFlowGone
	}
	plain, err := p.d.Sealer.Open(sf.State, flowAAD(sf.ID))
	if err != nil {
		return nil, fmt.Errorf("open login flow: %w", err)
	}
	var fl loginFlow
	if err := json.Unmarshal(plain, &fl); err != nil {
		return nil, fmt.Errorf("decode login flow: %w", err)
	}
	fl.ID, fl.Version = sf.ID, sf.Version
	if subtle.ConstantTimeCompare(fl.Bind, hashToken(c.Value)) != 1 {
		return nil, errFlowGone
	}
	return &fl, nil
}

// factorChoice is one of the user's active factors.
type factorChoice struct {
	Factor      string
	DisplayName string
	Backup      bool
	Challenge   bool
	// Ceremony: the browser proves the factor (a security key or passkey).
	Ceremony bool
}

// instances returns the configured factor instances by name.
func (p *Provider) instances() map[string]sdk.Description {
	out := map[string]sdk.Description{}
	for _, in := range p.d.Factors.Instances() {
		out[in.Name] = in.Description
	}
	return out
}

// activeFactors returns the user's active second factors, backup codes last.
func (p *Provider) activeFactors(ctx context.Context, userID string) ([]factorChoice, error) {
	creds, err := p.d.MFA.ListCredentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list factors: %w", err)
	}
	inst := p.instances()
	var out []factorChoice
	for _, c := range creds {
		d, ok := inst[c.Factor]
		if c.Status != store.CredentialActive || !ok {
			continue
		}
		name := d.DisplayName
		if name == "" {
			name = c.Factor
		}
		out = append(out, factorChoice{
			Factor: c.Factor, DisplayName: name, Backup: c.Factor == p.d.BackupCodes,
			Challenge: d.Has(sdk.CapabilityChallenge), Ceremony: d.Proof() == sdk.ProofBrowserCeremony,
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Backup && out[j].Backup })
	return out, nil
}

// enrollOption is a factor the login can enroll: one that enrolls itself, is
// proven with a code (typed, or sent to the user), and is not the backup
// codes, which come with it.
type enrollOption struct {
	Factor      string
	DisplayName string
	// Params are what the enrollment asks for (a phone number, an email
	// address), as the factor declares them.
	Params []sdk.EnrollParam
	// Ceremony: the browser registers a security key or passkey.
	Ceremony bool
	// Multiple: a user may hold several credentials of the factor, each
	// named by the enrollment's own "name" parameter.
	Multiple bool
	// sends: the factor sends its code, so it needs a destination.
	sends bool
	// kind is the factor's own name, shared by its instances.
	kind string
}

func (p *Provider) enrollOptions() []enrollOption {
	var out []enrollOption
	for _, in := range p.d.Factors.Instances() {
		d := in.Description
		if in.Name == p.d.BackupCodes || !d.Has(sdk.CapabilityEnroll) {
			continue
		}
		// The pages enroll factors proven with a code the user types from
		// an app (shown as a secret and QR code) or that the factor sends to
		// where the user says, and security keys and passkeys (the
		// browser's ceremony, run by the pages' script).
		proof := d.Proof()
		if proof != sdk.ProofTypedCode && proof != sdk.ProofSentCode && proof != sdk.ProofBrowserCeremony {
			continue
		}
		name := d.DisplayName
		if name == "" {
			name = in.Name
		}
		opt := enrollOption{Factor: in.Name, DisplayName: name, Params: formParams(d.EnrollParams), sends: proof == sdk.ProofSentCode,
			Ceremony: proof == sdk.ProofBrowserCeremony, Multiple: d.MultipleCredentials}
		// Several instances of one factor (sms and the 7-digit sms-7 a
		// dialect uses) are one choice for a person: offer the instance
		// named after the factor, or else the first.
		if i := slices.IndexFunc(out, func(o enrollOption) bool { return o.kind == d.Name }); i >= 0 {
			if in.Name == d.Name {
				opt.kind = d.Name
				out[i] = opt
			}
			continue
		}
		opt.kind = d.Name
		out = append(out, opt)
	}
	// An authenticator app first: it needs no phone number and no gateway.
	slices.SortStableFunc(out, func(a, b enrollOption) int {
		switch {
		case a.sends == b.sends:
			return 0
		case !a.sends:
			return -1
		}
		return 1
	})
	return out
}

// formParams are a factor's enrollment parameters as the page renders them:
// an input type the page knows (anything else is text), and never a name the
// form's own fields use.
func formParams(ps []sdk.EnrollParam) []sdk.EnrollParam {
	out := slices.DeleteFunc(slices.Clone(ps), func(p sdk.EnrollParam) bool {
		return p.Name == "" || slices.Contains([]string{"flow", "csrf", "factor"}, p.Name)
	})
	for i, p := range out {
		if p.InputType != sdk.InputTel && p.InputType != sdk.InputEmail {
			out[i].InputType = sdk.InputText
		}
		if p.Label == "" {
			out[i].Label = p.Name
		}
	}
	return out
}

// advance moves the flow to what it needs next, once a user is known. It
// reports done when the login meets the flow's policy.
func (p *Provider) advance(ctx context.Context, r *http.Request, fl *loginFlow) (bool, error) {
	if hasMFA(fl.AMR) {
		return true, nil
	}
	factors, err := p.activeFactors(ctx, fl.UserID)
	if err != nil {
		return false, err
	}
	if len(factors) == 0 && !fl.RequireMFA {
		return true, nil
	}
	fl.Factor, fl.Display, fl.EnrollmentID = "", nil, ""
	// Backup codes are the fallback: with one other factor, that factor is
	// asked for directly and the page offers the codes beside it.
	primary := slices.DeleteFunc(slices.Clone(factors), func(f factorChoice) bool { return f.Backup })
	switch {
	case len(factors) == 0:
		fl.Step = stepEnroll
	case len(primary) == 1:
		return false, p.enterVerify(ctx, r, fl, primary[0])
	case len(primary) == 0:
		return false, p.enterVerify(ctx, r, fl, factors[0])
	default:
		fl.Step = stepChoose
	}
	return false, nil
}

// enterVerify makes f the factor to verify; a factor that sends its code
// (SMS) sends it now. A failed send keeps the step, so the user can resend.
// A failed resend keeps where the last code went.
func (p *Provider) enterVerify(ctx context.Context, r *http.Request, fl *loginFlow, f factorChoice) error {
	if fl.Step != stepVerify || fl.Factor != f.Factor || !f.Challenge {
		fl.Display = nil
	}
	fl.Step, fl.Factor = stepVerify, f.Factor
	if !f.Challenge {
		return nil
	}
	ch, err := p.signin.SendCode(ctx, p.signInMeta(r, fl.ClientID, "oauth"), fl.UserID, f.Factor)
	if err != nil {
		return err
	}
	fl.Display = &flowDisplay{Masked: ch.Display.MaskedDestination, SentAt: p.now(), Options: ch.Display.OptionsJSON}
	return nil
}

// backupCompanion returns the backup-code factor instance to enroll
// alongside a confirmed factor, or "" when there is none or it needs a proof
// of its own to confirm.
func (p *Provider) backupCompanion() string {
	if d, ok := p.instances()[p.d.BackupCodes]; ok && d.ConfirmsWithoutProof && d.Has(sdk.CapabilityEnroll) {
		return p.d.BackupCodes
	}
	return ""
}

// meta is the audit record's who and where for a request; it also names
// the user in the request's access log line.
func (p *Provider) meta(r *http.Request, userID string) mfa.Meta {
	reqlog.SetUser(r.Context(), userID)
	return mfa.Meta{Actor: userID, RemoteAddr: httpx.ClientIP(r, p.d.TrustedProxies), Via: "oauth", UserAgent: httpx.UserAgentSummary(r)}
}

// pageData is what the login template renders.
type pageData struct {
	Title    string
	Client   string
	Flow     string
	CSRF     string
	Step     string
	Error    string
	Username string
	Factors  []factorChoice
	// Verify step.
	FactorName string
	Masked     string
	CanResend  bool
	Backup     bool
	// Ceremony: the step runs a security key or passkey ceremony with
	// CeremonyOptions; Passkey: the password step offers a passkey sign-in.
	Ceremony        bool
	CeremonyOptions string
	Passkey         bool
	// Enroll and confirm steps.
	Options []enrollOption
	// ResendAt is when a new code may be sent, while that is ahead;
	// ResendIn says how long that is.
	ResendAt clockTime
	ResendIn string
	Secret   string
	URI      string
	QR       template.URL
	Codes    []string
	// Posted is what the enrolment form sent, shown again after an error.
	Posted enrollPosted
	// Wide lays the page out for more than a form (the account page).
	Wide bool
}

// loginPage renders the flow's current step.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	fl, err := p.loadFlow(r)
	if err != nil {
		p.flowError(w, r, err)
		return
	}
	if fl.Step == stepAccountConfirm {
		http.Redirect(w, r, p.url(pathAccount)+"/add?flow="+url.QueryEscape(fl.ID), http.StatusSeeOther)
		return
	}
	p.renderStep(w, r, fl, http.StatusOK, "", nil)
}

// renderStep renders fl's step with an optional error message and, on the
// codes step, the backup codes (shown once, never stored).
func (p *Provider) renderStep(w http.ResponseWriter, r *http.Request, fl *loginFlow, status int, msg string, codes []string) {
	bind, _ := r.Cookie(bindCookieName)
	d := pageData{Title: "Sign in", Client: fl.ClientName, Flow: fl.ID, CSRF: auth.CSRFToken(bind.Value), Step: fl.Step, Error: msg, Codes: codes}
	if d.Client == "" {
		d.Client = fl.ClientID
	}
	ctx := r.Context()
	switch fl.Step {
	case stepPassword:
		d.Username, d.Passkey = r.PostFormValue("username"), p.passkeyFactor() != ""
	case stepPasskey:
		d.Title, d.Ceremony = "Sign in with a passkey", true
	case stepChoose:
		factors, err := p.activeFactors(ctx, fl.UserID)
		if err != nil {
			p.renderError(w, r, http.StatusInternalServerError, "Your factors could not be listed.", err)
			return
		}
		d.Title, d.Factors = "Choose how to verify", factors
	case stepVerify:
		d.Title, d.FactorName = "Verify it's you", fl.Factor
		if desc, ok := p.instances()[fl.Factor]; ok {
			d.FactorName = desc.DisplayName
			d.Ceremony = desc.Proof() == sdk.ProofBrowserCeremony
			d.CanResend = desc.Has(sdk.CapabilityChallenge) && !d.Ceremony
		}
		d.Backup = fl.Factor == p.d.BackupCodes
		if fl.Display != nil {
			d.Masked = fl.Display.Masked
			d.ResendAt, d.ResendIn = p.resendAt(fl.Display.SentAt)
		}
		if factors, err := p.activeFactors(ctx, fl.UserID); err == nil {
			// The other methods: the one asked for is on the page already.
			d.Factors = slices.DeleteFunc(factors, func(f factorChoice) bool { return f.Factor == fl.Factor })
		}
	case stepEnroll:
		d.Title, d.Options = "Set up a second factor", p.enrollOptions()
		if r.Method == http.MethodPost {
			d.Posted = postedEnrollment(r)
		}
	case stepConfirm:
		d.Title, d.FactorName = "Confirm your new factor", fl.Factor
		if desc, ok := p.instances()[fl.Factor]; ok {
			d.FactorName = desc.DisplayName
			d.Ceremony = desc.Proof() == sdk.ProofBrowserCeremony
		}
		if fl.Display != nil {
			d.Secret, d.URI, d.Masked = fl.Display.Secret, fl.Display.URI, fl.Display.Masked
			d.QR = qrURL(fl.Display.QRPNG)
		}
	case stepCodes:
		d.Title = "Save your backup codes"
	}
	if fl.Display != nil && d.Ceremony {
		d.CeremonyOptions = string(fl.Display.Options)
	}
	p.render(w, status, "login", d)
}

// render executes a page template.
func (p *Provider) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := p.pages.ExecuteTemplate(w, name, data); err != nil {
		p.log.Error("oauth: render page", "page", name, "error", err)
	}
}

// renderError shows a page that ends the login, logging the cause.
func (p *Provider) renderError(w http.ResponseWriter, r *http.Request, status int, msg string, cause error) {
	if cause != nil {
		p.log.ErrorContext(r.Context(), "oauth: login failed", "error", cause)
	}
	p.render(w, status, "error", pageData{Title: "Sign-in problem", Error: msg})
}

// flowError renders the failure to load a flow.
func (p *Provider) flowError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errFlowGone):
		p.render(w, http.StatusNotFound, "error", pageData{Title: "Sign-in expired", Error: "This sign-in has expired or was already completed. Go back to the application and sign in again."})
	case errors.Is(err, auth.ErrBadCSRF):
		p.render(w, http.StatusForbidden, "error", pageData{Title: "Sign-in problem", Error: "The form was not sent by this sign-in page. Reload the page and try again."})
	default:
		p.renderError(w, r, http.StatusInternalServerError, "The sign-in could not continue.", err)
	}
}
