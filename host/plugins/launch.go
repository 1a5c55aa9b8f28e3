package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/factorgate/factorgate/plugin"
	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// errExited reports a plugin process that ended without being asked to.
var errExited = errors.New("plugin process exited")

// member is one running process of a plugin, configured and ready for calls.
type member struct {
	slot    int
	pid     int
	started time.Time
	client  *goplugin.Client
	grpc    *goplugin.GRPCClient
	rpc     factorv1.FactorServiceClient

	// failed receives the first transport failure a caller confirmed, so the
	// slot's keeper replaces the process at once instead of at its next poll.
	failOnce sync.Once
	failed   chan error
}

// reportFailure hands a confirmed transport failure to the keeper; only the
// first report counts.
func (m *member) reportFailure(cause error) {
	m.failOnce.Do(func() { m.failed <- cause })
}

// check tells a live process from a dead one: it has not exited and its gRPC
// health service answers within timeout.
func (m *member) check(ctx context.Context, timeout time.Duration) error {
	if m.client.Exited() {
		return errExited
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := grpc_health_v1.NewHealthClient(m.grpc.Conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: goplugin.GRPCServiceName})
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	return nil
}

// kill ends the process: go-plugin asks it to exit and kills it after a
// grace period; for a process that already died it only cleans up.
func (m *member) kill() { m.client.Kill() }

// launch starts one process of the pool's plugin for slot, checks its pins
// again (the file may have changed since the host started), dispenses the
// factor service and configures every factor instance the plugin serves.
// Cancelling ctx kills a process that is still starting.
func (p *pool) launch(ctx context.Context, slot int) (*member, error) {
	if err := p.bin.verify(); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, p.bin.Path)
	cmd.Env = processorShareEnv(runtime.GOMAXPROCS(0), p.settings.processes)
	configureCmd(cmd)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.ClientPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		SecureConfig:     &goplugin.SecureConfig{Checksum: p.pin, Hash: sha256.New()},
		Logger:           newHCLogAdapter(p.opts.Logger, p.bin.Name, p.bin.Path),
		Stderr:           newStderrLogger(p.opts.Logger, p.bin.Name),
		StartTimeout:     p.settings.startTimeout,
		GRPCDialOptions:  plugin.DialOptions(),
	})
	m, err := p.connect(ctx, client, slot)
	if err != nil {
		client.Kill()
		return nil, err
	}
	return m, nil
}

// connect completes the handshake of a started client and configures the
// plugin's factor instances on it.
func (p *pool) connect(ctx context.Context, client *goplugin.Client, slot int) (*member, error) {
	protocol, err := client.Client()
	if err != nil {
		return nil, fmt.Errorf("start plugin %s (%s): %w", p.bin.Name, p.bin.Path, err)
	}
	grpcClient, ok := protocol.(*goplugin.GRPCClient)
	if !ok {
		return nil, fmt.Errorf("plugin %s: speaks %T, not gRPC", p.bin.Name, protocol)
	}
	raw, err := protocol.Dispense(plugin.Name)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: dispense %q: %w", p.bin.Name, plugin.Name, err)
	}
	rpc, ok := raw.(factorv1.FactorServiceClient)
	if !ok {
		return nil, fmt.Errorf("plugin %s: protocol version %d is not supported", p.bin.Name, client.NegotiatedVersion())
	}
	cctx, cancel := context.WithTimeout(ctx, p.settings.callTimeout)
	defer cancel()
	if err := p.configure(cctx, rpc); err != nil {
		return nil, fmt.Errorf("plugin %s: %w", p.bin.Name, err)
	}
	m := &member{slot: slot, started: time.Now(), client: client, grpc: grpcClient, rpc: rpc, failed: make(chan error, 1)}
	if rc := client.ReattachConfig(); rc != nil {
		m.pid = rc.Pid
	}
	return m, nil
}

// processorShareEnv is the environment a plugin process starts with (the
// host's own is not passed on): GOMAXPROCS set to its pool's share of the
// host's processors. A Go plugin would otherwise run as many threads as the
// machine has processors in every process of the pool, and hand each call
// between them, waking threads (futex) for work one thread does at once: on
// 2 processors, one each cut a TOTP plugin's processor time per verification
// by about a third. The pool's processes together still use every processor.
// Plugins in other languages ignore it.
func processorShareEnv(hostProcs, processes int) []string {
	processes = max(1, processes)
	share := max(1, (hostProcs+processes-1)/processes)
	return []string{"GOMAXPROCS=" + strconv.Itoa(share)}
}
