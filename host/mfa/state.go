package mfa

import (
	"fmt"

	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// Sealed state is bound to the row it belongs to: a credential's state opens
// only as that credential of that user, a challenge's only as that challenge.

func credentialAAD(credentialID, userID string) []byte {
	return seal.AAD("credential", credentialID, userID)
}

func challengeAAD(challengeID, userID string) []byte {
	return seal.AAD("challenge", challengeID, userID)
}

func (s *Service) sealCredential(c store.Credential, plaintext []byte) ([]byte, error) {
	blob, err := s.sealer.Seal(plaintext, credentialAAD(c.ID, c.UserID))
	if err != nil {
		return nil, fmt.Errorf("seal credential state: %w", err)
	}
	return blob, nil
}

func (s *Service) openCredential(c store.Credential) ([]byte, error) {
	plain, err := s.sealer.Open(c.State, credentialAAD(c.ID, c.UserID))
	if err != nil {
		return nil, &Error{Kind: ErrCredentialBroken, cause: fmt.Errorf("open credential %s: %w", c.ID, err)}
	}
	return plain, nil
}

func (s *Service) sealChallenge(ch store.Challenge, plaintext []byte) ([]byte, error) {
	blob, err := s.sealer.Seal(plaintext, challengeAAD(ch.ID, ch.UserID))
	if err != nil {
		return nil, fmt.Errorf("seal challenge state: %w", err)
	}
	return blob, nil
}

func (s *Service) openChallenge(ch store.Challenge) ([]byte, error) {
	plain, err := s.sealer.Open(ch.State, challengeAAD(ch.ID, ch.UserID))
	if err != nil {
		return nil, &Error{Kind: ErrNoChallenge, cause: fmt.Errorf("open challenge %s: %w", ch.ID, err)}
	}
	return plain, nil
}
