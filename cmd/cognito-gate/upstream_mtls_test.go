package main

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestServeUpstreamMTLS: serve reaches an https upstream that requires a
// client certificate with upstream_tls (its CA, the gate's client pair),
// and without the client pair the upstream refuses the gate (502).
func TestServeUpstreamMTLS(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	ca, clientCA := newTestCA(t, "upstream CA"), newTestCA(t, "client CA")
	c, k, _ := ca.issue(t, "127.0.0.1", false)
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	up.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.pool()}
	up.StartTLS()
	defer up.Close()
	for _, tc := range []struct {
		name, tlsYAML string
		want          int
	}{
		{"with the client pair", "upstream_tls: {ca_file: ca.pem, cert_file: client.crt, key_file: client.key}\n", 200},
		{"without it", "upstream_tls: {ca_file: ca.pem}\n", 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, pool, up.URL, e2ePolicy, tc.tlsYAML)
			dir := filepath.Dir(cfg)
			if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.pem, 0o600); err != nil {
				t.Fatal(err)
			}
			clientCA.writePair(t, dir, "client", "gate", true)
			p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
			resp := get(t, "GET", p.addr["proxy"]+"/public/x", "", nil)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
