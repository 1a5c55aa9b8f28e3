package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/factorgate/factorgate/examples/stepup"
	"github.com/factorgate/factorgate/host/oauth"
)

// resourceServer is an API that introspects the bearer token and asks for
// step-up (RFC 9470) when the login behind it is weaker than it requires.
func resourceServer(t testing.TB, h *host, clientID, secret, wantACR string, maxAge time.Duration, now func() time.Time) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		in := h.introspect(t, clientID, secret, token)
		if in["active"] != true {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		a := stepup.Authentication{}
		a.ACR, _ = in["acr"].(string)
		if at, ok := in["auth_time"].(float64); ok {
			a.AuthTime = time.Unix(int64(at), 0)
		}
		if !a.Satisfies(wantACR, maxAge, now()) {
			stepup.Write(w, wantACR, maxAge)
			return
		}
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]string{"balance": "42.00"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

var challengeParam = regexp.MustCompile(`(\w+)=(?:"([^"]*)"|(\d+))`)

// stepUpParams parses the parameters of a Bearer challenge.
func stepUpParams(header string) map[string]string {
	out := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(header, -1) {
		out[m[1]] = m[2] + m[3]
	}
	return out
}

// TestStepUp: a password-only token is refused by an API that needs MFA with
// insufficient_user_authentication and the acr_values to ask for; the client
// runs the authorization again with them, the user (still signed in) only
// adds a second factor, and the stronger token is accepted.
func TestStepUp(t *testing.T) {
	// The resource server's package names the provider's classes by value.
	if stepup.ACRPassword != oauth.ACRPassword || stepup.ACRMFA != oauth.ACRMFA || stepup.ACRRefedsMFA != oauth.ACRRefedsMFA {
		t.Fatal("examples/stepup and host/oauth disagree on the acr values")
	}
	h := sqliteHost(t, hostOptions{})
	h.user("henry")
	id, secret := h.client(clientSpec{id: "web"})
	apiID, apiSecret := h.client(clientSpec{id: "api", grants: []string{"client_credentials"}, scopes: []string{}})
	api := resourceServer(t, h, apiID, apiSecret, oauth.ACRMFA, 0, time.Now)
	c := h.rp(t, id, secret)
	b := h.browser()
	// The logins before the max_age part happen ten seconds in the past.
	h.clock.Add(-10 * time.Second)

	a := c.authorization()
	tok, claims := c.exchange(t, a, codeFrom(t, b.signIn(b.get(a.url), "henry"), a.state))
	if claims.ACR != oauth.ACRPassword {
		t.Fatalf("first login acr = %q", claims.ACR)
	}
	call := func(tok *oauth2.Token) *http.Response {
		t.Helper()
		resp, err := c.conf.Client(c.ctx, tok).Get(api.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := call(tok)
	params := stepUpParams(resp.Header.Get("WWW-Authenticate"))
	if resp.StatusCode != http.StatusUnauthorized || params["error"] != "insufficient_user_authentication" || params["acr_values"] != oauth.ACRMFA {
		t.Fatalf("API with a password-only token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// Step up: the same browser session, asked for what the API named.
	a = c.authorization(oauth2.SetAuthURLParam("acr_values", params["acr_values"]))
	p := b.get(a.url)
	if p.contains(`name="password"`) || !p.contains("Set up a second factor") {
		t.Fatalf("step-up should ask for a second factor only: %s", p.body)
	}
	p = b.submit(p, "/login/enroll", url.Values{"factor": {"totp"}})
	enrolledSecret := shownKey(p)
	code, err := totp.GenerateCodeCustom(enrolledSecret, h.mfaClock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	p = b.submit(b.submit(p, "/login/enroll/confirm", url.Values{"code": {code}}), "/login/continue", nil)
	stronger, claims := c.exchange(t, a, codeFrom(t, p, a.state))
	checkAuth(t, "stepped-up token", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, time.Now().Add(-time.Minute))
	if resp := call(stronger); resp.StatusCode != http.StatusOK {
		t.Fatalf("API with the stepped-up token: %d", resp.StatusCode)
	}

	// max_age: an API that wants a login from the last five seconds asks
	// again; the client asks with that max_age, and the user signs in
	// afresh, password and factor.
	h.clock.Add(10 * time.Second)
	recent := resourceServer(t, h, apiID, apiSecret, oauth.ACRMFA, 5*time.Second, time.Now)
	resp, err = c.conf.Client(c.ctx, stronger).Get(recent.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	params = stepUpParams(resp.Header.Get("WWW-Authenticate"))
	if resp.StatusCode != http.StatusUnauthorized || params["max_age"] != "5" || params["acr_values"] != oauth.ACRMFA {
		t.Fatalf("API wanting a recent login: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	a = c.authorization(oauth2.SetAuthURLParam("acr_values", params["acr_values"]), oauth2.SetAuthURLParam("max_age", params["max_age"]))
	h.nextStep()
	p = b.enterCode(b.signIn(b.get(a.url), "henry"), h.totpCode(enrolledSecret))
	fresh, _ := c.exchange(t, a, codeFrom(t, p, a.state))
	resp, err = c.conf.Client(c.ctx, fresh).Get(recent.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("API wanting a recent login, with a fresh token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}
