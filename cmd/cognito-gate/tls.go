package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"
)

// tlsListenConfig is the tls (main listener) and admin_tls (admin
// listener) section: the listener speaks TLS with this certificate. The
// files are read again when they change (see watch.go) and on every
// reload, so that a certificate rotated in place (cert-manager) is served
// without a restart.
type tlsListenConfig struct {
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	MinVersion string `yaml:"min_version"`
}

// upstreamTLSConfig is the upstream_tls section: how serve checks an https
// upstream, and the client certificate it shows it (mTLS).
type upstreamTLSConfig struct {
	// CAFile is a PEM bundle of the CA certificates that may sign the
	// upstream's certificate, instead of the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the client certificate and key (PEM), both
	// or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the upstream's certificate must carry, when
	// it is not the upstream URL's host.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify turns certificate checks off. Logged as a warning
	// at start and on every reload.
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	MinVersion         string `yaml:"min_version"`
}

// tlsVersions are the accepted min_version values. Below TLS 1.2 is not
// offered: TLS 1.0 and 1.1 are deprecated (RFC 8996).
var tlsVersions = map[string]uint16{"": tls.VersionTLS12, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// maxPEMBytes bounds a certificate, key or CA file.
const maxPEMBytes = 1 << 20

// keyPair is a certificate and its key from two PEM files, read again by
// refresh; a pair that does not load keeps the previous one. It is safe
// for concurrent use.
type keyPair struct {
	certFile, keyFile string

	mu   sync.Mutex
	cert *tls.Certificate
	pem  []byte // the files' contents as last loaded, to tell a change
}

// loadKeyPair reads and checks a certificate and key.
func loadKeyPair(certFile, keyFile string) (*keyPair, error) {
	p := &keyPair{certFile: certFile, keyFile: keyFile}
	if _, err := p.refresh(); err != nil {
		return nil, err
	}
	return p, nil
}

// refresh reads the files again and, when they changed and load, switches
// to them. It reports whether they changed; on an error the pair held
// stays.
func (p *keyPair) refresh() (bool, error) {
	certPEM, err := readLimited(p.certFile, maxPEMBytes)
	if err != nil {
		return false, err
	}
	keyPEM, err := readLimited(p.keyFile, maxPEMBytes)
	if err != nil {
		return false, err
	}
	both := append(append(append([]byte(nil), certPEM...), 0), keyPEM...)
	p.mu.Lock()
	same := p.cert != nil && bytes.Equal(both, p.pem)
	p.mu.Unlock()
	if same {
		return false, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return false, fmt.Errorf("%s, %s: %w", p.certFile, p.keyFile, err)
	}
	p.mu.Lock()
	p.cert, p.pem = &cert, both
	p.mu.Unlock()
	return true, nil
}

// current returns the pair held.
func (p *keyPair) current() *tls.Certificate {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cert
}

// notAfter is when the held certificate expires.
func (p *keyPair) notAfter() time.Time {
	if c := p.current(); c != nil && c.Leaf != nil {
		return c.Leaf.NotAfter
	}
	return time.Time{}
}

// serverConfig is the TLS configuration of a listener serving p:
// minVersion or later, HTTP/2 or HTTP/1.1 by ALPN, the pair held at each
// handshake.
func (p *keyPair) serverConfig(minVersion uint16) *tls.Config {
	return &tls.Config{
		MinVersion: minVersion,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return p.current(), nil
		},
	}
}

// listenerTLS is a listener's TLS, as loaded: the pair and the version.
type listenerTLS struct {
	pair       *keyPair
	minVersion uint16
}

// upstreamTLS is serve's TLS towards the upstream, as loaded.
type upstreamTLS struct {
	config *tls.Config // for the proxy's transport (proxy.go)
	pair   *keyPair    // the client certificate, or nil
}

// newUpstreamTLS builds the client configuration of upstream_tls: the CA
// bundle roots (PEM, at least one certificate) or the system's, the
// client certificate when pair is set, the server name, the version.
func newUpstreamTLS(u upstreamTLSConfig, caPEM []byte, pair *keyPair) (*upstreamTLS, error) {
	tc := &tls.Config{MinVersion: tlsVersions[u.MinVersion], ServerName: u.ServerName, InsecureSkipVerify: u.InsecureSkipVerify}
	if caPEM != nil {
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("no PEM certificate in it")
		}
	}
	if pair != nil {
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return pair.current(), nil
		}
	}
	return &upstreamTLS{config: tc, pair: pair}, nil
}
