package oauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/sdk"
)

// Security keys and passkeys on the login pages: the browser runs the
// ceremony with the options the factor issued (static/webauthn.js) and posts
// what it returned as the form's "credential" field, where a typed code goes
// otherwise. A passkey that verifies its user also signs in on its own,
// without a user name or password.

// formProof is the proof a step's form sent: what a security key or passkey
// returned, or a typed code; false when there is neither.
func formProof(r *http.Request) (sdk.Proof, bool) {
	if c := strings.TrimSpace(r.PostFormValue("credential")); c != "" {
		return sdk.Proof{Payload: []byte(c)}, true
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	return sdk.Proof{Code: code}, code != ""
}

// proofMessage is mfaMessage, with the factor's own reason when a security
// key or passkey was refused (another site's, a cloned key, no PIN).
func (p *Provider) proofMessage(w http.ResponseWriter, r *http.Request, proof sdk.Proof, err error) (int, string) {
	status, msg := p.mfaMessage(w, r, err)
	if proof.Payload == nil {
		return status, msg
	}
	switch {
	case errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrAlreadyEnrolled):
		if reason := mfa.Reason(err); reason != "" {
			return status, "Your security key or passkey was not accepted: " + reason + "."
		}
		return status, "Your security key or passkey was not accepted. Try again."
	case errors.Is(err, mfa.ErrReplayed), errors.Is(err, mfa.ErrExpired), errors.Is(err, mfa.ErrNoChallenge):
		return status, "That request has ended. Try again."
	}
	return status, msg
}

// passkeyFactor is the factor instance a sign-in without a user name uses:
// the first that holds several credentials per user, names the credential
// of a proof and is proven in the browser; "" when none is configured.
func (p *Provider) passkeyFactor() string {
	for _, in := range p.d.Factors.Instances() {
		d := in.Description
		if d.MultipleCredentials && d.Has(sdk.CapabilityCredentialKey) && d.Proof() == sdk.ProofBrowserCeremony {
			return in.Name
		}
	}
	return ""
}

// loginPasskey starts a sign-in with a passkey in place of the password.
func (p *Provider) loginPasskey(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepPassword, stepPasskey)
	if !ok {
		return
	}
	factor := p.passkeyFactor()
	if factor == "" {
		fl.Step = stepPassword
		p.renderStep(w, r, fl, http.StatusBadRequest, "Passkeys are not set up here.", nil)
		return
	}
	ch, err := p.signin.BeginPasskey(r.Context(), p.signInMeta(r, fl.ClientID, "oauth"), factor)
	if err != nil {
		status, msg := p.mfaMessage(w, r, err)
		p.renderStep(w, r, fl, status, msg, nil)
		return
	}
	fl.Step, fl.Factor, fl.ChallengeID = stepPasskey, factor, ch.ID
	fl.Display = &flowDisplay{Options: ch.Display.OptionsJSON}
	p.saveAndShow(w, r, fl, 0, "")
}

// loginPasskeyVerify signs in the owner of the passkey that answered. The
// challenge is used up by any answer, so a refusal starts a new one.
func (p *Provider) loginPasskeyVerify(w http.ResponseWriter, r *http.Request) {
	fl, ok := p.postFlow(w, r, stepPasskey)
	if !ok {
		return
	}
	if r.PostFormValue("cancel") != "" {
		fl.Step, fl.ChallengeID, fl.Display = stepPassword, "", nil
		p.saveAndShow(w, r, fl, 0, "")
		return
	}
	proof, ok := formProof(r)
	if !ok || proof.Payload == nil {
		p.renderStep(w, r, fl, http.StatusBadRequest, "Use your passkey to sign in.", nil)
		return
	}
	user, amr, err := p.signin.ProvePasskey(r.Context(), p.signInMeta(r, fl.ClientID, "oauth"), fl.Factor, fl.ChallengeID, proof)
	if err != nil {
		status, msg := p.proofMessage(w, r, proof, err)
		fl.Step, fl.ChallengeID, fl.Display = stepPassword, "", nil
		p.saveAndShow(w, r, fl, status, msg)
		return
	}
	fl.UserID, fl.AMR, fl.AuthTime = user.ID, amr, p.now()
	fl.ChallengeID, fl.Display = "", nil
	p.finish(w, r, fl)
}

// webauthnScript serves the login pages' script.
func (p *Provider) webauthnScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(webauthnJS)
}
