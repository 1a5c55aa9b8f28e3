package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// adminCall is call with the admin token, failing unless the status is want.
func adminCall(t *testing.T, method, url, token string, body any, want int) map[string]any {
	t.Helper()
	status, out, _ := call(t, method, url, token, body)
	if status != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, url, status, want, out)
	}
	return out
}

// tokenIDs returns the ids of a user's API tokens, through the admin API.
func tokenIDs(t *testing.T, base, admin, user string) []string {
	t.Helper()
	out := adminCall(t, "GET", base+"/v1/tokens?user="+user, admin, nil, 200)
	var ids []string
	for _, tok := range out["tokens"].([]any) {
		ids = append(ids, tok.(map[string]any)["id"].(string))
	}
	return ids
}

// TestOperatorToolkit runs every admin action through the command line and
// the admin API against a running host, and checks what each does to the
// users' tokens and sign-ins, and that the audit log names who acted.
func TestOperatorToolkit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, newURL func(testing.TB) string) {
		d := newDeployment(t, newURL(t), "lockout: {max_failures: 1, base_delay: 1h, max_delay: 1h}\n")
		d.run("", "users", "create", "root", "--admin")
		admin := d.run("", "tokens", "create", "root", "--admin")
		alice := d.user("alice")
		d.user("bob")
		d.user("carol")
		h := d.start()
		me := func(token string) int {
			status, _, _ := call(t, "GET", h.base+"/v1/users/me", token, nil)
			return status
		}

		forever := testTokenLifetime(t, d, h.base, admin)
		testListing(t, d, h.base, admin, alice)

		// Disable and enable, through both: a disabled user's tokens are refused.
		for _, via := range []string{"cli", "api"} {
			if via == "cli" {
				d.run("", "users", "disable", "alice")
			} else if out := adminCall(t, "POST", h.base+"/v1/users/alice/disable", admin, nil, 200); out["disabled"] != true {
				t.Fatalf("disable: %v", out)
			}
			if status := me(alice); status != http.StatusUnauthorized {
				t.Fatalf("%s: a disabled user's token: %d", via, status)
			}
			if via == "cli" {
				d.run("", "users", "enable", "alice")
			} else {
				adminCall(t, "POST", h.base+"/v1/users/alice/enable", admin, nil, 200)
			}
			if status := me(alice); status != http.StatusOK {
				t.Fatalf("%s: an enabled user's token: %d", via, status)
			}
		}
		testUnlockAndRemoveFactor(t, d, h.base, admin, alice)

		// Passwords.
		d.run("a new long password\n", "users", "set-password", "bob")
		if out := adminCall(t, "GET", h.base+"/v1/users/bob", admin, nil, 200); out["has_password"] != true {
			t.Fatalf("after set-password: %v", out)
		}
		adminCall(t, "PUT", h.base+"/v1/users/carol/password", admin, map[string]string{"password": "another long password"}, 200)

		// Revoking: refused at once.
		ids := tokenIDs(t, h.base, admin, "alice")
		d.run("", "tokens", "revoke", ids[0])
		adminCall(t, "DELETE", h.base+"/v1/tokens/"+ids[1], admin, nil, 204)
		if me(alice) != http.StatusUnauthorized || me(forever) != http.StatusUnauthorized {
			t.Fatal("a revoked token is still accepted")
		}
		adminCall(t, "DELETE", h.base+"/v1/tokens/"+ids[1], admin, nil, 404)

		// Deleting.
		d.run("", "users", "delete", "bob", "--yes")
		adminCall(t, "DELETE", h.base+"/v1/users/carol", admin, nil, 204)
		for _, name := range []string{"bob", "carol"} {
			adminCall(t, "GET", h.base+"/v1/users/"+name, admin, nil, 404)
		}
		checkOperatorAudit(t, d, h.base, admin)
	})
}

// testTokenLifetime: a token lives 90 days unless --ttl says otherwise, and
// --ttl 0 warns. It returns the token made with --ttl 0.
func testTokenLifetime(t *testing.T, d *deployment, base, admin string) string {
	t.Helper()
	// A token lives 90 days unless --ttl says otherwise; --ttl 0 warns.
	tok := adminCall(t, "GET", base+"/v1/tokens?user=alice", admin, nil, 200)["tokens"].([]any)[0].(map[string]any)
	created, _ := time.Parse(time.RFC3339Nano, tok["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339Nano, tok["expires_at"].(string))
	if expires.Sub(created) != 90*24*time.Hour {
		t.Fatalf("token lifetime %s, want 90 days: %v", expires.Sub(created), tok)
	}
	forever := d.run("", "tokens", "create", "alice", "--ttl", "0")
	if !strings.Contains(d.logs.String(), "warning: --ttl 0 makes a token that never expires") {
		t.Fatal("no warning for --ttl 0")
	}
	if list := d.run("", "tokens", "list", "--user", "alice"); strings.Count(list, "\n") != 2 || !strings.Contains(list, "never") {
		t.Fatalf("tokens list:\n%s", list)
	}
	return forever
}

// testListing lists, searches, pages and shows users through both, and
// refuses a user's token.
func testListing(t *testing.T, d *deployment, base, admin, alice string) {
	t.Helper()
	// Listing and showing.
	users := adminCall(t, "GET", base+"/v1/users?search=ALI", admin, nil, 200)["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["name"] != "alice" {
		t.Fatalf("search: %v", users)
	}
	page := adminCall(t, "GET", base+"/v1/users?limit=2", admin, nil, 200)
	if page["next"] != "bob" || len(page["users"].([]any)) != 2 {
		t.Fatalf("first page: %v", page)
	}
	if out := d.run("", "users", "list", "--after", "bob"); !strings.Contains(out, "carol") || strings.Contains(out, "alice") {
		t.Fatalf("users list --after bob:\n%s", out)
	}
	if out := d.run("", "users", "show", "alice"); !strings.Contains(out, "status:") || !strings.Contains(out, "enabled") {
		t.Fatalf("users show:\n%s", out)
	}
	if status, _, _ := call(t, "GET", base+"/v1/users", alice, nil); status != http.StatusForbidden {
		t.Fatalf("a user's token lists users: %d", status)
	}
}

// testUnlockAndRemoveFactor locks alice's second factors and lifts the lock
// through the command line, then through the API, then removes the factor.
func testUnlockAndRemoveFactor(t *testing.T, d *deployment, base, admin, alice string) {
	t.Helper()
	secret, _ := enroll(t, base, alice)
	verify := func(at time.Duration, wrong bool) int {
		code := totpCode(t, secret, time.Now().Add(at))
		if wrong {
			code = fmt.Sprintf("%06d", (mustAtoi(t, code)+500000)%1000000)
		}
		status, _, _ := call(t, "POST", base+"/v1/users/me/factors/totp/verify", alice, map[string]string{"code": code})
		return status
	}
	for i, unlock := range []func(){
		func() { d.run("", "users", "unlock", "alice") },
		func() { adminCall(t, "POST", base+"/v1/users/alice/unlock", admin, nil, 200) },
	} {
		verify(0, true)
		if status := verify(0, true); status != http.StatusTooManyRequests {
			t.Fatalf("not locked: %d", status)
		}
		unlock()
		// The right code the first time; a wrong one, answered as wrong and
		// not as locked, the second (the one code within the skew is used).
		want := map[int]int{0: http.StatusOK, 1: http.StatusUnprocessableEntity}[i]
		if status := verify(30*time.Second, i == 1); status != want {
			t.Fatalf("after unlock %d: %d, want %d", i, status, want)
		}
	}
	aliceID := adminCall(t, "GET", base+"/v1/users/alice", admin, nil, 200)["id"].(string)
	creds := adminCall(t, "GET", base+"/v1/users/"+aliceID+"/factors", admin, nil, 200)["factors"].([]any)
	id := creds[0].(map[string]any)["id"].(string)
	d.run("", "users", "remove-factor", "alice", id)
	if creds := adminCall(t, "GET", base+"/v1/users/"+aliceID+"/factors", admin, nil, 200)["factors"].([]any); len(creds) != 0 {
		t.Fatalf("factors after remove-factor: %v", creds)
	}
}

// checkOperatorAudit: every change is in the audit log, read through the
// command line and the API, with who made it.
func checkOperatorAudit(t *testing.T, d *deployment, base, admin string) {
	t.Helper()
	actors := map[string]map[string]bool{}
	for _, line := range strings.Split(d.run("", "audit", "--json", "--since", "1h", "--limit", "1000"), "\n") {
		var e struct{ Action, Actor string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit --json line %q: %v", line, err)
		}
		if actors[e.Action] == nil {
			actors[e.Action] = map[string]bool{}
		}
		actors[e.Action][strings.SplitN(e.Actor, ":", 2)[0]] = true
	}
	for _, action := range []string{"user.disable", "user.enable", "user.unlock", "user.password", "token.revoke", "user.delete"} {
		if !actors[action]["cli"] || !actors[action]["token"] {
			t.Errorf("audit of %s: actors %v, want the command line and an admin token", action, actors[action])
		}
	}
	if !actors["remove"]["cli"] {
		t.Errorf("factor removal not audited with the command line: %v", actors["remove"])
	}
	events := adminCall(t, "GET", base+"/v1/audit?action=user.disable&user=alice", admin, nil, 200)["events"].([]any)
	if len(events) != 2 {
		t.Fatalf("GET /v1/audit?action=user.disable: %v", events)
	}
	if out := d.run("", "audit", "--user", "alice", "--action", "user.enable"); strings.Count(out, "user.enable") != 2 {
		t.Fatalf("audit --user alice --action user.enable:\n%s", out)
	}
}
