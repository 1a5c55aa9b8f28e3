// Package certreload keeps the TLS certificate of a listener in memory and
// reads it again from its files on demand (on SIGHUP), so that a renewed
// certificate is served without closing the listener. A reload that fails
// keeps the certificate in use.
package certreload

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// Reloader serves the certificate last read from its files.
type Reloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// New reads the certificate chain and key (PEM) and returns a reloader
// serving them.
func New(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again; on failure the certificate in use stays.
func (r *Reloader) Reload() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert.Store(&cert)
	return nil
}

// GetCertificate is tls.Config.GetCertificate: the certificate in use.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// TLSConfig returns the server TLS configuration that serves the
// reloader's certificate: TLS 1.2 or later, HTTP/2 and HTTP/1.1.
func (r *Reloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// Watch reloads on every value from signals until ctx ends or signals is
// closed, logging each outcome; reloaded (when not nil) hears the outcome of
// each reload.
func (r *Reloader) Watch(ctx context.Context, signals <-chan struct{}, log *slog.Logger, reloaded chan<- error) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-signals:
			if !ok {
				return
			}
			err := r.Reload()
			if err != nil {
				log.ErrorContext(ctx, "TLS certificate not reloaded; the previous one stays in use", "error", err)
			} else {
				log.InfoContext(ctx, "TLS certificate reloaded", "cert_file", r.certFile)
			}
			if reloaded != nil {
				reloaded <- err
			}
		}
	}
}
