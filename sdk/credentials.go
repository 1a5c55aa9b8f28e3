package sdk

import (
	"context"
	"fmt"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// Credential is one active credential of a user, handed to a factor with
// Description.MultipleCredentials.
type Credential struct {
	// Key is the CredentialKey FinishEnrollment returned for it.
	Key string
	// State is its state as last committed.
	State []byte
}

// CredentialKeyer is implemented by factors whose proofs name their
// credential (a WebAuthn assertion names its credential ID), so the host can
// find the user of a discoverable credential before Verify (passwordless
// sign-in). CredentialKey must not check the proof and has no side effect; a
// proof that cannot be read is ErrInvalidParams.
type CredentialKeyer interface {
	CredentialKey(ctx context.Context, proof Proof) (string, error)
}

// CredentialKey calls the factor's CredentialKeyer.
func (l Local) CredentialKey(ctx context.Context, proof Proof) (string, error) {
	k, ok := l.Factor.(CredentialKeyer)
	if !ok {
		return "", fmt.Errorf("credential key: %w", ErrUnsupported)
	}
	return k.CredentialKey(ctx, proof)
}

// CredentialKey asks the plugin which credential proof refers to.
func (r *RPC) CredentialKey(ctx context.Context, proof Proof) (string, error) {
	resp, err := r.client.CredentialKey(ctx, &factorv1.CredentialKeyRequest{Instance: r.instance, Proof: proofToPB(proof)})
	if err != nil {
		return "", fmt.Errorf("credential key %s: %w", r.instance, fromStatus(ctx, err))
	}
	return resp.GetCredentialKey(), nil
}

func (s *server) CredentialKey(ctx context.Context, req *factorv1.CredentialKeyRequest) (resp *factorv1.CredentialKeyResponse, err error) {
	defer s.guard("CredentialKey", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	k, ok := f.(CredentialKeyer)
	if !ok {
		return nil, toStatus(fmt.Errorf("credential key: %w", ErrUnsupported))
	}
	key, err := k.CredentialKey(ctx, proofFromPB(req.GetProof()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.CredentialKeyResponse{CredentialKey: key}, nil
}

func credentialsToPB(cs []Credential) []*factorv1.Credential {
	out := make([]*factorv1.Credential, 0, len(cs))
	for _, c := range cs {
		out = append(out, &factorv1.Credential{Key: c.Key, State: c.State})
	}
	return out
}

func credentialsFromPB(cs []*factorv1.Credential) []Credential {
	if len(cs) == 0 {
		return nil
	}
	out := make([]Credential, 0, len(cs))
	for _, c := range cs {
		out = append(out, Credential{Key: c.GetKey(), State: c.GetState()})
	}
	return out
}
