// Command misbehave is a factor plugin for the supervisor's tests that
// misbehaves the way its file name says. The tests build it once and copy it
// under these names:
//
//	factorgate-factor-plainerr   answers Verify with a plain InvalidArgument
//	                             status and Challenge with a plain Internal
//	                             status, as a plugin in another language may
//	factorgate-factor-hang       never answers Verify (until the caller gives up)
//	factorgate-factor-hangstart  never completes the go-plugin handshake
//	factorgate-factor-flaky      exits at start while <its path>.broken exists
package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/factorgate/factorgate/plugin"
	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
	"github.com/factorgate/factorgate/sdk"
)

// factor is the smallest factor: every proof "ok" is accepted.
type factor struct{}

func (factor) Describe() sdk.Description {
	return sdk.Description{Name: "misbehave", DisplayName: "Misbehaving test factor", Version: "0.0.1", AMR: []string{"otp"}}
}

func (factor) Verify(context.Context, sdk.VerifyRequest) (sdk.VerifyResponse, error) {
	return sdk.VerifyResponse{Result: sdk.ResultOK}, nil
}

func (factor) Challenge(context.Context, sdk.ChallengeRequest) (sdk.ChallengeResponse, error) {
	return sdk.ChallengeResponse{Result: sdk.ResultOK}, nil
}

// plainErrors answers with gRPC statuses that carry no factor detail.
type plainErrors struct{ factorv1.FactorServiceServer }

func (plainErrors) Verify(context.Context, *factorv1.VerifyRequest) (*factorv1.VerifyResponse, error) {
	return nil, status.Error(codes.InvalidArgument, "the code must be six digits")
}

func (plainErrors) Challenge(context.Context, *factorv1.ChallengeRequest) (*factorv1.ChallengeResponse, error) {
	return nil, status.Error(codes.Internal, "the plugin failed")
}

// hanging never answers Verify before the caller gives up.
type hanging struct{ factorv1.FactorServiceServer }

func (hanging) Verify(ctx context.Context, _ *factorv1.VerifyRequest) (*factorv1.VerifyResponse, error) {
	<-ctx.Done()
	return nil, status.Error(codes.Unknown, "gave up")
}

func main() {
	self, err := os.Executable()
	if err != nil {
		os.Exit(3)
	}
	mode := strings.TrimPrefix(filepath.Base(self), "factorgate-factor-")
	base := sdk.NewServer(factor{}, nil)
	var srv factorv1.FactorServiceServer = base
	switch mode {
	case "plainerr":
		srv = plainErrors{base}
	case "hang":
		srv = hanging{base}
	case "hangstart":
		for {
			time.Sleep(time.Hour)
		}
	case "flaky":
		if _, err := os.Stat(self + ".broken"); err == nil {
			os.Exit(1)
		}
	}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  plugin.Handshake,
		VersionedPlugins: plugin.ServerPlugins(srv),
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
}
