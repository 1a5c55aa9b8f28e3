package sdk_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

var otpNow = time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)

func newTestCode(t *testing.T, p sdk.CodePolicy) (sdk.OneTimeCode, string) {
	t.Helper()
	c, code, err := sdk.NewOneTimeCode(nil, p, otpNow)
	if err != nil {
		t.Fatalf("NewOneTimeCode: %v", err)
	}
	return c, code
}

// wrongDigits returns a well-formed code that is not code.
func wrongDigits(code string) string {
	last := code[len(code)-1]
	return code[:len(code)-1] + string('0'+(last-'0'+1)%10)
}

func TestNewOneTimeCode(t *testing.T) {
	p := sdk.CodePolicy{Digits: 8, TTL: 5 * time.Minute, MaxAttempts: 3}
	c, code := newTestCode(t, p)
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		t.Errorf("code %q: want 8 digits", code)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate of a new code: %v", err)
	}
	if !c.Expires.Equal(otpNow.Add(5*time.Minute)) || c.Digits != 8 || c.MaxAttempts != 3 || c.Attempts != 0 || c.Used {
		t.Errorf("new code %+v does not follow the policy", c)
	}
	if bytes.Contains(c.Hash, []byte(code)) || c.ID == "" {
		t.Errorf("new code %+v keeps the code or has no id", c)
	}
	other, _ := newTestCode(t, p)
	if other.ID == c.ID || bytes.Equal(other.Key, c.Key) {
		t.Errorf("two codes share an id or a key")
	}
}

func TestNewOneTimeCodeRefusesPolicy(t *testing.T) {
	tests := []struct {
		name string
		p    sdk.CodePolicy
	}{
		{"too few digits", sdk.CodePolicy{Digits: 5, TTL: time.Minute, MaxAttempts: 3}},
		{"too many digits", sdk.CodePolicy{Digits: 11, TTL: time.Minute, MaxAttempts: 3}},
		{"no lifetime", sdk.CodePolicy{Digits: 6, MaxAttempts: 3}},
		{"lifetime over ten minutes", sdk.CodePolicy{Digits: 6, TTL: 11 * time.Minute, MaxAttempts: 3}},
		{"no attempts", sdk.CodePolicy{Digits: 6, TTL: time.Minute}},
		{"too many attempts", sdk.CodePolicy{Digits: 6, TTL: time.Minute, MaxAttempts: 11}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := sdk.NewOneTimeCode(nil, tc.p, otpNow); err == nil {
				t.Errorf("NewOneTimeCode(%+v) accepted the policy", tc.p)
			}
		})
	}
}

func TestOneTimeCodeCheck(t *testing.T) {
	p := sdk.CodePolicy{Digits: 6, TTL: 5 * time.Minute, MaxAttempts: 3}
	type try struct {
		typed      func(code string) string
		at         time.Duration
		want       sdk.Result
		wantLeft   int
		wantChange bool
	}
	right := func(code string) string { return code }
	spaced := func(code string) string { return code[:3] + " " + code[3:] }
	wrong := wrongDigits
	malformed := func(string) string { return "12ab56" }
	tests := []struct {
		name  string
		tries []try
	}{
		{"right code", []try{{right, 0, sdk.ResultOK, 3, true}}},
		{"right code, spaced", []try{{spaced, 0, sdk.ResultOK, 3, true}}},
		{"used once only", []try{{right, 0, sdk.ResultOK, 3, true}, {right, 0, sdk.ResultReplayed, 3, false}}},
		{"wrong then right", []try{{wrong, 0, sdk.ResultInvalid, 2, true}, {right, 0, sdk.ResultOK, 2, true}}},
		{"malformed counts no attempt", []try{{malformed, 0, sdk.ResultInvalid, 3, false}, {right, 0, sdk.ResultOK, 3, true}}},
		{"dies after its attempts", []try{
			{wrong, 0, sdk.ResultInvalid, 2, true},
			{wrong, 0, sdk.ResultInvalid, 1, true},
			{wrong, 0, sdk.ResultLockedByFactor, 0, true},
			{right, 0, sdk.ResultLockedByFactor, 0, false},
		}},
		{"expired at its expiry", []try{{right, 5 * time.Minute, sdk.ResultExpired, 3, false}}},
		{"valid just before", []try{{right, 5*time.Minute - time.Nanosecond, sdk.ResultOK, 3, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, code := newTestCode(t, p)
			for i, tr := range tc.tries {
				got := c.Check(tr.typed(code), otpNow.Add(tr.at))
				if got.Result != tr.want || got.AttemptsLeft != tr.wantLeft || got.Changed != tr.wantChange {
					t.Fatalf("try %d: %+v, want result %s, %d left, changed %v", i+1, got, tr.want, tr.wantLeft, tr.wantChange)
				}
				if err := c.Validate(); err != nil {
					t.Fatalf("try %d: the code's state is no longer valid: %v", i+1, err)
				}
			}
		})
	}
}

func TestOneTimeCodeBoundToItsID(t *testing.T) {
	p := sdk.CodePolicy{Digits: 6, TTL: time.Minute, MaxAttempts: 3}
	a, code := newTestCode(t, p)
	b, _ := newTestCode(t, p)
	b.Key, b.Hash = a.Key, a.Hash // another challenge holding a's hash
	if got := b.Check(code, otpNow); got.Result == sdk.ResultOK {
		t.Errorf("a code passed for another challenge's")
	}
}

func TestLatestCode(t *testing.T) {
	p := sdk.CodePolicy{Digits: 6, TTL: time.Minute, MaxAttempts: 3}
	first, firstCode := newTestCode(t, p)
	second, secondCode := newTestCode(t, p)
	var latest sdk.LatestCode
	latest.Sent(first)
	latest.Sent(second)

	got := latest.Check(&first, firstCode, otpNow)
	if got.Result != sdk.ResultExpired || !got.Superseded || got.Changed {
		t.Errorf("superseded code: %+v, want expired and superseded", got)
	}
	if r := got.Reason(6, "request a new code"); !strings.Contains(r, "newer code") {
		t.Errorf("superseded reason %q", r)
	}
	if got := latest.Check(&second, secondCode, otpNow); got.Result != sdk.ResultOK || !latest.Used {
		t.Errorf("latest code: %+v, latest %+v; want ok and marked used", got, latest)
	}
	fresh, _ := newTestCode(t, p) // the challenge state of the same code, before it was marked used
	fresh.ID = second.ID
	if got := latest.Check(&fresh, secondCode, otpNow); got.Result != sdk.ResultReplayed {
		t.Errorf("latest code again: %s, want replayed", got.Result)
	}
	if err := latest.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if err := (&sdk.LatestCode{Used: true}).Validate(); err == nil {
		t.Errorf("Validate accepted a used latest code without an id")
	}
}

func TestCodeCheckReason(t *testing.T) {
	tests := []struct {
		check sdk.CodeCheck
		want  string
	}{
		{sdk.CodeCheck{Result: sdk.ResultOK}, ""},
		{sdk.CodeCheck{Result: sdk.ResultInvalid, Malformed: true}, "enter the 6-digit code"},
		{sdk.CodeCheck{Result: sdk.ResultInvalid, AttemptsLeft: 1}, "the code is not correct; 1 attempt left"},
		{sdk.CodeCheck{Result: sdk.ResultInvalid, AttemptsLeft: 2}, "the code is not correct; 2 attempts left"},
		{sdk.CodeCheck{Result: sdk.ResultLockedByFactor}, "too many wrong codes; request a new code"},
		{sdk.CodeCheck{Result: sdk.ResultExpired}, "the code has expired; request a new code"},
		{sdk.CodeCheck{Result: sdk.ResultReplayed}, "this code has already been used"},
	}
	for _, tc := range tests {
		if got := tc.check.Reason(6, "request a new code"); got != tc.want {
			t.Errorf("Reason(%+v) = %q, want %q", tc.check, got, tc.want)
		}
	}
}
