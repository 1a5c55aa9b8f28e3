package signin

import (
	"slices"
	"testing"
)

func TestAddMethods(t *testing.T) {
	for _, tc := range []struct {
		name   string
		amr    []string
		second bool
		add    []string
		want   []string
	}{
		{"password", nil, false, []string{"pwd"}, []string{"pwd"}},
		{"totp after password", []string{"pwd"}, true, []string{"otp"}, []string{"pwd", "otp", "mfa"}},
		{"sms after password", []string{"pwd"}, true, []string{"sms"}, []string{"pwd", "sms", "mfa"}},
		{"webauthn after password", []string{"pwd"}, true, []string{"hwk", "user"}, []string{"pwd", "hwk", "user", "mfa"}},
		{"second factor again", []string{"pwd", "otp", "mfa"}, true, []string{"otp"}, []string{"pwd", "otp", "mfa"}},
		{"a factor without a password is not mfa", nil, true, []string{"otp"}, []string{"otp"}},
		{"empty method ignored", []string{"pwd"}, false, []string{""}, []string{"pwd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.amr)
			if got := AddMethods(tc.amr, tc.second, tc.add...); !slices.Equal(got, tc.want) {
				t.Fatalf("AddMethods = %v, want %v", got, tc.want)
			}
			if !slices.Equal(in, tc.amr) {
				t.Fatal("AddMethods changed its input")
			}
		})
	}
}
