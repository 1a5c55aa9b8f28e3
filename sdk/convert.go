package sdk

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	factorv1 "github.com/factorgate/factorgate/plugin/factor/v1"
)

// Conversions between the SDK's plain types and the wire messages. Both the
// plugin side (server.go) and the host side (client.go) use them, so a value
// crosses the wire the same way in both directions.

func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromPB(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

func durationToPB(d time.Duration) *durationpb.Duration {
	if d == 0 {
		return nil
	}
	return durationpb.New(d)
}

func durationFromPB(d *durationpb.Duration) time.Duration {
	if d == nil {
		return 0
	}
	return d.AsDuration()
}

func userToPB(u User) *factorv1.User {
	return &factorv1.User{Id: u.ID, Name: u.Name, Phone: u.Phone, Email: u.Email}
}

func userFromPB(u *factorv1.User) User {
	return User{ID: u.GetId(), Name: u.GetName(), Phone: u.GetPhone(), Email: u.GetEmail()}
}

func proofToPB(p Proof) *factorv1.Proof {
	return &factorv1.Proof{Code: p.Code, Payload: p.Payload}
}

func proofFromPB(p *factorv1.Proof) Proof {
	return Proof{Code: p.GetCode(), Payload: p.GetPayload()}
}

func displayToPB(d Display) *factorv1.Display {
	return &factorv1.Display{
		Secret:            d.Secret,
		Uri:               d.URI,
		QrPng:             d.QRPNG,
		MaskedDestination: d.MaskedDestination,
		Codes:             d.Codes,
		Remaining:         int32(d.Remaining),
		OptionsJson:       d.OptionsJSON,
		Message:           d.Message,
		ExpiresAt:         timeToPB(d.ExpiresAt),
		Extra:             d.Extra,
	}
}

func displayFromPB(d *factorv1.Display) Display {
	return Display{
		Secret:            d.GetSecret(),
		URI:               d.GetUri(),
		QRPNG:             d.GetQrPng(),
		MaskedDestination: d.GetMaskedDestination(),
		Codes:             d.GetCodes(),
		Remaining:         int(d.GetRemaining()),
		OptionsJSON:       d.GetOptionsJson(),
		Message:           d.GetMessage(),
		ExpiresAt:         timeFromPB(d.GetExpiresAt()),
		Extra:             d.GetExtra(),
	}
}

var capabilityToPB = map[Capability]factorv1.Capability{
	CapabilityEnroll:      factorv1.Capability_CAPABILITY_ENROLL,
	CapabilityChallenge:   factorv1.Capability_CAPABILITY_CHALLENGE,
	CapabilityConfigure:   factorv1.Capability_CAPABILITY_CONFIGURE,
	CapabilityDestination: factorv1.Capability_CAPABILITY_DESTINATION,

	CapabilityCredentialKey: factorv1.Capability_CAPABILITY_CREDENTIAL_KEY,
}

var proofKindToPB = map[ProofKind]factorv1.ProofKind{
	ProofTypedCode:       factorv1.ProofKind_PROOF_KIND_TYPED_CODE,
	ProofSentCode:        factorv1.ProofKind_PROOF_KIND_SENT_CODE,
	ProofBrowserCeremony: factorv1.ProofKind_PROOF_KIND_BROWSER_CEREMONY,
}

func proofKindFromPB(pb factorv1.ProofKind) ProofKind {
	for k, v := range proofKindToPB {
		if v == pb {
			return k
		}
	}
	return ProofUnspecified
}

func descriptionToPB(d Description) *factorv1.DescribeResponse {
	out := &factorv1.DescribeResponse{
		Name:          d.Name,
		DisplayName:   d.DisplayName,
		Version:       d.Version,
		Amr:           d.AMR,
		EnrollmentTtl: durationToPB(d.EnrollmentTTL),

		ConfirmsWithoutProof: d.ConfirmsWithoutProof,
		ProofKind:            proofKindToPB[d.ProofKind],
		MultipleCredentials:  d.MultipleCredentials,
	}
	for _, p := range d.EnrollParams {
		out.EnrollParams = append(out.EnrollParams, &factorv1.EnrollParam{Name: p.Name, Label: p.Label, InputType: p.InputType, Optional: p.Optional})
	}
	for _, c := range d.Capabilities {
		if pb, ok := capabilityToPB[c]; ok {
			out.Capabilities = append(out.Capabilities, pb)
		}
	}
	return out
}

func descriptionFromPB(d *factorv1.DescribeResponse) Description {
	out := Description{
		Name:          d.GetName(),
		DisplayName:   d.GetDisplayName(),
		Version:       d.GetVersion(),
		AMR:           d.GetAmr(),
		EnrollmentTTL: durationFromPB(d.GetEnrollmentTtl()),

		ConfirmsWithoutProof: d.GetConfirmsWithoutProof(),
		ProofKind:            proofKindFromPB(d.GetProofKind()),
		MultipleCredentials:  d.GetMultipleCredentials(),
	}
	for _, p := range d.GetEnrollParams() {
		out.EnrollParams = append(out.EnrollParams, EnrollParam{Name: p.GetName(), Label: p.GetLabel(), InputType: p.GetInputType(), Optional: p.GetOptional()})
	}
	for _, pb := range d.GetCapabilities() {
		for c, v := range capabilityToPB {
			if v == pb {
				out.Capabilities = append(out.Capabilities, c)
			}
		}
	}
	return out
}

func resultToPB(r Result) factorv1.Result { return factorv1.Result(r) }

func resultFromPB(r factorv1.Result) Result {
	if r < 0 || int(r) >= len(resultNames) {
		return ResultUnspecified
	}
	return Result(r)
}
