package zitadel

import (
	"maps"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
)

// registerReflection serves gRPC server reflection, v1 and v1alpha, on mux
// beside the Zitadel-compatible service, so that grpcurl and other tools
// list and call the service without its .proto files. The descriptors come
// from the generated code.
func registerReflection(mux *http.ServeMux) {
	srv := grpc.NewServer()
	opts := reflection.ServerOptions{Services: reflected{srv: srv}}
	reflectionv1.RegisterServerReflectionServer(srv, reflection.NewServerV1(opts))
	reflectionv1alpha.RegisterServerReflectionServer(srv, reflection.NewServer(opts))
	mux.Handle("/"+reflectionv1.ServerReflection_ServiceDesc.ServiceName+"/", srv)
	mux.Handle("/"+reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName+"/", srv)
}

// reflected lists the services reflection describes: the reflection
// services themselves and the Zitadel-compatible service, which Connect
// serves.
type reflected struct{ srv *grpc.Server }

// GetServiceInfo returns the names of the described services.
func (r reflected) GetServiceInfo() map[string]grpc.ServiceInfo {
	info := maps.Clone(r.srv.GetServiceInfo())
	info[zitadelpbconnect.UserServiceName] = grpc.ServiceInfo{}
	return info
}
