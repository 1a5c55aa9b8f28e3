package backupcodes

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
	if d.Name != "backup-codes" || d.DisplayName != "Backup codes" || d.Version != "1.0.0" ||
		!slices.Equal(d.AMR, []string{"otp"}) || d.EnrollmentTTL != 10*time.Minute {
		t.Fatalf("Describe() = %+v", d)
	}
	caps := sdk.CapabilitiesOf(New())
	if want := []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityConfigure}; !slices.Equal(caps, want) {
		t.Fatalf("capabilities %v, want %v (no challenge)", caps, want)
	}
	// The AMR slice is the caller's to keep.
	d.AMR[0] = "pwd"
	if got := New().Describe().AMR; !slices.Equal(got, []string{"otp"}) {
		t.Fatalf("a caller changed the factor's AMR to %v", got)
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
		{"everything", `{"count":12,"format":"digits","group":0,"confirm_with_code":true,"enrollment_ttl":"1h30m","warn_below":5}`,
			settings{Count: 12, Format: formatDigits, Group: 0, ConfirmWithCode: true, EnrollmentTTL: sdk.Duration(90 * time.Minute), WarnBelow: 5}},
		{"lower bounds", `{"count":5,"group":2,"enrollment_ttl":"1m","warn_below":0}`,
			settings{Count: 5, Format: formatHex, Group: 2, EnrollmentTTL: sdk.Duration(time.Minute), WarnBelow: 0}},
		{"upper bounds", `{"count":20,"group":8,"enrollment_ttl":"24h","warn_below":19}`,
			settings{Count: 20, Format: formatHex, Group: 8, EnrollmentTTL: sdk.Duration(24 * time.Hour), WarnBelow: 19}},
		{"warn_below just below count", `{"warn_below":4,"count":5}`,
			settings{Count: 5, Format: formatHex, Group: 0, EnrollmentTTL: sdk.Duration(10 * time.Minute), WarnBelow: 4}},
		{"confirm_with_code false", `{"confirm_with_code":false}`, defaults},
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
		{"unknown key", `{"count":10,"colour":"blue"}`, `"colour"`},
		{"key in another case", `{"Count":10}`, `"Count"`},
		{"hash parameters are not settings", `{"memory_kib":1024}`, `"memory_kib"`},
		{"not an object", `[1,2]`, "object"},
		{"a string", `"hex"`, "object"},
		{"not JSON", `{count: 10}`, "object"},
		{"trailing data", `{} {}`, "object"},
		{"count 4", `{"count":4}`, `"count"`},
		{"count 21", `{"count":21}`, `"count"`},
		{"count 0", `{"count":0}`, `"count"`},
		{"count negative", `{"count":-10}`, `"count"`},
		{"count fractional", `{"count":10.5}`, `"count"`},
		{"count as string", `{"count":"10"}`, `"count"`},
		{"count huge", `{"count":1e30}`, `"count"`},
		{"null count", `{"count":null}`, `"count"`},
		{"format words", `{"format":"words"}`, `"format"`},
		{"format uppercase", `{"format":"HEX"}`, `"format"`},
		{"format empty", `{"format":""}`, `"format"`},
		{"format as number", `{"format":16}`, `"format"`},
		{"format invalid UTF-8", "{\"format\":\"\xff\"}", `"format"`},
		{"null format", `{"format":null}`, `"format"`},
		{"group 1", `{"group":1}`, `"group"`},
		{"group 9", `{"group":9}`, `"group"`},
		{"group negative", `{"group":-4}`, `"group"`},
		{"group as string", `{"group":"4"}`, `"group"`},
		{"confirm_with_code as string", `{"confirm_with_code":"true"}`, `"confirm_with_code"`},
		{"confirm_with_code as number", `{"confirm_with_code":1}`, `"confirm_with_code"`},
		{"null confirm_with_code", `{"confirm_with_code":null}`, `"confirm_with_code"`},
		{"ttl too short", `{"enrollment_ttl":"59s"}`, `"enrollment_ttl"`},
		{"ttl too long", `{"enrollment_ttl":"24h1s"}`, `"enrollment_ttl"`},
		{"ttl negative", `{"enrollment_ttl":"-10m"}`, `"enrollment_ttl"`},
		{"ttl not a duration", `{"enrollment_ttl":"ten minutes"}`, `"enrollment_ttl"`},
		{"ttl as number", `{"enrollment_ttl":600}`, `"enrollment_ttl"`},
		{"warn_below negative", `{"warn_below":-1}`, `"warn_below"`},
		{"warn_below equal to count", `{"warn_below":10}`, `"warn_below"`},
		{"warn_below above a smaller count", `{"count":5,"warn_below":5}`, `"warn_below"`},
		{"warn_below as string", `{"warn_below":"3"}`, `"warn_below"`},
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
	rnd := seededRand(t.Name())
	base := New(WithRand(rnd))
	configured, err := base.Configure(context.Background(), json.RawMessage(`{"count":5,"format":"digits","enrollment_ttl":"1h"}`))
	if err != nil {
		t.Fatal(err)
	}
	if base.settings != defaultSettings() || base.Describe().EnrollmentTTL != 10*time.Minute {
		t.Fatalf("receiver settings changed to %+v", base.settings)
	}
	c := configured.(*Factor)
	if c == base || c.settings.Count != 5 || c.settings.Format != formatDigits || c.rand != base.rand {
		t.Fatalf("configured factor = %+v", c)
	}
	// Configuring again starts from the defaults, not from the receiver.
	again, err := c.Configure(context.Background(), json.RawMessage(`{"group":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if s := again.(*Factor).settings; s.Count != defaultCount || s.Format != formatHex || s.Group != 0 {
		t.Fatalf("second Configure settings = %+v", s)
	}
	if got := begin(t, base).Display.Codes; len(got) != defaultCount {
		t.Fatalf("base enrollment shows %d codes, want %d", len(got), defaultCount)
	}
}

// The whole flow as the host drives it, through the SDK's in-process client.
func TestLocalFlow(t *testing.T) {
	ctx := context.Background()
	client, err := sdk.ConfigureLocal(ctx, New(), json.RawMessage(`{"count":5,"format":"digits"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := client.BeginEnrollment(ctx, sdk.BeginEnrollmentRequest{User: sdk.User{ID: "u-1"}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	fin, err := client.FinishEnrollment(ctx, sdk.FinishEnrollmentRequest{PendingState: b.PendingState, Now: testNow.Add(time.Minute)})
	if err != nil || fin.Result != sdk.ResultOK || fin.Display.Remaining != 5 {
		t.Fatalf("FinishEnrollment = %+v, %v", fin, err)
	}
	ver, err := client.Verify(ctx, sdk.VerifyRequest{CredentialState: fin.CredentialState, Proof: sdk.Proof{Code: b.Display.Codes[2]}, Now: testNow.Add(time.Hour)})
	if err != nil || ver.Result != sdk.ResultOK || ver.Display.Remaining != 4 {
		t.Fatalf("Verify = %+v, %v", ver, err)
	}
	if _, err := client.Challenge(ctx, sdk.ChallengeRequest{CredentialState: ver.CredentialState, Now: testNow}); !errors.Is(err, sdk.ErrUnsupported) {
		t.Fatalf("Challenge error = %v, want sdk.ErrUnsupported", err)
	}
}

func TestDescribeSaysWhetherAProofIsNeeded(t *testing.T) {
	for _, tc := range []struct {
		settings string
		want     bool
	}{{`{}`, true}, {`{"confirm_with_code": true}`, false}} {
		f, err := New().Configure(context.Background(), json.RawMessage(tc.settings))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Describe().ConfirmsWithoutProof; got != tc.want {
			t.Errorf("%s: ConfirmsWithoutProof = %v, want %v", tc.settings, got, tc.want)
		}
	}
}

func TestWithHashMemoryIsStoredWithTheSet(t *testing.T) {
	for _, tc := range []struct {
		kib, want uint32
	}{{1024, 1024}, {1, minKDFMemoryKiB}, {1 << 30, maxKDFMemoryKiB}} {
		f := New(WithHashMemory(tc.kib))
		if f.kdf.MemoryKiB != tc.want {
			t.Errorf("WithHashMemory(%d) = %d KiB, want %d", tc.kib, f.kdf.MemoryKiB, tc.want)
		}
		g, err := f.Configure(context.Background(), json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		if g.(*Factor).kdf != f.kdf {
			t.Error("Configure dropped the hash parameters")
		}
	}
	if New().kdf != defaultKDF() {
		t.Error("New must hash with the default parameters")
	}
}
