package benche2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// Account is one seeded user: its id and TOTP secret.
type Account struct {
	ID     string
	Secret []byte
}

// NewAccounts draws n accounts with random secrets.
func NewAccounts(n int) ([]Account, error) {
	accounts := make([]Account, n)
	for i := range accounts {
		secret := make([]byte, 20)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("draw secret: %w", err)
		}
		accounts[i] = Account{ID: fmt.Sprintf("bench-%07d", i), Secret: secret}
	}
	return accounts, nil
}

// totpCredential is the TOTP factor's credential state (factors/totp,
// state.go documents it).
type totpCredential struct {
	Secret    []byte `json:"secret"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Skew      int    `json:"skew"`
	LastStep  uint64 `json:"last_step"`
}

var credentialCodec = sdk.StateCodec[totpCredential]{Kind: "totp-credential", Version: 2, MaxLen: 4096}

// seedBatch is how many users one seeding transaction writes.
const seedBatch = 500

// SeedHost enrolls every account in the host's database with an active TOTP
// credential, its state sealed with sealer as the host seals it, writing
// through the store in large transactions.
func SeedHost(ctx context.Context, st *store.SQLStore, sealer *seal.Sealer, accounts []Account) error {
	org, err := st.EnsureDefaultOrg(ctx)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	now := time.Now()
	for from := 0; from < len(accounts); from += seedBatch {
		batch := accounts[from:min(from+seedBatch, len(accounts))]
		err := st.InTx(ctx, func(ctx context.Context) error {
			for _, a := range batch {
				if err := seedUser(ctx, st, sealer, org.ID, a, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seed users from %d: %w", from, err)
		}
	}
	return nil
}

func seedUser(ctx context.Context, st *store.SQLStore, sealer *seal.Sealer, orgID int64, a Account, now time.Time) error {
	if _, err := st.CreateUser(ctx, store.User{ID: a.ID, OrgID: orgID, Name: a.ID}); err != nil {
		return err
	}
	plain, err := credentialCodec.Encode(totpCredential{Secret: a.Secret, Algorithm: "SHA1", Digits: Digits, Period: Period, Skew: Skew})
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	credID := "cred-" + a.ID
	sealed, err := sealer.Seal(plain, seal.AAD("credential", credID, a.ID))
	if err != nil {
		return fmt.Errorf("seal state: %w", err)
	}
	c, err := st.PutPendingCredential(ctx, store.Credential{ID: credID, UserID: a.ID, Factor: "totp", State: sealed})
	if err != nil {
		return err
	}
	_, err = st.ActivateCredential(ctx, c.ID, c.Version, sealed, now, false)
	return err
}
