package plugins_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

// BenchmarkTOTPVerify measures one TOTP verification in process and through a
// real plugin process; `make bench` prints the ratio of the two.
func BenchmarkTOTPVerify(b *testing.B) {
	ctx := context.Background()
	m := plugins.New(plugins.Options{})
	defer m.Close()
	if err := m.Load(ctx, []plugins.Binary{bins["totp"]}, []plugins.InstanceConfig{{Name: "totp-rpc", Plugin: "totp", Settings: json.RawMessage(`{}`)}}); err != nil {
		b.Fatal(err)
	}
	if err := m.AddInProcess(ctx, "totp-local", totpfactor.New(), nil); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, instance string }{{"in-process", "totp-local"}, {"plugin-rpc", "totp-rpc"}} {
		in, _ := m.Instance(c.instance)
		start := time.Date(2032, 1, 2, 3, 4, 5, 0, time.UTC)
		begin, err := in.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u", Name: "bench"}, Now: start})
		if err != nil {
			b.Fatal(err)
		}
		code := func(at time.Time) string {
			s, err := totp.GenerateCodeCustom(begin.Display.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
			if err != nil {
				b.Fatal(err)
			}
			return s
		}
		fin, err := in.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: sdk.User{ID: "u"}, PendingState: begin.PendingState, Proof: sdk.Proof{Code: code(start)}, Now: start})
		if err != nil || fin.Result != sdk.ResultOK {
			b.Fatalf("enroll: %v %v", fin.Result, err)
		}
		// The state is never committed here, so every call verifies a fresh code.
		at := start.Add(30 * time.Second)
		req := sdk.VerifyRequest{User: sdk.User{ID: "u"}, CredentialState: fin.CredentialState, Proof: sdk.Proof{Code: code(at)}, Now: at}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := in.Verify(ctx, req)
				if err != nil || resp.Result != sdk.ResultOK {
					b.Fatalf("verify: %v %v", resp.Result, err)
				}
			}
		})
	}
}
