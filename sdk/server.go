package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// errorDomain marks gRPC errors raised by a factor (as opposed to the transport),
// so the host can tell "the factor said no" from "the process died".
const errorDomain = "factorgate.dev/factor"

// server serves one Factor over the wire contract. Configured instances are
// kept by name; the base factor serves calls that name no instance.
type server struct {
	factorv1.UnimplementedFactorServiceServer

	base   Factor
	logger *slog.Logger

	mu        sync.RWMutex
	instances map[string]Factor
	keys      map[string][]byte // destination keys by instance
}

// NewServer returns the wire-side implementation of f. Serve uses it; the
// conformance kit uses it to run a factor over real gRPC in one process.
// Factor authors do not need it.
func NewServer(f Factor, logger *slog.Logger) factorv1.FactorServiceServer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &server{base: f, logger: logger, instances: map[string]Factor{}, keys: map[string][]byte{}}
}

func (s *server) factor(instance string) (Factor, error) {
	if instance == "" {
		return s.base, nil
	}
	s.mu.RLock()
	f, ok := s.instances[instance]
	s.mu.RUnlock()
	if !ok {
		return nil, toStatus(fmt.Errorf("%w: %q", ErrNotConfigured, instance))
	}
	return f, nil
}

// guard turns a panic in factor code into an Internal error, so one bad input
// cannot take the plugin process (and every user of it) down.
func (s *server) guard(method string, err *error) {
	if r := recover(); r != nil {
		s.logger.Error("factor panicked", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = statusWithReason(codes.Internal, "FACTOR_PANIC", fmt.Sprintf("factor panicked in %s", method))
	}
}

func (s *server) Describe(_ context.Context, req *factorv1.DescribeRequest) (resp *factorv1.DescribeResponse, err error) {
	defer s.guard("Describe", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	return descriptionToPB(describe(f)), nil
}

func (s *server) Configure(ctx context.Context, req *factorv1.ConfigureRequest) (resp *factorv1.ConfigureResponse, err error) {
	defer s.guard("Configure", &err)
	if req.GetInstance() == "" {
		return nil, toStatus(fmt.Errorf("%w: an instance name is required", ErrInvalidSettings))
	}
	settings := json.RawMessage(req.GetSettingsJson())
	var configured Factor
	if c, ok := s.base.(Configurer); ok {
		configured, err = c.Configure(ctx, settings)
		if err != nil {
			return nil, toStatus(err)
		}
	} else {
		if !emptySettings(settings) {
			return nil, toStatus(fmt.Errorf("%w: factor %q takes no settings", ErrInvalidSettings, s.base.Describe().Name))
		}
		configured = s.base
	}
	s.mu.Lock()
	s.instances[req.GetInstance()] = configured
	s.keys[req.GetInstance()] = req.GetDestinationKey()
	s.mu.Unlock()
	return &factorv1.ConfigureResponse{Description: descriptionToPB(describe(configured))}, nil
}

func emptySettings(raw json.RawMessage) bool {
	var v map[string]json.RawMessage
	if len(raw) == 0 {
		return true
	}
	return json.Unmarshal(raw, &v) == nil && len(v) == 0
}

func (s *server) BeginEnrollment(ctx context.Context, req *factorv1.BeginEnrollmentRequest) (resp *factorv1.BeginEnrollmentResponse, err error) {
	defer s.guard("BeginEnrollment", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	e, ok := f.(Enroller)
	if !ok {
		return nil, toStatus(fmt.Errorf("enrollment: %w", ErrUnsupported))
	}
	out, err := e.BeginEnrollment(ctx, BeginEnrollmentRequest{
		User:   userFromPB(req.GetUser()),
		Params: req.GetParams(),
		Now:    timeFromPB(req.GetNow()),

		Credentials: credentialsFromPB(req.GetCredentials()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.BeginEnrollmentResponse{PendingState: out.PendingState, Display: displayToPB(out.Display)}, nil
}

func (s *server) FinishEnrollment(ctx context.Context, req *factorv1.FinishEnrollmentRequest) (resp *factorv1.FinishEnrollmentResponse, err error) {
	defer s.guard("FinishEnrollment", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	e, ok := f.(Enroller)
	if !ok {
		return nil, toStatus(fmt.Errorf("enrollment: %w", ErrUnsupported))
	}
	out, err := e.FinishEnrollment(ctx, FinishEnrollmentRequest{
		User:         userFromPB(req.GetUser()),
		PendingState: req.GetPendingState(),
		Proof:        proofFromPB(req.GetProof()),
		Now:          timeFromPB(req.GetNow()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.FinishEnrollmentResponse{
		Result:          resultToPB(out.Result),
		CredentialState: out.CredentialState,
		PendingState:    out.PendingState,
		Display:         displayToPB(out.Display),
		Reason:          out.Reason,
		RetryAfter:      durationToPB(out.RetryAfter),
		CredentialKey:   out.CredentialKey,
		Amr:             out.AMR,
		UserVerified:    out.UserVerified,
	}, nil
}

func (s *server) Challenge(ctx context.Context, req *factorv1.ChallengeRequest) (resp *factorv1.ChallengeResponse, err error) {
	defer s.guard("Challenge", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	c, ok := f.(Challenger)
	if !ok {
		return nil, toStatus(fmt.Errorf("challenge: %w", ErrUnsupported))
	}
	out, err := c.Challenge(ctx, ChallengeRequest{
		User:            userFromPB(req.GetUser()),
		CredentialState: req.GetCredentialState(),
		Params:          req.GetParams(),
		Now:             timeFromPB(req.GetNow()),
		Credentials:     credentialsFromPB(req.GetCredentials()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.ChallengeResponse{
		Result:          resultToPB(out.Result),
		ChallengeState:  out.ChallengeState,
		CredentialState: out.CredentialState,
		Display:         displayToPB(out.Display),
		Reason:          out.Reason,
		RetryAfter:      durationToPB(out.RetryAfter),
	}, nil
}

func (s *server) Verify(ctx context.Context, req *factorv1.VerifyRequest) (resp *factorv1.VerifyResponse, err error) {
	defer s.guard("Verify", &err)
	f, err := s.factor(req.GetInstance())
	if err != nil {
		return nil, err
	}
	out, err := f.Verify(ctx, VerifyRequest{
		User:            userFromPB(req.GetUser()),
		CredentialState: req.GetCredentialState(),
		ChallengeState:  req.GetChallengeState(),
		Proof:           proofFromPB(req.GetProof()),
		Now:             timeFromPB(req.GetNow()),
		Credentials:     credentialsFromPB(req.GetCredentials()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &factorv1.VerifyResponse{
		Result:          resultToPB(out.Result),
		CredentialState: out.CredentialState,
		ChallengeState:  out.ChallengeState,
		Display:         displayToPB(out.Display),
		Reason:          out.Reason,
		RetryAfter:      durationToPB(out.RetryAfter),
		CredentialKey:   out.CredentialKey,
		Amr:             out.AMR,
		UserVerified:    out.UserVerified,
	}, nil
}

// wireErrors maps each SDK error to its gRPC code and stable reason. The reason
// travels in an ErrorInfo detail, so the client restores the same sentinel.
var wireErrors = []struct {
	err    error
	code   codes.Code
	reason string
}{
	{ErrBadState, codes.InvalidArgument, "BAD_STATE"},
	{ErrInvalidParams, codes.InvalidArgument, "INVALID_PARAMS"},
	{ErrInvalidSettings, codes.InvalidArgument, "INVALID_SETTINGS"},
	{ErrUnsupported, codes.Unimplemented, "UNSUPPORTED"},
	{ErrNotConfigured, codes.FailedPrecondition, "NOT_CONFIGURED"},
	{ErrTemporary, codes.Unavailable, "TEMPORARY"},
	{context.Canceled, codes.Canceled, "CANCELED"},
	{context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED"},
}

func toStatus(err error) error {
	for _, w := range wireErrors {
		if errors.Is(err, w.err) {
			return statusWithReason(w.code, w.reason, err.Error())
		}
	}
	return statusWithReason(codes.Internal, "FACTOR_ERROR", err.Error())
}

func statusWithReason(code codes.Code, reason, msg string) error {
	st := status.New(code, msg)
	if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: errorDomain}); err == nil {
		st = withInfo
	}
	return st.Err()
}

// fromStatus restores the SDK error behind a gRPC error:
//   - a status with the factor's ErrorInfo is the factor's own error, with its
//     sentinel (a factor's unknown error or panic is ErrFactorFailed);
//   - the caller's context ending is the caller's: ErrTimeout when its
//     deadline passed (the host's call timeout), the context's error otherwise;
//   - Unavailable or Canceled without the factor's detail is the transport's:
//     the connection broke, or go-plugin closed the connection of a process
//     that exited;
//   - any other plain status is the plugin's own answer to this call (a
//     plugin in another language need not send ErrorInfo), mapped by its code.
func fromStatus(ctx context.Context, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%w: %w", ErrTransport, err)
	}
	for _, d := range st.Details() {
		info, ok := d.(*errdetails.ErrorInfo)
		if !ok || info.GetDomain() != errorDomain {
			continue
		}
		return factorStatusError(st, info.GetReason())
	}
	// A plain answer that comes once the caller's deadline has passed is the
	// plugin giving up because that deadline reached it: a timeout, whatever
	// code it chose.
	ctxErr := ctx.Err()
	if ctxErr != nil && (st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded || errors.Is(ctxErr, context.DeadlineExceeded)) {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", ErrTimeout, ctxErr)
		}
		return fmt.Errorf("factor call: %w", ctxErr)
	}
	return plainStatusError(st, err)
}

// factorStatusError restores the error a factor returned through the SDK.
func factorStatusError(st *status.Status, reason string) error {
	for _, w := range wireErrors {
		if w.reason != reason {
			continue
		}
		if w.err == context.DeadlineExceeded {
			// The deadline the host set reached the factor, which gave up.
			return &remoteError{msg: st.Message(), st: st, sentinels: []error{w.err, ErrTimeout}}
		}
		return &remoteError{msg: st.Message(), st: st, sentinels: []error{w.err}}
	}
	return &remoteError{msg: st.Message(), st: st, sentinels: []error{ErrFactorFailed}}
}

// plainStatusError maps a status that carries no factor detail by its code.
func plainStatusError(st *status.Status, err error) error {
	var sentinel error
	switch st.Code() {
	case codes.Unavailable, codes.Canceled:
		return fmt.Errorf("%w: %w", ErrTransport, err)
	case codes.DeadlineExceeded:
		sentinel = ErrTimeout
	case codes.InvalidArgument, codes.OutOfRange:
		sentinel = ErrInvalidParams
	case codes.Unimplemented:
		sentinel = ErrUnsupported
	case codes.ResourceExhausted:
		sentinel = ErrTemporary
	default:
		sentinel = ErrFactorFailed
	}
	return &remoteError{msg: st.Message(), st: st, sentinels: []error{sentinel}}
}

// remoteError is an error a plugin answered, carried across the wire with its
// message, its gRPC status and its sentinel identity.
type remoteError struct {
	msg       string
	st        *status.Status
	sentinels []error
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.sentinels }

// GRPCStatus lets status.Code report the plugin's code, for logs.
func (e *remoteError) GRPCStatus() *status.Status { return e.st }
