package sdk

import (
	"reflect"
	"testing"
)

// A description crosses the wire unchanged, enrollment parameters included.
func TestDescriptionRoundTrip(t *testing.T) {
	d := Description{
		Name: "sms", DisplayName: "Text message", Version: "1.2.3", AMR: []string{"sms"},
		Capabilities: []Capability{CapabilityEnroll, CapabilityChallenge},
		ProofKind:    ProofSentCode,
		EnrollParams: []EnrollParam{
			{Name: "phone", Label: "Mobile number", InputType: InputTel},
			{Name: "email", Label: "Email address", InputType: InputEmail, Optional: true},
		},
	}
	if got := descriptionFromPB(descriptionToPB(d)); !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, d)
	}
}

func TestDescriptionProof(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    Description
		want ProofKind
	}{
		{"declared", Description{ProofKind: ProofBrowserCeremony, Capabilities: []Capability{CapabilityChallenge}}, ProofBrowserCeremony},
		{"undeclared, sends", Description{Capabilities: []Capability{CapabilityEnroll, CapabilityChallenge}}, ProofSentCode},
		{"undeclared, typed", Description{Capabilities: []Capability{CapabilityEnroll}}, ProofTypedCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Proof(); got != tc.want {
				t.Fatalf("Proof() = %q, want %q", got, tc.want)
			}
		})
	}
}
