// Package plugin is the wire contract between the Factorgate host and factor
// plugins: the handshake both sides must agree on, the protocol versions, and the
// go-plugin glue that carries the FactorService of factor/v1 over gRPC.
//
// Factor authors do not import this package; they call sdk.Serve. The host uses
// it to launch plugins.
package plugin

import (
	"context"
	"errors"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// ProtocolVersion is the newest factor protocol this code speaks. A host keeps
// serving plugins of older versions through VersionedPlugins.
const ProtocolVersion = 1

// Name is the single plugin name a factor plugin dispenses.
const Name = "factor"

// Handshake is the configuration both host and plugin must agree on. The magic
// cookie is not a security measure: it stops a user from running a plugin
// binary directly and makes other programs refuse to act as one.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "FACTORGATE_PLUGIN",
	MagicCookieValue: "d3b2a1c4-factorgate-factor-plugin-7f9e",
}

// ServerPlugins returns the versioned plugin sets a plugin process serves,
// backed by srv.
func ServerPlugins(srv factorv1.FactorServiceServer) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		1: {Name: &GRPCPlugin{Impl: srv}},
	}
}

// ClientPlugins returns the versioned plugin sets the host accepts. Dispensing
// Name yields a factorv1.FactorServiceClient for protocol version 1.
func ClientPlugins() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		1: {Name: &GRPCPlugin{}},
	}
}

// GRPCPlugin carries FactorService over go-plugin's gRPC transport. It has no
// net/rpc form: Factorgate plugins are gRPC only.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served in the plugin process; nil on the host.
	Impl factorv1.FactorServiceServer
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the factor service on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("plugin: no factor server to register")
	}
	factorv1.RegisterFactorServiceServer(s, p.Impl)
	return nil
}

// GRPCClient returns a factorv1.FactorServiceClient on the host side.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return factorv1.NewFactorServiceClient(c), nil
}
