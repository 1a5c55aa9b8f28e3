package webauthn_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/factorgate/factorgate/factors/webauthn"
	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/sdk"
)

const testOrigin = "https://login.example.com"

// testNow is the host's clock in these tests.
var testNow = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)

var testUser = sdk.User{ID: "user-1", Name: "ada@example.com"}

// configured returns the factor configured for login.example.com with
// settings over the test defaults.
func configured(t testing.TB, extra map[string]any) sdk.Factor {
	t.Helper()
	s := map[string]any{"rp_id": "example.com", "origins": []string{testOrigin}}
	for k, v := range extra {
		s[k] = v
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	f, err := webauthn.New().Configure(context.Background(), raw)
	if err != nil {
		t.Fatalf("configure: %v", err)
	}
	return f
}

func key(seed string) *softkey.Authenticator {
	return &softkey.Authenticator{Seed: []byte(seed)}
}

// enroll registers a on f for user and returns the credential.
func enroll(t testing.TB, f sdk.Factor, a *softkey.Authenticator, user sdk.User, have []sdk.Credential) sdk.Credential {
	t.Helper()
	resp := finish(t, f, a, user, have, softkey.Ceremony{Origin: testOrigin})
	if resp.Result != sdk.ResultOK {
		t.Fatalf("FinishEnrollment: %s (%s), want ok", resp.Result, resp.Reason)
	}
	if resp.CredentialKey == "" {
		t.Fatal("FinishEnrollment returned no credential key")
	}
	return sdk.Credential{Key: resp.CredentialKey, State: resp.CredentialState}
}

// finish runs a registration ceremony with a and returns the factor's answer.
func finish(t testing.TB, f sdk.Factor, a *softkey.Authenticator, user sdk.User, have []sdk.Credential, c softkey.Ceremony) sdk.FinishEnrollmentResponse {
	t.Helper()
	e := f.(sdk.Enroller)
	begin, err := e.BeginEnrollment(context.Background(), sdk.BeginEnrollmentRequest{User: user, Now: testNow, Credentials: have})
	if err != nil {
		t.Fatalf("BeginEnrollment: %v", err)
	}
	payload, err := a.Create(begin.Display.OptionsJSON, c)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	resp, err := e.FinishEnrollment(context.Background(), sdk.FinishEnrollmentRequest{
		User: user, PendingState: begin.PendingState, Proof: sdk.Proof{Payload: payload}, Now: testNow.Add(time.Second)})
	if err != nil {
		t.Fatalf("FinishEnrollment: %v", err)
	}
	return resp
}

// challenge asks f for request options for user's credentials.
func challenge(t testing.TB, f sdk.Factor, user sdk.User, creds []sdk.Credential) sdk.ChallengeResponse {
	t.Helper()
	ch, err := f.(sdk.Challenger).Challenge(context.Background(), sdk.ChallengeRequest{User: user, Credentials: creds, Now: testNow})
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	return ch
}

// assert answers ch with a and verifies the assertion.
func assert(t testing.TB, f sdk.Factor, a *softkey.Authenticator, user sdk.User, creds []sdk.Credential, ch sdk.ChallengeResponse, c softkey.Ceremony) sdk.VerifyResponse {
	t.Helper()
	payload, err := a.Get(ch.Display.OptionsJSON, c)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	return verify(t, f, user, creds, ch.ChallengeState, payload)
}

func verify(t testing.TB, f sdk.Factor, user sdk.User, creds []sdk.Credential, chState, payload []byte) sdk.VerifyResponse {
	t.Helper()
	resp, err := f.Verify(context.Background(), sdk.VerifyRequest{User: user, Credentials: creds, ChallengeState: chState,
		Proof: sdk.Proof{Payload: payload}, Now: testNow.Add(2 * time.Second)})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return resp
}

// wrongChallenge returns a credential JSON whose client data names another
// challenge: a valid-looking answer to a ceremony never begun.
func wrongChallenge(t testing.TB, payload []byte) []byte {
	t.Helper()
	out, err := softkey.WithOtherChallenge(payload)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
