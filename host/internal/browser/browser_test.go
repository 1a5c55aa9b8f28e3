package browser_test

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/factorgate/factorgate/host/internal/browser"
)

// The harness's own test: a small site with the same strict CSP as the
// login pages, driven through every kind of command the browser tests use.
const testCSP = "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func testSite(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Security-Policy", testCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Harness</title>
<script src="/app.js" defer></script></head><body><main><h1>Harness</h1>%s</main></body></html>`, body)
	}
	mux.HandleFunc("GET /form", func(w http.ResponseWriter, _ *http.Request) {
		page(w, `<form method="post" action="/done"><label for="name">Name</label>
<input id="name" name="name" autocomplete="off"><button type="submit">Send</button></form>
<ul class="codes"><li>1111-2222</li><li>3333-4444</li></ul><p id="out"></p>
<p id="inline" hidden>inline</p><script>document.getElementById('inline').hidden = false</script>`)
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<p id="greeting">Hello, `+html.EscapeString(r.FormValue("name"))+`</p>`)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.getElementById('out') && (document.getElementById('out').textContent = 'script ran');`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// localhost, not 127.0.0.1: WebAuthn needs a domain as its RP ID.
	return "http://localhost:" + port
}

func TestBrowserHarnessDrivesAFormUnderCSP(t *testing.T) {
	b := browser.Start(t)
	site := testSite(t)
	p := b.NewPage(390, 800)
	if status := p.Goto(site + "/form"); status != http.StatusOK {
		t.Fatalf("GET /form = %d", status)
	}
	p.WaitFor("text=script ran")
	if n := p.Count("#inline:not([hidden])"); n != 0 {
		t.Errorf("an inline script ran under script-src 'self'")
	}
	if console := strings.Join(p.Console(), "\n"); !strings.Contains(console, "Content Security Policy") {
		t.Errorf("the blocked inline script was not reported; console: %q", console)
	}
	codes := p.TextBoxes(".codes li")
	if len(codes) != 2 || codes[0].Overlaps(codes[1]) || codes[0].Text != "1111-2222" {
		t.Errorf("code boxes = %+v", codes)
	}
	if v := browser.Serious(p.Axe()); len(v) != 0 {
		t.Errorf("axe: %v", v)
	}
	p.Fill("#name", "Ada <3")
	if u := p.ClickNav("button[type=submit]"); !strings.HasSuffix(u, "/done") {
		t.Errorf("after submit the page is %s", u)
	}
	if got := p.Text("#greeting"); got != "Hello, Ada <3" {
		t.Errorf("greeting = %q", got)
	}
}

func TestBrowserHarnessVirtualAuthenticator(t *testing.T) {
	b := browser.Start(t)
	site := testSite(t)
	p := b.NewPage(1280, 800)
	p.Goto(site + "/form")
	p.CDP("WebAuthn.enable", map[string]any{}, nil)
	var added struct {
		AuthenticatorID string `json:"authenticatorId"`
	}
	p.CDP("WebAuthn.addVirtualAuthenticator", map[string]any{"options": map[string]any{
		"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
		"hasUserVerification": true, "isUserVerified": true,
	}}, &added)
	if added.AuthenticatorID == "" {
		t.Fatal("no virtual authenticator id")
	}
	var credentialType string
	p.Eval(`navigator.credentials.create({publicKey: {
		rp: {id: "localhost", name: "Harness"},
		user: {id: new Uint8Array([1, 2, 3]), name: "ada", displayName: "Ada"},
		challenge: new Uint8Array(32),
		pubKeyCredParams: [{type: "public-key", alg: -7}],
		authenticatorSelection: {residentKey: "required", userVerification: "required"},
	}}).then(c => c.type)`, &credentialType)
	if credentialType != "public-key" {
		t.Fatalf("credential type = %q", credentialType)
	}
	var creds struct {
		Credentials []struct {
			IsResidentCredential bool `json:"isResidentCredential"`
		} `json:"credentials"`
	}
	p.CDP("WebAuthn.getCredentials", map[string]any{"authenticatorId": added.AuthenticatorID}, &creds)
	if len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Errorf("authenticator holds %+v, want one discoverable credential", creds.Credentials)
	}
}
