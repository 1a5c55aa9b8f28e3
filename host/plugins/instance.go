package plugins

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// Instance is one configured factor instance. It implements sdk.Client, so
// callers use it the same way whether the factor runs in a supervised plugin
// process or in this process.
type Instance struct {
	name     string
	plugin   string
	settings json.RawMessage
	pool     *pool     // nil for an in-process factor
	local    sdk.Local // set for an in-process factor
	// optional instances (discovered, not configured) are left out when the
	// factor refuses their settings; refused records that it did.
	optional bool
	refused  atomic.Bool

	mu   sync.RWMutex
	desc sdk.Description
}

var _ sdk.Client = (*Instance)(nil)

// Name is the instance's configured name ("sms-7").
func (in *Instance) Name() string { return in.name }

// Description is what the factor said about itself when configured.
func (in *Instance) Description() sdk.Description {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return in.desc
}

func (in *Instance) setDescription(d sdk.Description) {
	in.mu.Lock()
	in.desc = d
	in.mu.Unlock()
}

// Info reports the instance and the health of the process behind it.
func (in *Instance) Info() InstanceInfo {
	info := InstanceInfo{Name: in.name, Plugin: in.plugin, Description: in.Description(), Health: HealthHealthy, InProcess: in.pool == nil}
	if in.pool != nil {
		var err error
		info.Health, info.Restarts, err = in.pool.status()
		if err != nil {
			info.LastError = err.Error()
		}
	}
	return info
}

// Describe returns the description recorded at configuration, without a call.
func (in *Instance) Describe(context.Context) (sdk.Description, error) { return in.Description(), nil }

// BeginEnrollment starts an enrollment.
func (in *Instance) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (resp sdk.BeginEnrollmentResponse, err error) {
	if in.pool == nil {
		return in.local.BeginEnrollment(ctx, req)
	}
	err = in.pool.call(ctx, "BeginEnrollment", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		resp, err = sdk.NewRPC(c, in.name).BeginEnrollment(ctx, req)
		return err
	})
	return resp, err
}

// FinishEnrollment confirms an enrollment.
func (in *Instance) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (resp sdk.FinishEnrollmentResponse, err error) {
	if in.pool == nil {
		return in.local.FinishEnrollment(ctx, req)
	}
	err = in.pool.call(ctx, "FinishEnrollment", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		resp, err = sdk.NewRPC(c, in.name).FinishEnrollment(ctx, req)
		return err
	})
	return resp, err
}

// Challenge starts a verification.
func (in *Instance) Challenge(ctx context.Context, req sdk.ChallengeRequest) (resp sdk.ChallengeResponse, err error) {
	if in.pool == nil {
		return in.local.Challenge(ctx, req)
	}
	err = in.pool.call(ctx, "Challenge", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		resp, err = sdk.NewRPC(c, in.name).Challenge(ctx, req)
		return err
	})
	return resp, err
}

// Verify checks a proof.
func (in *Instance) Verify(ctx context.Context, req sdk.VerifyRequest) (resp sdk.VerifyResponse, err error) {
	if in.pool == nil {
		return in.local.Verify(ctx, req)
	}
	err = in.pool.call(ctx, "Verify", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		resp, err = sdk.NewRPC(c, in.name).Verify(ctx, req)
		return err
	})
	return resp, err
}

// Destination names where a code would be sent.
func (in *Instance) Destination(ctx context.Context, req sdk.DestinationRequest) (resp sdk.DestinationResponse, err error) {
	if in.pool == nil {
		return in.local.Destination(ctx, req)
	}
	err = in.pool.call(ctx, "Destination", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		resp, err = sdk.NewRPC(c, in.name).Destination(ctx, req)
		return err
	})
	return resp, err
}

// CredentialKey names the credential a proof refers to.
func (in *Instance) CredentialKey(ctx context.Context, proof sdk.Proof) (key string, err error) {
	if in.pool == nil {
		return in.local.CredentialKey(ctx, proof)
	}
	err = in.pool.call(ctx, "CredentialKey", func(ctx context.Context, c factorv1.FactorServiceClient) error {
		key, err = sdk.NewRPC(c, in.name).CredentialKey(ctx, proof)
		return err
	})
	return key, err
}
