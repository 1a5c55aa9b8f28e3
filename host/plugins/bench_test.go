package plugins_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	totpfactor "github.com/factorgate/factorgate/factors/totp"
	"github.com/factorgate/factorgate/host/internal/benchcpu"
	"github.com/factorgate/factorgate/host/internal/benche2e"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

// BenchmarkTOTPVerify measures one TOTP verification in process and through a
// real plugin process; `make bench` prints the ratio of the two. Besides the
// time, it reports the CPU the call costs this process (host-cpu-ns/op) and,
// through a plugin, the plugin's process (plugin-cpu-ns/op): on a shared
// machine these vary far less than the time.
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
		var pids []int
		if c.instance == "totp-rpc" {
			pids = m.PIDs()["totp"]
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchcpu.Start(b, pids...)
			for b.Loop() {
				resp, err := in.Verify(ctx, req)
				if err != nil || resp.Result != sdk.ResultOK {
					b.Fatalf("verify: %v %v", resp.Result, err)
				}
			}
			cpu.Report("host-cpu-ns/op")
		})
		if c.instance != "totp-rpc" {
			continue
		}
		// Callers at once, as a loaded host makes them; the calls share the
		// connection's frames and the processes' wake-ups.
		b.Run(c.name+"-parallel", func(b *testing.B) { verifyParallel(b, in, req, pids) })
	}
}

// verifyParallel times req, which must verify, from 8 callers per processor
// and reports the CPU per call of this process and of the plugin's pids.
func verifyParallel(b *testing.B, in *plugins.Instance, req sdk.VerifyRequest, pids []int) {
	b.SetParallelism(8)
	cpu := benchcpu.Start(b, pids...)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := in.Verify(context.Background(), req)
			if err != nil || resp.Result != sdk.ResultOK {
				b.Errorf("verify: %v %v", resp.Result, err)
				return
			}
		}
	})
	cpu.Report("host-cpu-ns/op")
}

// BenchmarkBackupCodesVerify verifies a right backup code through the plugin
// from parallel callers; each call runs argon2id, which holds 4 MiB while it
// runs. Besides the CPU per call it reports the largest peak RSS of the
// plugin's processes (plugin-peak-MiB), which concurrent hashing drives up.
func BenchmarkBackupCodesVerify(b *testing.B) {
	ctx := context.Background()
	m := plugins.New(plugins.Options{})
	defer m.Close()
	bin := bins["backup-codes"]
	if err := m.Load(ctx, []plugins.Binary{bin}, []plugins.InstanceConfig{{Name: "codes", Plugin: bin.Name, Settings: json.RawMessage(`{}`)}}); err != nil {
		b.Fatal(err)
	}
	in, _ := m.Instance("codes")
	start := time.Date(2032, 1, 2, 3, 4, 5, 0, time.UTC)
	begin, err := in.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u", Name: "bench"}, Now: start})
	if err != nil {
		b.Fatal(err)
	}
	fin, err := in.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: sdk.User{ID: "u"}, PendingState: begin.PendingState, Now: start})
	if err != nil || fin.Result != sdk.ResultOK {
		b.Fatalf("enroll: %v %v", fin.Result, err)
	}
	// The state is never committed, so the same code stays unused.
	req := sdk.VerifyRequest{User: sdk.User{ID: "u"}, CredentialState: fin.CredentialState,
		Proof: sdk.Proof{Code: begin.Display.Codes[0]}, Now: start.Add(time.Hour)}
	pids := m.PIDs()[bin.Name]
	verifyParallel(b, in, req, pids)
	var peak float64
	for _, pid := range pids {
		_, p := benche2e.RSS(pid)
		peak = max(peak, p)
	}
	b.ReportMetric(peak, "plugin-peak-MiB")
}
