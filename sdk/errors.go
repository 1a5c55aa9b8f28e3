package sdk

import "errors"

// Errors a factor returns (wrapped with detail, fmt.Errorf("...: %w", ErrX)) for
// failures that are not a Result. They keep their identity across plugin RPC, so
// the host can tell a bad request from a broken factor.
var (
	// ErrBadState: the state handed in cannot be read (corrupt, wrong factor,
	// unknown version). The host treats the credential as unusable.
	ErrBadState = errors.New("factor state is not valid")
	// ErrInvalidParams: enrollment or challenge parameters are not acceptable
	// (a phone number that is not a mobile number). The message is user-safe.
	ErrInvalidParams = errors.New("invalid parameters")
	// ErrInvalidSettings: operator settings given to Configure are not acceptable.
	ErrInvalidSettings = errors.New("invalid factor settings")
	// ErrUnsupported: the factor does not implement the requested capability.
	ErrUnsupported = errors.New("not supported by this factor")
	// ErrNotConfigured: a call named a factor instance that was never configured.
	ErrNotConfigured = errors.New("factor instance is not configured")
	// ErrTemporary: a failure outside the factor that may pass (an SMS gateway
	// is down). The caller may retry; no state was changed.
	ErrTemporary = errors.New("temporary failure")
	// ErrTransport: the call did not reach the factor or its answer was lost
	// (the plugin process died). Reported by the RPC client, never by a factor.
	ErrTransport = errors.New("factor plugin unreachable")
	// ErrTimeout: the caller's deadline passed before the factor answered. The
	// factor may still finish the call; nothing the caller holds was changed.
	// Reported by the RPC client, never by a factor.
	ErrTimeout = errors.New("factor call timed out")
	// ErrFactorFailed: the factor answered the call with an error of its own
	// that is none of the above (a bug, a plain gRPC status from a plugin in
	// another language). The plugin is alive; only this call failed.
	ErrFactorFailed = errors.New("factor failed")
)

// Message returns the message a factor gave for err, without the wrapping the
// caller's side added, so a host can show a factor's user-safe explanation
// (for ErrInvalidParams) as the factor wrote it.
func Message(err error) string {
	var remote *remoteError
	if errors.As(err, &remote) {
		return remote.msg
	}
	return err.Error()
}
