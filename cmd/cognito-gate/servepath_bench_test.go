package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
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

// servePathRequest returns a GET of path with tok as a bearer token ("" none),
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
		b.Run(c.name, func(b *testing.B) { benchServe(b, c.rig.handler, c.req(), c.want) })
	}
}

// benchServe measures h serving req again and again, each answer checked
// to be want; the first request, before the timer, caches the token and
// opens the upstream connection.
func benchServe(b *testing.B, h http.Handler, req *http.Request, want int) {
	w := &bodyWriter{h: make(http.Header)}
	serveOnce := func() {
		clear(w.h)
		w.code, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.code != want {
			b.Fatalf("status %d, want %d", w.code, want)
		}
	}
	serveOnce()
	b.ReportAllocs()
	for b.Loop() {
		serveOnce()
	}
}

// BenchmarkForwardAuthPath is one subrequest through the gate's
// forward-auth handler, as nginx's auth_request sends it (the three
// headers, the token): a cached token (200 with the identity headers), a
// bad token (401), an anonymous route.
func BenchmarkForwardAuthPath(b *testing.B) {
	pool := cognitotest.New(b, cognitotest.Config{})
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	g := newExtAuthzGate(b, pool, servePathPolicy, "", core)
	h := g.forwardAuthHandler()
	sub := func(uri, tok string) *http.Request {
		r := servePathRequest("/auth", tok)
		r.Header.Set("X-Forwarded-Method", "GET")
		r.Header.Set("X-Forwarded-Uri", uri)
		r.Header.Set("X-Forwarded-Host", "api.example.com")
		return r
	}
	for _, c := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"cached-token", sub("/orders/42", pool.AccessToken()), http.StatusOK},
		{"bad-token", sub("/orders/42", pool.AccessToken()+"x"), http.StatusUnauthorized},
		{"anonymous", sub("/public/x", ""), http.StatusOK},
	} {
		b.Run(c.name, func(b *testing.B) { benchServe(b, h, c.req, c.want) })
	}
}

// TestForwardAuthLeavesSubrequestAlone: the forward-auth handler judges a
// shallow copy of the subrequest (originalRequest), so nothing on its path
// may write the subrequest's headers: after every kind of answer they are
// exactly as the proxy sent them.
func TestForwardAuthLeavesSubrequestAlone(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	g := newExtAuthzGate(t, pool, servePathPolicy, "", core)
	h := g.forwardAuthHandler()
	for _, c := range []struct {
		name, uri, tok string
		want           int
	}{
		{"allowed", "/orders/42", pool.AccessToken(), http.StatusOK},
		{"bad token", "/orders/42", pool.AccessToken() + "x", http.StatusUnauthorized},
		{"no token", "/orders/42", "", http.StatusUnauthorized},
		{"anonymous", "/public/x", "", http.StatusOK},
		{"no rule", "/admin", pool.AccessToken(), http.StatusForbidden},
	} {
		r := servePathRequest("/auth", c.tok)
		r.Header.Set("X-Forwarded-Method", "GET")
		r.Header.Set("X-Forwarded-Uri", c.uri)
		r.Header.Set("X-Forwarded-Host", "api.example.com")
		before := r.Header.Clone()
		w := &bodyWriter{h: make(http.Header)}
		h.ServeHTTP(w, r)
		if w.code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, w.code, c.want)
		}
		if !reflect.DeepEqual(r.Header, before) {
			t.Errorf("%s: the subrequest's headers changed:\n%v\nwant\n%v", c.name, r.Header, before)
		}
	}
}

// TestForwardAuthReadsTheCachedToken: forward-auth and ext_authz take a
// cache hit's token uncopied (authorizeExact: the same pointer on every
// hit, where the public AuthorizeExact gives a copy each time), so their
// answers must only read it: after forward-auth answers and an ext_authz
// answer, the cached token is exactly as it was, and the next answer's
// identity headers are the first one's.
func TestForwardAuthReadsTheCachedToken(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	core := zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel)
	g := newExtAuthzGate(t, pool, servePathPolicy, "", core)
	h := g.forwardAuthHandler()
	tok := pool.AccessToken(cognitotest.WithGroups("zeta", "alpha", "mid"), cognitotest.WithScopes("orders/write", "orders/read"))
	sub := func() *http.Request {
		r := servePathRequest("/auth", tok)
		r.Header.Set("X-Forwarded-Method", "GET")
		r.Header.Set("X-Forwarded-Uri", "/orders/42")
		r.Header.Set("X-Forwarded-Host", "api.example.com")
		return r
	}
	orig, err := originalRequest(sub(), g.cfg.raw.ForwardAuth)
	if err != nil {
		t.Fatal(err)
	}
	g.authorizeExact(orig) // a miss: verified, cached
	first := g.authorizeExact(orig)
	if !first.Allowed || first.Token == nil {
		t.Fatalf("not allowed: %+v", first)
	}
	if again := g.authorizeExact(orig); again.Token != first.Token {
		t.Fatal("authorizeExact copied a cached token: the forward-auth path would pay a copy per subrequest")
	}
	if pub := g.mw.AuthorizeExact(orig); pub.Token == first.Token {
		t.Fatal("the public AuthorizeExact handed out the cache's own token")
	}
	pristine := tokenshare.Clone(first.Token).(*claims.Token)

	var answers []http.Header
	for range 3 {
		w := &bodyWriter{h: make(http.Header)}
		h.ServeHTTP(w, sub())
		if w.code != http.StatusOK {
			t.Fatalf("status %d, want 200", w.code)
		}
		answers = append(answers, w.h)
	}
	_ = g.extAuthzOK(orig, g.authorizeExact(orig))
	if !reflect.DeepEqual(first.Token, pristine) {
		t.Errorf("the cached token changed:\n%+v\nwant\n%+v", first.Token, pristine)
	}
	for i, a := range answers[1:] {
		if !reflect.DeepEqual(a, answers[0]) {
			t.Errorf("answer %d's headers %v, want the first's %v", i+2, a, answers[0])
		}
	}
	if got := answers[0].Get("X-Auth-Groups"); got == "" {
		t.Error("no X-Auth-Groups in the answer: the test reads no groups")
	}
}
