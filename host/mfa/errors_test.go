package mfa

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

// Every front door checks its error table against Kinds, so Kinds must list
// every error identity this package declares.
func TestKindsListsEveryDeclaredError(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						declared = append(declared, n.Name)
					}
				}
			}
		}
	}
	kinds := Kinds()
	if len(declared) != len(kinds) {
		t.Fatalf("the package declares %d errors (%v) but Kinds lists %d", len(declared), declared, len(kinds))
	}
	seen := map[error]bool{}
	for _, k := range kinds {
		if seen[k] {
			t.Errorf("%v listed twice", k)
		}
		seen[k] = true
	}
}

func TestErrorIdentityAndRetryAfter(t *testing.T) {
	err := &Error{Kind: ErrLocked, Reason: "r", RetryAfter: 90e9, cause: errors.New("cause")}
	if !errors.Is(err, ErrLocked) || errors.Is(err, ErrThrottled) {
		t.Fatal("identity")
	}
	if d, ok := RetryAfter(err); !ok || d != 90e9 {
		t.Fatalf("RetryAfter = %v %v", d, ok)
	}
	if Reason(err) != "r" || Reason(errors.New("x")) != "" {
		t.Fatal("Reason")
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: ErrInvalidCode}, "invalid code"},
		{&Error{Kind: ErrInvalidCode, Reason: "the code is not correct"}, "invalid code: the code is not correct"},
		{&Error{Kind: ErrLocked, RetryAfter: 1500 * time.Millisecond}, "too many failed attempts; second factors are locked (retry after 2s)"},
		{&Error{Kind: ErrUnavailable, cause: errors.New("plugin exited")}, "temporarily unavailable: plugin exited"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// Each factor result and each SDK error has one lifecycle kind, and each
// kind one audit outcome.
func TestFactorOutcomesMapToKinds(t *testing.T) {
	for _, tc := range []struct {
		result  sdk.Result
		want    error
		outcome string
	}{
		{sdk.ResultInvalid, ErrInvalidCode, "invalid"},
		{sdk.ResultExpired, ErrExpired, "expired"},
		{sdk.ResultReplayed, ErrReplayed, "replayed"},
		{sdk.ResultLockedByFactor, ErrChallengeSpent, "challenge_spent"},
		{sdk.ResultThrottled, ErrThrottled, "throttled"},
	} {
		err := resultError(tc.result, "why", time.Second)
		if !errors.Is(err, tc.want) || Reason(err) != "why" || outcome(err) != tc.outcome {
			t.Errorf("result %v: %v (outcome %s), want %v (%s)", tc.result, err, outcome(err), tc.want, tc.outcome)
		}
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		err  error
		want error
	}{
		{fmt.Errorf("%w: phone: not a number", sdk.ErrInvalidParams), ErrInvalidParams},
		{sdk.ErrUnsupported, ErrUnsupported},
		{sdk.ErrBadState, ErrCredentialBroken},
		{sdk.ErrTemporary, ErrUnavailable},
		{sdk.ErrTransport, ErrUnavailable},
		{sdk.ErrNotConfigured, ErrUnavailable},
		{boom, boom},
	} {
		err := factorError("verify", tc.err)
		if !errors.Is(err, tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("factor error %v: %v, want %v wrapping it", tc.err, err, tc.want)
		}
	}
	if got := Reason(factorError("begin", fmt.Errorf("%w: phone: not a number", sdk.ErrInvalidParams))); got != "phone: not a number" {
		t.Errorf("invalid parameters reason %q", got)
	}
	for kind, want := range map[error]string{nil: "ok", ErrAlreadyEnrolled: "already_enrolled", ErrBusy: "busy", ErrNotFound: "error"} {
		var err error
		if kind != nil {
			err = &Error{Kind: kind}
		}
		if got := outcome(err); got != want {
			t.Errorf("outcome(%v) = %q, want %q", kind, got, want)
		}
	}
}

// retryHint is an error of the plugin supervisor that says when to retry.
type retryHint struct{ wait time.Duration }

func (retryHint) Error() string               { return "factor plugin unavailable" }
func (retryHint) Unwrap() error               { return sdk.ErrTransport }
func (h retryHint) RetryAfter() time.Duration { return h.wait }

func TestFactorErrorMapsEveryFactorFailure(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      error
		wantRetry time.Duration
	}{
		{"invalid params", fmt.Errorf("%w: not a mobile number", sdk.ErrInvalidParams), ErrInvalidParams, 0},
		{"unsupported", sdk.ErrUnsupported, ErrUnsupported, 0},
		{"bad state", sdk.ErrBadState, ErrCredentialBroken, 0},
		{"temporary", sdk.ErrTemporary, ErrUnavailable, time.Second},
		{"transport", fmt.Errorf("verify: %w", sdk.ErrTransport), ErrUnavailable, time.Second},
		{"call timeout", fmt.Errorf("verify: %w: %w", sdk.ErrTimeout, context.DeadlineExceeded), ErrUnavailable, time.Second},
		{"not configured", sdk.ErrNotConfigured, ErrUnavailable, time.Second},
		{"supervisor's estimate", fmt.Errorf("verify: %w", retryHint{wait: 3 * time.Second}), ErrUnavailable, 3 * time.Second},
		{"factor failed", fmt.Errorf("verify: %w", sdk.ErrFactorFailed), ErrFactorFailed, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := factorError("verify", tc.err)
			if !errors.Is(got, tc.want) {
				t.Fatalf("factorError(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if d, _ := RetryAfter(got); d != tc.wantRetry {
				t.Fatalf("RetryAfter = %s, want %s", d, tc.wantRetry)
			}
		})
	}
	if got := factorError("verify", errors.New("boom")); errors.Is(got, ErrUnavailable) || errors.Is(got, ErrFactorFailed) {
		t.Fatalf("an error that is not the factor's maps to %v", got)
	}
}
