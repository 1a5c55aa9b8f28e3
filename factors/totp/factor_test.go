package totp

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/sdk"
)

func TestDescribe(t *testing.T) {
	d := New().Describe()
	if d.Name != "totp" || d.DisplayName != "Authenticator app" || d.Version != "1.0.0" ||
		!slices.Equal(d.AMR, []string{"otp"}) || d.EnrollmentTTL != 10*time.Minute {
		t.Fatalf("Describe() = %+v", d)
	}
	caps := sdk.CapabilitiesOf(New())
	for _, c := range []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityConfigure} {
		if !slices.Contains(caps, c) {
			t.Errorf("capabilities %v lack %q", caps, c)
		}
	}
	if slices.Contains(caps, sdk.CapabilityChallenge) {
		t.Errorf("capabilities %v include challenge", caps)
	}
}

func TestConfigure(t *testing.T) {
	defaults := defaultSettings()
	tests := []struct {
		name     string
		settings string
		want     settings
	}{
		{"empty", ``, defaults},
		{"null", `null`, defaults},
		{"empty object", `{}`, defaults},
		{"whitespace", " \n{ }\t", defaults},
		{"everything", `{"issuer":"Acme","algorithm":"SHA512","digits":8,"period":60,"skew":0,"enrollment_ttl":"1h30m","qr_size":1024}`,
			settings{Issuer: "Acme", Algorithm: "SHA512", Digits: 8, Period: 60, Skew: 0, EnrollmentTTL: sdk.Duration(90 * time.Minute), QRSize: 1024}},
		{"lower bounds", `{"period":15,"skew":0,"enrollment_ttl":"1m","qr_size":128}`,
			settings{Issuer: "Factorgate", Algorithm: "SHA1", Digits: 6, Period: 15, Skew: 0, EnrollmentTTL: sdk.Duration(time.Minute), QRSize: 128}},
		{"upper bounds", `{"period":300,"skew":3,"enrollment_ttl":"24h","qr_size":1024}`,
			settings{Issuer: "Factorgate", Algorithm: "SHA1", Digits: 6, Period: 300, Skew: 3, EnrollmentTTL: sdk.Duration(24 * time.Hour), QRSize: 1024}},
		{"SHA256", `{"algorithm":"SHA256"}`,
			settings{Issuer: "Factorgate", Algorithm: "SHA256", Digits: 6, Period: 30, Skew: 1, EnrollmentTTL: sdk.Duration(10 * time.Minute), QRSize: 256}},
		{"unicode issuer", `{"issuer":"Société Générale"}`,
			settings{Issuer: "Société Générale", Algorithm: "SHA1", Digits: 6, Period: 30, Skew: 1, EnrollmentTTL: sdk.Duration(10 * time.Minute), QRSize: 256}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New().Configure(context.Background(), json.RawMessage(tc.settings))
			if err != nil {
				t.Fatalf("Configure: %v", err)
			}
			if s := got.(*Factor).settings; s != tc.want {
				t.Fatalf("settings = %+v, want %+v", s, tc.want)
			}
			if got.Describe().EnrollmentTTL != time.Duration(tc.want.EnrollmentTTL) {
				t.Fatalf("EnrollmentTTL = %v", got.Describe().EnrollmentTTL)
			}
		})
	}
}

func TestConfigureRejects(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		field    string // must appear in the error
	}{
		{"unknown field", `{"issuer":"Acme","colour":"blue"}`, `"colour"`},
		{"field in another case", `{"Issuer":"Acme"}`, `"Issuer"`},
		{"not an object", `[1,2]`, "object"},
		{"a string", `"SHA1"`, "object"},
		{"not JSON", `{digits: 6}`, "object"},
		{"trailing data", `{} {}`, "object"},
		{"bad algorithm", `{"algorithm":"MD5"}`, `"algorithm"`},
		{"lowercase algorithm", `{"algorithm":"sha256"}`, `"algorithm"`},
		{"algorithm as number", `{"algorithm":1}`, `"algorithm"`},
		{"null algorithm", `{"algorithm":null}`, `"algorithm"`},
		{"digits 7", `{"digits":7}`, `"digits"`},
		{"digits 0", `{"digits":0}`, `"digits"`},
		{"digits as string", `{"digits":"6"}`, `"digits"`},
		{"digits fractional", `{"digits":6.5}`, `"digits"`},
		{"null digits", `{"digits":null}`, `"digits"`},
		{"period 0", `{"period":0}`, `"period"`},
		{"period 14", `{"period":14}`, `"period"`},
		{"period 301", `{"period":301}`, `"period"`},
		{"period negative", `{"period":-30}`, `"period"`},
		{"period huge", `{"period":1e30}`, `"period"`},
		{"skew negative", `{"skew":-1}`, `"skew"`},
		{"skew 4", `{"skew":4}`, `"skew"`},
		{"ttl too short", `{"enrollment_ttl":"59s"}`, `"enrollment_ttl"`},
		{"ttl too long", `{"enrollment_ttl":"24h1s"}`, `"enrollment_ttl"`},
		{"ttl negative", `{"enrollment_ttl":"-10m"}`, `"enrollment_ttl"`},
		{"ttl not a duration", `{"enrollment_ttl":"ten minutes"}`, `"enrollment_ttl"`},
		{"ttl as number", `{"enrollment_ttl":600}`, `"enrollment_ttl"`},
		{"qr_size too small", `{"qr_size":127}`, `"qr_size"`},
		{"qr_size too large", `{"qr_size":1025}`, `"qr_size"`},
		{"empty issuer", `{"issuer":""}`, `"issuer"`},
		{"blank issuer", `{"issuer":"   "}`, `"issuer"`},
		{"issuer with colon", `{"issuer":"Acme:Prod"}`, `"issuer"`},
		{"issuer with newline", `{"issuer":"Acme\nProd"}`, `"issuer"`},
		{"issuer too long", `{"issuer":"` + strings.Repeat("a", maxIssuerLen+1) + `"}`, `"issuer"`},
		{"issuer invalid UTF-8", "{\"issuer\":\"\xff\"}", `"issuer"`},
		{"null issuer", `{"issuer":null}`, `"issuer"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := New()
			got, err := base.Configure(context.Background(), json.RawMessage(tc.settings))
			if !errors.Is(err, sdk.ErrInvalidSettings) {
				t.Fatalf("Configure error = %v, want sdk.ErrInvalidSettings", err)
			}
			if got != nil {
				t.Fatalf("Configure returned a factor with an error")
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
			if base.settings != defaultSettings() {
				t.Fatal("a failed Configure changed the receiver")
			}
		})
	}
}

func TestConfigureLeavesReceiverUnchanged(t *testing.T) {
	rnd := &sequenceReader{}
	base := New(WithRand(rnd))
	configured, err := base.Configure(context.Background(), json.RawMessage(
		`{"issuer":"Acme","algorithm":"SHA256","digits":8,"period":60,"skew":2,"enrollment_ttl":"1h","qr_size":512}`))
	if err != nil {
		t.Fatal(err)
	}
	if base.settings != defaultSettings() {
		t.Fatalf("receiver settings changed to %+v", base.settings)
	}
	if base.Describe().EnrollmentTTL != 10*time.Minute {
		t.Fatal("receiver EnrollmentTTL changed")
	}
	c := configured.(*Factor)
	if c == base || c.settings.Algorithm != "SHA256" || c.rand != base.rand {
		t.Fatalf("configured factor = %+v", c)
	}
	// Configuring again starts from the defaults, not from the receiver.
	again, err := configured.(sdk.Configurer).Configure(context.Background(), json.RawMessage(`{"digits":8}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := again.(*Factor).settings; s.Algorithm != "SHA1" || s.Digits != 8 || s.Issuer != defaultIssuer {
		t.Fatalf("second Configure settings = %+v", s)
	}
	if c.settings.Digits != 8 || c.settings.Algorithm != "SHA256" {
		t.Fatal("second Configure changed its receiver")
	}
	// Enrollment through the base still uses the defaults.
	resp, err := base.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.Display.URI, "algorithm=SHA1&digits=6&period=30") {
		t.Fatalf("base enrollment URI %s", resp.Display.URI)
	}
}

// The whole flow as the host drives it, through the SDK's in-process client.
func TestLocalFlow(t *testing.T) {
	ctx := context.Background()
	client, err := sdk.ConfigureLocal(ctx, New(), json.RawMessage(`{"issuer":"Acme","digits":8,"algorithm":"SHA256"}`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := client.Describe(ctx)
	if err != nil || !d.Has(sdk.CapabilityEnroll) || !d.Has(sdk.CapabilityConfigure) {
		t.Fatalf("Describe = %+v, %v", d, err)
	}
	user := sdk.User{ID: "u-1", Name: "alice"}
	begin, err := client.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: user, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	pending, err := decodePending(begin.PendingState)
	if err != nil {
		t.Fatal(err)
	}
	p := pending.params

	steps := []struct {
		name   string
		finish bool
		code   string
		now    time.Time
		want   sdk.Result
	}{
		{"confirm", true, codeAtTime(t, p, testNow.Add(time.Minute), 0), testNow.Add(time.Minute), sdk.ResultOK},
		{"login with the confirming code", false, codeAtTime(t, p, testNow.Add(time.Minute), 0), testNow.Add(time.Minute), sdk.ResultReplayed},
		{"login with the next code", false, codeAtTime(t, p, testNow.Add(time.Minute), 1), testNow.Add(time.Minute), sdk.ResultOK},
		{"login with it again", false, codeAtTime(t, p, testNow.Add(time.Minute), 1), testNow.Add(time.Minute + 30*time.Second), sdk.ResultReplayed},
		{"wrong code", false, "00000000", testNow.Add(2 * time.Minute), sdk.ResultInvalid},
		{"login a minute later", false, codeAtTime(t, p, testNow.Add(2*time.Minute), 0), testNow.Add(2 * time.Minute), sdk.ResultOK},
	}
	var state []byte
	for _, s := range steps {
		if s.finish {
			resp, err := client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{User: user, PendingState: begin.PendingState, Proof: sdk.Proof{Code: s.code}, Now: s.now})
			if err != nil || resp.Result != s.want {
				t.Fatalf("%s: %v, %v", s.name, resp.Result, err)
			}
			state = resp.CredentialState
			continue
		}
		resp, err := client.Verify(ctx, sdk.VerifyRequest{User: user, CredentialState: state, Proof: sdk.Proof{Code: s.code}, Now: s.now})
		if err != nil || resp.Result != s.want {
			t.Fatalf("%s: %v, %v", s.name, resp.Result, err)
		}
		if resp.Result == sdk.ResultOK {
			state = resp.CredentialState
		}
	}
}
