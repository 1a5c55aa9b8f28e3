package mfa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/store"
)

// ResealReport counts what a key rotation pass did.
type ResealReport struct {
	Scanned  int
	Resealed int
	// Failed lists credentials whose state could not be opened with any key.
	Failed []string
}

// ResealCredentials re-seals, in batches of batch, every credential whose
// state is sealed under a key other than the active one. Each write is a
// compare-and-swap, so verifications keep running during a rotation: a
// credential that changed meanwhile was already sealed with the active key by
// that change, or is tried again.
func (s *Service) ResealCredentials(ctx context.Context, batch int) (ResealReport, error) {
	var rep ResealReport
	after := ""
	for {
		page, err := s.store.ListCredentialsPage(ctx, after, batch)
		if err != nil {
			return rep, fmt.Errorf("list credentials: %w", err)
		}
		if len(page) == 0 {
			return rep, nil
		}
		for _, c := range page {
			rep.Scanned++
			done, err := s.resealOne(ctx, c)
			if err != nil {
				if errors.Is(err, ErrCredentialBroken) {
					rep.Failed = append(rep.Failed, c.ID)
					continue
				}
				return rep, err
			}
			if done {
				rep.Resealed++
			}
		}
		after = page[len(page)-1].ID
	}
}

func (s *Service) resealOne(ctx context.Context, c store.Credential) (bool, error) {
	for range s.opts.MaxCommitRetries {
		if !s.sealer.NeedsReseal(c.State) {
			return false, nil
		}
		plain, err := s.openCredential(c)
		if err != nil {
			return false, err
		}
		blob, err := s.sealCredential(c, plain)
		if err != nil {
			return false, err
		}
		_, err = s.store.UpdateCredentialState(ctx, c.ID, c.Version, blob, time.Time{})
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case !errors.Is(err, store.ErrConflict):
			return false, fmt.Errorf("reseal credential %s: %w", c.ID, err)
		}
		if c, err = s.store.GetCredential(ctx, c.ID); errors.Is(err, store.ErrNotFound) {
			return false, nil
		} else if err != nil {
			return false, fmt.Errorf("reload credential %s: %w", c.ID, err)
		}
	}
	return false, &Error{Kind: ErrBusy}
}
