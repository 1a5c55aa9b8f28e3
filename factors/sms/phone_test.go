package sms

import (
	"strings"
	"testing"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		name    string
		phone   string
		country string
		want    string // E.164, or "" when refused
		wantErr string
	}{
		{name: "Australian mobile", phone: "+61412345678", want: "+61412345678"},
		{name: "Australian mobile with spaces", phone: " +61 412 345 678 ", want: "+61412345678"},
		{name: "Australian mobile, national with country", phone: "0412345678", country: "AU", want: "+61412345678"},
		{name: "national with lowercase country", phone: "0412 345 678", country: "au", want: "+61412345678"},
		{name: "international with a country given", phone: "+61412345678", country: "GB", want: "+61412345678"},
		{name: "UK mobile", phone: "+44 7911 123456", want: "+447911123456"},
		{name: "UK mobile, national", phone: "07911 123456", country: "GB", want: "+447911123456"},
		{name: "UK mobile, international prefix", phone: "00 44 7911 123456", country: "GB", want: "+447911123456"},
		{name: "US number (fixed line or mobile)", phone: "+1 (415) 555-2671", want: "+14155552671"},
		{name: "German mobile", phone: "+49 1512 3456789", want: "+4915123456789"},
		{name: "French mobile with dots", phone: "06.12.34.56.78", country: "FR", want: "+33612345678"},
		{name: "Japanese mobile", phone: "090-1234-5678", country: "JP", want: "+819012345678"},
		{name: "Brazilian mobile", phone: "+55 11 96123-4567", want: "+5511961234567"},
		{name: "Indian mobile", phone: "+91 81234 56789", want: "+918123456789"},

		{name: "Australian landline", phone: "+61 2 9876 5432", wantErr: "landline"},
		{name: "UK landline", phone: "+44 121 234 5678", wantErr: "landline"},
		{name: "French landline, national", phone: "01 23 45 67 89", country: "FR", wantErr: "landline"},
		{name: "UK pager", phone: "+447640123456", wantErr: "pager"},
		{name: "UK VoIP", phone: "+445612345678", wantErr: "VoIP"},
		{name: "Japanese VoIP", phone: "+815012345678", wantErr: "VoIP"},
		{name: "UK personal number", phone: "+447012345678", wantErr: "personal"},
		{name: "German toll-free", phone: "+49 800 1234567", wantErr: "toll-free"},
		{name: "Australian premium rate", phone: "+611900123456", wantErr: "premium-rate"},
		{name: "Australian shared cost", phone: "+611300123456", wantErr: "shared-cost"},
		{name: "UK UAN", phone: "+445512345678", wantErr: "UAN"},
		{name: "invalid number", phone: "+15555550100", wantErr: "not a valid phone number"},
		{name: "unknown country code", phone: "+999123456789", wantErr: "could not be read"},
		{name: "too short", phone: "+6141234", wantErr: "not a valid phone number"},
		{name: "far too short", phone: "+614", wantErr: "could not be read"},
		{name: "national without country", phone: "0412345678", wantErr: "international format"},
		{name: "unknown country", phone: "0412345678", country: "XX", wantErr: "two-letter"},
		{name: "three-letter country", phone: "0412345678", country: "AUS", wantErr: "two-letter"},
		{name: "empty", phone: "", wantErr: "enter your mobile phone number"},
		{name: "blank", phone: "   ", wantErr: "enter your mobile phone number"},
		{name: "letters", phone: "+61 4FLOWERS1", wantErr: "only digits"},
		{name: "extension", phone: "+61412345678 ext. 12", wantErr: "only digits"},
		{name: "plus inside", phone: "+61+412345678", wantErr: "only start"},
		{name: "too long", phone: "+61" + strings.Repeat("4", 60), wantErr: "too long"},
		{name: "non-ASCII digits", phone: "+٦١٤١٢٣٤٥٦٧٨", wantErr: "only digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePhone(tc.phone, tc.country)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parsePhone(%q, %q) = %q, %v; want an error containing %q", tc.phone, tc.country, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parsePhone(%q, %q) = %q, %v; want %q", tc.phone, tc.country, got, err, tc.want)
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct {
		name  string
		phone string
		want  string
	}{
		{"Australia", "+61412345678", "+61 4** *** 678"},
		{"United States", "+14155552671", "+1 4**-***-*671"},
		{"United Kingdom", "+447911123456", "+44 7*** ***456"},
		{"France", "+33612345678", "+33 6 ** ** *6 78"},
		{"Japan", "+819012345678", "+81 9*-****-*678"},
		{"Germany", "+4915123456789", "+49 1*** ****789"},
		{"Brazil", "+5511961234567", "+55 1* *****-*567"},
		{"India", "+918123456789", "+91 8**** **789"},
		{"short national number shows at most half", "+6837290", "+683 7**0"},
		{"five digits", "+3114020", "+31 1***0"},
		{"not a number", "garbage", "+******"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := maskPhone(tc.phone)
			if got != tc.want {
				t.Fatalf("maskPhone(%q) = %q, want %q", tc.phone, got, tc.want)
			}
		})
	}
}

func TestCheckE164(t *testing.T) {
	tests := []struct {
		name  string
		phone string
		ok    bool
	}{
		{"canonical", "+61412345678", true},
		{"without plus", "61412345678", false},
		{"with a space", "+61 412345678", false},
		{"national", "0412345678", false},
		{"too long", "+6141234567890123", false},
		{"empty", "", false},
		{"letters", "+61abc", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkE164(tc.phone); (err == nil) != tc.ok {
				t.Fatalf("checkE164(%q) = %v, want ok %v", tc.phone, err, tc.ok)
			}
		})
	}
}
