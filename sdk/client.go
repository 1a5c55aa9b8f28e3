package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// Client is one configured factor instance as its caller (the host, the
// conformance kit) sees it: every step of the contract, whether the factor runs
// in this process (Local) or in a plugin over RPC (RPC). A step the factor does
// not implement returns ErrUnsupported.
type Client interface {
	Describe(ctx context.Context) (Description, error)
	BeginEnrollment(ctx context.Context, req BeginEnrollmentRequest) (BeginEnrollmentResponse, error)
	FinishEnrollment(ctx context.Context, req FinishEnrollmentRequest) (FinishEnrollmentResponse, error)
	Challenge(ctx context.Context, req ChallengeRequest) (ChallengeResponse, error)
	Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error)
	Destination(ctx context.Context, req DestinationRequest) (DestinationResponse, error)
	CredentialKey(ctx context.Context, proof Proof) (string, error)
}

var (
	_ Client = (*RPC)(nil)
	_ Client = Local{}
)

// Local calls a Factor in this process. Tests and benchmarks use it to compare
// with the plugin path; a deployment runs every factor out of process.
// DestinationKey is the key Destination hands the factor.
type Local struct {
	Factor         Factor
	DestinationKey []byte
}

// ConfigureLocal applies settings to f as the plugin server would: through
// Configurer, or accepting only empty settings when f takes none.
func ConfigureLocal(ctx context.Context, f Factor, settings json.RawMessage) (Local, error) {
	if c, ok := f.(Configurer); ok {
		configured, err := c.Configure(ctx, settings)
		if err != nil {
			return Local{}, err
		}
		return Local{Factor: configured}, nil
	}
	if !emptySettings(settings) {
		return Local{}, fmt.Errorf("%w: factor %q takes no settings", ErrInvalidSettings, f.Describe().Name)
	}
	return Local{Factor: f}, nil
}

// Describe returns the factor's description with its capabilities.
func (l Local) Describe(context.Context) (Description, error) { return describe(l.Factor), nil }

// BeginEnrollment calls the factor's Enroller.
func (l Local) BeginEnrollment(ctx context.Context, req BeginEnrollmentRequest) (BeginEnrollmentResponse, error) {
	e, ok := l.Factor.(Enroller)
	if !ok {
		return BeginEnrollmentResponse{}, fmt.Errorf("enrollment: %w", ErrUnsupported)
	}
	return e.BeginEnrollment(ctx, req)
}

// FinishEnrollment calls the factor's Enroller.
func (l Local) FinishEnrollment(ctx context.Context, req FinishEnrollmentRequest) (FinishEnrollmentResponse, error) {
	e, ok := l.Factor.(Enroller)
	if !ok {
		return FinishEnrollmentResponse{}, fmt.Errorf("enrollment: %w", ErrUnsupported)
	}
	return e.FinishEnrollment(ctx, req)
}

// Challenge calls the factor's Challenger.
func (l Local) Challenge(ctx context.Context, req ChallengeRequest) (ChallengeResponse, error) {
	c, ok := l.Factor.(Challenger)
	if !ok {
		return ChallengeResponse{}, fmt.Errorf("challenge: %w", ErrUnsupported)
	}
	return c.Challenge(ctx, req)
}

// Verify calls the factor.
func (l Local) Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error) {
	return l.Factor.Verify(ctx, req)
}

// RPC calls one factor instance in a plugin over the wire contract. Errors the
// factor returned keep their SDK identity (errors.Is(err, ErrBadState)); errors
// of the transport wrap ErrTransport.
type RPC struct {
	client   factorv1.FactorServiceClient
	instance string
}

// NewRPC returns a Client for the instance named instance behind client. The
// host and the conformance kit use it; factor authors do not need it.
func NewRPC(client factorv1.FactorServiceClient, instance string) *RPC {
	return &RPC{client: client, instance: instance}
}

// Configure creates or replaces the instance in the plugin with settings,
// without a destination key.
func (r *RPC) Configure(ctx context.Context, settings json.RawMessage) (Description, error) {
	return r.ConfigureWithKey(ctx, settings, nil)
}

// Describe asks the plugin to describe the instance.
func (r *RPC) Describe(ctx context.Context) (Description, error) {
	resp, err := r.client.Describe(ctx, &factorv1.DescribeRequest{Instance: r.instance})
	if err != nil {
		return Description{}, fmt.Errorf("describe %s: %w", r.instance, fromStatus(ctx, err))
	}
	return descriptionFromPB(resp), nil
}

// BeginEnrollment starts an enrollment in the plugin.
func (r *RPC) BeginEnrollment(ctx context.Context, req BeginEnrollmentRequest) (BeginEnrollmentResponse, error) {
	resp, err := r.client.BeginEnrollment(ctx, &factorv1.BeginEnrollmentRequest{
		Instance: r.instance,
		User:     userToPB(req.User),
		Params:   req.Params,
		Now:      nowToPB(req.Now),

		Credentials: credentialsToPB(req.Credentials),
	})
	if err != nil {
		return BeginEnrollmentResponse{}, fmt.Errorf("begin enrollment %s: %w", r.instance, fromStatus(ctx, err))
	}
	return BeginEnrollmentResponse{PendingState: resp.GetPendingState(), Display: displayFromPB(resp.GetDisplay())}, nil
}

// FinishEnrollment confirms an enrollment in the plugin.
func (r *RPC) FinishEnrollment(ctx context.Context, req FinishEnrollmentRequest) (FinishEnrollmentResponse, error) {
	resp, err := r.client.FinishEnrollment(ctx, &factorv1.FinishEnrollmentRequest{
		Instance:     r.instance,
		User:         userToPB(req.User),
		PendingState: req.PendingState,
		Proof:        proofToPB(req.Proof),
		Now:          nowToPB(req.Now),
	})
	if err != nil {
		return FinishEnrollmentResponse{}, fmt.Errorf("finish enrollment %s: %w", r.instance, fromStatus(ctx, err))
	}
	return FinishEnrollmentResponse{
		Result:          resultFromPB(resp.GetResult()),
		CredentialState: resp.GetCredentialState(),
		PendingState:    resp.PendingState,
		Display:         displayFromPB(resp.GetDisplay()),
		Reason:          resp.GetReason(),
		RetryAfter:      durationFromPB(resp.GetRetryAfter()),
		CredentialKey:   resp.GetCredentialKey(),
		AMR:             resp.GetAmr(),
		UserVerified:    resp.GetUserVerified(),
	}, nil
}

// Challenge starts a verification in the plugin.
func (r *RPC) Challenge(ctx context.Context, req ChallengeRequest) (ChallengeResponse, error) {
	resp, err := r.client.Challenge(ctx, &factorv1.ChallengeRequest{
		Instance:        r.instance,
		User:            userToPB(req.User),
		CredentialState: req.CredentialState,
		Params:          req.Params,
		Now:             nowToPB(req.Now),
		Credentials:     credentialsToPB(req.Credentials),
	})
	if err != nil {
		return ChallengeResponse{}, fmt.Errorf("challenge %s: %w", r.instance, fromStatus(ctx, err))
	}
	return ChallengeResponse{
		Result:          resultFromPB(resp.GetResult()),
		ChallengeState:  resp.GetChallengeState(),
		CredentialState: resp.CredentialState,
		Display:         displayFromPB(resp.GetDisplay()),
		Reason:          resp.GetReason(),
		RetryAfter:      durationFromPB(resp.GetRetryAfter()),
	}, nil
}

// Verify checks a proof in the plugin.
func (r *RPC) Verify(ctx context.Context, req VerifyRequest) (VerifyResponse, error) {
	resp, err := r.client.Verify(ctx, &factorv1.VerifyRequest{
		Instance:        r.instance,
		User:            userToPB(req.User),
		CredentialState: req.CredentialState,
		ChallengeState:  req.ChallengeState,
		Proof:           proofToPB(req.Proof),
		Now:             nowToPB(req.Now),
		Credentials:     credentialsToPB(req.Credentials),
	})
	if err != nil {
		return VerifyResponse{}, fmt.Errorf("verify %s: %w", r.instance, fromStatus(ctx, err))
	}
	return VerifyResponse{
		Result:          resultFromPB(resp.GetResult()),
		CredentialState: resp.CredentialState,
		ChallengeState:  resp.ChallengeState,
		Display:         displayFromPB(resp.GetDisplay()),
		Reason:          resp.GetReason(),
		RetryAfter:      durationFromPB(resp.GetRetryAfter()),
		CredentialKey:   resp.GetCredentialKey(),
		AMR:             resp.GetAmr(),
		UserVerified:    resp.GetUserVerified(),
	}, nil
}

// nowToPB sends the caller's clock; the contract requires now on every call.
func nowToPB(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
