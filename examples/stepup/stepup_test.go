package stepup

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMeetsACR(t *testing.T) {
	for _, tc := range []struct {
		have, want string
		ok         bool
	}{
		{ACRPassword, "", true}, {ACRPassword, ACRPassword, true}, {ACRPassword, ACRMFA, false}, {ACRPassword, ACRRefedsMFA, false},
		{ACRMFA, ACRPassword, true}, {ACRMFA, ACRRefedsMFA, true}, {ACRRefedsMFA, ACRMFA, true}, {"", ACRPassword, false},
		{"urn:other", "urn:other", true}, {ACRMFA, "urn:other", false},
		{ACRPhishingResistant, ACRMFA, true}, {ACRPhishingResistant, ACRRefedsMFA, true}, {ACRPhishingResistant, ACRPassword, true},
		{ACRMFA, ACRPhishingResistant, false}, {ACRRefedsMFA, ACRPhishingResistant, false}, {ACRPassword, ACRPhishingResistant, false},
	} {
		t.Run(tc.have+" for "+tc.want, func(t *testing.T) {
			if got := MeetsACR(tc.have, tc.want); got != tc.ok {
				t.Fatalf("MeetsACR(%q, %q) = %v", tc.have, tc.want, got)
			}
		})
	}
}

func TestChallenge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		acr    string
		maxAge time.Duration
		want   string
	}{
		{"acr", ACRMFA, 0, `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:factorgate:acr:mfa"`},
		{"max_age", "", 5 * time.Minute, `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", max_age=300`},
		{"both", ACRMFA + " " + ACRRefedsMFA, 90 * time.Second, `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:factorgate:acr:mfa https://refeds.org/profile/mfa", max_age=90`},
		{"quote escaped", `a"b`, 0, `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="a\"b"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Challenge(tc.acr, tc.maxAge); got != tc.want {
				t.Fatalf("Challenge =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	Write(rec, ACRMFA, time.Minute)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != Challenge(ACRMFA, time.Minute) ||
		!strings.Contains(rec.Body.String(), `"error":"insufficient_user_authentication"`) || !strings.Contains(rec.Body.String(), `"max_age":60`) {
		t.Fatalf("Write: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}

	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		a      Authentication
		acr    string
		maxAge time.Duration
		ok     bool
	}{
		{"mfa, recent", Authentication{ACR: ACRMFA, AuthTime: now.Add(-time.Minute)}, ACRMFA, 5 * time.Minute, true},
		{"mfa, too old", Authentication{ACR: ACRMFA, AuthTime: now.Add(-time.Hour)}, ACRMFA, 5 * time.Minute, false},
		{"password for mfa", Authentication{ACR: ACRPassword, AuthTime: now}, ACRMFA, 0, false},
		{"no auth_time with max_age", Authentication{ACR: ACRMFA}, ACRMFA, time.Minute, false},
		{"nothing required", Authentication{}, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Satisfies(tc.acr, tc.maxAge, now); got != tc.ok {
				t.Fatalf("Satisfies = %v", got)
			}
		})
	}
}
