package main

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// cognitoProxy stands in for the internet between the real binary and
// Cognito's key endpoints, for a gate configured by user pool id alone as
// in production: an HTTPS proxy on 127.0.0.1 (the binary's HTTPS_PROXY)
// that takes CONNECT to the Cognito issuer hosts, ends TLS with
// certificates of a test CA (the binary's SSL_CERT_FILE) and passes each
// request to the fake pool's HTTPClient, which answers as Cognito does
// (keys, 403 for the updated endpoint of a pool on the original issuer,
// 404 for a region the pool is not in). It records every host the binary
// asked to connect to; it refuses every host that is not a Cognito one.
type cognitoProxy struct {
	pool   *cognitotest.Pool
	client *http.Client
	ca     *testCA
	caFile string
	addr   string // host:port of the proxy

	mu      sync.Mutex
	hosts   []string                    // CONNECT targets, in order
	certs   map[string]*tls.Certificate // by server name
	tunnels *tunnelListener
}

// newCognitoProxy starts the proxy for pool until the test ends.
func newCognitoProxy(t *testing.T, pool *cognitotest.Pool) *cognitoProxy {
	t.Helper()
	p := &cognitoProxy{pool: pool, client: pool.HTTPClient(), ca: newTestCA(t, "cognito-proxy test CA"),
		certs: map[string]*tls.Certificate{}, tunnels: newTunnelListener()}
	p.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p.caFile, p.ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	inner := &http.Server{Handler: http.HandlerFunc(p.forward), ErrorLog: log.New(io.Discard, "", 0)}
	go inner.Serve(p.tunnels)
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.connect(t, w, r) }))
	outer.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(func() { outer.Close(); inner.Close() })
	p.addr = outer.Listener.Addr().String()
	return p
}

// env is what the binary needs in its environment to reach Cognito
// through the proxy.
func (p *cognitoProxy) env() []string {
	return append(os.Environ(), "HTTPS_PROXY=http://"+p.addr, "https_proxy=http://"+p.addr, "NO_PROXY=", "no_proxy=", "SSL_CERT_FILE="+p.caFile)
}

// connected returns the hosts the binary connected to, in order.
func (p *cognitoProxy) connected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.hosts)
}

// connect answers a CONNECT: a Cognito host gets a tunnel whose TLS the
// proxy ends, anything else 403.
func (p *cognitoProxy) connect(t *testing.T, w http.ResponseWriter, r *http.Request) {
	host, port, err := net.SplitHostPort(r.Host)
	p.mu.Lock()
	p.hosts = append(p.hosts, r.Host)
	p.mu.Unlock()
	if r.Method != http.MethodConnect || err != nil || port != "443" ||
		!strings.HasSuffix(host, ".amazonaws.com") || !strings.HasPrefix(host, "cognito-idp.") && !strings.HasPrefix(host, "issuer-cognito-idp.") {
		http.Error(w, "not a Cognito host", http.StatusForbidden)
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("cognito proxy: hijack: %v", err)
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	p.tunnels.push(tls.Server(conn, &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return p.certificate(t, hello.ServerName)
	}, NextProtos: []string{"http/1.1"}}))
}

// certificate returns the test CA's certificate for name.
func (p *cognitoProxy) certificate(t *testing.T, name string) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.certs[name]; c != nil {
		return c, nil
	}
	certPEM, keyPEM, _ := p.ca.issue(t, name, false)
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	p.certs[name] = &c
	return &c, nil
}

// forward sends a request that came through a tunnel to the fake pool.
func (p *cognitoProxy) forward(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "https://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// tunnelListener hands the proxy's tunnels to an http.Server.
type tunnelListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newTunnelListener() *tunnelListener {
	return &tunnelListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *tunnelListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *tunnelListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tunnelListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *tunnelListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
