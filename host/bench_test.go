package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/api"
	"github.com/factorgate/factorgate/host/auth"
	"github.com/factorgate/factorgate/host/internal/testplugins"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/host/seal"
	"github.com/factorgate/factorgate/host/store"
	"github.com/factorgate/factorgate/sdk"
)

// benchUsers are enrolled before timing, so replay protection (one code per
// user per time step) is not what the benchmark measures.
const benchUsers = 256

// BenchmarkHTTPVerify measures a TOTP verification end to end: HTTP request,
// token check, lifecycle, factor, sealed compare-and-swap commit on SQLite and
// the audit record. The in-process and plugin-rpc variants differ only in
// where the factor runs; `make bench` prints their ratio.
func BenchmarkHTTPVerify(b *testing.B) {
	dir := b.TempDir()
	bins, err := testplugins.Build(filepath.Join(dir, "plugins"))
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"in-process", "plugin-rpc"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			key, _ := seal.GenerateKey("bench", nil)
			sealer, err := seal.New(key)
			if err != nil {
				b.Fatal(err)
			}
			m := plugins.New(plugins.Options{})
			defer m.Close()
			if mode == "plugin-rpc" {
				err = m.Load(ctx, []plugins.Binary{bins["totp"]}, []plugins.InstanceConfig{{Name: "totp", Plugin: "totp"}})
			} else {
				err = m.AddInProcess(ctx, "totp", totpfactor.New(), nil)
			}
			if err != nil {
				b.Fatal(err)
			}
			var now atomic.Int64
			now.Store(time.Date(2032, 3, 4, 5, 6, 0, 0, time.UTC).UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
			svc := mfa.New(st, mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
				in, ok := m.Instance(name)
				return in, ok
			}), sealer, mfa.Options{Now: clock, Lockout: mfa.LockoutPolicy{MaxFailures: 5, BaseDelay: time.Minute, MaxDelay: time.Hour}})
			tokens := auth.NewTokens(st, nil, nil)
			srv := httptest.NewServer(api.New(api.Deps{MFA: svc, Users: st, Auth: tokens, Factors: m, Logger: slog.New(slog.DiscardHandler)}))
			defer srv.Close()

			org, err := st.EnsureDefaultOrg(ctx)
			if err != nil {
				b.Fatal(err)
			}
			type benchUser struct{ token, secret string }
			users := make([]benchUser, benchUsers)
			for i := range users {
				u, err := st.CreateUser(ctx, store.User{ID: fmt.Sprintf("u%04d", i), OrgID: org.ID, Name: fmt.Sprintf("user%04d", i)})
				if err != nil {
					b.Fatal(err)
				}
				token, _, err := tokens.Create(ctx, u.ID, "bench", false, 0)
				if err != nil {
					b.Fatal(err)
				}
				en, err := svc.BeginEnrollment(ctx, mfa.Meta{}, mfa.BeginRequest{UserID: u.ID, Factor: "totp"})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := svc.ConfirmEnrollment(ctx, mfa.Meta{}, mfa.ConfirmRequest{UserID: u.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Code: totpCode(b, en.Display.Secret, clock())}}); err != nil {
					b.Fatal(err)
				}
				users[i] = benchUser{token: token, secret: en.Display.Secret}
			}
			bodies := make([][]byte, benchUsers)
			client := srv.Client()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				u := i % benchUsers
				if u == 0 {
					// A new time step: every user has a fresh code again.
					now.Add(int64(30 * time.Second))
					for k := range users {
						bodies[k], _ = json.Marshal(map[string]string{"code": totpCode(b, users[k].secret, clock())})
					}
				}
				req, _ := http.NewRequest("POST", srv.URL+"/v1/users/me/factors/totp/verify", bytes.NewReader(bodies[u]))
				req.Header.Set("Authorization", "Bearer "+users[u].token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("verify user %d: %d", u, resp.StatusCode)
				}
				resp.Body.Close()
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verify/s")
		})
	}
}
