package mfa_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	webauthnfactor "github.com/factorgate/factorgate/factors/webauthn"
	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/host/internal/testdb"
	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/plugins"
	"github.com/factorgate/factorgate/sdk"
)

const waOrigin = "https://login.example.com"

var waSettings = json.RawMessage(`{"rp_id":"example.com","origins":["https://login.example.com"],"resident_key":"required"}`)

// waHost is a host with the WebAuthn factor, in process or as its plugin.
type waHost struct {
	*env
	svc *mfa.Service
}

func eachWebAuthnHost(t *testing.T, fn func(t *testing.T, h *waHost)) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		for _, viaPlugin := range []bool{false, true} {
			t.Run(map[bool]string{false: "in-process", true: "plugin-rpc"}[viaPlugin], func(t *testing.T) {
				e := newEnv(t, newURL)
				m := plugins.New(plugins.Options{})
				t.Cleanup(func() { m.Close() })
				var err error
				if viaPlugin {
					err = m.Load(context.Background(), []plugins.Binary{bins["webauthn"]}, []plugins.InstanceConfig{{Name: "webauthn", Plugin: "webauthn", Settings: waSettings}})
				} else {
					err = m.AddInProcess(context.Background(), "webauthn", webauthnfactor.New(), waSettings)
				}
				if err != nil {
					t.Fatal(err)
				}
				factors := mfa.FactorsFunc(func(name string) (mfa.Factor, bool) {
					in, ok := m.Instance(name)
					return in, ok
				})
				fn(t, &waHost{env: e, svc: mfa.New(e.openStore(), factors, e.sealer, mfa.Options{Now: e.clock.Now})})
			})
		}
	})
}

// register enrolls a under name and returns the credential.
func (h *waHost) register(t *testing.T, a *softkey.Authenticator, name string) (mfa.CredentialInfo, error) {
	t.Helper()
	ctx := context.Background()
	en, err := h.svc.BeginEnrollment(ctx, meta, mfa.BeginRequest{UserID: h.user.ID, Factor: "webauthn", Params: map[string]string{"name": name}})
	if err != nil {
		t.Fatalf("BeginEnrollment: %v", err)
	}
	payload, err := a.Create(en.Display.OptionsJSON, softkey.Ceremony{Origin: waOrigin})
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.svc.ConfirmEnrollment(ctx, meta, mfa.ConfirmRequest{UserID: h.user.ID, EnrollmentID: en.ID, Proof: sdk.Proof{Payload: payload}})
	return c.Credential, err
}

// signIn answers a new challenge with a (in the ceremony c) and verifies.
func (h *waHost) signIn(t *testing.T, a *softkey.Authenticator, c softkey.Ceremony) ([]byte, mfa.Verified, error) {
	t.Helper()
	ch, err := h.svc.Challenge(context.Background(), meta, mfa.ChallengeRequest{UserID: h.user.ID, Factor: "webauthn"})
	if err != nil {
		t.Fatalf("Challenge: %v", err)
	}
	payload, err := a.Get(ch.Display.OptionsJSON, c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.svc.Verify(context.Background(), meta, mfa.VerifyRequest{UserID: h.user.ID, Factor: "webauthn", Proof: sdk.Proof{Payload: payload}})
	return payload, v, err
}

func TestWebAuthnSeveralCredentials(t *testing.T) {
	eachWebAuthnHost(t, func(t *testing.T, h *waHost) {
		ctx := context.Background()
		phone, key1, key2 := &softkey.Authenticator{Seed: []byte("phone")}, &softkey.Authenticator{Seed: []byte("key-1")}, &softkey.Authenticator{Seed: []byte("key-2")}
		creds := map[*softkey.Authenticator]mfa.CredentialInfo{}
		for a, name := range map[*softkey.Authenticator]string{phone: "My phone", key1: "Blue key", key2: "Spare key"} {
			c, err := h.register(t, a, name)
			if err != nil {
				t.Fatalf("register %s: %v", name, err)
			}
			if c.Name != name || c.Key == "" {
				t.Fatalf("registered %+v, want name %q and a key", c, name)
			}
			creds[a] = c
		}
		if _, err := h.register(t, key1, "Blue key again"); !errors.Is(err, mfa.ErrAlreadyEnrolled) {
			t.Fatalf("registering a key twice: %v, want ErrAlreadyEnrolled", err)
		}
		list, err := h.svc.ListCredentials(ctx, h.user.ID)
		active := slices.DeleteFunc(list, func(c mfa.CredentialInfo) bool { return c.Status != "active" })
		if err != nil || len(active) != 3 {
			t.Fatalf("ListCredentials: %d active, %v; want 3", len(active), err)
		}
		for _, a := range []*softkey.Authenticator{key2, phone, key1} {
			_, v, err := h.signIn(t, a, softkey.Ceremony{Origin: waOrigin})
			if err != nil || v.Credential.ID != creds[a].ID || !slices.Equal(v.AMR, []string{"hwk", "user"}) || !v.UserVerified {
				t.Fatalf("sign in with %s: %+v, %v", creds[a].Name, v, err)
			}
		}
		ch, err := h.svc.Challenge(ctx, meta, mfa.ChallengeRequest{UserID: h.user.ID, Factor: "webauthn"})
		if err != nil {
			t.Fatal(err)
		}
		payload, err := key1.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: waOrigin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.RemoveCredential(ctx, meta, h.user.ID, creds[key1].ID); err != nil {
			t.Fatalf("RemoveCredential: %v", err)
		}
		if _, err := h.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: h.user.ID, Factor: "webauthn", Proof: sdk.Proof{Payload: payload}}); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("a removed key: %v, want ErrInvalidCode", err)
		}
		if _, _, err := h.signIn(t, key2, softkey.Ceremony{Origin: waOrigin}); err != nil {
			t.Fatalf("the other key after a removal: %v", err)
		}
	})
}

func TestWebAuthnRefusals(t *testing.T) {
	zero := uint32(0)
	eachWebAuthnHost(t, func(t *testing.T, h *waHost) {
		ctx := context.Background()
		a := &softkey.Authenticator{Seed: []byte("key")}
		cred, err := h.register(t, a, "Key")
		if err != nil {
			t.Fatal(err)
		}
		payload, _, err := h.signIn(t, a, softkey.Ceremony{Origin: waOrigin})
		if err != nil {
			t.Fatal(err)
		}
		_, err = h.svc.Verify(ctx, meta, mfa.VerifyRequest{UserID: h.user.ID, Factor: "webauthn", Proof: sdk.Proof{Payload: payload}})
		if !errors.Is(err, mfa.ErrNoChallenge) && !errors.Is(err, mfa.ErrReplayed) {
			t.Fatalf("replayed assertion: %v, want refused", err)
		}
		tests := []struct {
			name   string
			c      softkey.Ceremony
			reason string
		}{
			{"wrong origin", softkey.Ceremony{Origin: "https://login.example.org"}, "origin"},
			{"wrong RP ID", softkey.Ceremony{Origin: waOrigin, RPID: "example.org"}, "RP ID"},
			{"cloned key", softkey.Ceremony{Origin: waOrigin, Counter: &zero}, "cloned"},
		}
		for _, tc := range tests {
			_, _, err := h.signIn(t, a, tc.c)
			if !errors.Is(err, mfa.ErrInvalidCode) || !strings.Contains(mfa.Reason(err), tc.reason) {
				t.Fatalf("%s: %v, want invalid mentioning %q", tc.name, err, tc.reason)
			}
		}
		events, err := h.openStore().ListAudit(ctx, h.user.ID, 1)
		if err != nil || len(events) != 1 {
			t.Fatalf("ListAudit: %v", err)
		}
		if ev := events[0]; ev.Action != "verify" || ev.CredentialID != cred.ID || !strings.Contains(ev.Detail["reason"], "cloned") {
			t.Fatalf("audit of the cloned key: %+v, want a verify refusal naming the credential and the cause", ev)
		}
	})
}

func TestWebAuthnDiscoverable(t *testing.T) {
	eachWebAuthnHost(t, func(t *testing.T, h *waHost) {
		ctx := context.Background()
		passkey := &softkey.Authenticator{Seed: []byte("passkey")}
		cred, err := h.register(t, passkey, "Laptop")
		if err != nil {
			t.Fatal(err)
		}
		ch, err := h.svc.BeginDiscoverable(ctx, "webauthn")
		if err != nil {
			t.Fatalf("BeginDiscoverable: %v", err)
		}
		payload, err := passkey.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: waOrigin})
		if err != nil {
			t.Fatal(err)
		}
		req := mfa.DiscoverableRequest{Factor: "webauthn", ChallengeID: ch.ID, Proof: sdk.Proof{Payload: payload}}
		v, err := h.svc.VerifyDiscoverable(ctx, meta, req)
		if err != nil || v.UserID != h.user.ID || v.Credential.ID != cred.ID || !v.UserVerified {
			t.Fatalf("VerifyDiscoverable: %+v, %v; want the user's passkey with user verification", v, err)
		}
		if _, err := h.svc.VerifyDiscoverable(ctx, meta, req); !errors.Is(err, mfa.ErrNoChallenge) {
			t.Fatalf("the same answer again: %v, want ErrNoChallenge", err)
		}
		ch, err = h.svc.BeginDiscoverable(ctx, "webauthn")
		if err != nil {
			t.Fatal(err)
		}
		passkey.SkipUserVerification = true // a passkey used without its PIN
		payload, err = passkey.Get(ch.Display.OptionsJSON, softkey.Ceremony{Origin: waOrigin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.VerifyDiscoverable(ctx, meta, mfa.DiscoverableRequest{Factor: "webauthn", ChallengeID: ch.ID, Proof: sdk.Proof{Payload: payload}}); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("a passkey without user verification: %v, want ErrInvalidCode", err)
		}
	})
}
