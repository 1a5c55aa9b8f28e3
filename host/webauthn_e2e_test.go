package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/factorgate/factorgate/factors/webauthn/softkey"
	"github.com/factorgate/factorgate/host/plugins"
)

// TestWebAuthnThroughTheNativeAPI registers two security keys through /v1
// with the options the enrollment display carries and the credential the
// browser would return, signs in with each, and removes one.
func TestWebAuthnThroughTheNativeAPI(t *testing.T) {
	const origin = "https://login.example.com"
	settings := `{"rp_id":"example.com","origins":["` + origin + `"]}`
	h := newAPIHost(t, []plugins.InstanceConfig{{Name: "webauthn", Plugin: "webauthn", Settings: json.RawMessage(settings)}})
	path := h.base + "/v1/users/me/factors/webauthn"
	options := func(body map[string]any) []byte {
		t.Helper()
		display, _ := body["display"].(map[string]any)
		raw, err := json.Marshal(display["options"])
		if err != nil || display["options"] == nil {
			t.Fatalf("no options in %v", body)
		}
		return raw
	}
	keys := map[string]*softkey.Authenticator{"Blue key": {Seed: []byte("blue")}, "Red key": {Seed: []byte("red")}}
	ids := map[string]string{}
	for _, name := range []string{"Blue key", "Red key"} {
		status, body, _ := call(t, "POST", path+"/enrollments", h.token, map[string]any{"params": map[string]string{"name": name}})
		if status != 201 {
			t.Fatalf("enroll %s: %d %v", name, status, body)
		}
		cred, err := keys[name].Create(options(body), softkey.Ceremony{Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ = call(t, "POST", path+"/enrollments/"+body["id"].(string)+"/confirm", h.token, map[string]any{"credential": json.RawMessage(cred)})
		c, _ := body["credential"].(map[string]any)
		if status != 200 || c["name"] != name || c["key"] == "" {
			t.Fatalf("confirm %s: %d %v", name, status, body)
		}
		ids[name] = c["id"].(string)
	}
	signIn := func(name string) (int, map[string]any, []byte) {
		t.Helper()
		status, body, _ := call(t, "POST", path+"/challenge", h.token, nil)
		if status != 200 {
			t.Fatalf("challenge: %d %v", status, body)
		}
		assertion, err := keys[name].Get(options(body), softkey.Ceremony{Origin: origin})
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ = call(t, "POST", path+"/verify", h.token, map[string]any{"credential": json.RawMessage(assertion)})
		return status, body, assertion
	}
	for _, name := range []string{"Red key", "Blue key"} {
		status, body, assertion := signIn(name)
		amr, _ := body["amr"].([]any)
		if status != 200 || body["credential_id"] != ids[name] || !slices.Equal(amr, []any{"hwk", "user"}) || body["user_verified"] != true {
			t.Fatalf("verify with %s: %d %v", name, status, body)
		}
		if status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]any{"credential": json.RawMessage(assertion)}); status < 400 || status >= 500 {
			t.Fatalf("the same assertion again: %d %v", status, body)
		}
	}
	if status, body, _ := call(t, "DELETE", h.base+"/v1/users/me/factors/"+ids["Red key"], h.token, nil); status != 204 {
		t.Fatalf("remove: %d %v", status, body)
	}
	if status, body, _ := signIn("Blue key"); status != 200 {
		t.Fatalf("the other key after a removal: %d %v", status, body)
	}
}
