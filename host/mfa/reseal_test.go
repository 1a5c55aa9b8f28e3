package mfa_test

import (
	"slices"
	"testing"

	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
)

// A rotation pass reseals what it can open, page by page, and lists what no
// key opens instead of failing the whole pass.
func TestResealReportsCredentialsNoKeyOpens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		f := newFixture(t, newURL, false, mfa.Options{})
		ctx := t.Context()
		f.enrollTOTP()
		lost, err := seal.GenerateKey("lost", nil)
		if err != nil {
			t.Fatal(err)
		}
		lostSealer, err := seal.New(lost)
		if err != nil {
			t.Fatal(err)
		}
		blob, err := lostSealer.Seal([]byte("state"), nil)
		if err != nil {
			t.Fatal(err)
		}
		orphan, err := f.st.PutPendingCredential(ctx, store.Credential{ID: "orphan", UserID: f.user.ID, Factor: "sms", State: blob, CreatedAt: f.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}

		next, err := seal.GenerateKey("k2", nil)
		if err != nil {
			t.Fatal(err)
		}
		rotating, err := seal.New(next, f.key)
		if err != nil {
			t.Fatal(err)
		}
		svc := mfa.New(f.st, f.factors, rotating, mfa.Options{Now: f.clock.Now})
		rep, err := svc.ResealCredentials(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Scanned != 2 || rep.Resealed != 1 || !slices.Equal(rep.Failed, []string{orphan.ID}) {
			t.Fatalf("reseal report %+v, want 2 scanned, 1 resealed, %s failed", rep, orphan.ID)
		}
	})
}
