package oauth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// BenchmarkCodeExchange measures authorization-code exchanges (code, PKCE,
// client authentication, access, refresh and ID token, one transaction) per
// second on SQLite. The codes are issued before the clock starts, to a
// browser that is already signed in.
func BenchmarkCodeExchange(b *testing.B) {
	h := sqliteHost(b, hostOptions{})
	h.user("bench")
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(b, id, secret)
	br := h.browser()
	a := c.authorization()
	codeFrom(b, br.signIn(br.get(a.url), "bench"), a.state)

	type pending struct {
		a    authorization
		code string
	}
	codes := make([]pending, b.N)
	for i := range codes {
		a := c.authorization()
		codes[i] = pending{a: a, code: codeFrom(b, br.get(a.url), a.state)}
	}
	b.ResetTimer()
	for _, p := range codes {
		if _, err := c.conf.Exchange(c.ctx, p.code, oauth2.VerifierOption(p.a.verifier)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

// BenchmarkIntrospection measures RFC 7662 introspections per second of an
// opaque access token by a client authenticating with HTTP Basic, from
// parallel callers (a resource server under load).
func BenchmarkIntrospection(b *testing.B) {
	h := sqliteHost(b, hostOptions{})
	h.user("bench")
	id, secret := h.client(clientSpec{id: "web"})
	c := h.rp(b, id, secret)
	br := h.browser()
	a := c.authorization()
	tok, _ := c.exchange(b, a, codeFrom(b, br.signIn(br.get(a.url), "bench"), a.state))
	body := url.Values{"token": {tok.AccessToken}}.Encode()
	client := h.srv.Client()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequest(http.MethodPost, h.url+"/oauth2/introspect", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(id, secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var buf [512]byte
			n, _ := resp.Body.Read(buf[:])
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(buf[:n]), `"active":true`) {
				b.Errorf("introspection: %d %s", resp.StatusCode, buf[:n])
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "introspections/s")
}
