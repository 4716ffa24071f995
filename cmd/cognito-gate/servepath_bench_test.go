package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// servePathPolicy is the policy of the serve-path benchmarks: one
// protected route, one anonymous.
const servePathPolicy = `default: deny
rules:
  - name: orders
    route: GET /orders/{id}
  - name: public
    route: /public/
    anonymous: true`

// servePathRig is the gate's whole serve handler (proxyHandler) in front
// of an httptest upstream on 127.0.0.1 that answers 200 with a small body,
// logging JSON at info to io.Discard as the binary does to stderr.
type servePathRig struct {
	pool    *cognitotest.Pool
	g       *gate
	handler http.Handler
}

func newServePathRig(tb testing.TB, extra string) *servePathRig {
	tb.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	tb.Cleanup(up.Close)
	pool := cognitotest.New(tb, cognitotest.Config{})
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	g := newExtAuthzGate(tb, pool, servePathPolicy, fmt.Sprintf("upstream: %s\n%s", up.URL, extra), core)
	return &servePathRig{pool: pool, g: g, handler: g.proxyHandler()}
}

// request returns a GET of path with tok as a bearer token ("" none),
// as a client would send it through a server (RemoteAddr set).
func servePathRequest(path, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://api.example.com"+path, nil)
	r.RemoteAddr = "127.0.0.1:40000"
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "*/*")
	return r
}

// bodyWriter is a ResponseWriter that keeps the status and discards the
// body, reset between requests.
type bodyWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *bodyWriter) Header() http.Header { return w.h }
func (w *bodyWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
func (w *bodyWriter) WriteHeader(code int) { w.code = code }

// BenchmarkServePath is one request through the gate's serve handler to
// a real upstream on loopback: an anonymous route, a cached token, a
// cached token with Authorization forwarded, and a bad token (401, one
// JSON log line).
func BenchmarkServePath(b *testing.B) {
	rig := newServePathRig(b, "")
	fwd := newServePathRig(b, "forward_authorization: true\n")
	bad := rig.pool.AccessToken() + "x"
	cases := []struct {
		name string
		rig  *servePathRig
		req  func() *http.Request
		want int
	}{
		{"anonymous", rig, func() *http.Request { return servePathRequest("/public/x", "") }, http.StatusOK},
		{"cached-token", rig, func() *http.Request { return servePathRequest("/orders/42", rig.pool.AccessToken()) }, http.StatusOK},
		{"cached-token-forwarded", fwd, func() *http.Request { return servePathRequest("/orders/42", fwd.pool.AccessToken()) }, http.StatusOK},
		{"bad-token", rig, func() *http.Request { return servePathRequest("/orders/42", bad) }, http.StatusUnauthorized},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := c.req()
			w := &bodyWriter{h: make(http.Header)}
			serveOnce := func() {
				clear(w.h)
				w.code, w.n = 0, 0
				c.rig.handler.ServeHTTP(w, req)
				if w.code != c.want {
					b.Fatalf("status %d, want %d", w.code, c.want)
				}
			}
			serveOnce() // caches the token, opens the upstream connection
			b.ReportAllocs()
			for b.Loop() {
				serveOnce()
			}
		})
	}
}
