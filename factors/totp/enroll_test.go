package totp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/factorgate/factorgate/sdk"
)

func configure(t testing.TB, f *Factor, settings string) *Factor {
	t.Helper()
	c, err := f.Configure(context.Background(), json.RawMessage(settings))
	if err != nil {
		t.Fatalf("Configure(%s): %v", settings, err)
	}
	return c.(*Factor)
}

func TestBeginEnrollment(t *testing.T) {
	tests := []struct {
		name        string
		settings    string
		user        sdk.User
		wantPath    string // decoded URI path
		wantIssuer  string
		wantAccount string
		wantAlg     otp.Algorithm
		wantDigits  int
		wantPeriod  int
		wantSkew    int
		wantTTL     time.Duration
		wantQRSize  int
	}{
		{
			name:     "defaults",
			settings: `{}`,
			user:     sdk.User{ID: "u-1", Name: "alice@example.com"},
			wantPath: "/Factorgate:alice@example.com", wantIssuer: "Factorgate", wantAccount: "alice@example.com",
			wantAlg: otp.AlgorithmSHA1, wantDigits: 6, wantPeriod: 30, wantSkew: 1, wantTTL: 10 * time.Minute, wantQRSize: 256,
		},
		{
			name:     "ID when the user has no name",
			settings: `{}`,
			user:     sdk.User{ID: "u-42"},
			wantPath: "/Factorgate:u-42", wantIssuer: "Factorgate", wantAccount: "u-42",
			wantAlg: otp.AlgorithmSHA1, wantDigits: 6, wantPeriod: 30, wantSkew: 1, wantTTL: 10 * time.Minute, wantQRSize: 256,
		},
		{
			name:     "SHA256, 8 digits, 60 seconds",
			settings: `{"issuer":"Acme Corp","algorithm":"SHA256","digits":8,"period":60,"skew":2,"enrollment_ttl":"1h","qr_size":512}`,
			user:     sdk.User{ID: "u-1", Name: "bob"},
			wantPath: "/Acme Corp:bob", wantIssuer: "Acme Corp", wantAccount: "bob",
			wantAlg: otp.AlgorithmSHA256, wantDigits: 8, wantPeriod: 60, wantSkew: 2, wantTTL: time.Hour, wantQRSize: 512,
		},
		{
			name:     "SHA512 and characters that need escaping",
			settings: `{"issuer":"Ünïcode & Co?","algorithm":"SHA512"}`,
			user:     sdk.User{ID: "u-1", Name: "josé: a/b?c=d&e+f #1"},
			wantPath: "/Ünïcode & Co?:josé: a/b?c=d&e+f #1", wantIssuer: "Ünïcode & Co?", wantAccount: "josé: a/b?c=d&e+f #1",
			wantAlg: otp.AlgorithmSHA512, wantDigits: 6, wantPeriod: 30, wantSkew: 1, wantTTL: 10 * time.Minute, wantQRSize: 256,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configure(t, New(WithRand(&sequenceReader{})), tc.settings)
			resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: tc.user, Now: testNow})
			if err != nil {
				t.Fatalf("BeginEnrollment: %v", err)
			}
			d := resp.Display

			// Secret: 160 bits as 32 base32 characters without padding.
			if len(d.Secret) != 32 || strings.ContainsAny(d.Secret, "=") {
				t.Fatalf("secret %q: want 32 base32 characters without padding", d.Secret)
			}
			raw, err := b32.DecodeString(d.Secret)
			if err != nil || len(raw) != 20 {
				t.Fatalf("secret decodes to %d bytes (%v), want 20", len(raw), err)
			}
			want := make([]byte, 20)
			_, _ = (&sequenceReader{}).Read(want)
			if !bytes.Equal(raw, want) {
				t.Fatalf("secret is not the bytes of the rand reader")
			}

			// URI.
			u, err := url.Parse(d.URI)
			if err != nil {
				t.Fatalf("URI does not parse: %v", err)
			}
			q := u.Query()
			if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != tc.wantPath {
				t.Fatalf("URI %s: scheme %q host %q path %q", d.URI, u.Scheme, u.Host, u.Path)
			}
			wantQuery := map[string]string{
				"secret":    d.Secret,
				"issuer":    tc.wantIssuer,
				"algorithm": tc.wantAlg.String(),
				"digits":    itoa(tc.wantDigits),
				"period":    itoa(tc.wantPeriod),
			}
			for k, v := range wantQuery {
				if got := q.Get(k); got != v {
					t.Errorf("URI %s = %q, want %q", k, got, v)
				}
			}
			if len(q) != len(wantQuery) {
				t.Errorf("URI has parameters %v", q)
			}
			if strings.Contains(d.URI, "+") || strings.Contains(d.URI, " ") {
				t.Errorf("URI %s has an unescaped space or a plus", d.URI)
			}
			// The same URI as an authenticator library reads it.
			key, err := otp.NewKeyFromURL(d.URI)
			if err != nil {
				t.Fatalf("otp.NewKeyFromURL: %v", err)
			}
			if key.Type() != "totp" || key.Issuer() != tc.wantIssuer || key.AccountName() != tc.wantAccount ||
				key.Secret() != d.Secret || key.Algorithm() != tc.wantAlg ||
				int(key.Digits()) != tc.wantDigits || int(key.Period()) != tc.wantPeriod {
				t.Fatalf("otp key: type %q issuer %q account %q algorithm %v digits %v period %v",
					key.Type(), key.Issuer(), key.AccountName(), key.Algorithm(), key.Digits(), key.Period())
			}

			// QR code.
			img, err := png.Decode(bytes.NewReader(d.QRPNG))
			if err != nil {
				t.Fatalf("QR code is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.wantQRSize || b.Dy() != tc.wantQRSize {
				t.Fatalf("QR image is %v, want %dx%d", b, tc.wantQRSize, tc.wantQRSize)
			}
			if dark(img.At(0, 0)) || dark(img.At(tc.wantQRSize-1, tc.wantQRSize-1)) {
				t.Fatal("QR image has no light border")
			}

			// Expiry and pending state.
			if !d.ExpiresAt.Equal(testNow.Add(tc.wantTTL)) {
				t.Fatalf("ExpiresAt = %v, want %v", d.ExpiresAt, testNow.Add(tc.wantTTL))
			}
			if got := f.Describe().EnrollmentTTL; got != tc.wantTTL {
				t.Fatalf("Describe().EnrollmentTTL = %v, want %v", got, tc.wantTTL)
			}
			st, err := decodePending(resp.PendingState)
			if err != nil {
				t.Fatalf("pending state: %v", err)
			}
			if !bytes.Equal(st.Secret, raw) || st.Algorithm != tc.wantAlg.String() || st.Digits != tc.wantDigits ||
				st.Period != tc.wantPeriod || st.Skew != tc.wantSkew || !st.Created.Equal(testNow) {
				t.Fatalf("pending state = %+v", st)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestBeginEnrollmentRandomness(t *testing.T) {
	begin := func(f *Factor) string {
		t.Helper()
		resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: testNow})
		if err != nil {
			t.Fatalf("BeginEnrollment: %v", err)
		}
		return resp.Display.Secret
	}
	tests := []struct {
		name  string
		a, b  *Factor
		equal bool
	}{
		{"same deterministic reader", New(WithRand(&sequenceReader{next: 7})), New(WithRand(&sequenceReader{next: 7})), true},
		{"different deterministic readers", New(WithRand(&sequenceReader{next: 7})), New(WithRand(&sequenceReader{next: 8})), false},
		{"crypto/rand", New(), New(), false},
		{"nil reader is crypto/rand", New(WithRand(nil)), New(WithRand(nil)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := begin(tc.a) == begin(tc.b); got != tc.equal {
				t.Fatalf("secrets equal = %v, want %v", got, tc.equal)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestBeginEnrollmentErrors(t *testing.T) {
	tests := []struct {
		name    string
		f       *Factor
		req     sdk.BeginEnrollmentRequest
		wantErr error
	}{
		{"no user name or ID", New(), sdk.BeginEnrollmentRequest{Now: testNow}, sdk.ErrInvalidParams},
		{"user name too long", New(), sdk.BeginEnrollmentRequest{User: sdk.User{Name: strings.Repeat("a", maxAccountLen+1)}, Now: testNow}, sdk.ErrInvalidParams},
		{"no time", New(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}}, nil},
		{"time before 1970", New(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: time.Unix(-10, 0)}, nil},
		{"randomness fails", New(WithRand(failingReader{})), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: testNow}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.f.BeginEnrollment(context.Background(), tc.req)
			if err == nil {
				t.Fatal("BeginEnrollment succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if resp.PendingState != nil || resp.Display.Secret != "" {
				t.Fatal("failed enrollment returned a secret")
			}
		})
	}
}

func TestBeginEnrollmentLongAccountQRCode(t *testing.T) {
	// The longest account at the smallest size: the QR code still renders,
	// growing the image if it must.
	f := configure(t, New(), `{"qr_size":128}`)
	resp, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{
		User: sdk.User{Name: strings.Repeat("é", maxAccountLen/2)},
		Now:  testNow,
	})
	if err != nil {
		t.Fatalf("BeginEnrollment: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(resp.Display.QRPNG))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 128 || b.Dx() != b.Dy() {
		t.Fatalf("QR image is %v", b)
	}
}

func TestQRCodePNGModules(t *testing.T) {
	// A version 1 code (21 modules) in 116 pixels: 29 modules with the quiet
	// zone, 4 pixels each; the top-left finder pattern is dark from module 4.
	b, err := qrCodePNG("HELLO", 116)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		x, y int
		dark bool
	}{
		{"quiet zone", 15, 15, false},
		{"finder corner", 16, 16, true},
		{"finder ring", 16 + 4*6, 16, true},
		{"finder gap", 16 + 4*1, 16 + 4*1, false},
		{"finder centre", 16 + 4*3, 16 + 4*3, true},
		{"right quiet zone", 16 + 4*21, 16, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dark(img.At(tc.x, tc.y)); got != tc.dark {
				t.Fatalf("pixel (%d,%d) dark = %v, want %v", tc.x, tc.y, got, tc.dark)
			}
		})
	}
	if _, ok := img.ColorModel().(color.Palette); !ok {
		t.Fatalf("QR image is not paletted: %T", img.ColorModel())
	}
}

func TestFinishEnrollment(t *testing.T) {
	f := New(WithRand(&sequenceReader{}))
	begin, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := decodePending(begin.PendingState)
	if err != nil {
		t.Fatal(err)
	}
	p := pending.params
	later := testNow.Add(5 * time.Minute)
	tests := []struct {
		name string
		code string
		now  time.Time
		want sdk.Result
	}{
		{"current code", codeAtTime(t, p, testNow, 0), testNow, sdk.ResultOK},
		{"previous step's code", codeAtTime(t, p, testNow, -1), testNow, sdk.ResultOK},
		{"next step's code", codeAtTime(t, p, testNow, 1), testNow, sdk.ResultOK},
		{"current code, five minutes later", codeAtTime(t, p, later, 0), later, sdk.ResultOK},
		{"last second before expiry", codeAtTime(t, p, testNow.Add(10*time.Minute-time.Second), 0), testNow.Add(10*time.Minute - time.Second), sdk.ResultOK},
		{"at expiry", codeAtTime(t, p, testNow.Add(10*time.Minute), 0), testNow.Add(10 * time.Minute), sdk.ResultExpired},
		{"a day later", codeAtTime(t, p, testNow.Add(24*time.Hour), 0), testNow.Add(24 * time.Hour), sdk.ResultExpired},
		{"wrong code", codeAtTime(t, p, testNow, 3), testNow, sdk.ResultInvalid},
		{"code from two steps back", codeAtTime(t, p, testNow, -2), testNow, sdk.ResultInvalid},
		{"letters", "abcdef", testNow, sdk.ResultInvalid},
		{"wrong length", "12345", testNow, sdk.ResultInvalid},
		{"arabic-indic digits", "١٢٣٤٥٦", testNow, sdk.ResultInvalid},
		{"empty", "", testNow, sdk.ResultInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
				User:         sdk.User{ID: "u"},
				PendingState: begin.PendingState,
				Proof:        sdk.Proof{Code: tc.code},
				Now:          tc.now,
			})
			if err != nil {
				t.Fatalf("FinishEnrollment: %v", err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result = %v (%s), want %v", resp.Result, resp.Reason, tc.want)
			}
			if tc.want != sdk.ResultOK {
				if resp.CredentialState != nil || resp.Reason == "" {
					t.Fatalf("refusal: reason %q, state %q", resp.Reason, resp.CredentialState)
				}
				return
			}
			cred, err := decodeCredential(resp.CredentialState)
			if err != nil {
				t.Fatalf("credential state: %v", err)
			}
			if !bytes.Equal(cred.Secret, p.Secret) || cred.Algorithm != p.Algorithm || cred.Digits != p.Digits ||
				cred.Period != p.Period || cred.Skew != p.Skew {
				t.Fatalf("credential %+v does not carry the pending parameters", cred.params)
			}
			// The confirming code's step is consumed: the same code cannot be
			// used for a first login.
			step, _, _ := matchStep(p, tc.code, mustStep(t, tc.now, p.Period), p.Skew)
			if cred.LastStep != step {
				t.Fatalf("last step = %d, want %d", cred.LastStep, step)
			}
			v, err := f.Verify(context.Background(), sdk.VerifyRequest{
				CredentialState: resp.CredentialState,
				Proof:           sdk.Proof{Code: tc.code},
				Now:             tc.now,
			})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if v.Result != sdk.ResultReplayed {
				t.Fatalf("confirming code at Verify = %v, want replayed", v.Result)
			}
		})
	}
}

func mustStep(t testing.TB, now time.Time, period int) uint64 {
	t.Helper()
	s, ok := timeStep(now, period)
	if !ok {
		t.Fatalf("no step for %v", now)
	}
	return s
}

func TestFinishEnrollmentUsesConfiguredTTL(t *testing.T) {
	f := configure(t, New(), `{"enrollment_ttl":"2m"}`)
	begin, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	pending, _ := decodePending(begin.PendingState)
	tests := []struct {
		name  string
		after time.Duration
		want  sdk.Result
	}{
		{"within two minutes", 119 * time.Second, sdk.ResultOK},
		{"after two minutes", 2 * time.Minute, sdk.ResultExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := testNow.Add(tc.after)
			resp, err := f.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
				PendingState: begin.PendingState,
				Proof:        sdk.Proof{Code: codeAtTime(t, pending.params, now, 0)},
				Now:          now,
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Result != tc.want {
				t.Fatalf("result = %v, want %v", resp.Result, tc.want)
			}
		})
	}
}

func TestFinishEnrollmentBadState(t *testing.T) {
	good := legacyPendingJSON(t, testParams(), testNow)
	var m map[string]any
	_ = json.Unmarshal(good, &m)
	edited := func(k string, v any) []byte {
		c := map[string]any{}
		for key, val := range m {
			c[key] = val
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		return b
	}
	tests := []struct {
		name  string
		state []byte
	}{
		{"nil", nil},
		{"garbage", []byte("not json")},
		{"truncated", good[:len(good)-2]},
		{"credential state", credential(t, testParams(), 0)},
		{"version 2", edited("v", 2)},
		{"no creation time", edited("created", nil)},
		{"creation time not a time", edited("created", "yesterday")},
		{"creation time before 1970", edited("created", "1969-12-31T23:59:59Z")},
		{"empty secret", edited("secret", "")},
		{"algorithm MD5", edited("algorithm", "MD5")},
		{"digits 7", edited("digits", 7)},
		{"unknown field", edited("last_step", 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := New().FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
				PendingState: tc.state,
				Proof:        sdk.Proof{Code: codeAtTime(t, testParams(), testNow, 0)},
				Now:          testNow,
			})
			if !errors.Is(err, sdk.ErrBadState) {
				t.Fatalf("error = %v, want sdk.ErrBadState", err)
			}
			if resp.Result == sdk.ResultOK || resp.CredentialState != nil {
				t.Fatalf("bad pending state gave %v", resp.Result)
			}
		})
	}
}

func TestEscapeURIComponent(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Factorgate", "Factorgate"},
		{"email", "alice@example.com", "alice@example.com"},
		{"space", "Acme Corp", "Acme%20Corp"},
		{"colon", "a:b", "a%3Ab"},
		{"plus", "a+b", "a%2Bb"},
		{"query characters", "?&=#/", "%3F%26%3D%23%2F"},
		{"percent", "100%", "100%25"},
		{"unicode", "é", "%C3%A9"},
		{"unreserved", "-._~", "-._~"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := escapeURIComponent(tc.in); got != tc.want {
				t.Fatalf("escapeURIComponent(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
