package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Methods of RFC 8176 that sign-in adds itself.
const (
	AMRPassword = "pwd"
	AMRMFA      = "mfa"
)

// AddMethods returns amr with methods added once each; when secondFactor is
// set and a password was proven, "mfa" too.
func AddMethods(amr []string, secondFactor bool, methods ...string) []string {
	out := slices.Clone(amr)
	for _, m := range methods {
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if secondFactor && slices.Contains(out, AMRPassword) && !slices.Contains(out, AMRMFA) {
		out = append(out, AMRMFA)
	}
	return out
}

// Step is a pending second step: the user whose password was proven, the
// factor to prove and the challenge it sent, if any.
type Step struct {
	UserID      string
	Factor      string
	ChallengeID string
	// Masked is where the code was sent, masked, when one was.
	Masked string
}

// Start is a door's sign-in: the password, and the factor instances the
// door can verify, in order of preference (nil: any of the user's).
type Start struct {
	Client   Client
	Meta     Meta
	Username string
	Password string
	Factors  []string
}

// Started is the outcome of the password step: a completed sign-in (the user
// has no second factor), or the pending second step and its state.
type Started struct {
	Done  *SignedIn
	State string
	Step  Step
}

// stateBytes is the entropy of a pending step's state.
const stateBytes = 32

// Begin checks the password and, when the user has a second factor, stores
// the pending second step and returns its state: random, kept only as a
// hash, bound to the client and the user, single-use and short-lived. A
// factor that sends its code (SMS, email) sends it now. A user without a
// second factor is signed in at once.
func (s *Service) Begin(ctx context.Context, req Start) (Started, error) {
	if err := s.d.Issuer.EnsureClient(ctx, req.Client); err != nil {
		return Started{}, err
	}
	user, factor, err := s.passwordStep(ctx, req)
	if err != nil {
		return Started{}, err
	}
	if factor == "" {
		done, err := s.finish(ctx, req.Client, req.Meta, user, []string{AMRPassword}, s.now())
		if err != nil {
			return Started{}, err
		}
		return Started{Done: &done}, nil
	}
	step := Step{UserID: user.ID, Factor: factor}
	if step, err = s.sendCode(ctx, req.Meta, step); err != nil {
		return Started{}, err
	}
	state, err := s.pend(ctx, req.Client, step)
	if err != nil {
		return Started{}, err
	}
	return Started{State: state, Step: step}, nil
}

// passwordStep checks the password and picks the factor of the second step:
// the first of the door's factors the user has active, "" when the user has
// none at all, ErrNoUsableFactor when the user has only others.
func (s *Service) passwordStep(ctx context.Context, req Start) (store.User, string, error) {
	req.Meta.ClientID = req.Client.ID
	user, err := s.CheckPassword(ctx, req.Meta, req.Username, req.Password)
	if err != nil {
		return store.User{}, "", err
	}
	active, err := s.ActiveFactors(ctx, user.ID)
	if err != nil {
		return store.User{}, "", err
	}
	if len(active) == 0 {
		return user, "", nil
	}
	if req.Factors == nil {
		return user, active[0], nil
	}
	for _, f := range req.Factors {
		if f != "" && slices.Contains(active, f) {
			return user, f, nil
		}
	}
	return store.User{}, "", ErrNoUsableFactor
}

// ActiveFactors returns the factor instances of the user's active second
// factors that are configured.
func (s *Service) ActiveFactors(ctx context.Context, userID string) ([]string, error) {
	creds, err := s.d.MFA.ListCredentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("signin: list the user's factors: %w", err)
	}
	var out []string
	for _, c := range creds {
		if _, ok := s.d.Factors.Describe(c.Factor); ok && c.Status == store.CredentialActive && !slices.Contains(out, c.Factor) {
			out = append(out, c.Factor)
		}
	}
	return out, nil
}

// SendsCode reports whether factor sends its code to the user (it has a
// challenge step), so that a sign-in asks for it before the code is typed.
func (s *Service) SendsCode(factor string) bool {
	d, ok := s.d.Factors.Describe(factor)
	return ok && d.Has(sdk.CapabilityChallenge)
}

// sendCode sends the step's code when its factor sends codes.
func (s *Service) sendCode(ctx context.Context, m Meta, step Step) (Step, error) {
	if !s.SendsCode(step.Factor) {
		return step, nil
	}
	ch, err := s.d.MFA.Challenge(ctx, m.mfaMeta(step.UserID), mfa.ChallengeRequest{UserID: step.UserID, Factor: step.Factor})
	if err != nil {
		return Step{}, err
	}
	step.ChallengeID, step.Masked = ch.ID, ch.Display.MaskedDestination
	return step, nil
}

// pend stores a pending step and returns its state.
func (s *Service) pend(ctx context.Context, c Client, step Step) (string, error) {
	state := "fgsis_" + randomToken(stateBytes)
	now := s.now()
	if _, err := s.d.Store.CreateMFAToken(ctx, store.MFAToken{
		Hash: HashSecret(state), ClientID: c.ID, UserID: step.UserID, AMR: []string{AMRPassword}, AuthTime: now,
		Factor: step.Factor, ChallengeID: step.ChallengeID,
		CreatedAt: now, ExpiresAt: now.Add(s.d.StepLifespan),
	}); err != nil {
		return "", fmt.Errorf("signin: store the pending step: %w", err)
	}
	return state, nil
}

// loadStep returns the live pending step of state, issued to client.
func (s *Service) loadStep(ctx context.Context, clientID, state string) (store.MFAToken, error) {
	if state == "" || len(state) > 256 {
		return store.MFAToken{}, ErrStepInvalid
	}
	tok, err := s.d.Store.GetMFAToken(ctx, HashSecret(state))
	if errors.Is(err, store.ErrNotFound) {
		return store.MFAToken{}, ErrStepInvalid
	}
	if err != nil {
		return store.MFAToken{}, fmt.Errorf("signin: load the pending step: %w", err)
	}
	if tok.ClientID != clientID || !s.now().Before(tok.ExpiresAt) {
		return store.MFAToken{}, ErrStepInvalid
	}
	return tok, nil
}

// HashSecret is how a pending step's state (and an mfa_token) is kept.
func HashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails; it panics instead.
	return base64.RawURLEncoding.EncodeToString(b)
}
