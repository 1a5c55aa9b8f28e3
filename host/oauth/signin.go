package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
)

// The sign-ins of the documented dialects (a security scanner's
// /auth/sign_in, an accounting service's /authorisation/token, SlugBase's
// /api/auth/login) are first-party logins without a browser redirect: the
// dialect checks the password here, verifies the second factor through the
// lifecycle service, and gets tokens issued by this provider (or a browser
// session), with the same claims, lockout and audit as the login pages.
//
// Each dialect signs in through a built-in client of its own, registered at
// first use when absent: public (no secret), first-party only in the sense
// that the host itself uses it, never offered the password step or the MFA
// grants at the token endpoint. An operator may register it beforehand with
// `factorgate clients create --id ...` to change how its tokens look; the
// registration found is used as it is.

// SignInClient is a dialect's built-in client.
type SignInClient struct {
	ID   string
	Name string
	// Session: the sign-in ends in a browser session (auth.Sessions) rather
	// than tokens; the client then only owns the pending second steps.
	Session bool
	// Refresh: tokens come with a refresh token, which the client redeems
	// at the token endpoint (grant_type=refresh_token, client_id only).
	Refresh bool
}

// registration is how the client is registered when it is absent.
func (c SignInClient) registration() store.OAuthClient {
	oc := store.OAuthClient{ID: c.ID, Name: c.Name, Public: true, JWTAccessTokens: !c.Session}
	if c.Refresh && !c.Session {
		oc.GrantTypes, oc.Scopes = []string{"refresh_token"}, []string{scopeOfflineAccess}
	}
	return oc
}

// scopeOfflineAccess is the scope that makes a refresh token come with an
// access token.
const scopeOfflineAccess = "offline_access"

// maxSignInStateLifespan bounds how long a dialect's pending second step
// lives.
const maxSignInStateLifespan = 5 * time.Minute

// Failures of a dialect's sign-in. A locked-out user gets the lifecycle's
// mfa.ErrLocked (with its retry delay), as for a second factor.
var (
	// ErrBadCredentials: an unknown user, a user without a password, or a
	// wrong password; the three are not told apart.
	ErrBadCredentials = errBadPassword
	// ErrSignInState: the pending second step is unknown, used, expired or
	// belongs to another client.
	ErrSignInState = errors.New("sign-in state is invalid, expired or already used")
)

// SignInStep is a pending second step: the user whose password was proven
// and, when the dialect chose one on entering the step, the factor and the
// challenge it sent.
type SignInStep struct {
	UserID      string
	Factor      string
	ChallengeID string
}

// Prove verifies the second factor of a pending step and returns the methods
// it proved. It runs inside the transaction that consumes the step; a
// lifecycle failure (*mfa.Error, a wrong code) is committed, so the attempt
// counts against the user's lockout, and leaves the step usable.
type Prove func(ctx context.Context, step SignInStep) ([]string, error)

// SignedIn is a completed sign-in.
type SignedIn struct {
	User     store.User
	AMR      []string
	AuthTime time.Time
	// Tokens are those issued, for a client that is not a Session client.
	Tokens *IssuedTokens
	// Session is the browser session started, for a Session client, and
	// SessionMaxAge the lifetime of its cookie.
	Session       *auth.Session
	SessionMaxAge time.Duration
}

// IssuedTokens are an access token and, for a Refresh client, a refresh token.
type IssuedTokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	Scopes       []string
}

// SecureCookies reports whether cookies must be Secure (the public URL is https).
func (p *Provider) SecureCookies() bool { return p.secure }

// CheckSignInPassword checks a dialect's sign-in password as the login pages
// do: the attempt counts against the user's lockout before the hash is
// compared, an unknown user costs as much as a wrong password, and every
// outcome is audited. It returns ErrBadCredentials, an *mfa.Error of kind
// mfa.ErrLocked, or another error when the check itself failed.
func (p *Provider) CheckSignInPassword(ctx context.Context, r *http.Request, c SignInClient, username, password string) (store.User, error) {
	user, err := p.checkPassword(ctx, r, strings.TrimSpace(username), password, c.ID, c.ID)
	var locked *lockedError
	switch {
	case errors.As(err, &locked):
		return store.User{}, &mfa.Error{Kind: mfa.ErrLocked, RetryAfter: locked.retryAfter}
	case errors.Is(err, errBadPassword):
		return store.User{}, ErrBadCredentials
	case err != nil:
		return store.User{}, fmt.Errorf("oauth: sign-in password: %w", err)
	}
	return user, nil
}

// BeginSignIn stores the pending second step of a sign-in whose password
// user proved, and returns its state: random, stored only as a hash, bound to
// the client and the user, single-use, and live for the provider's mfa_token
// lifespan but at most five minutes.
func (p *Provider) BeginSignIn(ctx context.Context, c SignInClient, user store.User, step SignInStep) (string, error) {
	if err := p.ensureSignInClient(ctx, c); err != nil {
		return "", err
	}
	state := "fgsis_" + randomToken(secretBytes)
	now := p.now()
	if _, err := p.d.Store.CreateMFAToken(ctx, store.MFAToken{
		Hash: hashToken(state), ClientID: c.ID, UserID: user.ID, AMR: []string{amrPassword}, AuthTime: now,
		Factor: step.Factor, ChallengeID: step.ChallengeID,
		CreatedAt: now, ExpiresAt: now.Add(min(p.d.MFATokenLifespan, maxSignInStateLifespan)),
	}); err != nil {
		return "", fmt.Errorf("oauth: store sign-in state: %w", err)
	}
	return state, nil
}

// CompleteSignIn proves the second factor of the pending step state and, in
// the same transaction, consumes the step and issues the tokens (or starts
// the session). It returns ErrSignInState for a step that is not live, the
// lifecycle error of a failed proof, or another error.
func (p *Provider) CompleteSignIn(ctx context.Context, r *http.Request, c SignInClient, state string, prove Prove) (SignedIn, error) {
	var (
		out     SignedIn
		outcome error
	)
	if state == "" || len(state) > 256 {
		return SignedIn{}, ErrSignInState
	}
	err := p.d.Store.InTx(ctx, func(ctx context.Context) error {
		outcome = nil
		tok, err := p.d.Store.GetMFAToken(ctx, hashToken(state))
		if errors.Is(err, store.ErrNotFound) {
			outcome = ErrSignInState
			return nil
		}
		if err != nil {
			return fmt.Errorf("load sign-in state: %w", err)
		}
		if tok.ClientID != c.ID || !p.now().Before(tok.ExpiresAt) {
			outcome = ErrSignInState
			return nil
		}
		user, err := p.d.Store.GetUser(ctx, tok.UserID)
		if errors.Is(err, store.ErrNotFound) {
			outcome = ErrSignInState
			return nil
		}
		if err != nil {
			return fmt.Errorf("load user: %w", err)
		}
		amr, err := prove(ctx, SignInStep{UserID: tok.UserID, Factor: tok.Factor, ChallengeID: tok.ChallengeID})
		if _, ok := errors.AsType[*mfa.Error](err); ok {
			// The counted attempt and its audit record commit.
			outcome = err
			return nil
		}
		if err != nil {
			return err
		}
		if err := p.d.Store.ConsumeMFAToken(ctx, tok.Hash, tok.Version); err != nil {
			if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
				return ErrSignInState
			}
			return fmt.Errorf("consume sign-in state: %w", err)
		}
		out, err = p.signedIn(ctx, c, user, addMethods(tok.AMR, true, amr...), tok.CreatedAt)
		return err
	})
	if errors.Is(err, ErrSignInState) {
		return SignedIn{}, ErrSignInState
	}
	if err != nil {
		return SignedIn{}, fmt.Errorf("oauth: complete sign-in: %w", err)
	}
	if outcome != nil {
		return SignedIn{}, outcome
	}
	p.finishSignIn(ctx, r, c, out)
	return out, nil
}

// ProveSignIn completes, in one request, a sign-in whose password user
// proved just now: it proves the second factor of step and, in the same
// transaction, issues the tokens (or starts the session). It is for dialects
// whose client repeats the password with the code instead of holding a
// pending state. It returns the lifecycle error of a failed proof, or
// another error.
func (p *Provider) ProveSignIn(ctx context.Context, r *http.Request, c SignInClient, user store.User, step SignInStep, prove Prove) (SignedIn, error) {
	if err := p.ensureSignInClient(ctx, c); err != nil {
		return SignedIn{}, err
	}
	step.UserID = user.ID
	requestedAt := p.now()
	var (
		out     SignedIn
		outcome error
	)
	err := p.d.Store.InTx(ctx, func(ctx context.Context) error {
		outcome = nil
		amr, err := prove(ctx, step)
		if _, ok := errors.AsType[*mfa.Error](err); ok {
			outcome = err
			return nil
		}
		if err != nil {
			return err
		}
		out, err = p.signedIn(ctx, c, user, addMethods([]string{amrPassword}, true, amr...), requestedAt)
		return err
	})
	if err != nil {
		return SignedIn{}, fmt.Errorf("oauth: complete sign-in: %w", err)
	}
	if outcome != nil {
		return SignedIn{}, outcome
	}
	p.finishSignIn(ctx, r, c, out)
	return out, nil
}

// FinishSignIn completes a sign-in that needs no second factor (the user has
// none): it issues the tokens (or starts the session) for the password alone.
func (p *Provider) FinishSignIn(ctx context.Context, r *http.Request, c SignInClient, user store.User) (SignedIn, error) {
	if err := p.ensureSignInClient(ctx, c); err != nil {
		return SignedIn{}, err
	}
	out, err := p.signedIn(ctx, c, user, []string{amrPassword}, p.now())
	if err != nil {
		return SignedIn{}, fmt.Errorf("oauth: finish sign-in: %w", err)
	}
	p.finishSignIn(ctx, r, c, out)
	return out, nil
}

// finishSignIn resets the user's failed attempts and audits the login.
func (p *Provider) finishSignIn(ctx context.Context, r *http.Request, c SignInClient, out SignedIn) {
	p.resetAttempts(ctx, out.User.ID)
	p.audit(ctx, r, out.User, actionLogin, "ok", map[string]string{"client": c.ID, "via": c.ID, "amr": strings.Join(out.AMR, " ")})
}

// signedIn issues what a completed sign-in gets.
func (p *Provider) signedIn(ctx context.Context, c SignInClient, user store.User, amr []string, requestedAt time.Time) (SignedIn, error) {
	now := p.now()
	out := SignedIn{User: user, AMR: amr, AuthTime: now}
	if c.Session {
		se, err := p.d.Sessions.Create(ctx, user, amr, now)
		if err != nil {
			return SignedIn{}, err
		}
		out.Session, out.SessionMaxAge = &se, p.d.SessionMaxAge
		return out, nil
	}
	tokens, err := p.issueSignInTokens(ctx, c, user, authState{AMR: amr, AuthTime: now}, requestedAt)
	if err != nil {
		return SignedIn{}, err
	}
	out.Tokens = &tokens
	return out, nil
}

// issueSignInTokens issues and stores an access token (and, for a client
// that may refresh, a refresh token) to the dialect's client, as a token
// endpoint grant would, so that introspection, revocation and the refresh
// grant treat them like any other.
func (p *Provider) issueSignInTokens(ctx context.Context, c SignInClient, user store.User, a authState, requestedAt time.Time) (IssuedTokens, error) {
	client, err := p.fstore.GetClient(ctx, c.ID)
	if err != nil {
		return IssuedTokens{}, fmt.Errorf("load client %q: %w", c.ID, err)
	}
	sess := userSession(user.ID, user.Name, a, nil, requestedAt)
	req := fosite.NewAccessRequest(sess)
	req.Client = client
	req.RequestedAt = time.Now().UTC()
	req.GrantTypes = fosite.Arguments{GrantPassword}
	if c.Refresh && client.GetGrantTypes().Has("refresh_token") && p.config.GetScopeStrategy(ctx)(client.GetScopes(), scopeOfflineAccess) {
		req.SetRequestedScopes(fosite.Arguments{scopeOfflineAccess})
		req.GrantScope(scopeOfflineAccess)
	}
	now := time.Now().UTC()
	sess.SetExpiresAt(fosite.AccessToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(GrantPassword), fosite.AccessToken, p.config.GetAccessTokenLifespan(ctx))).Round(time.Second))
	if p.canRefresh(ctx, req) {
		sess.SetExpiresAt(fosite.RefreshToken, now.Add(fosite.GetEffectiveLifespan(client, fosite.GrantType(GrantPassword), fosite.RefreshToken, p.config.GetRefreshTokenLifespan(ctx))).Round(time.Second))
	}
	var out issued
	if err := p.storeTokens(ctx, req, &out); err != nil {
		return IssuedTokens{}, err
	}
	return IssuedTokens{
		AccessToken: out.access, RefreshToken: out.refresh, Scopes: req.GetGrantedScopes(),
		ExpiresIn: time.Until(sess.GetExpiresAt(fosite.AccessToken)).Round(time.Second),
	}, nil
}

// ensureSignInClient registers the dialect's client when it is absent.
func (p *Provider) ensureSignInClient(ctx context.Context, c SignInClient) error {
	_, err := p.fstore.GetClient(ctx, c.ID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fosite.ErrNotFound) {
		return fmt.Errorf("oauth: load client %q: %w", c.ID, err)
	}
	if _, err := p.d.Store.CreateOAuthClient(ctx, c.registration()); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("oauth: register client %q: %w", c.ID, err)
	}
	p.log.InfoContext(ctx, "oauth: registered a dialect's sign-in client", "client", c.ID)
	return nil
}
