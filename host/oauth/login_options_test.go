package oauth

import (
	"reflect"
	"testing"

	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

type fakeFactors []plugins.InstanceInfo

func (f fakeFactors) Instances() []plugins.InstanceInfo { return f }

func TestEnrollOptionsOfferEachFactorOnce(t *testing.T) {
	phone := []sdk.EnrollParam{{Name: "phone", Label: "Mobile number", InputType: sdk.InputTel}}
	sms := sdk.Description{Name: "sms", DisplayName: "Text message", AMR: []string{"sms"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge},
		ProofKind: sdk.ProofSentCode, EnrollParams: phone}
	// A third party's factor is offered by what it declares, whatever its AMR.
	email := sdk.Description{Name: "email", DisplayName: "Email", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge},
		ProofKind: sdk.ProofSentCode, EnrollParams: []sdk.EnrollParam{{Name: "email", InputType: "datetime", Optional: true}, {Name: "csrf"}, {Name: ""}}}
	keys := sdk.Description{Name: "webauthn", DisplayName: "Security key", AMR: []string{"hwk"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge},
		ProofKind: sdk.ProofBrowserCeremony}
	totp := sdk.Description{Name: "totp", DisplayName: "Authenticator app", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll}}
	codes := sdk.Description{Name: "backup-codes", DisplayName: "Backup codes", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll}, ConfirmsWithoutProof: true}
	p := &Provider{d: Deps{BackupCodes: "backup-codes", Factors: fakeFactors{
		{Name: "backup-codes", Description: codes},
		{Name: "sms", Description: sms},
		{Name: "sms-7", Description: sms},
		{Name: "totp", Description: totp},
		{Name: "email", Description: email},
		{Name: "webauthn", Description: keys},
	}}}
	got := p.enrollOptions()
	want := []enrollOption{
		{Factor: "totp", DisplayName: "Authenticator app", kind: "totp"},
		{Factor: "webauthn", DisplayName: "Security key", Ceremony: true, kind: "webauthn"},
		{Factor: "sms", DisplayName: "Text message", Params: phone, sends: true, kind: "sms"},
		{Factor: "email", DisplayName: "Email", Params: []sdk.EnrollParam{{Name: "email", Label: "email", InputType: sdk.InputText, Optional: true}}, sends: true, kind: "email"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("enrollOptions = %+v, want %+v", got, want)
	}
}
