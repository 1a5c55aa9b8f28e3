package webauthn_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/sdk"
)

func TestRegistrationAndAuthentication(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]any
		key      *softkey.Authenticator
		wantAMR  []string
	}{
		{"none attestation, user verified", nil, key("a"), []string{"hwk", "user"}},
		{"packed self attestation", map[string]any{"attestation": "direct"},
			&softkey.Authenticator{Seed: []byte("b"), Attestation: softkey.AttestationPacked}, []string{"hwk", "user"}},
		{"no user verification where preferred", nil,
			&softkey.Authenticator{Seed: []byte("c"), SkipUserVerification: true}, []string{"hwk"}},
		{"synced passkey with a zero counter", map[string]any{"resident_key": "required"},
			&softkey.Authenticator{Seed: []byte("d"), ZeroCounter: true, BackupEligible: true}, []string{"hwk", "user"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configured(t, tc.settings)
			reg := finish(t, f, tc.key, testUser, nil, softkey.Ceremony{Origin: testOrigin})
			if reg.Result != sdk.ResultOK || !slices.Equal(reg.AMR, tc.wantAMR) || reg.UserVerified != slices.Contains(tc.wantAMR, "user") {
				t.Fatalf("registration: %s (%s) amr %v user verified %v, want ok with %v", reg.Result, reg.Reason, reg.AMR, reg.UserVerified, tc.wantAMR)
			}
			cred := sdk.Credential{Key: reg.CredentialKey, State: reg.CredentialState}
			creds := []sdk.Credential{cred}
			for round := range 2 {
				resp := assert(t, f, tc.key, testUser, creds, challenge(t, f, testUser, creds), softkey.Ceremony{Origin: testOrigin})
				if resp.Result != sdk.ResultOK {
					t.Fatalf("round %d: Verify: %s (%s), want ok", round, resp.Result, resp.Reason)
				}
				if resp.CredentialKey != cred.Key || !slices.Equal(resp.AMR, tc.wantAMR) {
					t.Fatalf("round %d: key %q amr %v, want %q %v", round, resp.CredentialKey, resp.AMR, cred.Key, tc.wantAMR)
				}
				if resp.UserVerified != slices.Contains(tc.wantAMR, "user") {
					t.Fatalf("round %d: user verified %v", round, resp.UserVerified)
				}
				creds[0].State = resp.CredentialState
			}
		})
	}
}

func TestCreationOptions(t *testing.T) {
	f := configured(t, map[string]any{"user_verification": "required", "resident_key": "required", "authenticator_attachment": "platform"})
	first := enroll(t, f, key("a"), testUser, nil)
	begin, err := f.(sdk.Enroller).BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: testUser, Now: testNow, Credentials: []sdk.Credential{first}})
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		RP                     struct{ ID string }
		User                   struct{ ID, Name string }
		Challenge              string
		ExcludeCredentials     []struct{ ID string }
		AuthenticatorSelection struct {
			ResidentKey, UserVerification, AuthenticatorAttachment string
		}
		Attestation string
	}
	if err := json.Unmarshal(begin.Display.OptionsJSON, &opts); err != nil {
		t.Fatalf("options: %v", err)
	}
	checks := []struct{ what, got, want string }{
		{"rp.id", opts.RP.ID, "example.com"},
		{"user.id", opts.User.ID, "dXNlci0x"},
		{"user.name", opts.User.Name, testUser.Name},
		{"residentKey", opts.AuthenticatorSelection.ResidentKey, "required"},
		{"userVerification", opts.AuthenticatorSelection.UserVerification, "required"},
		{"authenticatorAttachment", opts.AuthenticatorSelection.AuthenticatorAttachment, "platform"},
		{"attestation", opts.Attestation, "none"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if len(opts.ExcludeCredentials) != 1 || opts.ExcludeCredentials[0].ID != first.Key {
		t.Errorf("excludeCredentials = %+v, want the registered %s", opts.ExcludeCredentials, first.Key)
	}
	if len(opts.Challenge) < 22 {
		t.Errorf("challenge %q is too short", opts.Challenge)
	}
}

func TestSeveralAuthenticators(t *testing.T) {
	f := configured(t, nil)
	phone, key1, key2 := key("phone"), key("key-1"), key("key-2")
	var creds []sdk.Credential
	for _, a := range []*softkey.Authenticator{phone, key1, key2} {
		creds = append(creds, enroll(t, f, a, testUser, creds))
	}
	for i, a := range []*softkey.Authenticator{key2, phone, key1} {
		resp := assert(t, f, a, testUser, creds, challenge(t, f, testUser, creds), softkey.Ceremony{Origin: testOrigin})
		want := creds[(i+2)%3].Key
		if resp.Result != sdk.ResultOK || resp.CredentialKey != want {
			t.Fatalf("authenticator %d: %s (%s) key %q, want ok with %q", i, resp.Result, resp.Reason, resp.CredentialKey, want)
		}
	}
	other := key("someone else's")
	otherCred := enroll(t, f, other, sdk.User{ID: "user-2", Name: "bob"}, nil)
	ch := challenge(t, f, sdk.User{ID: "user-2"}, []sdk.Credential{otherCred})
	payload, err := other.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	resp := verify(t, f, testUser, creds, challenge(t, f, testUser, creds).ChallengeState, payload)
	if resp.Result != sdk.ResultInvalid || !strings.Contains(resp.Reason, "not registered") {
		t.Fatalf("another user's key: %s (%s), want invalid, not registered", resp.Result, resp.Reason)
	}
}

func TestVerifyRefusals(t *testing.T) {
	zero, five := uint32(0), uint32(5)
	tests := []struct {
		name       string
		settings   map[string]any
		key        *softkey.Authenticator
		ceremony   softkey.Ceremony
		replay     bool
		skipUV     bool // the authenticator signs in without verifying the user
		wantResult sdk.Result
		wantReason string
	}{
		{name: "wrong origin", key: key("a"), ceremony: softkey.Ceremony{Origin: "https://login.example.net"},
			wantResult: sdk.ResultInvalid, wantReason: "origin"},
		{name: "wrong RP ID", key: key("a"), ceremony: softkey.Ceremony{Origin: testOrigin, RPID: "example.net"},
			wantResult: sdk.ResultInvalid, wantReason: "RP ID"},
		{name: "replayed assertion", key: key("a"), ceremony: softkey.Ceremony{Origin: testOrigin}, replay: true,
			wantResult: sdk.ResultReplayed, wantReason: "already"},
		{name: "counter went backwards", key: key("a"), ceremony: softkey.Ceremony{Origin: testOrigin, Counter: &zero},
			wantResult: sdk.ResultInvalid, wantReason: "cloned"},
		{name: "counter repeated", key: key("a"), ceremony: softkey.Ceremony{Origin: testOrigin, Counter: &five},
			wantResult: sdk.ResultInvalid, wantReason: "cloned"},
		{name: "no user verification where required", settings: map[string]any{"user_verification": "required"},
			key: key("a"), ceremony: softkey.Ceremony{Origin: testOrigin}, skipUV: true,
			wantResult: sdk.ResultInvalid, wantReason: "verify you"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := configured(t, tc.settings)
			creds := enrolledWithCounter(t, f, tc.key)
			tc.key.SkipUserVerification = tc.skipUV
			ch := challenge(t, f, testUser, creds)
			payload, err := tc.key.Get(ch.Display.OptionsJSON, tc.ceremony)
			if err != nil {
				t.Fatal(err)
			}
			resp := verify(t, f, testUser, creds, ch.ChallengeState, payload)
			if tc.replay {
				resp = verify(t, f, testUser, []sdk.Credential{{Key: creds[0].Key, State: resp.CredentialState}}, resp.ChallengeState, payload)
			}
			if resp.Result != tc.wantResult || !strings.Contains(resp.Reason, tc.wantReason) {
				t.Fatalf("Verify: %s (%s), want %s mentioning %q", resp.Result, resp.Reason, tc.wantResult, tc.wantReason)
			}
			if tc.wantResult == sdk.ResultInvalid && resp.CredentialState != nil {
				t.Fatal("a refusal changed the credential state")
			}
		})
	}
}

// enrolledWithCounter registers a and signs in with it until its counter is
// at 5, as an authenticator in use for a while, when it counts.
func enrolledWithCounter(t testing.TB, f sdk.Factor, a *softkey.Authenticator) []sdk.Credential {
	t.Helper()
	creds := []sdk.Credential{enroll(t, f, a, testUser, nil)}
	for range 5 {
		resp := assert(t, f, a, testUser, creds, challenge(t, f, testUser, creds), softkey.Ceremony{Origin: testOrigin})
		if resp.Result != sdk.ResultOK {
			t.Fatalf("warm-up sign-in: %s (%s)", resp.Result, resp.Reason)
		}
		creds[0].State = resp.CredentialState
	}
	return creds
}

func TestEnrollmentRefusals(t *testing.T) {
	tests := []struct {
		name       string
		settings   map[string]any
		key        *softkey.Authenticator
		ceremony   softkey.Ceremony
		wantReason string
	}{
		{"wrong origin", nil, key("a"), softkey.Ceremony{Origin: "https://evil.example.org"}, "origin"},
		{"wrong RP ID", nil, key("a"), softkey.Ceremony{Origin: testOrigin, RPID: "evil.example.org"}, "RP ID"},
		{"no user verification where required", map[string]any{"user_verification": "required"},
			&softkey.Authenticator{Seed: []byte("a"), SkipUserVerification: true}, softkey.Ceremony{Origin: testOrigin}, "verify you"},
		{"model outside allowed_aaguids", map[string]any{"attestation": "direct", "allowed_aaguids": []string{"c5ef55ff-ad9a-4b9f-b580-adebafe026d0"}},
			&softkey.Authenticator{Seed: []byte("a"), Attestation: softkey.AttestationPacked, AAGUID: []byte("0123456789abcdef")},
			softkey.Ceremony{Origin: testOrigin}, "model is not accepted"},
		{"unattested model with allowed_aaguids", map[string]any{"attestation": "direct", "allowed_aaguids": []string{"30313233-3435-3637-3839-616263646566"}},
			&softkey.Authenticator{Seed: []byte("a"), AAGUID: []byte("0123456789abcdef")},
			softkey.Ceremony{Origin: testOrigin}, "did not attest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := finish(t, configured(t, tc.settings), tc.key, testUser, nil, tc.ceremony)
			if resp.Result != sdk.ResultInvalid || !strings.Contains(resp.Reason, tc.wantReason) || resp.CredentialState != nil {
				t.Fatalf("FinishEnrollment: %s (%s), want invalid mentioning %q", resp.Result, resp.Reason, tc.wantReason)
			}
		})
	}
}

func TestAllowedAAGUIDAccepted(t *testing.T) {
	f := configured(t, map[string]any{"attestation": "direct", "allowed_aaguids": []string{"30313233-3435-3637-3839-616263646566"}})
	a := &softkey.Authenticator{Seed: []byte("a"), Attestation: softkey.AttestationPacked, AAGUID: []byte("0123456789abcdef")}
	resp := finish(t, f, a, testUser, nil, softkey.Ceremony{Origin: testOrigin})
	if resp.Result != sdk.ResultOK || resp.Display.Extra["aaguid"] != "30313233-3435-3637-3839-616263646566" {
		t.Fatalf("FinishEnrollment: %s (%s) extra %v, want ok with the AAGUID shown", resp.Result, resp.Reason, resp.Display.Extra)
	}
}

func TestDiscoverableSignIn(t *testing.T) {
	f := configured(t, map[string]any{"resident_key": "required", "user_verification": "required"})
	a := key("passkey")
	cred := enroll(t, f, a, testUser, nil)
	ch := challenge(t, f, sdk.User{}, nil)
	var opts struct{ AllowCredentials []any }
	if err := json.Unmarshal(ch.Display.OptionsJSON, &opts); err != nil || len(opts.AllowCredentials) != 0 {
		t.Fatalf("discoverable options %s: want no allowCredentials (err %v)", ch.Display.OptionsJSON, err)
	}
	payload, err := a.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.(sdk.CredentialKeyer).CredentialKey(context.Background(), sdk.Proof{Payload: payload})
	if err != nil || k != cred.Key {
		t.Fatalf("CredentialKey = %q, %v; want %q", k, err, cred.Key)
	}
	resp := verify(t, f, testUser, []sdk.Credential{cred}, ch.ChallengeState, payload)
	if resp.Result != sdk.ResultOK || !resp.UserVerified || resp.CredentialKey != cred.Key {
		t.Fatalf("Verify: %s (%s) uv %v, want ok with user verification", resp.Result, resp.Reason, resp.UserVerified)
	}
	resp = verify(t, f, sdk.User{ID: "user-2"}, []sdk.Credential{cred}, ch.ChallengeState, payload)
	if resp.Result == sdk.ResultOK {
		t.Fatal("a passkey verified for a user it does not belong to")
	}
}

func TestCredentialKeyRefusesGarbage(t *testing.T) {
	f := configured(t, nil).(sdk.CredentialKeyer)
	for _, payload := range []string{"", "{}", `{"rawId":"!!"}`, "null"} {
		if _, err := f.CredentialKey(context.Background(), sdk.Proof{Payload: []byte(payload)}); err == nil {
			t.Errorf("CredentialKey(%q): no error", payload)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		wantErr  string
	}{
		{"defaults", `{}`, ""},
		{"behind a proxy", `{"rp_id":"example.com","origins":["https://id.example.com","https://example.com:8443"]}`, ""},
		{"rp id with scheme", `{"rp_id":"https://example.com"}`, "rp_id"},
		{"origin on another site", `{"rp_id":"example.com","origins":["https://example.org"]}`, "origins"},
		{"plain http off localhost", `{"rp_id":"example.com","origins":["http://example.com"]}`, "https"},
		{"origin with a path", `{"rp_id":"example.com","origins":["https://example.com/login"]}`, "origins"},
		{"unknown user verification", `{"user_verification":"always"}`, "user_verification"},
		{"unknown resident key", `{"resident_key":"yes"}`, "resident_key"},
		{"unknown attachment", `{"authenticator_attachment":"usb"}`, "authenticator_attachment"},
		{"unknown attestation", `{"attestation":"full"}`, "attestation"},
		{"aaguids without attestation", `{"allowed_aaguids":["30313233-3435-3637-3839-616263646566"]}`, "allowed_aaguids"},
		{"aaguid not a uuid", `{"attestation":"direct","allowed_aaguids":["yubikey"]}`, "allowed_aaguids"},
		{"timeout too short", `{"timeout":"1s"}`, "timeout"},
		{"unknown setting", `{"rp":"example.com"}`, "unknown setting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configured(t, nil).(sdk.Configurer).Configure(context.Background(), json.RawMessage(tc.settings))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Configure: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Configure: %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
}

func TestUserVerificationIsPerAssertion(t *testing.T) {
	f := configured(t, nil)
	a := key("a")
	creds := []sdk.Credential{enroll(t, f, a, testUser, nil)}
	a.SkipUserVerification = true
	resp := assert(t, f, a, testUser, creds, challenge(t, f, testUser, creds), softkey.Ceremony{Origin: testOrigin})
	if resp.Result != sdk.ResultOK || resp.UserVerified || slices.Contains(resp.AMR, "user") {
		t.Fatalf("Verify without UV after a registration with UV: %s uv %v amr %v, want ok without user", resp.Result, resp.UserVerified, resp.AMR)
	}
}
