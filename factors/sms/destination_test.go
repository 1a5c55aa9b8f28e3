package sms

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/sdk"
)

// NameDestination names a number the same however it is typed and from the
// enrolled credential, differs between numbers and keys, refuses what
// BeginEnrollment refuses, and sends nothing.
func TestDestination(t *testing.T) {
	f, g := newTestFactor(t, `{"allowed_regions":["AU","NZ"]}`)
	key := []byte("0123456789abcdef0123456789abcdef")
	cred := enroll(t, f, g, testNow)
	sent := len(g.received())
	name := func(key []byte, params map[string]string, cred []byte) (string, error) {
		resp, err := f.NameDestination(context.Background(), sdk.DestinationRequest{Params: params, CredentialState: cred, Now: testNow, Key: key})
		return resp.Destination, err
	}
	want, err := name(key, map[string]string{"phone": testPhone}, nil)
	if err != nil || want == "" || strings.Contains(want, "412345678") {
		t.Fatalf("Destination(%s) = %q, %v", testPhone, want, err)
	}
	tests := []struct {
		name    string
		key     []byte
		params  map[string]string
		cred    []byte
		same    bool   // the same name as testPhone's
		wantErr string // part of an ErrInvalidParams message
	}{
		{"spaced", key, map[string]string{"phone": "+61 412 345 678"}, nil, true, ""},
		{"national with its country", key, map[string]string{"phone": "0412 345 678", "country": "au"}, nil, true, ""},
		{"the enrolled credential", key, nil, cred, true, ""},
		{"another number", key, map[string]string{"phone": "+61412345679"}, nil, false, ""},
		{"another key", []byte("another key, just as long as it.."), map[string]string{"phone": testPhone}, nil, false, ""},
		{"a New Zealand number", key, map[string]string{"phone": "+64211234567"}, nil, false, ""},
		{"a landline", key, map[string]string{"phone": "+61298765432"}, nil, false, "landline"},
		{"a region not allowed", key, map[string]string{"phone": "+447911123456"}, nil, false, "only to numbers in AU, NZ"},
		{"an unknown parameter", key, map[string]string{"phone": testPhone, "carrier": "x"}, nil, false, "unknown parameter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := name(tc.key, tc.params, tc.cred)
			switch {
			case tc.wantErr != "":
				if !errors.Is(err, sdk.ErrInvalidParams) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want ErrInvalidParams saying %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case (got == want) != tc.same || got == "":
				t.Fatalf("name %q, testPhone's %q; want the same: %v", got, want, tc.same)
			}
		})
	}
	if n := len(g.received()) - sent; n != 0 {
		t.Fatalf("NameDestination sent %d messages", n)
	}
	if got, err := name(nil, map[string]string{"phone": testPhone}, nil); err != nil || got != "" {
		t.Fatalf("without a key: %q, %v; want no name", got, err)
	}
}

// A number outside the allowed regions is refused at enrollment with a
// message that names the regions, and nothing is sent.
func TestAllowedRegionsRefuseEnrollment(t *testing.T) {
	f, g := newTestFactor(t, `{"allowed_regions":["NZ"]}`)
	_, err := f.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{Params: map[string]string{"phone": testPhone}, Now: testNow})
	if !errors.Is(err, sdk.ErrInvalidParams) || !strings.Contains(err.Error(), "text messages can be sent only to numbers in NZ") {
		t.Fatalf("BeginEnrollment of an Australian number: %v", err)
	}
	if n := len(g.received()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
}
