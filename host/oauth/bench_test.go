package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/factorgate/factorgate/host/internal/benchcpu"
	"github.com/factorgate/factorgate/host/oauth"
)

// exchangeCallers is how many clients exchange codes at once in
// BenchmarkCodeExchange, per GOMAXPROCS: a deployment has many relying
// parties, and SQLite's group commit lets their commits share an fsync.
const exchangeCallers = 8

// BenchmarkCodeExchange measures authorization-code exchanges (code, PKCE,
// client authentication, access, refresh and ID token, one transaction) per
// second on SQLite, from exchangeCallers*GOMAXPROCS parallel callers. The
// codes are issued before the clock starts, to a browser that is already
// signed in. The sub-benchmarks sign the ID token RS256 (the default) and
// ES256 (registered as the client's id_token_signed_response_alg). The
// target is 1,000 exchanges/s on two cores: ES256 meets it (about 1 ms of
// CPU per exchange, client included); RS256 does not, as an RSA-2048
// signature alone costs over a millisecond of CPU (about 2 ms in all).
func BenchmarkCodeExchange(b *testing.B) {
	for _, alg := range []string{oauth.AlgRS256, oauth.AlgES256} {
		b.Run(alg, func(b *testing.B) { benchmarkCodeExchange(b, alg) })
	}
}

func benchmarkCodeExchange(b *testing.B, alg string) {
	h := sqliteHost(b, hostOptions{})
	h.user("bench")
	id, secret := h.client(clientSpec{id: "web", idTokenAlg: alg})
	c := h.rp(b, id, secret)
	callers := exchangeCallers * runtime.GOMAXPROCS(0)
	tr := h.srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = callers // one kept-alive connection per caller
	c.ctx = context.WithValue(c.ctx, oauth2.HTTPClient, &http.Client{Transport: tr})
	codes := issueCodes(b, h, c, b.N)
	var next atomic.Int64
	b.SetParallelism(exchangeCallers)
	cpu := benchcpu.Start(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := codes[next.Add(1)-1]
			tok, err := c.conf.Exchange(c.ctx, p.code, oauth2.VerifierOption(p.a.verifier))
			if err != nil {
				b.Error(err)
				return
			}
			if _, ok := tok.Extra("id_token").(string); !ok {
				b.Error("no id_token in the token response")
				return
			}
		}
	})
	cpu.Report("cpu-ns/op") // client and host together: they share the process
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exchanges/s")
}

// pendingCode is an authorization code waiting to be exchanged.
type pendingCode struct {
	a    authorization
	code string
}

// issueCodes signs a browser in and has it fetch n codes for c, from a few
// goroutines at once. The workers stop at the first error, which fails the
// benchmark from its own goroutine.
func issueCodes(b *testing.B, h *host, c *rp, n int) []pendingCode {
	br := h.browser()
	a := c.authorization()
	codeFrom(b, br.signIn(br.get(a.url), "bench"), a.state)
	codes := make([]pendingCode, n)
	var (
		wg     sync.WaitGroup
		failed atomic.Pointer[error]
	)
	const workers = 8
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n && failed.Load() == nil; i += workers {
				a := c.authorization()
				code, err := issueCode(br, a)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				codes[i] = pendingCode{a: a, code: code}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatalf("issue codes: %v", *err)
	}
	return codes
}

// issueCode has the signed-in browser br follow the authorization a to its
// callback and returns the code.
func issueCode(br *browser, a authorization) (string, error) {
	p, err := br.fetchURL(a.url)
	if err != nil {
		return "", err
	}
	return callbackCode(p, a.state)
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
	cpu := benchcpu.Start(b)
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
	cpu.Report("cpu-ns/op") // client and host together: they share the process
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "introspections/s")
}
