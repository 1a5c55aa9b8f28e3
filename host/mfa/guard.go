package mfa

import (
	"context"
	"fmt"

	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// TransactionOpenError is the refusal to call a factor while a database
// transaction is open on the context. A factor call can take seconds (an SMS
// gateway, a plugin process replaced) and must not hold a transaction's
// locks meanwhile (on SQLite, the write lock of the whole database), and
// what a factor does (a code sent) cannot be rolled back with the
// transaction. It is always a mistake of the caller, never the user's
// failure, so front doors answer it as an internal error.
type TransactionOpenError struct {
	// Factor is the factor instance and Call the step that was refused.
	Factor, Call string
}

func (e *TransactionOpenError) Error() string {
	return fmt.Sprintf("mfa: refusing to call factor %q (%s) while a database transaction is open", e.Factor, e.Call)
}

// guardedFactor is how the lifecycle reaches a factor: every call first
// checks that no transaction is open on its context. Service.factor is the
// only place that looks factors up, and it hands out only this type.
type guardedFactor struct {
	name string
	f    Factor
}

// factor finds the factor instance called name.
func (s *Service) factor(name string) (guardedFactor, error) {
	f, ok := s.factors.Factor(name)
	if !ok {
		return guardedFactor{}, &Error{Kind: ErrUnknownFactor, Reason: fmt.Sprintf("no factor %q is installed", name)}
	}
	return guardedFactor{name: name, f: f}, nil
}

// Description is what the factor said about itself when it was loaded; no
// call is made.
func (g guardedFactor) Description() sdk.Description { return g.f.Description() }

func (g guardedFactor) refuseInTransaction(ctx context.Context, call string) error {
	if store.InTransaction(ctx) {
		return &TransactionOpenError{Factor: g.name, Call: call}
	}
	return nil
}

func (g guardedFactor) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (sdk.BeginEnrollmentResponse, error) {
	if err := g.refuseInTransaction(ctx, "BeginEnrollment"); err != nil {
		return sdk.BeginEnrollmentResponse{}, err
	}
	return g.f.BeginEnrollment(ctx, req)
}

func (g guardedFactor) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (sdk.FinishEnrollmentResponse, error) {
	if err := g.refuseInTransaction(ctx, "FinishEnrollment"); err != nil {
		return sdk.FinishEnrollmentResponse{}, err
	}
	return g.f.FinishEnrollment(ctx, req)
}

func (g guardedFactor) Challenge(ctx context.Context, req sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	if err := g.refuseInTransaction(ctx, "Challenge"); err != nil {
		return sdk.ChallengeResponse{}, err
	}
	return g.f.Challenge(ctx, req)
}

func (g guardedFactor) Verify(ctx context.Context, req sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	if err := g.refuseInTransaction(ctx, "Verify"); err != nil {
		return sdk.VerifyResponse{}, err
	}
	return g.f.Verify(ctx, req)
}

func (g guardedFactor) Destination(ctx context.Context, req sdk.DestinationRequest) (sdk.DestinationResponse, error) {
	if err := g.refuseInTransaction(ctx, "Destination"); err != nil {
		return sdk.DestinationResponse{}, err
	}
	return g.f.Destination(ctx, req)
}

func (g guardedFactor) CredentialKey(ctx context.Context, proof sdk.Proof) (string, error) {
	if err := g.refuseInTransaction(ctx, "CredentialKey"); err != nil {
		return "", err
	}
	return g.f.CredentialKey(ctx, proof)
}
