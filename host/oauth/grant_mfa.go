package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/signin"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// mfaGrant serves the three MFA grants of Auth0's contract: mfa-otp
// (mfa_token, otp), mfa-oob (mfa_token, oob_code, binding_code) and
// mfa-recovery-code (mfa_token, recovery_code). The second factor is
// verified, or the enrollment /mfa/associate began is confirmed, first;
// then one transaction consumes the mfa_token and stores the tokens. A wrong
// code counts against the user's lockout and leaves the mfa_token usable.
type mfaGrant struct{ p *Provider }

var _ fosite.TokenEndpointHandler = (*mfaGrant)(nil)

var mfaGrantTypes = []string{GrantMFAOTP, GrantMFAOOB, GrantMFARecovery}

func (h *mfaGrant) grant(req fosite.AccessRequester) string {
	for _, g := range mfaGrantTypes {
		if req.GetGrantTypes().ExactOne(g) {
			return g
		}
	}
	return ""
}

// CanHandleTokenEndpointRequest reports whether the request is an MFA grant.
func (h *mfaGrant) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	return h.grant(req) != ""
}

// CanSkipClientAuth is false: the client authenticates as usual.
func (h *mfaGrant) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// HandleTokenEndpointRequest validates the request: the client, the
// mfa_token (live and issued to this client) and the grant's parameters.
func (h *mfaGrant) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	grant := h.grant(req)
	if grant == "" {
		return fosite.ErrUnknownRequest
	}
	client, err := firstParty(req)
	if err != nil {
		return err
	}
	form := req.GetRequestForm()
	tok, err := h.p.loadMFAToken(ctx, form.Get("mfa_token"), client.ID)
	if err != nil {
		return err
	}
	switch grant {
	case GrantMFAOTP:
		if form.Get("otp") == "" {
			return fosite.ErrInvalidRequest.WithHint("The otp parameter is required.")
		}
	case GrantMFAOOB:
		if form.Get("oob_code") == "" || form.Get("binding_code") == "" {
			return fosite.ErrInvalidRequest.WithHint("The oob_code and binding_code parameters are required.")
		}
		if len(tok.OOBHash) == 0 || subtle.ConstantTimeCompare(tok.OOBHash, hashToken(form.Get("oob_code"))) != 1 {
			return fosite.ErrInvalidGrant.WithHint("The oob_code is invalid; request a new one with /mfa/challenge.")
		}
	case GrantMFARecovery:
		if form.Get("recovery_code") == "" {
			return fosite.ErrInvalidRequest.WithHint("The recovery_code parameter is required.")
		}
	}
	// The tokens get what the client asked for with the password.
	req.SetRequestedScopes(tok.Scopes)
	req.SetRequestedAudience(tok.Audience)
	for _, s := range tok.Scopes {
		req.GrantScope(s)
	}
	for _, a := range tok.Audience {
		req.GrantAudience(a)
	}
	now := time.Now().UTC()
	sess := req.GetSession()
	sess.SetExpiresAt(fosite.AccessToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(grant), fosite.AccessToken, h.p.config.GetAccessTokenLifespan(ctx))).Round(time.Second))
	if h.p.canRefresh(ctx, req) {
		sess.SetExpiresAt(fosite.RefreshToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(grant), fosite.RefreshToken, h.p.config.GetRefreshTokenLifespan(ctx))).Round(time.Second))
	}
	return nil
}

// canRefresh reports whether tokens issued for req come with a refresh
// token: the client may use the refresh grant and was granted a refresh
// scope (offline_access), as for the authorization code grant.
func (p *Provider) canRefresh(ctx context.Context, req fosite.Requester) bool {
	scopes := p.config.GetRefreshTokenScopes(ctx)
	return req.GetClient().GetGrantTypes().Has("refresh_token") && (len(scopes) == 0 || req.GetGrantedScopes().HasOneOf(scopes...))
}

// loadMFAToken returns the live mfa_token raw, issued to clientID.
func (p *Provider) loadMFAToken(ctx context.Context, raw, clientID string) (store.MFAToken, error) {
	if raw == "" {
		return store.MFAToken{}, fosite.ErrInvalidRequest.WithHint("The mfa_token parameter is required.")
	}
	tok, err := p.d.Store.GetMFAToken(ctx, hashToken(raw))
	if errors.Is(err, store.ErrNotFound) {
		return store.MFAToken{}, fosite.ErrInvalidGrant.WithHint("The mfa_token is invalid or was already used.")
	}
	if err != nil {
		return store.MFAToken{}, fosite.ErrServerError.WithWrap(err)
	}
	if !p.now().Before(tok.ExpiresAt) {
		return store.MFAToken{}, fosite.ErrInvalidGrant.WithHint("The mfa_token has expired; sign in again.")
	}
	if tok.ClientID != clientID {
		return store.MFAToken{}, fosite.ErrInvalidGrant.WithHint("The mfa_token was issued to another client.")
	}
	return tok, nil
}

// issued is what PopulateTokenEndpointResponse hands to the response.
type issued struct {
	access, refresh string
	recoveryCodes   []string
}

// PopulateTokenEndpointResponse proves the second factor and issues the
// tokens.
func (h *mfaGrant) PopulateTokenEndpointResponse(ctx context.Context, req fosite.AccessRequester, resp fosite.AccessResponder) error {
	grant := h.grant(req)
	if grant == "" {
		return fosite.ErrUnknownRequest
	}
	p := h.p
	sess, ok := req.GetSession().(*Session)
	if !ok {
		return fosite.ErrServerError.WithDebugf("session is %T", req.GetSession())
	}
	out, err := h.proveAndStore(ctx, req, grant, sess)
	if err != nil {
		return err
	}
	resp.SetAccessToken(out.access)
	resp.SetTokenType("bearer")
	resp.SetExpiresIn(time.Until(sess.GetExpiresAt(fosite.AccessToken)).Round(time.Second))
	resp.SetScopes(req.GetGrantedScopes())
	if out.refresh != "" {
		resp.SetExtra("refresh_token", out.refresh)
	}
	if len(out.recoveryCodes) > 0 {
		// Auth0's field holds one code; the whole new set follows it.
		resp.SetExtra("recovery_code", out.recoveryCodes[0])
		resp.SetExtra("recovery_codes", out.recoveryCodes)
	}
	if req.GetGrantedScopes().Has("openid") {
		lifespan := fosite.GetEffectiveLifespan(req.GetClient(), fosite.GrantType(grant), fosite.IDToken, p.config.GetIDTokenLifespan(ctx))
		if err := p.idTokens.IssueExplicitIDToken(ctx, lifespan, req, resp); err != nil {
			return fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
		}
	}
	return nil
}

// proveAndStore proves the grant's second factor, then consumes the
// mfa_token and stores the tokens in one transaction. The factor is called
// first, outside any transaction (a plugin call never holds the database);
// a wrong code counts against the lockout and leaves the mfa_token usable.
// Of two requests proving one mfa_token, the one whose compare-and-swap
// consumes it gets the tokens.
func (h *mfaGrant) proveAndStore(ctx context.Context, req fosite.AccessRequester, grant string, sess *Session) (issued, error) {
	p := h.p
	form := req.GetRequestForm()
	tok, err := p.loadMFAToken(ctx, form.Get("mfa_token"), req.GetClient().GetID())
	if err != nil {
		return issued{}, err
	}
	user, err := p.d.Store.GetUser(ctx, tok.UserID)
	if err != nil {
		return issued{}, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	amr, codes, err := h.prove(ctx, httpRequest(ctx), grant, tok, form.Get)
	if _, ok := errors.AsType[*mfa.Error](err); ok {
		return issued{}, grantError(grant, err)
	}
	if err != nil {
		return issued{}, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	out := issued{recoveryCodes: codes}
	err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := p.d.Store.ConsumeMFAToken(ctx, tok.Hash, tok.Version); err != nil {
			return fmt.Errorf("consume mfa_token: %w", err)
		}
		a := authState{AMR: signin.AddMethods(tok.AMR, true, amr...), AuthTime: p.now()}
		*sess = *userSession(user.ID, user.Name, a, nil, tok.CreatedAt).withExpiries(sess)
		return p.storeTokens(ctx, req, &out)
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return issued{}, fosite.ErrInvalidGrant.WithHint("The mfa_token is invalid or was already used.")
	}
	if err != nil {
		return issued{}, fosite.ErrServerError.WithWrap(err).WithDebug(err.Error())
	}
	return out, nil
}

// withExpiries keeps the token expiries HandleTokenEndpointRequest set.
func (s *Session) withExpiries(from *Session) *Session {
	for k, v := range from.ExpiresAt {
		s.SetExpiresAt(k, v)
	}
	return s
}

// storeTokens generates and stores the access (and refresh) token of req,
// inside the caller's transaction.
func (p *Provider) storeTokens(ctx context.Context, req fosite.AccessRequester, out *issued) error {
	access, accessSig, err := p.strategy.GenerateAccessToken(ctx, req)
	if err != nil {
		return fmt.Errorf("generate access token: %w", err)
	}
	if err := p.fstore.CreateAccessTokenSession(ctx, accessSig, req.Sanitize(nil)); err != nil {
		return err
	}
	out.access = access
	if !p.canRefresh(ctx, req) {
		return nil
	}
	refresh, refreshSig, err := p.strategy.GenerateRefreshToken(ctx, req)
	if err != nil {
		return fmt.Errorf("generate refresh token: %w", err)
	}
	if err := p.fstore.CreateRefreshTokenSession(ctx, refreshSig, accessSig, req.Sanitize(nil)); err != nil {
		return err
	}
	out.refresh = refresh
	return nil
}

// prove checks the grant's second factor: it confirms the enrollment
// /mfa/associate began (enrolling backup codes with it), or verifies an
// enrolled factor; a recovery code also replaces the used set with a new one.
// It returns the methods proven and any new recovery codes.
func (h *mfaGrant) prove(ctx context.Context, r *http.Request, grant string, tok store.MFAToken, param func(string) string) ([]string, []string, error) {
	p := h.p
	m := p.meta(r, tok.UserID)
	m.Via = "oauth-grant"
	var code string
	switch grant {
	case GrantMFAOTP:
		code = param("otp")
	case GrantMFAOOB:
		code = param("binding_code")
	case GrantMFARecovery:
		return h.recover(ctx, m, tok, param("recovery_code"))
	}
	inst := p.instances()
	if tok.EnrollmentID != "" && authenticatorType(tok.Factor, inst[tok.Factor], p.d.BackupCodes) == grantAuthenticator(grant) {
		// The backup codes are enrolled in the same commit as the factor,
		// so they never work without it, and handed out with the tokens.
		c, err := p.d.MFA.ConfirmEnrollment(ctx, m, mfa.ConfirmRequest{
			UserID: tok.UserID, EnrollmentID: tok.EnrollmentID, Proof: sdk.Proof{Code: code}, AlsoEnroll: p.backupCompanion(),
		})
		if err != nil {
			return nil, nil, err
		}
		var codes []string
		if c.Also != nil {
			codes = slices.Clone(c.Also.Display.Codes)
		}
		return c.Credential.AMR, codes, nil
	}
	req := mfa.VerifyRequest{UserID: tok.UserID, Proof: sdk.Proof{Code: code}}
	if grant == GrantMFAOOB {
		req.Factor, req.ChallengeID = tok.Factor, tok.ChallengeID
	} else {
		factors, err := p.activeFactors(ctx, tok.UserID)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range factors {
			if authenticatorType(f.Factor, inst[f.Factor], p.d.BackupCodes) == "otp" {
				req.Factor = f.Factor
				break
			}
		}
		if req.Factor == "" {
			return nil, nil, &mfa.Error{Kind: mfa.ErrNotEnrolled, Reason: "the user has no one-time-password authenticator"}
		}
	}
	v, err := p.d.MFA.Verify(ctx, m, req)
	if err != nil {
		return nil, nil, err
	}
	return v.AMR, nil, nil
}

// recover verifies a backup code and enrolls a fresh set in its place, so
// the response can hand out a new recovery code as Auth0's contract has it.
// A backup-code factor that needs a proof to confirm a new set (an operator's
// choice) cannot be rotated here; the used code is then simply spent.
func (h *mfaGrant) recover(ctx context.Context, m mfa.Meta, tok store.MFAToken, code string) ([]string, []string, error) {
	p := h.p
	if _, ok := p.instances()[p.d.BackupCodes]; !ok {
		return nil, nil, &mfa.Error{Kind: mfa.ErrNotEnrolled, Reason: "recovery codes are not available"}
	}
	v, err := p.d.MFA.Verify(ctx, m, mfa.VerifyRequest{UserID: tok.UserID, Factor: p.d.BackupCodes, Proof: sdk.Proof{Code: code}})
	if err != nil {
		return nil, nil, err
	}
	if p.backupCompanion() == "" {
		return v.AMR, nil, nil
	}
	en, err := p.d.MFA.BeginEnrollment(ctx, m, mfa.BeginRequest{UserID: tok.UserID, Factor: p.d.BackupCodes, Replace: true})
	if err != nil {
		return nil, nil, hostError("enroll new recovery codes", err)
	}
	if !en.Active || len(en.Display.Codes) == 0 {
		return nil, nil, errors.New("the backup-code factor did not enroll a new set at once")
	}
	return v.AMR, slices.Clone(en.Display.Codes), nil
}

// hostError reports a failure of a step the user has no part in (enrolling
// the companion backup codes). Its chain to the lifecycle error is cut on
// purpose: such a failure is the server's, never answered as a wrong code.
func hostError(op string, err error) error {
	return fmt.Errorf("%s: %s", op, err.Error())
}

// grantAuthenticator is the authenticator type a grant proves.
func grantAuthenticator(grant string) string {
	switch grant {
	case GrantMFAOTP:
		return "otp"
	case GrantMFAOOB:
		return "oob"
	}
	return "recovery-code"
}

// grantError maps a failed second factor to the token endpoint's answer.
func grantError(grant string, err error) error {
	var rfc *fosite.RFC6749Error
	if errors.As(err, &rfc) {
		return rfc
	}
	if busy := busyError(err); busy != nil {
		return busy
	}
	what := map[string]string{GrantMFAOTP: "otp", GrantMFAOOB: "binding_code", GrantMFARecovery: "recovery code"}[grant]
	switch {
	case errors.Is(err, mfa.ErrFactorFailed):
		return factorFailedError()
	case errors.Is(err, mfa.ErrReplayed):
		return fosite.ErrInvalidGrant.WithHintf("The %s was already used.", what)
	case errors.Is(err, mfa.ErrExpired):
		return fosite.ErrInvalidGrant.WithHintf("The %s has expired.", what)
	case errors.Is(err, mfa.ErrNotEnrolled), errors.Is(err, mfa.ErrNoEnrollment), errors.Is(err, mfa.ErrNoChallenge):
		return fosite.ErrInvalidGrant.WithHintf("No authenticator can check this %s: %s.", what, mfa.Reason(err))
	}
	return fosite.ErrInvalidGrant.WithHintf("Invalid %s.", what)
}
