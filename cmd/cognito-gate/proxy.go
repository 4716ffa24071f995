package main

import (
	"github.com/cognito-gate/cognito-gate/internal/cookiepair"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
	"github.com/cognito-gate/cognito-gate/middleware"

	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

// proxyHandler is the reverse proxy. In order, for each request:
//
//   - a Host that is not a host name or IP literal with at most one port
//     is refused (400 bad_request): the upstream would see it in
//     X-Forwarded-Host and could serve a virtual host the policy did not
//     judge;
//   - with resource_metadata, GET and HEAD of the document's path are
//     answered with the RFC 9728 document (resourcemeta.go), without a
//     token, recorded as skipped; other methods there get 405;
//   - the middleware verifies the token and asks the policy;
//   - an allowed request goes to the upstream with every client-sent
//     spelling of an identity header, override header and X-Forwarded-*
//     header removed, credentials that were not verified removed, h2c
//     upgrades dropped, X-Forwarded-For, -Host and -Proto set by the gate,
//     and the identity headers set from the verified token, and the
//     assertion (assertion.go) signed for it;
//   - an upgraded connection (a WebSocket) opened with a verified token
//     is closed when the token would no longer be accepted, and a
//     handshake answer naming the WebSocket token entry is refused
//     (websocket.go).
func (g *gate) proxyHandler() http.Handler {
	ws := g.newSockets()
	rp := &httputil.ReverseProxy{
		Rewrite: g.rewrite,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
			// Accept-Encoding and the answer's encoding pass as they are:
			// by default the transport asks for gzip on a request that did
			// not, and then inflates the answer and drops its
			// Content-Encoding and Content-Length (TestServeContentEncoding).
			DisableCompression: true,
			TLSClientConfig:    g.cfg.ops.upstreamClientConfig(), // upstream_tls (operations.go); nil: Go's defaults
		},
		ModifyResponse: ws.modifyResponse,
		ErrorHandler:   g.proxyError,
		BufferPool:     proxyBuffers,
		ErrorLog:       zap.NewStdLog(g.logger.Named("proxy")),
	}
	var inner http.Handler = rp
	if g.cfg.raw.CORSPreflight {
		inner = preflightAnswers(rp)
	}
	next := g.mw.Handler(ws.watch(g.withAssertion(inner)))
	rm := g.resourceMetadata()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := policy.CheckHost(r.Host); err != nil {
			g.refuse(w, r, fmt.Errorf("proxy: Host: %w: %w", err, errBadRequest))
			return
		}
		if g.serveJWKS(w, r) {
			return
		}
		if rm != nil && r.URL.Path == rm.Path() && r.URL.RawPath == "" {
			g.serveResourceMetadata(w, r, rm)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			// The proxy hands its error handler a copy of the request
			// whose body it wrapped again: the wrapper travels in the
			// context.
			cb := &clientBody{ReadCloser: r.Body}
			r = r.WithContext(context.WithValue(r.Context(), clientBodyKey{}, cb))
			r.Body = cb
		}
		next.ServeHTTP(w, r)
	})
}

// proxyBuffers are the ReverseProxy's copy buffers: without a BufferPool
// it allocates a 32 KiB buffer for every response body (71% of the bytes
// a proxied request allocated in BenchmarkServePath).
var proxyBuffers httputil.BufferPool = &bufferPool{}

// bufferPool is an httputil.BufferPool of 32 KiB buffers (the size
// ReverseProxy allocates itself).
type bufferPool struct{ p sync.Pool }

const proxyBufferBytes = 32 << 10

func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, proxyBufferBytes)
}

// Put keeps buf for another response; a buffer of another size (never one
// of Get's) is dropped.
func (b *bufferPool) Put(buf []byte) {
	if cap(buf) != proxyBufferBytes {
		return
	}
	buf = buf[:proxyBufferBytes]
	b.p.Put(&buf)
}

// preflightAnswers wraps the proxy so that the answer to a CORS preflight,
// which the middleware let through without a token (cors_preflight), is
// reduced to its status and the headers a browser reads of a preflight:
// Access-Control-*, Vary and Allow; no body, no 1xx answer. An upstream
// handler that does not look at the method (a Go ServeMux pattern without
// one, a catch-all route) answers OPTIONS /admin/report with the report,
// and its cookies; none of it reaches the client. It is decided on the
// request as the client sent it: the proxy drops the headers a client
// names in Connection from what it sends upstream, so the request
// upstream may no longer look like a preflight.
func preflightAnswers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !middleware.IsPreflight(r) {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(&preflightWriter{w: w, h: make(http.Header)}, r)
	})
}

// preflightWriter passes on a preflight's final status and CORS headers,
// and drops the rest: other headers, 1xx answers, the body (read from the
// upstream all the same, so that its connection is kept).
type preflightWriter struct {
	w     http.ResponseWriter
	h     http.Header
	wrote bool
}

func (p *preflightWriter) Header() http.Header { return p.h }

func (p *preflightWriter) WriteHeader(code int) {
	if code < 200 || p.wrote {
		return
	}
	p.wrote = true
	dst := p.w.Header()
	for name, v := range p.h {
		if hasHeaderPrefix(name, "Access-Control-") || sameHeader(name, "Vary") || sameHeader(name, "Allow") {
			dst[name] = v
		}
	}
	p.w.WriteHeader(code)
}

func (p *preflightWriter) Write(b []byte) (int, error) {
	if !p.wrote {
		p.WriteHeader(http.StatusOK)
	}
	return len(b), nil
}

// rewrite builds the upstream request from an allowed one.
func (g *gate) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	pr.SetURL(g.cfg.upstream)
	g.cfg.filter.strip(out.Header)
	// Trailers are headers too, to some upstreams: the same names go.
	g.cfg.filter.strip(out.Trailer)
	dropH2C(out.Header)
	tok, _ := verifiedToken(in.Context())
	g.cfg.credentials.strip(in, out, tok != nil, g.cfg.forwardAuthorization)
	if methodOverride(out.URL.RawQuery) != "" {
		out.URL.RawQuery = filterQuery(out.URL.RawQuery, func(k string) bool { return sameParam(k, methodParam) })
	}
	// X-Forwarded-* are the gate's: the client's values were removed above
	// and are not appended to.
	if ip, _, err := net.SplitHostPort(in.RemoteAddr); err == nil {
		out.Header.Set("X-Forwarded-For", ip)
	}
	out.Header.Set("X-Forwarded-Host", in.Host)
	if in.TLS != nil {
		out.Header.Set("X-Forwarded-Proto", "https")
	} else {
		out.Header.Set("X-Forwarded-Proto", "http")
	}
	g.cfg.headers.setIdentity(out.Header, tok)
	g.setAssertion(out.Header, signedAssertion(in.Context()))
}

// dropH2C removes a client's request to upgrade the upstream connection to
// cleartext HTTP/2 (Upgrade: h2c, HTTP2-Settings): an upstream that
// accepted it would take further requests on that connection that the gate
// never sees. The request itself goes on as HTTP/1.1, as RFC 9113 lets a
// server ignore the upgrade; WebSocket upgrades are untouched.
func dropH2C(h http.Header) {
	for name := range h {
		if sameHeader(name, "HTTP2-Settings") {
			delete(h, name)
		}
	}
	if httpguts.HeaderValuesContainsToken(h["Upgrade"], "h2c") {
		h.Del("Upgrade")
		h.Del("Connection")
	}
}

// clientBody wraps a request body to tell a client that sent a broken or
// short body from an upstream that failed.
type clientBody struct {
	io.ReadCloser
	err error // the first read error other than io.EOF
}

func (b *clientBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// clientBodyKey is the context key of a request's *clientBody.
type clientBodyKey struct{}

// Causes of proxy errors, the "cause" label of
// cognito_gate_proxy_errors_total.
const (
	causeUpstream = "upstream" // the upstream could not be reached or failed: 502
	causeClient   = "client"   // the client's request body broke off or was malformed: 400
	causeCanceled = "canceled" // the client went away: nothing answered
)

// proxyError answers a request that could not be forwarded, telling the
// client's failures from the upstream's in the status, the log and the
// metric, so that no client can drive 502s and warnings.
func (g *gate) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	cause := causeUpstream
	cb, _ := r.Context().Value(clientBodyKey{}).(*clientBody)
	switch {
	case r.Context().Err() != nil && errors.Is(err, context.Canceled):
		cause = causeCanceled
	case cb != nil && cb.err != nil:
		cause = causeClient
	}
	g.proxyErrors.WithLabelValues(cause).Inc()
	fields := []zap.Field{zap.String("cause", cause), zap.String("method", r.Method), zap.String("path", msg.Clip(r.URL.Path, maxLoggedPath)), zap.Error(err)}
	switch cause {
	case causeCanceled:
		if ce := g.logger.Check(zap.DebugLevel, "client went away during the upstream request"); ce != nil {
			ce.Write(fields...)
		}
		return
	case causeClient:
		g.logger.Info("client request body failed", fields...)
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request","reason":"bad_request"}`)
		return
	}
	g.logger.Warn("upstream request failed", fields...)
	writeJSON(w, http.StatusBadGateway, `{"error":"bad_gateway","reason":"upstream_unavailable"}`)
}

// maxLoggedPath bounds a request path in a log line.
const maxLoggedPath = 256

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, body+"\n")
}

// credentials knows where tokens travel (the token sources) and removes
// from an upstream request every credential the gate did not verify.
type credentials struct {
	header string // tokens.header, or ""
	cookie string // tokens.cookie, or ""
	query  string // tokens.query, or ""
	// amplify: the cookies of tokens.amplify (amplify.go), or nil.
	amplify *amplifyCookies
	// carriers maps each configured middleware.TokenSource to where it
	// reads its token.
	carriers map[middleware.TokenSource]carrier
	// alb: the load balancer's headers are the credential (tokens.alb).
	alb bool
	// websocket: tokens.websocket_subprotocol is set.
	websocket bool
}

// carrier is one place a token may travel.
type carrier int

const (
	carrierNone carrier = iota
	carrierAuthorization
	carrierHeader
	carrierCookie
	carrierAmplify // Amplify's cookies (tokens.amplify)
	carrierQuery
	carrierWebSocket // the WebSocket subprotocol's token entry
)

// verified returns the carrier of the token the middleware verified for
// in: the source it recorded (middleware.SourceFromContext), never one
// guessed again from the request.
func (c *credentials) verified(in *http.Request) carrier {
	src, ok := middleware.SourceFromContext(in.Context())
	if !ok {
		return carrierNone
	}
	return c.carriers[src]
}

// strip removes credentials from out, the upstream request built from in:
// with no verified token (anonymous routes, CORS preflights) every
// Authorization header and every token source goes, so that a forged token
// never reaches an upstream that might read it; with a verified token, the
// other sources go, and the verified one stays only when forward is set.
// An Authorization header that did not carry the verified token (Basic,
// "Bearer<TAB>x", a bare token) never reaches the upstream. The WebSocket
// subprotocol's token entry never does either: a verified token that came
// there is forwarded as "Authorization: Bearer" instead.
func (c *credentials) strip(in, out *http.Request, verified, forward bool) {
	keep := carrierNone
	if verified && forward {
		keep = c.verified(in)
	}
	if keep != carrierAuthorization {
		out.Header.Del("Authorization")
	}
	if c.header != "" && keep != carrierHeader {
		for name := range out.Header {
			if sameHeader(name, c.header) {
				delete(out.Header, name)
			}
		}
	}
	// Look-alike names (access.token, access%5Ftoken, access_token[])
	// go even beside the verified cookie or parameter: PHP and others read
	// them as the token's name (see paramName).
	switch {
	case c.cookie != "" && keep == carrierCookie:
		filterCookies(out.Header, func(n string) bool { return n != c.cookie && sameParam(n, c.cookie) }, func(n string) bool { return sameParam(n, c.cookie) })
	case c.cookie != "":
		removeCookie(out.Header, c.cookie)
	}
	if c.amplify != nil {
		c.amplify.strip(out.Header, keep == carrierAmplify)
	}
	switch {
	case c.query != "" && keep == carrierQuery:
		out.URL.RawQuery = filterQuery(out.URL.RawQuery, func(k string) bool { return k != c.query && sameParam(k, c.query) })
	case c.query != "":
		out.URL.RawQuery = removeQuery(out.URL.RawQuery, c.query)
	}
	if c.alb {
		stripALB(out.Header, verified && forward)
	}
	if c.websocket {
		stripWebSocketTokens(out.Header)
		if keep == carrierWebSocket {
			forwardWebSocketToken(in, out)
		}
	}
}

// stripALB removes the load balancer's headers (every spelling) from h,
// keeping their canonical spellings only when keep is set: they were
// verified and are to be forwarded.
func stripALB(h http.Header, keep bool) {
	for name := range h {
		for _, a := range albHeaders {
			if sameHeader(name, a) && (!keep || name != http.CanonicalHeaderKey(a)) {
				delete(h, name)
			}
		}
	}
}

// removeCookie removes every cookie named name, in any spelling PHP and
// others read as name (sameParam), from the Cookie headers of h, keeping
// the others as they were.
func removeCookie(h http.Header, name string) {
	same := func(n string) bool { return sameParam(n, name) }
	filterCookies(h, same, same)
}

// filterCookies removes from the Cookie headers of h the cookies whose
// name drop reports, and those that hide in their value (or name) a
// cookie whose name hide reports (cookiepair.Hides: "theme=dark
// access_token=x" is an access_token cookie to Python and Rack 2),
// keeping the others as they were.
func filterCookies(h http.Header, drop, hide func(name string) bool) {
	vals := h.Values("Cookie")
	if len(vals) == 0 {
		return
	}
	var kept []string
	for _, v := range vals {
		for _, part := range strings.Split(v, ";") {
			p := strings.TrimSpace(part)
			n, val, _ := strings.Cut(p, "=")
			// The name as sent too: a PHP-style upstream reads trailing
			// spaces of a name as '_' ("a " is $_COOKIE["a_"]).
			if p == "" || drop(strings.TrimSpace(n)) || drop(n) || cookiepair.Hides(strings.TrimSpace(n), val, hide) {
				continue
			}
			kept = append(kept, p)
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
}

// removeQuery removes every parameter named name, in any spelling PHP and
// others read as name (sameParam), from the raw query q, keeping the
// others byte for byte. A key that does not unescape is removed too: it
// might be read as name.
func removeQuery(q, name string) string {
	return filterQuery(q, func(k string) bool { return sameParam(k, name) })
}

// filterQuery removes from the raw query q the parameters whose raw key
// drop reports, and those whose key does not unescape, keeping the others
// byte for byte.
func filterQuery(q string, drop func(key string) bool) string {
	if q == "" {
		return q
	}
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if _, err := url.QueryUnescape(k); err != nil || drop(k) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// verifiedToken returns the token the middleware verified for the request
// of ctx as the middleware holds it: when the verifier's cache answered,
// the cache's own token, uncopied (see internal/tokenshare). This package
// only reads it — identity headers, the assertion, the watch of upgraded
// connections and event streams — and must never write into it or hand
// it to code that might; claims.FromContext gives a copy.
func verifiedToken(ctx context.Context) (*claims.Token, bool) {
	if t, ok := ctx.Value(tokenshare.ContextKey{}).(*claims.Token); ok && t != nil {
		return t, true
	}
	return claims.FromContext(ctx)
}
