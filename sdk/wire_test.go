package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Errors keep their identity across the wire; transport failures are told apart.
func TestErrorsKeepTheirIdentityAcrossTheWire(t *testing.T) {
	ctx := context.Background()
	for _, sentinel := range []error{ErrBadState, ErrInvalidParams, ErrInvalidSettings, ErrUnsupported, ErrNotConfigured, ErrTemporary} {
		t.Run(sentinel.Error(), func(t *testing.T) {
			sent := fmt.Errorf("%w: phone number is not a mobile number", sentinel)
			got := fromStatus(ctx, toStatus(sent))
			if !errors.Is(got, sentinel) {
				t.Fatalf("got %v, want it to wrap %v", got, sentinel)
			}
			if errors.Is(got, ErrTransport) {
				t.Fatal("a factor error must not look like a transport failure")
			}
			if Message(got) != sent.Error() {
				t.Fatalf("Message = %q, want %q", Message(got), sent.Error())
			}
		})
	}
	t.Run("factor error without a sentinel", func(t *testing.T) {
		got := fromStatus(ctx, toStatus(errors.New("boom")))
		if errors.Is(got, ErrTransport) || !errors.Is(got, ErrFactorFailed) || got.Error() != "boom" {
			t.Fatalf("got %v, want ErrFactorFailed with the factor's message", got)
		}
	})
	t.Run("factor gave up at the host's deadline", func(t *testing.T) {
		got := fromStatus(ctx, toStatus(fmt.Errorf("verify: %w", context.DeadlineExceeded)))
		if !errors.Is(got, ErrTimeout) || !errors.Is(got, context.DeadlineExceeded) {
			t.Fatalf("got %v, want ErrTimeout", got)
		}
	})
	t.Run("transport", func(t *testing.T) {
		for _, code := range []codes.Code{codes.Unavailable, codes.Canceled} {
			got := fromStatus(ctx, status.Error(code, "connection closed"))
			if !errors.Is(got, ErrTransport) || status.Code(got) != code {
				t.Errorf("%s without the factor's detail: %v, want ErrTransport keeping the code", code, got)
			}
		}
		if got := fromStatus(ctx, errors.New("not a status")); !errors.Is(got, ErrTransport) {
			t.Errorf("non-status error: %v", got)
		}
	})
	t.Run("plain status from a plugin", func(t *testing.T) {
		tests := []struct {
			code codes.Code
			want error
		}{
			{codes.InvalidArgument, ErrInvalidParams},
			{codes.OutOfRange, ErrInvalidParams},
			{codes.Unimplemented, ErrUnsupported},
			{codes.ResourceExhausted, ErrTemporary},
			{codes.DeadlineExceeded, ErrTimeout},
			{codes.Internal, ErrFactorFailed},
			{codes.Unknown, ErrFactorFailed},
			{codes.FailedPrecondition, ErrFactorFailed},
		}
		for _, tc := range tests {
			got := fromStatus(ctx, status.Error(tc.code, "plugin says no"))
			if !errors.Is(got, tc.want) || errors.Is(got, ErrTransport) {
				t.Errorf("%s: got %v, want %v", tc.code, got, tc.want)
			}
			if status.Code(got) != tc.code || Message(got) != "plugin says no" {
				t.Errorf("%s: code %s message %q: the plugin's code and message must survive", tc.code, status.Code(got), Message(got))
			}
		}
	})
	t.Run("caller canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		got := fromStatus(cctx, status.Error(codes.Canceled, "context canceled"))
		if !errors.Is(got, context.Canceled) || errors.Is(got, ErrTransport) || errors.Is(got, ErrTimeout) {
			t.Fatalf("got %v, want context.Canceled", got)
		}
	})
	t.Run("caller's deadline passed", func(t *testing.T) {
		cctx, cancel := context.WithDeadline(ctx, time.Unix(0, 0))
		defer cancel()
		got := fromStatus(cctx, status.Error(codes.DeadlineExceeded, "context deadline exceeded"))
		if !errors.Is(got, ErrTimeout) || !errors.Is(got, context.DeadlineExceeded) || errors.Is(got, ErrTransport) {
			t.Fatalf("got %v, want ErrTimeout wrapping context.DeadlineExceeded", got)
		}
	})
}
