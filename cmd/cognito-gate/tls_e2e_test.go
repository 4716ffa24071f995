package main

import (
	"crypto/tls"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// tlsClient trusts ca only and speaks TLS maxVersion at most (0: any),
// down to TLS 1.0 (which Go's client offers only when asked).
func tlsClient(ca *testCA, maxVersion uint16) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: ca.pool(), MinVersion: tls.VersionTLS10, MaxVersion: maxVersion},
		ForceAttemptHTTP2: true, DisableKeepAlives: true,
	}}
}

// servedSerial is the serial number of the certificate addr serves.
func servedSerial(t *testing.T, ca *testCA, addr string) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool()})
	if err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestServeTLS runs the binary with TLS on both listeners: HTTP/2 to
// clients, TLS 1.2 at least, the upstream told the request came over
// https, the health command over https, and certificates rotated in place
// served without a restart (a broken rotation keeps the old one); a
// reload that raises min_version applies to new connections.
func TestServeTLS(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, `tls:
  cert_file: tls.crt
  key_file: tls.key
admin_tls:
  cert_file: admin.crt
  key_file: admin.key
reload:
  poll_interval: 100ms
`)
	dir := filepath.Dir(cfg)
	ca := newTestCA(t, "gate CA")
	first := ca.writePair(t, dir, "tls", "127.0.0.1", false)
	ca.writePair(t, dir, "admin", "127.0.0.1", false)
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	proxy := strings.Replace(p.addr["proxy"], "http://", "https://", 1)
	admin := strings.Replace(p.addr["admin"], "http://", "https://", 1)
	proxyAddr := strings.TrimPrefix(proxy, "https://")

	resp, err := tlsClient(ca, 0).Get(proxy + "/public/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("GET over TLS: %d %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
	}
	if got := up.last(t).Header.Get("X-Forwarded-Proto"); got != "https" {
		t.Errorf("X-Forwarded-Proto %q, want https", got)
	}
	if _, err := tlsClient(ca, tls.VersionTLS11).Get(proxy + "/public/x"); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("a TLS 1.1 client: %v, want the handshake refused", err)
	}
	if out, err := exec.Command(binary, "health", "--url", admin+"/healthz", "--ca-file", filepath.Join(dir, "ca.pem")).CombinedOutput(); err != nil {
		t.Errorf("health over TLS: %v\n%s", err, out)
	}

	// cert-manager rotates the certificate in place: served at the next
	// poll, without a restart or a signal.
	if got := servedSerial(t, ca, proxyAddr); got != first {
		t.Fatalf("serial %d, want %d", got, first)
	}
	second := ca.writePair(t, dir, "tls", "127.0.0.1", false)
	waitLog(t, p, "certificate reloaded")
	if got := servedSerial(t, ca, proxyAddr); got != second {
		t.Errorf("after the rotation: serial %d, want %d", got, second)
	}
	// A half-written rotation (a certificate without its key) is refused,
	// logged, and the current pair goes on serving.
	c, _, _ := ca.issue(t, "127.0.0.1", false)
	writeAtomic(t, filepath.Join(dir, "tls.crt"), c)
	waitLog(t, p, "certificate not reloaded")
	if got := servedSerial(t, ca, proxyAddr); got != second {
		t.Errorf("after a broken rotation: serial %d, want %d kept", got, second)
	}
	third := ca.writePair(t, dir, "tls", "127.0.0.1", false)
	waitLog(t, p, "certificate reloaded")

	// A reload raises the minimum version: new connections need TLS 1.3.
	text, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(text), "  key_file: tls.key\n", "  key_file: tls.key\n  min_version: \"1.3\"\n", 1)), 0o600)
	p.signal(t, syscall.SIGHUP)
	waitLog(t, p, "configuration reloaded")
	if _, err := tlsClient(ca, tls.VersionTLS12).Get(proxy + "/public/x"); err == nil {
		t.Error("a TLS 1.2 client after min_version 1.3 was reloaded: served")
	}
	if got := servedSerial(t, ca, proxyAddr); got != third {
		t.Errorf("after the reload: serial %d, want %d", got, third)
	}
}
