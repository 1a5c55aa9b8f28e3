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
	sms := sdk.Description{Name: "sms", DisplayName: "Text message", AMR: []string{"sms"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll, sdk.CapabilityChallenge}}
	totp := sdk.Description{Name: "totp", DisplayName: "Authenticator app", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll}}
	codes := sdk.Description{Name: "backup-codes", DisplayName: "Backup codes", AMR: []string{"otp"}, Capabilities: []sdk.Capability{sdk.CapabilityEnroll}, ConfirmsWithoutProof: true}
	p := &Provider{d: Deps{BackupCodes: "backup-codes", Factors: fakeFactors{
		{Name: "backup-codes", Description: codes},
		{Name: "sms", Description: sms},
		{Name: "sms-7", Description: sms},
		{Name: "totp", Description: totp},
	}}}
	got := p.enrollOptions()
	want := []enrollOption{
		{Factor: "totp", DisplayName: "Authenticator app", kind: "totp"},
		{Factor: "sms", DisplayName: "Text message", Phone: true, kind: "sms"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("enrollOptions = %+v, want %+v", got, want)
	}
}
