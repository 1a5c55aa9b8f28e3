package zitadel

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/factorgate/factorgate/host/dialects/zitadelpb/zitadelpbconnect"
)

// TestReflection: a reflection client over h2c, as grpcurl uses, lists the
// Zitadel-compatible service and gets the descriptor of the file that
// defines it, with its methods.
func TestReflection(t *testing.T) {
	mux := http.NewServeMux()
	registerReflection(mux)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	conn, err := grpc.NewClient("passthrough:///"+strings.TrimPrefix(srv.URL, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ask := func(req *reflectionv1.ServerReflectionRequest) *reflectionv1.ServerReflectionResponse {
		t.Helper()
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	list := ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{}})
	var names []string
	for _, s := range list.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if !slices.Contains(names, zitadelpbconnect.UserServiceName) || !slices.Contains(names, "grpc.reflection.v1.ServerReflection") {
		t.Fatalf("services %v", names)
	}

	file := ask(&reflectionv1.ServerReflectionRequest{MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: zitadelpbconnect.UserServiceName}})
	var methods []string
	for _, raw := range file.GetFileDescriptorResponse().GetFileDescriptorProto() {
		var fd descriptorpb.FileDescriptorProto
		if err := proto.Unmarshal(raw, &fd); err != nil {
			t.Fatal(err)
		}
		for _, s := range fd.GetService() {
			if fd.GetPackage()+"."+s.GetName() != zitadelpbconnect.UserServiceName {
				continue
			}
			for _, m := range s.GetMethod() {
				methods = append(methods, m.GetName())
			}
		}
	}
	if !slices.Contains(methods, "RegisterTOTP") || !slices.Contains(methods, "VerifyTOTPRegistration") {
		t.Fatalf("methods of %s: %v", zitadelpbconnect.UserServiceName, methods)
	}
}
