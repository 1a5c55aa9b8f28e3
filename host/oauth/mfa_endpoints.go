package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// authenticatorType is how Auth0's MFA API names a factor instance, by how
// the factor is proven: "otp" (a code the user types from an app), "oob" (a
// code the factor sends), "recovery-code" (the backup-code instance); "" for
// a factor the MFA API does not offer (a browser ceremony needs a browser).
func authenticatorType(name string, d sdk.Description, backupCodes string) string {
	switch {
	case name == backupCodes:
		return "recovery-code"
	case d.Proof() == sdk.ProofSentCode:
		return "oob"
	case d.Proof() == sdk.ProofTypedCode:
		return "otp"
	}
	return ""
}

// oobChannel is Auth0's channel of a factor that sends its code, by what
// its enrollment asks for: an email address is "email", anything else
// (a phone number) "sms".
func oobChannel(d sdk.Description) string {
	for _, p := range d.EnrollParams {
		if p.InputType == sdk.InputEmail {
			return "email"
		}
	}
	return "sms"
}

// oobParams are the enrollment parameters of an oob factor from Auth0's
// request: phone_number for a phone, email for an email address.
func oobParams(d sdk.Description, form func(string) string) map[string]string {
	params := map[string]string{}
	for _, p := range d.EnrollParams {
		v := form(p.Name)
		switch p.InputType {
		case sdk.InputTel:
			v = form("phone_number")
		case sdk.InputEmail:
			v = form("email")
		}
		if v != "" {
			params[p.Name] = v
		}
	}
	return params
}

// mfaCall is an authenticated call to the MFA API: a first-party client and
// a live mfa_token issued to it.
type mfaCall struct {
	client *store.OAuthClient
	token  store.MFAToken
	user   store.User
}

// mfaRequest authenticates a call to /mfa/associate or /mfa/challenge. The
// body is a form or Auth0's JSON; the client authenticates as at the token
// endpoint; the mfa_token is the Bearer token or the mfa_token parameter.
func (p *Provider) mfaRequest(w http.ResponseWriter, r *http.Request) (mfaCall, bool) {
	ctx := r.Context()
	fail := func(err error) (mfaCall, bool) {
		p.writeTokenError(ctx, w, nil, err)
		return mfaCall{}, false
	}
	if err := formFromJSON(r); err != nil {
		return fail(fosite.ErrInvalidRequest.WithHint(err.Error()))
	}
	if err := r.ParseForm(); err != nil {
		return fail(fosite.ErrInvalidRequest.WithHint("The body could not be parsed."))
	}
	client, err := p.fosite.AuthenticateClient(context.WithValue(ctx, fosite.RequestContextKey, r), r, r.PostForm)
	if err != nil {
		return fail(err)
	}
	c, ok := client.(*store.OAuthClient)
	if !ok || !c.FirstParty {
		return fail(fosite.ErrUnauthorizedClient.WithHint("The client is not registered as first-party, so it may not use the MFA API."))
	}
	raw := r.PostForm.Get("mfa_token")
	if bearer, err := auth.BearerToken(r); err == nil {
		raw = bearer
	}
	tok, err := p.loadMFAToken(ctx, raw, c.ID)
	if err != nil {
		return fail(err)
	}
	user, err := p.d.Store.GetUser(ctx, tok.UserID)
	if err != nil {
		return fail(fosite.ErrServerError.WithWrap(err))
	}
	return mfaCall{client: c, token: tok, user: user}, true
}

// formValues returns a parameter that Auth0 sends as a JSON array (now
// repeated form values) or that a form sends space-separated.
func formValues(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.PostForm[name] {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// mfaAssociate enrolls the mfa_token's user in a first factor: "otp" (an
// authenticator app: the answer carries the secret and the otpauth URI) or
// "oob" over "sms" (a code is sent to phone_number). The enrollment becomes
// active when the mfa-otp or mfa-oob grant confirms it with the first code;
// until then nothing is enrolled. Backup codes are enrolled in that same
// commit and returned with the tokens as recovery_codes, not here as Auth0
// does: codes handed out before the factor is proven would be a way past it.
func (p *Provider) mfaAssociate(w http.ResponseWriter, r *http.Request) {
	call, ok := p.mfaRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	factors, err := p.activeFactors(ctx, call.user.ID)
	if err != nil {
		p.writeTokenError(ctx, w, nil, fosite.ErrServerError.WithWrap(err))
		return
	}
	if slices.ContainsFunc(factors, func(f factorChoice) bool { return !f.Backup }) {
		p.writeTokenError(ctx, w, nil, fosite.ErrAccessDenied.WithHint("The user already has an authenticator; use /mfa/challenge and an MFA grant."))
		return
	}
	want, channels := "", formValues(r, "oob_channels")
	switch types := formValues(r, "authenticator_types"); {
	case slices.Contains(types, "otp"):
		want = "otp"
	case slices.Contains(types, "oob") && (slices.Contains(channels, "sms") || slices.Contains(channels, "email")):
		want = "oob"
	default:
		p.writeTokenError(ctx, w, nil, fosite.ErrInvalidRequest.WithHint(`authenticator_types must be ["otp"], or ["oob"] with oob_channels ["sms"] or ["email"].`))
		return
	}
	factor, desc := p.associable(want, channels)
	if factor == "" {
		p.writeTokenError(ctx, w, nil, fosite.ErrInvalidRequest.WithHintf("No %s authenticator is installed.", want))
		return
	}
	m := p.meta(r, call.user.ID)
	m.Via = "oauth-mfa-api"
	var params map[string]string
	if want == "oob" {
		params = oobParams(desc, r.PostForm.Get)
	}
	en, err := p.d.MFA.BeginEnrollment(ctx, m, mfa.BeginRequest{UserID: call.user.ID, Factor: factor, Params: params})
	if err != nil {
		p.writeTokenError(ctx, w, nil, lifecycleError(err))
		return
	}
	tok := call.token
	tok.Factor, tok.EnrollmentID, tok.ChallengeID, tok.OOBHash = factor, en.ID, "", nil
	body := map[string]any{"authenticator_type": want}
	if want == "otp" {
		body["secret"], body["barcode_uri"] = en.Display.Secret, en.Display.URI
	} else {
		oob := "fgoob_" + randomToken(secretBytes)
		tok.OOBHash = hashToken(oob)
		body["oob_channel"], body["binding_method"], body["oob_code"] = oobChannel(desc), "prompt", oob
	}
	if _, err := p.d.Store.UpdateMFAToken(ctx, tok); err != nil {
		p.writeTokenError(ctx, w, nil, mfaTokenRace(err))
		return
	}
	writeJSON(w, http.StatusOK, body, "")
}

// associable is the first factor instance /mfa/associate can enroll as an
// authenticator of type want (for "oob", on one of channels).
func (p *Provider) associable(want string, channels []string) (string, sdk.Description) {
	for _, in := range p.d.Factors.Instances() {
		d := in.Description
		if !d.Has(sdk.CapabilityEnroll) || authenticatorType(in.Name, d, p.d.BackupCodes) != want {
			continue
		}
		if want == "oob" && !slices.Contains(channels, oobChannel(d)) {
			continue
		}
		return in.Name, d
	}
	return "", sdk.Description{}
}

// mfaChallenge starts the verification of one of the user's authenticators:
// for "otp" there is nothing to send; for "oob" (SMS) a code is sent and the
// answer carries the oob_code the mfa-oob grant presents with it.
// challenge_type lists what the client can handle; authenticator_id (a
// factor instance name from /mfa/authenticators) picks one.
func (p *Provider) mfaChallenge(w http.ResponseWriter, r *http.Request) {
	call, ok := p.mfaRequest(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	types := formValues(r, "challenge_type")
	if len(types) == 0 {
		types = []string{"otp", "oob"}
	}
	factors, err := p.activeFactors(ctx, call.user.ID)
	if err != nil {
		p.writeTokenError(ctx, w, nil, fosite.ErrServerError.WithWrap(err))
		return
	}
	inst := p.instances()
	wantID := r.PostForm.Get("authenticator_id")
	var chosen *factorChoice
	var kind string
	for _, t := range types {
		for i, f := range factors {
			if authenticatorType(f.Factor, inst[f.Factor], p.d.BackupCodes) == t && (wantID == "" || wantID == f.Factor) {
				chosen, kind = &factors[i], t
				break
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_challenge_type", "error_description": "The user has no authenticator of the requested challenge_type."}, "")
		return
	}
	if kind != "oob" {
		writeJSON(w, http.StatusOK, map[string]string{"challenge_type": kind}, "")
		return
	}
	m := p.meta(r, call.user.ID)
	m.Via = "oauth-mfa-api"
	ch, err := p.d.MFA.Challenge(ctx, m, mfa.ChallengeRequest{UserID: call.user.ID, Factor: chosen.Factor})
	if err != nil {
		p.writeTokenError(ctx, w, nil, lifecycleError(err))
		return
	}
	oob := "fgoob_" + randomToken(secretBytes)
	tok := call.token
	tok.Factor, tok.ChallengeID, tok.OOBHash, tok.EnrollmentID = chosen.Factor, ch.ID, hashToken(oob), ""
	if _, err := p.d.Store.UpdateMFAToken(ctx, tok); err != nil {
		p.writeTokenError(ctx, w, nil, mfaTokenRace(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"challenge_type": "oob", "binding_method": "prompt", "oob_code": oob}, "")
}

// authenticator is one entry of /mfa/authenticators.
type authenticator struct {
	ID                string `json:"id"`
	AuthenticatorType string `json:"authenticator_type"`
	OOBChannel        string `json:"oob_channel,omitempty"`
	Active            bool   `json:"active"`
	Name              string `json:"name,omitempty"`
}

// mfaAuthenticators lists the authenticators of the mfa_token's user
// (Bearer mfa_token), so a client knows whether to challenge or associate.
func (p *Provider) mfaAuthenticators(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	raw, err := auth.BearerToken(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "Send the mfa_token as a Bearer token."}, "")
		return
	}
	tok, err := p.d.Store.GetMFAToken(ctx, hashToken(raw))
	if err != nil || !p.now().Before(tok.ExpiresAt) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			p.log.ErrorContext(ctx, "oauth: look up mfa_token", "error", err)
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "The mfa_token is invalid or expired."}, "")
		return
	}
	factors, err := p.activeFactors(ctx, tok.UserID)
	if err != nil {
		p.writeTokenError(ctx, w, nil, fosite.ErrServerError.WithWrap(err))
		return
	}
	inst := p.instances()
	out := []authenticator{}
	for _, f := range factors {
		t := authenticatorType(f.Factor, inst[f.Factor], p.d.BackupCodes)
		if t == "" {
			continue
		}
		a := authenticator{ID: f.Factor, AuthenticatorType: t, Active: true, Name: f.DisplayName}
		if t == "oob" {
			a.OOBChannel = oobChannel(inst[f.Factor])
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, out, "")
}

// lifecycleError maps a failure of the MFA service on the MFA API to an
// OAuth error.
func lifecycleError(err error) error {
	if busy := busyError(err); busy != nil {
		return busy
	}
	switch {
	case errors.Is(err, mfa.ErrInvalidParams):
		return fosite.ErrInvalidRequest.WithHint(mfa.Reason(err))
	case errors.Is(err, mfa.ErrFactorFailed):
		return factorFailedError()
	case errors.Is(err, mfa.ErrAlreadyEnrolled):
		return fosite.ErrAccessDenied.WithHint("The user already has this authenticator.")
	}
	return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
}

// factorFailedError answers a factor that failed the call itself (its
// process is fine): a server error, with 502 like the other doors.
func factorFailedError() error {
	return &fosite.RFC6749Error{ErrorField: "server_error", DescriptionField: "The second factor failed to handle the request; try again later.", CodeField: http.StatusBadGateway}
}

// mfaTokenRace maps a failed update of an mfa_token: a concurrent call
// changed or used it.
func mfaTokenRace(err error) error {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return fosite.ErrInvalidGrant.WithHint("The mfa_token was used or changed by another request; try again.")
	}
	return fosite.ErrServerError.WithWrap(err)
}
