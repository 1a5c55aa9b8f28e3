package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/factorgate/factorgate/host/mfa"
	"github.com/factorgate/factorgate/host/oauth"
	"github.com/factorgate/factorgate/host/store"
)

// mfaAPI is a first-party client speaking Auth0's MFA API with JSON bodies,
// as Auth0's SDKs do.
type mfaAPI struct {
	t          testing.TB
	h          *host
	id, secret string
}

func (h *host) mfaAPI(t testing.TB, id string) mfaAPI {
	id, secret := h.client(clientSpec{id: id, firstParty: true, grants: []string{"refresh_token"}, scopes: []string{"openid", "offline_access", "profile"}})
	return mfaAPI{t: t, h: h, id: id, secret: secret}
}

// call posts body (with the client's credentials) as JSON to path.
func (m mfaAPI) call(path, bearer string, body map[string]any) (int, map[string]any) {
	m.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["client_id"], body["client_secret"] = m.id, m.secret
	b, err := json.Marshal(body)
	if err != nil {
		m.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, m.h.url+path, bytes.NewReader(b))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return m.h.do(m.t, req)
}

func (h *host) do(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %d, body is not a JSON object: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// login runs the password step and returns the mfa_token.
func (m mfaAPI) login(username string) string {
	m.t.Helper()
	status, out := m.call("/oauth/token", "", map[string]any{
		"grant_type": oauth.GrantPasswordRealm, "realm": "Username-Password-Authentication",
		"username": username, "password": password, "scope": "openid offline_access profile",
	})
	tok, _ := out["mfa_token"].(string)
	if status != http.StatusForbidden || out["error"] != "mfa_required" || tok == "" {
		m.t.Fatalf("password step: %d %v", status, out)
	}
	return tok
}

// grant posts an MFA grant.
func (m mfaAPI) grant(grantType string, params map[string]any) (int, map[string]any) {
	m.t.Helper()
	params["grant_type"] = grantType
	return m.call("/oauth/token", "", params)
}

// authenticators lists the mfa_token's user's authenticators.
func (m mfaAPI) authenticators(mfaToken string) []map[string]any {
	m.t.Helper()
	req, err := http.NewRequest(http.MethodGet, m.h.url+"/mfa/authenticators", nil)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+mfaToken)
	resp, err := m.h.srv.Client().Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		m.t.Fatalf("authenticators: %d %v", resp.StatusCode, err)
	}
	return out
}

// idClaims verifies the ID token of a token response.
func (m mfaAPI) idClaims(out map[string]any) idClaims {
	m.t.Helper()
	raw, _ := out["id_token"].(string)
	ctx := oidc.ClientContext(context.Background(), m.h.srv.Client())
	idt, err := provider(m.t, m.h).Verifier(&oidc.Config{ClientID: m.id}).Verify(ctx, raw)
	if err != nil {
		m.t.Fatalf("ID token of the MFA grant: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		m.t.Fatal(err)
	}
	return c
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func wantOAuthError(t testing.TB, what string, status int, out map[string]any, want string) {
	t.Helper()
	if out["error"] != want || status < 400 {
		t.Fatalf("%s: %d %v, want error %s", what, status, out, want)
	}
}

// TestMFAGrantAssociate: the user has no factor. The password step answers
// mfa_required, /mfa/associate enrolls TOTP (with recovery codes), a wrong
// first code is refused and counted, the right one issues tokens carrying
// the MFA claims, and the mfa_token cannot be used again. Later logins use
// the factor, and a recovery code rotates the set.
func TestMFAGrantAssociate(t *testing.T) {
	eachHost(t, hostOptions{}, func(t *testing.T, h *host) {
		ctx := context.Background()
		ivy := h.user("ivy")
		api := h.mfaAPI(t, "cli")
		start := time.Now().Add(-time.Second)

		mfaToken := api.login("ivy")
		if got := api.authenticators(mfaToken); len(got) != 0 {
			t.Fatalf("authenticators of a user without factors: %v", got)
		}
		status, assoc := api.call("/mfa/associate", mfaToken, map[string]any{"authenticator_types": []string{"otp"}})
		secret, _ := assoc["secret"].(string)
		if status != http.StatusOK || assoc["authenticator_type"] != "otp" || secret == "" ||
			!strings.HasPrefix(assoc["barcode_uri"].(string), "otpauth://totp/") || assoc["recovery_codes"] != nil {
			t.Fatalf("associate: %d %v (recovery codes come with the confirming grant)", status, assoc)
		}

		status, out := api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": mfaToken, "otp": "000000"})
		wantOAuthError(t, "wrong first code", status, out, "invalid_grant")
		// The second factor's counter counts the wrong code; the password
		// counts on counters of its own.
		if l, err := h.st.GetLockout(ctx, ivy.ID); err != nil || l.Failures != 1 {
			t.Fatalf("lockout after the password and a wrong code = %+v, %v; want 1 counted attempt", l, err)
		}
		if creds, err := h.mfa.ListCredentials(ctx, ivy.ID); err != nil || slices.ContainsFunc(creds, func(c mfa.CredentialInfo) bool { return c.Status == store.CredentialActive }) {
			t.Fatalf("a refused confirmation activated something: %+v, %v", creds, err)
		}

		code, err := totp.GenerateCodeCustom(secret, h.mfaClock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		status, out = api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": mfaToken, "otp": code})
		if status != http.StatusOK || out["access_token"] == nil || out["refresh_token"] == nil || out["token_type"] != "bearer" || len(strs(out["recovery_codes"])) < 5 {
			t.Fatalf("mfa-otp: %d %v", status, out)
		}
		recovery := strs(out["recovery_codes"])
		first := out
		claims := api.idClaims(out)
		checkAuth(t, "ID token of the MFA grant", claims.AMR, claims.ACR, claims.AuthTime, []string{"pwd", "otp", "mfa"}, oauth.ACRMFA, start)
		if in := h.introspect(t, api.id, api.secret, out["access_token"].(string)); in["acr"] != oauth.ACRMFA || in["sub"] != ivy.ID {
			t.Fatalf("introspection: %v", in)
		}
		active := map[string]bool{}
		creds, err := h.mfa.ListCredentials(ctx, ivy.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range creds {
			active[c.Factor] = c.Status == store.CredentialActive
		}
		if !active["totp"] || !active["backup-codes"] {
			t.Fatalf("after the grant: %+v", creds)
		}

		status, out = api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": mfaToken, "otp": code})
		wantOAuthError(t, "reused mfa_token", status, out, "invalid_grant")

		// The refresh token works with the standard grant and keeps the claims.
		status, out = api.call("/oauth2/token", "", map[string]any{"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
		if status != http.StatusOK {
			t.Fatalf("refresh of an MFA grant's token: %d %v", status, out)
		}
		if rc := api.idClaims(out); !slices.Equal(rc.AMR, claims.AMR) || rc.ACR != claims.ACR || rc.AuthTime != claims.AuthTime {
			t.Fatalf("refresh changed the claims: %+v, was %+v", rc, claims)
		}

		// A new login now finds the factor and the recovery codes.
		mfaToken = api.login("ivy")
		types := map[string]bool{}
		for _, a := range api.authenticators(mfaToken) {
			types[a["authenticator_type"].(string)] = a["active"] == true
		}
		if !types["otp"] || !types["recovery-code"] {
			t.Fatalf("authenticators after enrollment: %v", types)
		}
		if status, out := api.call("/mfa/associate", mfaToken, map[string]any{"authenticator_types": []string{"otp"}}); status != http.StatusForbidden {
			t.Fatalf("associate with a factor enrolled: %d %v", status, out)
		}
		if status, out := api.call("/mfa/challenge", "", map[string]any{"mfa_token": mfaToken, "challenge_type": "otp"}); status != http.StatusOK || out["challenge_type"] != "otp" {
			t.Fatalf("otp challenge: %d %v", status, out)
		}

		// A recovery code signs in once and rotates the set.
		status, out = api.grant(oauth.GrantMFARecovery, map[string]any{"mfa_token": mfaToken, "recovery_code": recovery[0]})
		fresh, _ := out["recovery_code"].(string)
		if status != http.StatusOK || out["access_token"] == nil || fresh == "" || slices.Contains(recovery, fresh) || strs(out["recovery_codes"])[0] != fresh {
			t.Fatalf("mfa-recovery-code: %d %v", status, out)
		}
		mfaToken = api.login("ivy")
		status, out = api.grant(oauth.GrantMFARecovery, map[string]any{"mfa_token": mfaToken, "recovery_code": recovery[1]})
		wantOAuthError(t, "a code of the replaced set", status, out, "invalid_grant")
		status, out = api.grant(oauth.GrantMFARecovery, map[string]any{"mfa_token": mfaToken, "recovery_code": fresh})
		if status != http.StatusOK {
			t.Fatalf("the new recovery code: %d %v", status, out)
		}
	})
}

// TestMFAGrantRefusals covers what the grants refuse.
func TestMFAGrantRefusals(t *testing.T) {
	// Every password step counts against the lockout until a login
	// completes; this test makes many.
	h := sqliteHost(t, hostOptions{lockout: mfa.LockoutPolicy{MaxFailures: 100, BaseDelay: time.Minute, MaxDelay: time.Hour}})
	jack := h.user("jack")
	secret, _ := h.enrollTOTP(jack)
	api := h.mfaAPI(t, "cli")
	other := h.mfaAPI(t, "other-cli")
	webID, webSecret := h.client(clientSpec{id: "web"})
	web := mfaAPI{t: t, h: h, id: webID, secret: webSecret}

	for _, tc := range []struct {
		name   string
		run    func() (int, map[string]any)
		want   string
		status int
	}{
		{"wrong password", func() (int, map[string]any) {
			return api.call("/oauth/token", "", map[string]any{"grant_type": "password", "username": "jack", "password": "not it"})
		}, "invalid_grant", http.StatusBadRequest},
		{"client not first-party", func() (int, map[string]any) {
			return web.call("/oauth/token", "", map[string]any{"grant_type": "password", "username": "jack", "password": password})
		}, "unauthorized_client", http.StatusBadRequest},
		{"grant of a client not first-party", func() (int, map[string]any) {
			return web.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": api.login("jack"), "otp": h.totpCode(secret)})
		}, "unauthorized_client", http.StatusBadRequest},
		{"no mfa_token", func() (int, map[string]any) {
			return api.grant(oauth.GrantMFAOTP, map[string]any{"otp": "123456"})
		}, "invalid_request", http.StatusBadRequest},
		{"unknown mfa_token", func() (int, map[string]any) {
			return api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": "fgmfa_made-up", "otp": "123456"})
		}, "invalid_grant", http.StatusBadRequest},
		{"another client's mfa_token", func() (int, map[string]any) {
			return other.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": api.login("jack"), "otp": h.totpCode(secret)})
		}, "invalid_grant", http.StatusBadRequest},
		{"another client's mfa_token at /mfa/challenge", func() (int, map[string]any) {
			return other.call("/mfa/challenge", "", map[string]any{"mfa_token": api.login("jack")})
		}, "invalid_grant", http.StatusBadRequest},
		{"expired mfa_token", func() (int, map[string]any) {
			tok := api.login("jack")
			h.clock.Add(6 * time.Minute)
			defer h.clock.Add(-6 * time.Minute)
			return api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": tok, "otp": h.totpCode(secret)})
		}, "invalid_grant", http.StatusBadRequest},
		{"oob grant without a challenge", func() (int, map[string]any) {
			return api.grant(oauth.GrantMFAOOB, map[string]any{"mfa_token": api.login("jack"), "oob_code": "fgoob_x", "binding_code": "123456"})
		}, "invalid_grant", http.StatusBadRequest},
		{"no sms authenticator to challenge", func() (int, map[string]any) {
			return api.call("/mfa/challenge", "", map[string]any{"mfa_token": api.login("jack"), "challenge_type": "oob"})
		}, "unsupported_challenge_type", http.StatusBadRequest},
		{"wrong client secret", func() (int, map[string]any) {
			bad := api
			bad.secret = "wrong"
			return bad.call("/oauth/token", "", map[string]any{"grant_type": "password", "username": "jack", "password": password})
		}, "invalid_client", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := tc.run()
			if status != tc.status || out["error"] != tc.want {
				t.Fatalf("%d %v, want %d %s", status, out, tc.status, tc.want)
			}
		})
	}
}

// TestTOTPCodeOnceAcrossChannels: a TOTP code accepted by the login page is
// refused by the MFA grant, and the other way round.
func TestTOTPCodeOnceAcrossChannels(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	kim := h.user("kim")
	secret, _ := h.enrollTOTP(kim)
	api := h.mfaAPI(t, "cli")
	webID, webSecret := h.client(clientSpec{id: "web"})
	c := h.rp(t, webID, webSecret)

	t.Run("login page first", func(t *testing.T) {
		code := h.totpCode(secret)
		b := h.browser()
		a := c.authorization()
		codeFrom(t, b.enterCode(b.signIn(b.get(a.url), "kim"), code), a.state)
		status, out := api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": api.login("kim"), "otp": code})
		wantOAuthError(t, "code used at the login page", status, out, "invalid_grant")
	})
	h.nextStep()
	t.Run("grant first", func(t *testing.T) {
		code := h.totpCode(secret)
		if status, out := api.grant(oauth.GrantMFAOTP, map[string]any{"mfa_token": api.login("kim"), "otp": code}); status != http.StatusOK {
			t.Fatalf("grant: %d %v", status, out)
		}
		b := h.browser()
		p := b.enterCode(b.signIn(b.get(c.authorization().url), "kim"), code)
		if p.status != http.StatusUnauthorized || !p.contains("already used") {
			t.Fatalf("code used by the grant, at the login page: %d %s", p.status, p.body)
		}
	})
}

// TestMFAGrantOOB: SMS through /mfa/challenge and the mfa-oob grant, and SMS
// enrollment through /mfa/associate.
func TestMFAGrantOOB(t *testing.T) {
	h := sqliteHost(t, hostOptions{})
	api := h.mfaAPI(t, "cli")
	const phone, newPhone = "+61412345678", "+61412345679"
	leo := h.user("leo")
	h.enrollSMS(leo, phone)
	h.user("mia")

	t.Run("challenge", func(t *testing.T) {
		mfaToken := api.login("leo")
		status, ch := api.call("/mfa/challenge", "", map[string]any{"mfa_token": mfaToken, "challenge_type": "otp oob"})
		oob, _ := ch["oob_code"].(string)
		if status != http.StatusOK || ch["challenge_type"] != "oob" || ch["binding_method"] != "prompt" || oob == "" {
			t.Fatalf("challenge: %d %v", status, ch)
		}
		code := h.sms.lastCode(t, phone)
		status, out := api.grant(oauth.GrantMFAOOB, map[string]any{"mfa_token": mfaToken, "oob_code": "fgoob_wrong", "binding_code": code})
		wantOAuthError(t, "wrong oob_code", status, out, "invalid_grant")
		status, out = api.grant(oauth.GrantMFAOOB, map[string]any{"mfa_token": mfaToken, "oob_code": oob, "binding_code": code})
		if status != http.StatusOK {
			t.Fatalf("mfa-oob: %d %v", status, out)
		}
		c := api.idClaims(out)
		checkAuth(t, "mfa-oob ID token", c.AMR, c.ACR, c.AuthTime, []string{"pwd", "sms", "mfa"}, oauth.ACRMFA, time.Now().Add(-time.Minute))
	})
	t.Run("twenty challenges at once send one text", func(t *testing.T) {
		// The code of the challenge before was used, so one goes out at once.
		mfaToken := api.login("leo")
		before := h.sms.count()
		var (
			mu       sync.Mutex
			wg       sync.WaitGroup
			statuses = map[int]int{}
			gate     = make(chan struct{})
		)
		for range 20 {
			wg.Go(func() {
				<-gate
				status, _ := api.call("/mfa/challenge", "", map[string]any{"mfa_token": mfaToken, "challenge_type": "oob"})
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			})
		}
		close(gate)
		wg.Wait()
		if sent := h.sms.count() - before; statuses[http.StatusOK] != 1 || statuses[http.StatusTooManyRequests] != 19 || sent != 1 {
			t.Fatalf("answers %v and %d texts; want one 200, nineteen 429 and one text", statuses, sent)
		}
	})
	t.Run("associate", func(t *testing.T) {
		mfaToken := api.login("mia")
		status, assoc := api.call("/mfa/associate", mfaToken, map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"sms"}, "phone_number": newPhone})
		oob, _ := assoc["oob_code"].(string)
		if status != http.StatusOK || assoc["authenticator_type"] != "oob" || assoc["oob_channel"] != "sms" || oob == "" {
			t.Fatalf("associate oob: %d %v", status, assoc)
		}
		status, out := api.grant(oauth.GrantMFAOOB, map[string]any{"mfa_token": mfaToken, "oob_code": oob, "binding_code": h.sms.lastCode(t, newPhone)})
		if status != http.StatusOK || len(strs(out["recovery_codes"])) == 0 {
			t.Fatalf("mfa-oob confirming the enrollment: %d %v", status, out)
		}
		if c := api.idClaims(out); !slices.Equal(c.AMR, []string{"pwd", "sms", "mfa"}) {
			t.Fatalf("amr = %v", c.AMR)
		}
	})
	t.Run("bad phone number", func(t *testing.T) {
		h.user("nia")
		status, out := api.call("/mfa/associate", api.login("nia"), map[string]any{"authenticator_types": []string{"oob"}, "oob_channels": []string{"sms"}, "phone_number": "12"})
		wantOAuthError(t, "invalid phone", status, out, "invalid_request")
	})
}
