package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
	"github.com/factorgate/factorgate/sdk/factortest"
)

// inbox is a CodeDelivery that keeps each code by challenge id, as the
// user's mailbox would show it.
type inbox struct {
	mu    sync.Mutex
	codes map[string]string
	fail  error
}

func (b *inbox) Destination(req sdk.BeginEnrollmentRequest) (string, error) {
	if req.Params["to"] == "" {
		return "", fmt.Errorf("%w: give \"to\"", sdk.ErrInvalidParams)
	}
	return req.Params["to"], nil
}

func (b *inbox) Mask(dest string) string { return dest[:1] + "***" }

func (b *inbox) Send(_ context.Context, _, code, challengeID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.codes[challengeID] = code
	return nil
}

func (b *inbox) code(t testing.TB, d sdk.Display) sdk.Proof {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	code, ok := b.codes[d.Extra["challenge_id"]]
	if !ok {
		t.Fatalf("no code was sent for challenge %q", d.Extra["challenge_id"])
	}
	return sdk.Proof{Code: code}
}

func newInboxFactor() (*sdk.SentCodeFactor, *inbox) {
	b := &inbox{codes: map[string]string{}}
	d := sdk.Description{Name: "inbox", DisplayName: "Inbox", Version: "1.0.0", AMR: []string{"otp"}}
	return sdk.NewSentCodeFactor(d, sdk.CodePolicy{Digits: 6, TTL: 5 * time.Minute, MaxAttempts: 3}, b), b
}

func TestSentCodeFactorConformance(t *testing.T) {
	f, b := newInboxFactor()
	factortest.Run(t, f, factortest.ProverFuncs{
		Enroll: func(t testing.TB, resp sdk.BeginEnrollmentResponse, _ time.Time) sdk.Proof {
			return b.code(t, resp.Display)
		},
		Verify: func(t testing.TB, _ factortest.Enrollment, ch sdk.ChallengeResponse, _ time.Time) sdk.Proof {
			return b.code(t, ch.Display)
		},
	}, factortest.WithEnrollParams(map[string]string{"to": "someone"}))
}

func TestSentCodeFactorDescription(t *testing.T) {
	f, _ := newInboxFactor()
	d := f.Describe()
	if d.ProofKind != sdk.ProofSentCode || d.EnrollmentTTL != 5*time.Minute {
		t.Errorf("description %+v: want a sent-code factor whose enrollment lives as long as a code", d)
	}
}

func TestSentCodeFactorFailures(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		name    string
		params  map[string]string
		sendErr error
		want    error
	}{
		{"no destination", nil, nil, sdk.ErrInvalidParams},
		{"gateway down", map[string]string{"to": "someone"}, fmt.Errorf("%w: gateway down", sdk.ErrTemporary), sdk.ErrTemporary},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, b := newInboxFactor()
			b.fail = tc.sendErr
			resp, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{Params: tc.params, Now: now})
			if !errors.Is(err, tc.want) || resp.PendingState != nil {
				t.Errorf("BeginEnrollment = %q, %v; want no state and %v", resp.PendingState, err, tc.want)
			}
		})
	}
}

// TestSentCodeFactorStatesAreItsOwn shows that one sent-code factor's states
// are refused by another: the kinds carry the factor's name.
func TestSentCodeFactorStatesAreItsOwn(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	f, _ := newInboxFactor()
	begin, err := f.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{Params: map[string]string{"to": "someone"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	other := sdk.NewSentCodeFactor(sdk.Description{Name: "other"}, sdk.CodePolicy{Digits: 6, TTL: time.Minute, MaxAttempts: 3}, &inbox{codes: map[string]string{}})
	if _, err := other.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{PendingState: begin.PendingState, Now: now}); !errors.Is(err, sdk.ErrBadState) {
		t.Errorf("another factor read the pending state: err %v, want ErrBadState", err)
	}
}

// TestSentCodeFactorWithRand shows that codes come from the reader given, so a
// factor's tests can be exact.
func TestSentCodeFactorWithRand(t *testing.T) {
	begin := func() (sdk.BeginEnrollmentResponse, string) {
		f, b := newInboxFactor()
		resp, err := f.WithRand(bytes.NewReader(bytes.Repeat([]byte{7}, 256))).BeginEnrollment(context.Background(),
			sdk.BeginEnrollmentRequest{Params: map[string]string{"to": "someone"}, Now: time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)})
		if err != nil {
			t.Fatal(err)
		}
		return resp, b.code(t, resp.Display).Code
	}
	first, firstCode := begin()
	second, secondCode := begin()
	if first.Display.Extra["challenge_id"] != "07070707070707070707070707070707" || firstCode != "777777" ||
		secondCode != firstCode || string(first.PendingState) != string(second.PendingState) {
		t.Errorf("codes from the same reader differ: %q %q, %v", firstCode, secondCode, first.Display.Extra)
	}
}
