package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// testCA is a certificate authority made for a test, which signs server
// and client certificates written as PEM files.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	next int64 // the next serial number
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), next: 2}
}

// issue signs a certificate for cn (a server certificate for 127.0.0.1
// and localhost, or a client one) and returns its PEM and its key's PEM
// and serial number.
func (ca *testCA) issue(t *testing.T, cn string, client bool) (certPEM, keyPEM []byte, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial = ca.next
	ca.next++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{cn, "localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if client {
		tmpl.ExtKeyUsage, tmpl.DNSNames, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), serial
}

// writePair issues a certificate and writes it and its key to
// dir/name.crt and dir/name.key (replacing them in one rename each, as
// Kubernetes updates a secret volume).
func (ca *testCA) writePair(t *testing.T, dir, name, cn string, client bool) int64 {
	t.Helper()
	c, k, serial := ca.issue(t, cn, client)
	writeAtomic(t, filepath.Join(dir, name+".key"), k)
	writeAtomic(t, filepath.Join(dir, name+".crt"), c)
	return serial
}

func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// tlsTestConfig writes a configuration with the given extra YAML (paths
// relative to it) in dir, with a pool whose keys come from a file, and
// loads it for serve.
func tlsTestConfig(t *testing.T, dir, upstream, extra string) (*gateConfig, error) {
	t.Helper()
	text := fmt.Sprintf(`upstream: %s
pools:
  - user_pool_id: us-east-1_Test1
    keys_file: keys.json
    client_ids: [c1]
    token_use: access
policy:
  default: deny
%s`, upstream, extra)
	if err := os.WriteFile(filepath.Join(dir, "keys.json"), []byte(testKeysJSON(t)), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return loadConfig(path, func(string) (string, bool) { return "", false })
}

// testKeysJSON is a usable key set document.
func testKeysJSON(t *testing.T) string {
	t.Helper()
	return string(cognitotest.New(t, cognitotest.Config{}).JWKS())
}

// TestTLSConfig checks the tls, admin_tls and upstream_tls sections: what
// loads, and every mistake reported at its line and key.
func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "test CA")
	ca.writePair(t, dir, "server", "127.0.0.1", false)
	ca.writePair(t, dir, "client", "gate", true)
	other := newTestCA(t, "other CA")
	other.writePair(t, dir, "stranger", "127.0.0.1", false)
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600)
	os.WriteFile(filepath.Join(dir, "empty.pem"), []byte("no certificates here\n"), 0o600)
	// A certificate with another certificate's key.
	serverCrt, _ := os.ReadFile(filepath.Join(dir, "server.crt"))
	strangerKey, _ := os.ReadFile(filepath.Join(dir, "stranger.key"))
	os.WriteFile(filepath.Join(dir, "mismatch.crt"), serverCrt, 0o600)
	os.WriteFile(filepath.Join(dir, "mismatch.key"), strangerKey, 0o600)

	tests := []struct {
		name     string
		upstream string
		extra    string
		want     string // "" for a configuration that loads
	}{
		{"listener TLS", "http://127.0.0.1:3000", "tls: {cert_file: server.crt, key_file: server.key}\nadmin_tls: {cert_file: server.crt, key_file: server.key, min_version: \"1.3\"}\n", ""},
		{"upstream TLS with a CA and a client certificate", "https://127.0.0.1:3443", "upstream_tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key, server_name: api.internal}\n", ""},
		{"upstream TLS unverified on request", "https://127.0.0.1:3443", "upstream_tls: {insecure_skip_verify: true}\n", ""},
		{"cert without key", "http://127.0.0.1:3000", "tls:\n  cert_file: server.crt\n", "gate.yaml:9: tls.key_file: required with tls.cert_file"},
		{"key without cert", "http://127.0.0.1:3000", "admin_tls:\n  key_file: server.key\n", "gate.yaml:9: admin_tls.cert_file: required with admin_tls.key_file"},
		{"missing file", "http://127.0.0.1:3000", "tls:\n  cert_file: nope.crt\n  key_file: server.key\n", "gate.yaml:10: tls.cert_file: open " + dir + "/nope.crt: no such file or directory"},
		{"key of another certificate", "http://127.0.0.1:3000", "tls:\n  cert_file: mismatch.crt\n  key_file: mismatch.key\n", "tls.cert_file: " + dir + "/mismatch.crt, " + dir + "/mismatch.key: tls: private key does not match public key"},
		{"TLS 1.1", "http://127.0.0.1:3000", "tls:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: \"1.1\"\n", `gate.yaml:12: tls.min_version: want "1.2" or "1.3", got "1.1"`},
		{"version without certificate", "http://127.0.0.1:3000", "tls:\n  min_version: \"1.3\"\n", "gate.yaml:10: tls.min_version: set only with tls.cert_file and key_file"},
		{"upstream TLS for an http upstream", "http://127.0.0.1:3000", "upstream_tls:\n  ca_file: ca.pem\n", "gate.yaml:9: upstream_tls: the upstream http://127.0.0.1:3000 is plain http"},
		{"CA bundle without certificates", "https://127.0.0.1:3443", "upstream_tls:\n  ca_file: empty.pem\n", "gate.yaml:10: upstream_tls.ca_file: empty.pem: no PEM certificate in it"},
		{"unverified with a CA", "https://127.0.0.1:3443", "upstream_tls:\n  insecure_skip_verify: true\n  ca_file: ca.pem\n", "gate.yaml:11: upstream_tls.ca_file: not used with insecure_skip_verify"},
		{"unverified with a server name", "https://127.0.0.1:3443", "upstream_tls:\n  insecure_skip_verify: true\n  server_name: api\n", "gate.yaml:11: upstream_tls.server_name: not used with insecure_skip_verify"},
		{"client key without certificate", "https://127.0.0.1:3443", "upstream_tls:\n  key_file: client.key\n", "gate.yaml:9: upstream_tls.cert_file: required with upstream_tls.key_file"},
		{"poll too often", "http://127.0.0.1:3000", "reload:\n  poll_interval: 1ms\n", "gate.yaml:10: reload.poll_interval: at least 100ms, got 1ms"},
		{"drain too long", "http://127.0.0.1:3000", "server:\n  drain_delay: 1h\n", "gate.yaml:10: server.drain_delay: at most 5m0s, got 1h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tlsTestConfig(t, dir, tt.upstream, tt.extra)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("load: %v", err)
			case tt.want == "":
				if strings.Contains(tt.extra, "tls:") && !strings.Contains(tt.extra, "upstream_tls") && (cfg.ops.listenTLS == nil || cfg.ops.adminTLS == nil) {
					t.Error("listener TLS not loaded")
				}
			case err == nil:
				t.Fatalf("loaded; want %q", tt.want)
			case !strings.Contains(err.Error(), tt.want):
				t.Errorf("error:\n%v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestInsecureUpstreamIsLoud checks that insecure_skip_verify is reported
// by check (and so in the start-up and reload logs, which print the same
// warnings).
func TestInsecureUpstreamIsLoud(t *testing.T) {
	dir := t.TempDir()
	cfg, err := tlsTestConfig(t, dir, "https://127.0.0.1:3443", "upstream_tls: {insecure_skip_verify: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	if ws := cfg.operationsWarnings(); len(ws) != 1 || ws[0] != insecureUpstreamWarning {
		t.Errorf("warnings %q, want the insecure_skip_verify warning", ws)
	}
	var out, errOut strings.Builder
	if code := run(t.Context(), []string{"check", "--config", filepath.Join(dir, "gate.yaml")}, nil, &out, &errOut); code != 0 {
		t.Fatalf("check: %d %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "warning: upstream_tls.insecure_skip_verify is set") {
		t.Errorf("check does not warn:\n%s", out.String())
	}
}

// TestUpstreamTLS connects the upstream transport's TLS configuration to
// upstreams on 127.0.0.1 that require a client certificate: it trusts only
// the configured CA, shows the client certificate, checks the server
// name, and skips verification only when told.
func TestUpstreamTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "upstream CA")
	clientCA := newTestCA(t, "client CA")
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600)
	clientCA.writePair(t, dir, "client", "gate", true)

	upstream := func(cn string) *httptest.Server {
		c, k, _ := ca.issue(t, cn, false)
		cert, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
		}))
		s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.pool()}
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test's
		s.StartTLS()
		t.Cleanup(s.Close)
		return s
	}
	named := upstream("api.internal") // a certificate for api.internal (and 127.0.0.1)
	tests := []struct {
		name  string
		extra string
		want  string // the answer, or part of the error
	}{
		{"CA and client certificate", "upstream_tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key}\n", "hello gate"},
		{"server name checked", "upstream_tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key, server_name: api.internal}\n", "hello gate"},
		{"wrong server name", "upstream_tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key, server_name: other.internal}\n", "certificate is valid for api.internal"},
		{"no client certificate", "upstream_tls: {ca_file: ca.pem}\n", "certificate required"},
		{"system roots only", "upstream_tls: {cert_file: client.crt, key_file: client.key}\n", "certificate signed by unknown authority"},
		{"unverified on request", "upstream_tls: {insecure_skip_verify: true, cert_file: client.crt, key_file: client.key}\n", "hello gate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tlsTestConfig(t, dir, named.URL, tt.extra)
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg.ops.upstreamClientConfig(), ForceAttemptHTTP2: true}, Timeout: 5 * time.Second}
			resp, err := c.Get(named.URL)
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%v, want %q", err, tt.want)
				}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.want {
				t.Errorf("answer %q, want %q", b, tt.want)
			}
		})
	}
	t.Run("no upstream_tls: Go's defaults", func(t *testing.T) {
		cfg, err := tlsTestConfig(t, dir, named.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ops.upstreamClientConfig() != nil {
			t.Error("a TLS configuration without upstream_tls")
		}
	})
}

// TestKeyPairRefresh checks a rotation in place: a changed pair is
// switched to, an unchanged one is not read as a change, and one that does
// not load (half written) keeps the previous pair.
func TestKeyPairRefresh(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "CA")
	first := ca.writePair(t, dir, "tls", "127.0.0.1", false)
	p, err := loadKeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	serial := func() int64 { return p.current().Leaf.SerialNumber.Int64() }
	if changed, err := p.refresh(); changed || err != nil {
		t.Errorf("unchanged files: changed %v, %v", changed, err)
	}
	second := ca.writePair(t, dir, "tls", "127.0.0.1", false)
	if changed, err := p.refresh(); !changed || err != nil || serial() != second {
		t.Errorf("rotated: changed %v, %v, serial %d; want %d", changed, err, serial(), second)
	}
	// The certificate of a third pair beside the key of the second.
	c, _, _ := ca.issue(t, "127.0.0.1", false)
	writeAtomic(t, filepath.Join(dir, "tls.crt"), c)
	if changed, err := p.refresh(); changed || err == nil || serial() != second {
		t.Errorf("mismatched pair: changed %v, %v, serial %d; want an error and %d kept", changed, err, serial(), second)
	}
	os.Remove(filepath.Join(dir, "tls.key"))
	if _, err := p.refresh(); err == nil || serial() != second {
		t.Errorf("missing key: %v, serial %d", err, serial())
	}
	if first == second {
		t.Fatal("the test CA issued one serial twice")
	}
}
