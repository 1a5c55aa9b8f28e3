package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"

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
	t.Run("plain error", func(t *testing.T) {
		got := fromStatus(ctx, toStatus(errors.New("boom")))
		if errors.Is(got, ErrTransport) || got.Error() != "boom" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("transport", func(t *testing.T) {
		for _, code := range []codes.Code{codes.Unavailable, codes.Canceled, codes.Internal} {
			if got := fromStatus(ctx, status.Error(code, "connection closed")); !errors.Is(got, ErrTransport) {
				t.Errorf("%s without the factor's detail: %v, want ErrTransport", code, got)
			}
		}
		if got := fromStatus(ctx, errors.New("not a status")); !errors.Is(got, ErrTransport) {
			t.Errorf("non-status error: %v", got)
		}
	})
	t.Run("caller canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		got := fromStatus(cctx, status.Error(codes.Canceled, "context canceled"))
		if !errors.Is(got, context.Canceled) || errors.Is(got, ErrTransport) {
			t.Fatalf("got %v, want context.Canceled", got)
		}
	})
}
