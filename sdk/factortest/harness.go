package factortest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/factorgate/factorgate/plugin"
	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// callTimeout bounds every call the kit makes, so a factor that hangs fails
// its check instead of the whole test binary. It is long on purpose: the
// concurrency check runs many slow hashes at once, under the race detector
// on a busy machine, and a check must fail on a hang, never on speed.
const callTimeout = 3 * time.Minute

// panicReport is what the plugin server says (in its log, and in the message
// of the error it returns) when factor code panics.
const panicReport = "factor panicked"

// harness is one factor instance reached one way (in process, over gRPC, in
// a plugin process), with what the checks need to know about it.
type harness struct {
	mode   string
	client sdk.Client
	prover Prover
	cfg    *config

	// configured is the description Configure returned; nil in process.
	configured *sdk.Description
	// wantCaps are the capabilities of the Go value behind the instance; nil
	// when the factor is only a binary.
	wantCaps []sdk.Capability
	// panics counts the panics the plugin server reported; nil in process,
	// where the guard recovers them.
	panics func() int64
	// recorder sees each call on the far side of the wire; nil in process.
	recorder recorder
}

// ctx returns the context of one call.
func (h *harness) ctx(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.Context(), callTimeout)
}

// at is the kit's clock n time steps after the start.
func (h *harness) at(n int) time.Time { return h.cfg.start.Add(time.Duration(n) * h.cfg.step) }

// describe returns the instance's description, ending the check when the
// factor cannot describe itself.
func (h *harness) describe(tb testing.TB) sdk.Description {
	tb.Helper()
	ctx, cancel := h.ctx(tb)
	defer cancel()
	d, err := h.client.Describe(ctx)
	if err != nil {
		tb.Fatalf("Describe: %v", err)
	}
	return d
}

func newLocalHarness(tb testing.TB, f sdk.Factor, p Prover, cfg *config) *harness {
	tb.Helper()
	var local sdk.Local
	err := func() (err error) {
		defer recoverInto("Configure", &err)
		local, err = sdk.ConfigureLocal(tb.Context(), f, cfg.settings)
		return err
	}()
	local.DestinationKey = kitDestinationKey
	if err != nil {
		tb.Fatalf("configure with settings %s: %v", cfg.settings, err)
	}
	return &harness{
		mode:     "in-process",
		client:   guarded{local},
		prover:   p,
		cfg:      cfg,
		wantCaps: sdk.CapabilitiesOf(local.Factor),
	}
}

func newGRPCHarness(tb testing.TB, f sdk.Factor, p Prover, cfg *config) *harness {
	tb.Helper()
	var panics atomic.Int64
	logger := slog.New(&panicCountingHandler{Handler: slog.NewTextHandler(tbWriter{tb}, nil), n: &panics})
	rec := &factorRecorder{}
	srv := sdk.NewServer(rec.wrap(f), logger)
	client, server := goplugin.TestPluginGRPCConn(tb, false, plugin.ServerPlugins(srv)[plugin.ProtocolVersion])
	tb.Cleanup(func() {
		// Close asks the server to stop itself; stopping it here as well
		// would race with that, so only a server that did not stop is stopped.
		_ = client.Close()
		select {
		case <-server.DoneCh:
		case <-time.After(5 * time.Second):
			server.Stop()
		}
	})
	fsc := dispense(tb, client)
	rpc := sdk.NewRPC(fsc, cfg.instance)
	d := configure(tb, rpc, cfg)

	local, err := sdk.ConfigureLocal(tb.Context(), f, cfg.settings)
	if err != nil {
		tb.Fatalf("configure in process with settings %s: %v", cfg.settings, err)
	}
	return &harness{
		mode:       "grpc",
		client:     rpc,
		prover:     p,
		cfg:        cfg,
		configured: &d,
		wantCaps:   sdk.CapabilitiesOf(local.Factor),
		panics:     panics.Load,
		recorder:   rec,
	}
}

func newSubprocessHarness(tb testing.TB, path string, p Prover, cfg *config) *harness {
	tb.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		tb.Fatalf("plugin binary %s: %v", path, err)
	}
	bin, err := os.ReadFile(abs)
	if err != nil {
		tb.Fatalf("plugin binary: %v", err)
	}
	sum := sha256.Sum256(bin)

	var panics atomic.Int64
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.ClientPlugins(),
		Cmd:              exec.Command(abs),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		SecureConfig:     &goplugin.SecureConfig{Checksum: sum[:], Hash: sha256.New()},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin",
			Level:  hclog.Info,
			Output: &panicCountingWriter{w: tbWriter{tb}, n: &panics},
		}),
	})
	// Kill waits for the client's goroutines, including the one that copies
	// the plugin's log into the test log, so nothing logs after the test.
	tb.Cleanup(client.Kill)
	protocol, err := client.Client()
	if err != nil {
		tb.Fatalf("start plugin %s: %v", abs, err)
	}
	fsc := dispense(tb, protocol)
	wire := &wireRecorder{FactorServiceClient: fsc}
	rpc := sdk.NewRPC(wire, cfg.instance)
	d := configure(tb, rpc, cfg)
	return &harness{
		mode:       "subprocess",
		client:     rpc,
		prover:     p,
		cfg:        cfg,
		configured: &d,
		panics:     panics.Load,
		recorder:   wire,
	}
}

func dispense(tb testing.TB, c goplugin.ClientProtocol) factorv1.FactorServiceClient {
	tb.Helper()
	raw, err := c.Dispense(plugin.Name)
	if err != nil {
		tb.Fatalf("dispense %q: %v", plugin.Name, err)
	}
	fsc, ok := raw.(factorv1.FactorServiceClient)
	if !ok {
		tb.Fatalf("dispense %q: got %T, want a factorv1.FactorServiceClient", plugin.Name, raw)
	}
	return fsc
}

func configure(tb testing.TB, rpc *sdk.RPC, cfg *config) sdk.Description {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), callTimeout)
	defer cancel()
	d, err := rpc.ConfigureWithKey(ctx, cfg.settings, kitDestinationKey)
	if err != nil {
		tb.Fatalf("Configure instance %q with settings %s: %v", cfg.instance, cfg.settings, err)
	}
	return d
}

// panicError is a panic in factor code, recovered in process.
type panicError struct {
	method string
	value  any
	stack  []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("%s in %s: %v\n%s", panicReport, e.method, e.value, e.stack)
}

func recoverInto(method string, err *error) {
	if r := recover(); r != nil {
		*err = &panicError{method: method, value: r, stack: debug.Stack()}
	}
}

// isPanic reports whether err stands for a panic in factor code: recovered in
// process, or reported by the plugin server as an Internal error.
func isPanic(err error) bool {
	if err == nil {
		return false
	}
	var pe *panicError
	return errors.As(err, &pe) || strings.Contains(err.Error(), panicReport)
}

// guarded is a client that turns a panic in the factor into an error, as the
// plugin server does, so an in-process check fails instead of crashing.
type guarded struct{ c sdk.Client }

func (g guarded) Describe(ctx context.Context) (d sdk.Description, err error) {
	defer recoverInto("Describe", &err)
	return g.c.Describe(ctx)
}

func (g guarded) BeginEnrollment(ctx context.Context, req sdk.BeginEnrollmentRequest) (resp sdk.BeginEnrollmentResponse, err error) {
	defer recoverInto("BeginEnrollment", &err)
	return g.c.BeginEnrollment(ctx, req)
}

func (g guarded) FinishEnrollment(ctx context.Context, req sdk.FinishEnrollmentRequest) (resp sdk.FinishEnrollmentResponse, err error) {
	defer recoverInto("FinishEnrollment", &err)
	return g.c.FinishEnrollment(ctx, req)
}

func (g guarded) Challenge(ctx context.Context, req sdk.ChallengeRequest) (resp sdk.ChallengeResponse, err error) {
	defer recoverInto("Challenge", &err)
	return g.c.Challenge(ctx, req)
}

func (g guarded) Verify(ctx context.Context, req sdk.VerifyRequest) (resp sdk.VerifyResponse, err error) {
	defer recoverInto("Verify", &err)
	return g.c.Verify(ctx, req)
}

func (g guarded) Destination(ctx context.Context, req sdk.DestinationRequest) (resp sdk.DestinationResponse, err error) {
	defer recoverInto("Destination", &err)
	return g.c.Destination(ctx, req)
}

func (g guarded) CredentialKey(ctx context.Context, proof sdk.Proof) (key string, err error) {
	defer recoverInto("CredentialKey", &err)
	return g.c.CredentialKey(ctx, proof)
}

// tbWriter writes log lines to the test log.
type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// panicCountingHandler counts the plugin server's panic reports.
type panicCountingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h *panicCountingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == panicReport {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

func (h *panicCountingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &panicCountingHandler{Handler: h.Handler.WithAttrs(attrs), n: h.n}
}

func (h *panicCountingHandler) WithGroup(name string) slog.Handler {
	return &panicCountingHandler{Handler: h.Handler.WithGroup(name), n: h.n}
}

// panicCountingWriter counts the panic reports in a plugin's log.
type panicCountingWriter struct {
	w tbWriter
	n *atomic.Int64
}

func (w *panicCountingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(strings.Count(string(p), panicReport)))
	return w.w.Write(p)
}
