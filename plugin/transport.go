package plugin

import "google.golang.org/grpc"

// windowSize is the HTTP/2 flow-control window of the host-plugin
// connection, for each stream and for the connection. Setting it turns off
// gRPC's bandwidth estimator, which otherwise answers data frames with
// pings: on a local socket that carries small messages the pings only add
// frames, syscalls and wake-ups to every call.
const windowSize = 1 << 20

// DialOptions are the gRPC options the host dials a plugin with.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(windowSize),
	}
}

// streamWorkers is how many goroutines of a plugin's gRPC server stay to
// serve calls. Without them every call runs on a new goroutine, whose stack
// grows (and is copied) afresh each time; a call that finds them all busy
// still gets a goroutine of its own.
const streamWorkers = 8

// NewGRPCServer is the gRPC server of a plugin process: go-plugin's options
// (its TLS credentials), the same static windows as the host's side and
// goroutines kept to serve calls.
func NewGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts,
		grpc.InitialWindowSize(windowSize),
		grpc.InitialConnWindowSize(windowSize),
		grpc.NumStreamWorkers(streamWorkers),
	)
	return grpc.NewServer(opts...)
}
