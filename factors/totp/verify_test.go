package totp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/factorgate/factorgate/sdk"
)

// RFC 6238 Appendix B seeds: the ASCII digits "1234567890" repeated to the
// hash's natural key length.
var rfcSeeds = map[string][]byte{
	"SHA1":   []byte("12345678901234567890"),
	"SHA256": []byte("12345678901234567890123456789012"),
	"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
}

func TestRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix      int64
		algorithm string
		code      string
	}{
		{59, "SHA1", "94287082"},
		{59, "SHA256", "46119246"},
		{59, "SHA512", "90693936"},
		{1111111109, "SHA1", "07081804"},
		{1111111109, "SHA256", "68084774"},
		{1111111109, "SHA512", "25091201"},
		{1111111111, "SHA1", "14050471"},
		{1111111111, "SHA256", "67062674"},
		{1111111111, "SHA512", "99943326"},
		{1234567890, "SHA1", "89005924"},
		{1234567890, "SHA256", "91819424"},
		{1234567890, "SHA512", "93441116"},
		{2000000000, "SHA1", "69279037"},
		{2000000000, "SHA256", "90698825"},
		{2000000000, "SHA512", "38618901"},
		{20000000000, "SHA1", "65353130"},
		{20000000000, "SHA256", "77737706"},
		{20000000000, "SHA512", "47863826"},
	}
	for _, tc := range tests {
		t.Run(tc.algorithm+"/"+time.Unix(tc.unix, 0).UTC().Format(time.RFC3339), func(t *testing.T) {
			p := params{Secret: rfcSeeds[tc.algorithm], Algorithm: tc.algorithm, Digits: 8, Period: 30, Skew: 1}
			now := time.Unix(tc.unix, 0)
			wantStep := uint64(tc.unix) / 30

			current, ok := timeStep(now, p.Period)
			if !ok || current != wantStep {
				t.Fatalf("timeStep = %d, %v; want %d", current, ok, wantStep)
			}
			if got := codeAt(t, p, wantStep); got != tc.code {
				t.Fatalf("code at step %d = %s, want %s", wantStep, got, tc.code)
			}

			// Directly: with no skew the code matches exactly its own step.
			step, found, err := matchStep(p, tc.code, current, 0)
			if err != nil || !found || step != wantStep {
				t.Fatalf("matchStep = %d, %v, %v; want %d, true, nil", step, found, err, wantStep)
			}

			// Through Verify with a credential built from the seed.
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: credential(t, p, 0),
				Proof:           sdk.Proof{Code: tc.code},
				Now:             now,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if resp.Result != sdk.ResultOK {
				t.Fatalf("Verify result = %v (%s), want ok", resp.Result, resp.Reason)
			}
			if got := lastStepOf(t, resp.CredentialState); got != wantStep {
				t.Fatalf("last step = %d, want %d", got, wantStep)
			}
		})
	}
}

func TestMatchStep(t *testing.T) {
	p := testParams()
	const current = 1000
	tests := []struct {
		name     string
		code     string
		current  uint64
		skew     int
		wantStep uint64
		wantOK   bool
	}{
		{"current step", codeAt(t, p, current), current, 1, current, true},
		{"previous step", codeAt(t, p, current-1), current, 1, current - 1, true},
		{"next step", codeAt(t, p, current+1), current, 1, current + 1, true},
		{"two back with skew 1", codeAt(t, p, current-2), current, 1, 0, false},
		{"two ahead with skew 1", codeAt(t, p, current+2), current, 1, 0, false},
		{"three back with skew 3", codeAt(t, p, current-3), current, 3, current - 3, true},
		{"previous step with skew 0", codeAt(t, p, current-1), current, 0, 0, false},
		{"step zero at step zero", codeAt(t, p, 0), 0, 1, 0, true},
		{"no steps before zero", codeAt(t, p, 1), 0, 3, 1, true},
		{"wrong code", "000000", current, 3, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "wrong code" {
				for s := uint64(current - 3); s <= current+3; s++ {
					if codeAt(t, p, s) == tc.code {
						t.Skip("test secret happens to produce 000000")
					}
				}
			}
			step, ok, err := matchStep(p, tc.code, tc.current, tc.skew)
			if err != nil {
				t.Fatalf("matchStep: %v", err)
			}
			if ok != tc.wantOK || (ok && step != tc.wantStep) {
				t.Fatalf("matchStep = %d, %v; want %d, %v", step, ok, tc.wantStep, tc.wantOK)
			}
		})
	}
}

func TestVerifySkew(t *testing.T) {
	tests := []struct {
		name   string
		skew   int
		offset int
		want   sdk.Result
	}{
		{"skew 1, two steps back", 1, -2, sdk.ResultInvalid},
		{"skew 1, one step back", 1, -1, sdk.ResultOK},
		{"skew 1, current step", 1, 0, sdk.ResultOK},
		{"skew 1, one step ahead", 1, 1, sdk.ResultOK},
		{"skew 1, two steps ahead", 1, 2, sdk.ResultInvalid},
		{"skew 0, one step back", 0, -1, sdk.ResultInvalid},
		{"skew 0, current step", 0, 0, sdk.ResultOK},
		{"skew 0, one step ahead", 0, 1, sdk.ResultInvalid},
		{"skew 3, three steps back", 3, -3, sdk.ResultOK},
		{"skew 3, three steps ahead", 3, 3, sdk.ResultOK},
		{"skew 3, four steps ahead", 3, 4, sdk.ResultInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			p.Skew = tc.skew
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: credential(t, p, 0),
				Proof:           sdk.Proof{Code: codeAtTime(t, p, testNow, tc.offset)},
				Now:             testNow,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result = %v, want %v", resp.Result, tc.want)
			}
			if tc.want != sdk.ResultOK {
				if resp.CredentialState != nil {
					t.Fatal("a refused code returned new state")
				}
				return
			}
			current, _ := timeStep(testNow, p.Period)
			if got, want := lastStepOf(t, resp.CredentialState), uint64(int64(current)+int64(tc.offset)); got != want {
				t.Fatalf("last step = %d, want %d", got, want)
			}
		})
	}
}

func TestVerifySkewBoundaryTimes(t *testing.T) {
	p := testParams()
	step, _ := timeStep(testNow, p.Period)
	start := time.Unix(int64(step)*30, 0) // first second of the step
	code := codeAt(t, p, step)
	tests := []struct {
		name string
		now  time.Time
		want sdk.Result
	}{
		{"last second of the step before the previous", start.Add(-31 * time.Second), sdk.ResultInvalid},
		{"first second of the previous step", start.Add(-30 * time.Second), sdk.ResultOK},
		{"first second of the step", start, sdk.ResultOK},
		{"last second of the next step", start.Add(59 * time.Second), sdk.ResultOK},
		{"first second two steps later", start.Add(60 * time.Second), sdk.ResultInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: credential(t, p, 0),
				Proof:           sdk.Proof{Code: code},
				Now:             tc.now,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result = %v, want %v", resp.Result, tc.want)
			}
		})
	}
}

func TestVerifyReplay(t *testing.T) {
	p := testParams()
	current, _ := timeStep(testNow, p.Period)
	type attempt struct {
		offset int           // code of current+offset
		after  time.Duration // request time after testNow
		want   sdk.Result
	}
	tests := []struct {
		name     string
		attempts []attempt
	}{
		{"same code twice", []attempt{
			{0, 0, sdk.ResultOK},
			{0, 0, sdk.ResultReplayed},
		}},
		{"same code later in its window", []attempt{
			{0, 0, sdk.ResultOK},
			{0, 30 * time.Second, sdk.ResultReplayed},
		}},
		{"older unused code after a newer one", []attempt{
			{1, 0, sdk.ResultOK},
			{0, 0, sdk.ResultReplayed},
			{-1, 0, sdk.ResultReplayed},
		}},
		{"next step's code is fresh", []attempt{
			{0, 0, sdk.ResultOK},
			{1, 30 * time.Second, sdk.ResultOK},
			{1, 30 * time.Second, sdk.ResultReplayed},
		}},
		{"newer code after an older one", []attempt{
			{-1, 0, sdk.ResultOK},
			{0, 0, sdk.ResultOK},
			{1, 0, sdk.ResultOK},
			{1, 0, sdk.ResultReplayed},
		}},
		{"wrong code after an accepted one", []attempt{
			{0, 0, sdk.ResultOK},
			{5, 0, sdk.ResultInvalid},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New()
			state := credential(t, p, current-10)
			for i, a := range tc.attempts {
				before := bytes.Clone(state)
				resp, err := f.Verify(context.Background(), sdk.VerifyRequest{
					CredentialState: state,
					Proof:           sdk.Proof{Code: codeAt(t, p, uint64(int64(current)+int64(a.offset)))},
					Now:             testNow.Add(a.after),
				})
				if err != nil {
					t.Fatalf("attempt %d: Verify: %v", i, err)
				}
				if resp.Result != a.want {
					t.Fatalf("attempt %d: result = %v, want %v", i, resp.Result, a.want)
				}
				if !bytes.Equal(state, before) {
					t.Fatalf("attempt %d: Verify changed its input state", i)
				}
				switch resp.Result {
				case sdk.ResultOK:
					if got, want := lastStepOf(t, resp.CredentialState), uint64(int64(current)+int64(a.offset)); got != want {
						t.Fatalf("attempt %d: last step = %d, want %d", i, got, want)
					}
					state = resp.CredentialState
				default:
					if resp.CredentialState != nil {
						t.Fatalf("attempt %d: %v returned new state", i, resp.Result)
					}
					if resp.Reason == "" {
						t.Fatalf("attempt %d: %v without a reason", i, resp.Result)
					}
				}
			}
		})
	}
}

func TestVerifyMalformedCodes(t *testing.T) {
	p := testParams()
	good := codeAtTime(t, p, testNow, 0)
	tests := []struct {
		name string
		code string
		want sdk.Result
	}{
		{"correct", good, sdk.ResultOK},
		{"correct with a space", good[:3] + " " + good[3:], sdk.ResultOK},
		{"correct with a dash", good[:3] + "-" + good[3:], sdk.ResultOK},
		{"empty", "", sdk.ResultInvalid},
		{"spaces only", "   ", sdk.ResultInvalid},
		{"too short", good[:5], sdk.ResultInvalid},
		{"too long", good + "0", sdk.ResultInvalid},
		{"eight digits for a six-digit credential", good + "00", sdk.ResultInvalid},
		{"letters", "abcdef", sdk.ResultInvalid},
		{"digit and letter", good[:5] + "a", sdk.ResultInvalid},
		{"arabic-indic digits", "١٢٣٤٥٦", sdk.ResultInvalid},
		{"fullwidth digits", "１２３４５６", sdk.ResultInvalid},
		{"signed", "+" + good, sdk.ResultInvalid},
		{"NUL inside", good[:3] + "\x00" + good[3:], sdk.ResultInvalid},
		{"invalid UTF-8", "\xff\xfe" + good, sdk.ResultInvalid},
		{"very long", strings.Repeat("1", 10000), sdk.ResultInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: credential(t, p, 0),
				Proof:           sdk.Proof{Code: tc.code},
				Now:             testNow,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result = %v, want %v", resp.Result, tc.want)
			}
			if tc.want != sdk.ResultOK && (resp.Reason == "" || resp.CredentialState != nil) {
				t.Fatalf("refusal: reason %q, state %q", resp.Reason, resp.CredentialState)
			}
		})
	}
}

func TestVerifyTimeBefore1970(t *testing.T) {
	p := testParams()
	tests := []struct {
		name string
		now  time.Time
	}{
		{"zero time", time.Time{}},
		{"one second before 1970", time.Unix(-1, 0)},
		{"1969", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: credential(t, p, 0),
				Proof:           sdk.Proof{Code: codeAt(t, p, 0)},
				Now:             tc.now,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if resp.Result != sdk.ResultInvalid {
				t.Fatalf("result = %v, want invalid", resp.Result)
			}
		})
	}
}

// stateJSON returns a valid credential state of the legacy (version 1) form
// as a JSON object, changed by edit: the legacy reader must stay as strict as
// it was.
func stateJSON(t testing.TB, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(legacyCredentialJSON(t, testParams(), 0), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyBadState(t *testing.T) {
	valid := credential(t, testParams(), 0)
	pending, err := encodePending(testParams(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		state []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"whitespace", []byte("  \n")},
		{"null", []byte("null")},
		{"empty object", []byte("{}")},
		{"array", []byte("[1,2,3]")},
		{"string", []byte(`"totp"`)},
		{"garbage", []byte("\x00\x01garbage\xff")},
		{"truncated", valid[:len(valid)/2]},
		{"truncated by one byte", valid[:len(valid)-1]},
		{"trailing data", append(bytes.Clone(valid), []byte(`{}`)...)},
		{"too large", append(bytes.Clone(valid), bytes.Repeat([]byte(" "), maxStateLen)...)},
		{"pending state", pending},
		{"version 0", stateJSON(t, func(m map[string]any) { m["v"] = 0 })},
		{"version 2", stateJSON(t, func(m map[string]any) { m["v"] = 2 })},
		{"version as string", stateJSON(t, func(m map[string]any) { m["v"] = "1" })},
		{"no version", stateJSON(t, func(m map[string]any) { delete(m, "v") })},
		{"other kind", stateJSON(t, func(m map[string]any) { m["kind"] = "hotp-credential" })},
		{"unknown field", stateJSON(t, func(m map[string]any) { m["counter"] = 1 })},
		{"no secret", stateJSON(t, func(m map[string]any) { delete(m, "secret") })},
		{"null secret", stateJSON(t, func(m map[string]any) { m["secret"] = nil })},
		{"empty secret", stateJSON(t, func(m map[string]any) { m["secret"] = "" })},
		{"15-byte secret", stateJSON(t, func(m map[string]any) { m["secret"] = []byte("123456789012345") })},
		{"secret too long", stateJSON(t, func(m map[string]any) { m["secret"] = bytes.Repeat([]byte("k"), maxSecretLen+1) })},
		{"secret not base64", stateJSON(t, func(m map[string]any) { m["secret"] = "!!!!not base64!!!!" })},
		{"secret as number", stateJSON(t, func(m map[string]any) { m["secret"] = 12 })},
		{"no algorithm", stateJSON(t, func(m map[string]any) { delete(m, "algorithm") })},
		{"algorithm MD5", stateJSON(t, func(m map[string]any) { m["algorithm"] = "MD5" })},
		{"algorithm lowercase", stateJSON(t, func(m map[string]any) { m["algorithm"] = "sha1" })},
		{"digits 7", stateJSON(t, func(m map[string]any) { m["digits"] = 7 })},
		{"digits 0", stateJSON(t, func(m map[string]any) { m["digits"] = 0 })},
		{"digits fractional", stateJSON(t, func(m map[string]any) { m["digits"] = 6.5 })},
		{"period 0", stateJSON(t, func(m map[string]any) { m["period"] = 0 })},
		{"period negative", stateJSON(t, func(m map[string]any) { m["period"] = -30 })},
		{"period too long", stateJSON(t, func(m map[string]any) { m["period"] = 301 })},
		{"skew negative", stateJSON(t, func(m map[string]any) { m["skew"] = -1 })},
		{"skew too wide", stateJSON(t, func(m map[string]any) { m["skew"] = 4 })},
		{"last step negative", stateJSON(t, func(m map[string]any) { m["last_step"] = -1 })},
		{"last step as string", stateJSON(t, func(m map[string]any) { m["last_step"] = "5" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: tc.state,
				Proof:           sdk.Proof{Code: "123456"},
				Now:             testNow,
			})
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("Verify error = %v, want sdk.ErrBadState", err)
			}
			if resp.Result == sdk.ResultOK || resp.CredentialState != nil {
				t.Fatalf("bad state gave %v with state %q", resp.Result, resp.CredentialState)
			}
		})
	}
}

// An empty HMAC key still produces codes, and some OTP libraries accept them:
// a state without a real secret must never verify, whatever code is sent.
func TestEmptySecretNeverVerifies(t *testing.T) {
	step, _ := timeStep(testNow, 30)
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	emptyKeyCode, err := hotp.GenerateCodeCustom("", step, opts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		secret []byte
	}{
		{"nil secret", nil},
		{"empty secret", []byte{}},
		{"one byte", []byte{0}},
		{"15 bytes", make([]byte, 15)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			p.Secret = tc.secret
			if _, err := encodeCredential(p, 0); err == nil {
				t.Fatal("encodeCredential accepted the secret")
			}
			if _, ok, err := matchStep(p, emptyKeyCode, step, 1); ok || err == nil {
				t.Fatalf("matchStep = %v, %v; want no match and an error", ok, err)
			}
			state := []byte(`{"v":1,"kind":"totp-credential","secret":"` + b64(tc.secret) + `","algorithm":"SHA1","digits":6,"period":30,"skew":1,"last_step":0}`)
			resp, err := New().Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: state,
				Proof:           sdk.Proof{Code: emptyKeyCode},
				Now:             testNow,
			})
			if !errors.Is(err, sdk.ErrBadState) || resp.Result == sdk.ResultOK {
				t.Fatalf("Verify = %v, %v; want sdk.ErrBadState", resp.Result, err)
			}
		})
	}
}

func b64(b []byte) string {
	s, _ := json.Marshal(b)
	return strings.Trim(string(s), `"`)
}

func FuzzVerify(f *testing.F) {
	p := testParams()
	valid := credential(f, p, 0)
	pending, _ := encodePending(p, testNow)
	step, _ := timeStep(testNow, p.Period)
	code := codeAt(f, p, step)
	f.Add(valid, code, testNow.Unix())
	f.Add(valid, "", testNow.Unix())
	f.Add(valid, "١٢٣٤٥٦", testNow.Unix())
	f.Add(valid, code, int64(-1))
	f.Add(valid[:len(valid)-3], code, testNow.Unix())
	f.Add(pending, code, testNow.Unix())
	f.Add([]byte{}, "000000", int64(0))
	f.Add([]byte("null"), "000000", int64(0))
	f.Add([]byte(`{"v":1,"kind":"totp-credential","secret":"","algorithm":"SHA1","digits":6,"period":30,"skew":1,"last_step":0}`), "328482", testNow.Unix())
	f.Add([]byte(`{"v":1,"kind":"totp-credential","secret":"AAAAAAAAAAAAAAAAAAAAAAAAAAA=","algorithm":"SHA512","digits":8,"period":15,"skew":3,"last_step":18446744073709551615}`), "12345678", int64(1<<62))

	fac := New()
	f.Fuzz(func(t *testing.T, state []byte, code string, unix int64) {
		_, decodeErr := decodeCredential(state)
		resp, err := fac.Verify(context.Background(), sdk.VerifyRequest{
			CredentialState: state,
			Proof:           sdk.Proof{Code: code},
			Now:             time.Unix(unix, 0),
		})
		if decodeErr != nil {
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("unreadable state: Verify error = %v, want sdk.ErrBadState", err)
			}
			if resp.Result == sdk.ResultOK {
				t.Fatal("unreadable state verified")
			}
			return
		}
		if err != nil {
			t.Fatalf("readable state: Verify error = %v", err)
		}
		switch resp.Result {
		case sdk.ResultOK:
			old, _ := decodeCredential(state)
			next, err := decodeCredential(resp.CredentialState)
			if err != nil {
				t.Fatalf("OK with unreadable new state: %v", err)
			}
			if next.LastStep <= old.LastStep {
				t.Fatalf("OK did not advance the last step: %d -> %d", old.LastStep, next.LastStep)
			}
			if !bytes.Equal(next.Secret, old.Secret) {
				t.Fatal("OK changed the secret")
			}
		case sdk.ResultInvalid, sdk.ResultReplayed:
			if resp.CredentialState != nil {
				t.Fatalf("%v returned new state", resp.Result)
			}
		default:
			t.Fatalf("unexpected result %v", resp.Result)
		}
	})
}
