package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/factorgate/factorgate/host/internal/testdb"
)

// writeTestCert writes a self-signed certificate for 127.0.0.1 called cn to
// cert.pem and key.pem in dir, returning its pool of one.
func writeTestCert(t *testing.T, dir, cn string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: der}, "key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// TestTLSReloadedOnSIGHUP: with tls_cert_file and tls_key_file the host
// serves HTTPS; after the files are replaced and the process gets SIGHUP it
// serves the new certificate on the same listener.
func TestTLSReloadedOnSIGHUP(t *testing.T) {
	d := newDeployment(t, testdb.Backends()[0].NewURL(t), "")
	dir := t.TempDir()
	first := writeTestCert(t, dir, "first")
	d.env = append(d.env, "FACTORGATE_TLS_CERT_FILE="+filepath.Join(dir, "cert.pem"), "FACTORGATE_TLS_KEY_FILE="+filepath.Join(dir, "key.pem"))
	h := d.start()
	if !strings.HasPrefix(h.base, "https://") {
		t.Fatalf("the host announced %s", h.base)
	}
	client := func(pool *x509.CertPool) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	served := func(c *http.Client) string {
		t.Helper()
		resp, err := c.Get(h.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS == nil {
			t.Fatalf("healthz over TLS: %d", resp.StatusCode)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName
	}
	if got := served(client(first)); got != "first" {
		t.Fatalf("served %q", got)
	}

	second := writeTestCert(t, dir, "second")
	if err := h.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !d.logs.waitFor("TLS certificate reloaded", 20*time.Second) {
		t.Fatalf("no reload logged:\n%s", d.logs.String())
	}
	if got := served(client(second)); got != "second" {
		t.Fatalf("after SIGHUP served %q", got)
	}
	if _, err := client(first).Get(h.base + "/healthz"); err == nil {
		t.Fatal("the old certificate is still served")
	}
}
