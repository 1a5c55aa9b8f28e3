package main

import (
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testsignin"
	"github.com/factorgate/factorgate/host/plugins"
)

// TestEmailFactorThroughTheNativeAPI: a third party's factor (the email
// example, built on the SDK alone) is enrolled, challenged and verified
// through /v1 like a built-in, its codes going to a local webhook.
func TestEmailFactorThroughTheNativeAPI(t *testing.T) {
	mail := testsignin.NewMailbox(t)
	h := newAPIHost(t, []plugins.InstanceConfig{{Name: "email", Plugin: "emailotp", Settings: mail.Settings()}})
	const addr = "frank@example.com"
	path := h.base + "/v1/users/me/factors/email"

	status, body, _ := call(t, "GET", h.base+"/v1/factors", h.token, nil)
	factors, _ := body["factors"].([]any)
	if status != 200 || len(factors) != 1 {
		t.Fatalf("factors: %d %v", status, body)
	}
	if f := factors[0].(map[string]any); f["proof_kind"] != "sent_code" || len(f["enroll_params"].([]any)) != 1 {
		t.Fatalf("the email factor describes itself as %v", f)
	}

	status, body, _ = call(t, "POST", path+"/enrollments", h.token, map[string]any{"params": map[string]string{"email": addr}})
	if status != 201 {
		t.Fatalf("enroll: %d %v", status, body)
	}
	enrollment := body["id"].(string)
	if status, body, _ := call(t, "POST", path+"/enrollments/"+enrollment+"/confirm", h.token, map[string]string{"code": mail.Last(t, addr)}); status != 200 {
		t.Fatalf("confirm: %d %v", status, body)
	}

	h.advance(time.Minute)
	sent := mail.Count()
	if status, body, _ := call(t, "POST", path+"/challenge", h.token, nil); status != 200 || mail.Count() != sent+1 {
		t.Fatalf("challenge: %d %v, %d mails", status, body, mail.Count()-sent)
	}
	code := mail.Last(t, addr)
	if status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]string{"code": "000000"}); status != 422 || problemType(body) != "invalid-code" {
		t.Fatalf("wrong code: %d %v", status, body)
	}
	if status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]string{"code": code}); status != 200 {
		t.Fatalf("verify: %d %v", status, body)
	}
	if status, body, _ := call(t, "POST", path+"/verify", h.token, map[string]string{"code": code}); status != 422 {
		t.Fatalf("the code again: %d %v", status, body)
	}
}
