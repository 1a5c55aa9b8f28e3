package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/factorgate/factorgate/sdk"
)

// NameDestination names the number a code would go to, without sending: for an
// enrollment the number in the parameters, checked as BeginEnrollment checks
// it (a refused number is the same user-safe error), for a challenge the
// enrolled number. The name is sdk.DestinationName of the E.164 number under
// the host's key, so one number has one name however it was typed.
func (f *Factor) NameDestination(_ context.Context, req sdk.DestinationRequest) (sdk.DestinationResponse, error) {
	var phone string
	if len(req.CredentialState) > 0 {
		cred, err := decodeCredential(req.CredentialState)
		if err != nil {
			return sdk.DestinationResponse{}, fmt.Errorf("sms: destination: %w", err)
		}
		phone = cred.Phone
	} else {
		var err error
		if phone, err = f.enrollmentPhone(req.Params); err != nil {
			return sdk.DestinationResponse{}, err
		}
	}
	return sdk.DestinationResponse{Destination: sdk.DestinationName(req.Key, phone)}, nil
}

// enrollmentPhone reads the number an enrollment names in its parameters and
// checks that it receives text messages in a region the operator allows.
// Errors wrap sdk.ErrInvalidParams and their text after it is user-safe.
func (f *Factor) enrollmentPhone(params map[string]string) (string, error) {
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if k != paramPhone && k != paramCountry {
			return "", fmt.Errorf("%w: unknown parameter %q; give %q and, for a national number, %q", sdk.ErrInvalidParams, k, paramPhone, paramCountry)
		}
	}
	phone, err := parsePhone(params[paramPhone], params[paramCountry])
	if err == nil {
		err = f.checkRegion(phone)
	}
	if err != nil {
		// The message goes to the user as it is, without a prefix.
		return "", fmt.Errorf("%w: %v", sdk.ErrInvalidParams, err)
	}
	return phone, nil
}

// checkRegion refuses a number outside the allowed regions, when the
// operator set them.
func (f *Factor) checkRegion(e164 string) error {
	allowed := f.settings.allowedRegions
	if len(allowed) == 0 {
		return nil
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return errors.New("the phone number could not be read")
	}
	if slices.Contains(allowed, phonenumbers.GetRegionCodeForNumber(num)) {
		return nil
	}
	return fmt.Errorf("text messages can be sent only to numbers in %s; this number is elsewhere", strings.Join(allowed, ", "))
}

// parseRegions reads allowed_regions: ISO 3166 two-letter codes the
// numbering plans know, each once.
func parseRegions(raw []byte) ([]string, error) {
	var list []string
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &list) != nil {
		return nil, errors.New("must be a list of two-letter ISO 3166 codes such as [\"AU\", \"NZ\"]")
	}
	out := make([]string, 0, len(list))
	for _, r := range list {
		r = strings.ToUpper(strings.TrimSpace(r))
		switch {
		case !isRegion(r):
			return nil, fmt.Errorf("%q is not a two-letter ISO 3166 code of a numbering plan", r)
		case slices.Contains(out, r):
			return nil, fmt.Errorf("%q is listed twice", r)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errors.New("must name at least one region; leave the setting out to allow every region")
	}
	return out, nil
}
