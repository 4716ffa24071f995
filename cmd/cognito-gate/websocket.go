package main

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/net/http/httpguts"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// This file holds what the proxy does to upgraded connections (WebSockets
// and any other protocol an upstream switches to with 101): the token
// entry of the WebSocket subprotocol never reaches the upstream nor comes
// back, and a connection opened with a token is closed when the token
// would no longer be accepted.

// websocketConfig is the websocket section of the configuration file.
type websocketConfig struct {
	// RecheckInterval is how often the token of an upgraded connection is
	// verified again (see sockets.recheck).
	RecheckInterval time.Duration `yaml:"recheck_interval"`
}

// The bounds and default of websocket.recheck_interval.
const (
	defaultRecheckInterval = time.Minute
	minRecheckInterval     = time.Second
	maxRecheckInterval     = time.Hour
)

// websocketSettings checks the websocket section and sets its default.
func (v *validator) websocketSettings() {
	ws := &v.fc.WebSocket
	switch d := ws.RecheckInterval; {
	case d == 0:
		ws.RecheckInterval = defaultRecheckInterval
	case d < minRecheckInterval || d > maxRecheckInterval:
		v.bad("websocket.recheck_interval", "want %s to %s, got %s", minRecheckInterval, maxRecheckInterval, d)
	}
}

// Causes of closed upgraded connections, the "cause" label of
// cognito_gate_websocket_closed_total.
const (
	closeExpired  = "token_expired"  // the token's exp (plus the leeway) passed
	closeRevoked  = "revoked"        // the deny list refuses the token now
	closeRejected = "token_rejected" // verification refuses it now for another reason (its key was retired, say)
)

// sockets watches the upgraded connections of the proxy.
type sockets struct {
	now     func() time.Time // the verifier's clock
	leeway  time.Duration    // the verifier's leeway
	recheck time.Duration    // websocket.recheck_interval
	// verify verifies a token again; nil when the token's source is not
	// one the gate can read again (the load balancer's headers).
	verify  func(ctx context.Context, raw string) error
	sources map[middleware.TokenSource]carrier // the sources whose tokens verify reads
	closed  *prometheus.CounterVec
	logger  *zap.Logger
}

// newSockets builds the gate's sockets: its clock and leeway are the
// verifier's, and its counter is registered once (proxyHandler may be
// built more than once for one gate).
func (g *gate) newSockets() *sockets {
	s := &sockets{
		now: g.cfg.claims.Now, leeway: g.cfg.claims.Leeway, recheck: g.cfg.raw.WebSocket.RecheckInterval,
		sources: g.cfg.credentials.carriers, logger: g.logger.Named("websocket"),
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch s.leeway {
	case 0:
		s.leeway = claims.DefaultLeeway
	case claims.NoLeeway:
		s.leeway = 0
	}
	if s.recheck == 0 {
		s.recheck = defaultRecheckInterval
	}
	if g.verifier != nil {
		s.verify = func(ctx context.Context, raw string) error {
			_, err := g.verifier.Verify(ctx, raw)
			return err
		}
	}
	s.closed = socketsClosed(g.reg)
	return s
}

// socketsClosed returns cognito_gate_websocket_closed_total, registered
// on reg once, with a series for each cause.
func socketsClosed(reg *prometheus.Registry) *prometheus.CounterVec {
	closed := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: middleware.Namespace, Subsystem: "websocket", Name: "closed_total",
		Help: "Upgraded connections (WebSockets) and event streams (text/event-stream answers) the proxy closed because their token would no longer be accepted, by cause: token_expired (exp plus the leeway passed), revoked (the deny list refuses it), token_rejected (verification refuses it for another reason).",
	}, []string{"cause"})
	if err := reg.Register(closed); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			panic(err) // not expected: the name is the gate's own
		}
		closed = are.ExistingCollector.(*prometheus.CounterVec)
	}
	for _, c := range []string{closeExpired, closeRevoked, closeRejected} {
		closed.WithLabelValues(c)
	}
	return closed
}

// watchKey is the context key of an upgrade request's *socketWatch.
type watchKey struct{}

// socketWatch is what the proxy knows of an upgrade request with a
// verified token, from the middleware's admission to the upstream's 101.
type socketWatch struct {
	deadline time.Time // when the token stops being accepted
	raw      string    // the token, for rechecks; "" when it cannot be read again
	path     string    // for the log
	sub      string
}

// watch wraps next, the proxy, for requests the middleware allowed: an
// upgrade request with a verified token is marked for modifyResponse,
// which watches the connection once the upstream switched protocols.
func (s *sockets) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := verifiedToken(r.Context())
		if !ok || upgradeType(r.Header) == "" {
			next.ServeHTTP(w, r)
			return
		}
		sw := &socketWatch{deadline: tok.Expiry.Add(s.leeway), path: msg.Clip(r.URL.Path, maxLoggedPath), sub: tok.Subject}
		if src, ok := middleware.SourceFromContext(r.Context()); ok && s.verify != nil && s.sources[src] != carrierNone {
			sw.raw, _ = src.Token(r)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), watchKey{}, sw)))
	})
}

// upgradeType is the protocol a request or response upgrades to, as
// httputil.ReverseProxy reads it: the Upgrade header when Connection lists
// "upgrade", else "".
func upgradeType(h http.Header) string {
	if !httpguts.HeaderValuesContainsToken(h["Connection"], "upgrade") {
		return ""
	}
	return h.Get("Upgrade")
}

// errTokenEntryAnswered refuses a handshake answer that names the token
// entry as its subprotocol.
var errTokenEntryAnswered = errors.New("the upstream answered the WebSocket handshake with the token entry as its subprotocol")

// modifyResponse is the proxy's ModifyResponse. For a 101 (Switching
// Protocols) answer it refuses one whose Sec-WebSocket-Protocol holds the
// token prefix (502: the token must never go back to the client, whose
// handshake would name it), and, when the request was marked by watch,
// puts the upgraded connection under watch. Any other answer may be an
// event stream (watchStream).
func (s *sockets) modifyResponse(res *http.Response) error {
	if res.StatusCode != http.StatusSwitchingProtocols {
		s.watchStream(res)
		return nil
	}
	for name, vals := range res.Header {
		if !sameHeader(name, "Sec-WebSocket-Protocol") {
			continue
		}
		for _, v := range vals {
			if strings.Contains(strings.ToLower(v), strings.ToLower(middleware.WebSocketTokenPrefix)) {
				return errTokenEntryAnswered
			}
		}
	}
	sw, _ := res.Request.Context().Value(watchKey{}).(*socketWatch)
	if sw == nil {
		return nil
	}
	rwc, ok := res.Body.(io.ReadWriteCloser)
	if !ok {
		return nil // the proxy refuses such an answer itself
	}
	res.Body = s.start(res.Request.Context(), sw, rwc, httpguts.HeaderValuesContainsToken(res.Header["Upgrade"], "websocket"))
	return nil
}

// eventStream is the media type of Server-Sent Events.
const eventStream = "text/event-stream"

// watchStream puts an event stream (a text/event-stream answer, which
// the proxy flushes as it comes and which may last for hours) to a request
// with a verified token under the watch of an upgraded connection: ended
// at the token's deadline, and at a recheck that refuses it (when the
// token can be read again from the request sent upstream). The client's
// connection is then cut, and its EventSource reconnects with whatever
// token it has now. Other answers end on their own.
func (s *sockets) watchStream(res *http.Response) {
	// Any of the answer's Content-Type values (a browser reads the last,
	// the proxy's flushing the first), parameters after ';', ' ' or tab.
	if !slices.ContainsFunc(res.Header["Content-Type"], isEventStream) {
		return
	}
	ctx := res.Request.Context()
	tok, ok := verifiedToken(ctx)
	if !ok {
		return
	}
	sw := &socketWatch{deadline: tok.Expiry.Add(s.leeway), path: msg.Clip(res.Request.URL.Path, maxLoggedPath), sub: tok.Subject}
	if src, ok := middleware.SourceFromContext(ctx); ok && s.verify != nil && s.sources[src] != carrierNone {
		sw.raw, _ = src.Token(res.Request)
	}
	res.Body = s.start(ctx, sw, streamBody{res.Body}, false)
}

// isEventStream reports whether the Content-Type value ct is
// text/event-stream, in any case, with or without parameters.
func isEventStream(ct string) bool {
	ct = strings.TrimLeft(ct, " \t")
	if len(ct) < len(eventStream) || !strings.EqualFold(ct[:len(eventStream)], eventStream) {
		return false
	}
	rest := ct[len(eventStream):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// streamBody is a response body as the watch of an upgraded connection
// takes it; nothing writes to it.
type streamBody struct{ io.ReadCloser }

func (streamBody) Write([]byte) (int, error) {
	return 0, errors.New("a response body is not written to")
}

// start watches the upgraded connection rwc (the upstream's side, which
// the proxy copies to and from the client): at sw's deadline, by the
// verifier's clock, it is closed, and so is it when a recheck finds the
// token refused. Closing it ends the proxy's copying, which then closes
// the client's connection too. For a WebSocket, the client is first sent
// a Close frame (status 1008, policy violation, with the cause as its
// reason) when the upstream's stream is between frames, so that a browser
// sees a close event with that code rather than an abnormal closure.
func (s *sockets) start(ctx context.Context, sw *socketWatch, rwc io.ReadWriteCloser, websocket bool) *watchedConn {
	c := &watchedConn{rwc: rwc, s: s, sw: sw, ctx: ctx, websocket: websocket}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expiry = time.AfterFunc(sw.deadline.Sub(s.now()), func() { c.end(closeExpired) })
	if sw.raw != "" {
		c.rechecker = time.AfterFunc(s.recheck, c.recheck)
	}
	return c
}

// watchedConn is an upgraded connection under watch. Read is called by
// one goroutine (the proxy's copy to the client), Write by another.
type watchedConn struct {
	rwc       io.ReadWriteCloser
	s         *sockets
	sw        *socketWatch
	ctx       context.Context // the request's, for rechecks
	websocket bool

	frames frames // the upstream's stream, read by Read only

	mu        sync.Mutex
	cause     string      // why the gate closed it, "" while open
	closed    bool        // Close was called
	expiry    *time.Timer // fires at the deadline
	rechecker *time.Timer // fires at each recheck; nil without rechecks
	closing   []byte      // what is left to send of the Close frame
	sent      bool        // the Close frame was queued
}

// errClosedByGate ends the proxy's copy to the client once the gate has
// closed the connection (and sent its Close frame): an error other than
// io.EOF makes the proxy close the client's connection at once instead of
// waiting for the client to close its side.
var errClosedByGate = errors.New("upgraded connection closed by the gate")

func (c *watchedConn) Read(p []byte) (int, error) {
	if n, err, done := c.readClosing(p); done {
		return n, err
	}
	n, err := c.rwc.Read(p)
	c.frames.advance(p[:n])
	if err != nil && c.ending() {
		// The gate closed the upstream's side under this Read: what
		// came before goes on, then the Close frame.
		if n > 0 {
			return n, nil
		}
		n, err, _ = c.readClosing(p)
	}
	return n, err
}

// ending reports whether the gate has closed the connection.
func (c *watchedConn) ending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause != ""
}

// readClosing is Read once the gate has closed the connection: the rest
// of the Close frame, then errClosedByGate. done is false while the
// connection is open.
func (c *watchedConn) readClosing(p []byte) (n int, err error, done bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == "" {
		return 0, nil, false
	}
	if !c.sent {
		c.sent = true
		if c.websocket && c.frames.between() && !c.frames.closeSeen {
			c.closing = closeFrame(1008, closeReasons[c.cause])
		}
	}
	if len(c.closing) > 0 {
		n = copy(p, c.closing)
		c.closing = c.closing[n:]
		return n, nil, true
	}
	return 0, errClosedByGate, true
}

func (c *watchedConn) Write(p []byte) (int, error) { return c.rwc.Write(p) }

// Close stops the watch and closes the connection; the proxy calls it when
// either side ends.
func (c *watchedConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.stopLocked()
	c.mu.Unlock()
	return c.rwc.Close()
}

func (c *watchedConn) stopLocked() {
	c.expiry.Stop()
	if c.rechecker != nil {
		c.rechecker.Stop()
	}
}

// end closes the connection for cause, once, unless it is closed already,
// counting and logging it.
func (c *watchedConn) end(cause string) {
	c.mu.Lock()
	if c.cause != "" || c.closed {
		c.mu.Unlock()
		return
	}
	c.cause = cause
	c.stopLocked()
	c.mu.Unlock()
	c.s.closed.WithLabelValues(cause).Inc()
	c.s.logger.Info("closing an upgraded connection or event stream: its token is no longer accepted",
		zap.String("cause", cause), zap.String("path", c.sw.path), zap.String("sub", c.sw.sub))
	// The proxy's Read returns (the Close frame, then errClosedByGate);
	// its Write fails.
	_ = c.rwc.Close()
}

// recheck verifies the token again: a token the verifier now refuses ends
// the connection (revoked, or token_rejected for another reason); one it
// cannot check (keys unavailable) keeps it open until the next recheck.
func (c *watchedConn) recheck() {
	err := c.s.verify(c.ctx, c.sw.raw)
	switch reason := claims.ReasonOf(err); {
	case err == nil, c.ctx.Err() != nil,
		reason == claims.ReasonJWKSUnavailable, reason == claims.ReasonInternal, reason == claims.ReasonCanceled:
	case reason == claims.ReasonRevoked:
		c.end(closeRevoked)
		return
	case reason == claims.ReasonExpired:
		c.end(closeExpired)
		return
	default:
		c.end(closeRejected)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == "" && !c.closed {
		c.rechecker.Reset(c.s.recheck)
	}
}

// closeReasons are the reasons of the gate's Close frames, by cause.
var closeReasons = map[string]string{
	closeExpired:  "token expired",
	closeRevoked:  "token revoked",
	closeRejected: "token no longer valid",
}

// closeFrame is an unmasked WebSocket Close frame (RFC 6455 section 5.5.1)
// with status code and reason (at most 123 bytes).
func closeFrame(code uint16, reason string) []byte {
	f := []byte{0x88, byte(2 + len(reason)), byte(code >> 8), byte(code)}
	return append(f, reason...)
}

// frames follows the frame boundaries of a WebSocket stream (RFC 6455
// section 5.2), so that the gate's Close frame goes between two frames,
// never into one. It reads only the headers; payloads are skipped.
type frames struct {
	hdr       [14]byte
	n         int    // header bytes seen of the current frame
	ext       int    // bytes of extended payload length: 0, 2 or 8
	need      int    // the header's length, known from its second byte
	left      uint64 // payload bytes left of the current frame
	closeSeen bool   // the upstream sent a Close frame
}

// advance takes in the next bytes of the stream.
func (f *frames) advance(b []byte) {
	for len(b) > 0 {
		if f.left > 0 {
			k := min(uint64(len(b)), f.left)
			f.left -= k
			b = b[k:]
			continue
		}
		f.hdr[f.n] = b[0]
		f.n++
		b = b[1:]
		if f.n == 2 {
			switch f.hdr[1] & 0x7f {
			case 126:
				f.ext = 2
			case 127:
				f.ext = 8
			default:
				f.ext = 0
			}
			f.need = 2 + f.ext
			if f.hdr[1]&0x80 != 0 {
				f.need += 4 // a masking key
			}
		}
		if f.n < 2 || f.n < f.need {
			continue
		}
		// The payload length: 7 bits, or the 16 or 64 bits after them
		// in network byte order.
		f.left = uint64(f.hdr[1] & 0x7f)
		if f.ext > 0 {
			f.left = 0
			for _, c := range f.hdr[2 : 2+f.ext] {
				f.left = f.left<<8 | uint64(c)
			}
		}
		if f.hdr[0]&0x0f == 0x8 {
			f.closeSeen = true
		}
		f.n = 0
	}
}

// between reports whether the stream is between two frames.
func (f *frames) between() bool { return f.n == 0 && f.left == 0 }

// stripWebSocketTokens removes from h, a request's header, every entry of
// every spelling of Sec-WebSocket-Protocol that holds the token prefix in
// any case, keeping the other entries in their order; a header left with
// no entry goes. The token entry is the gate's to read, never the
// upstream's, verified or not.
func stripWebSocketTokens(h http.Header) {
	prefix := strings.ToLower(middleware.WebSocketTokenPrefix)
	for name, vals := range h {
		if !sameHeader(name, "Sec-WebSocket-Protocol") {
			continue
		}
		var kept []string
		for _, v := range vals {
			if !strings.Contains(strings.ToLower(v), prefix) {
				kept = append(kept, v)
				continue
			}
			var entries []string
			for e := range strings.SplitSeq(v, ",") {
				if e = strings.Trim(e, " \t"); e != "" && !strings.Contains(strings.ToLower(e), prefix) {
					entries = append(entries, e)
				}
			}
			if len(entries) > 0 {
				kept = append(kept, strings.Join(entries, ", "))
			}
		}
		if len(kept) == 0 {
			delete(h, name)
		} else {
			h[name] = kept
		}
	}
}

// forwardWebSocketToken sets, on out, the verified token of in's
// WebSocket subprotocol as "Authorization: Bearer", the carrier upstreams
// read (with forward_authorization): the subprotocol entry itself never
// reaches them. A token that cannot be read again is not forwarded.
func forwardWebSocketToken(in, out *http.Request) {
	src, ok := middleware.SourceFromContext(in.Context())
	if !ok {
		return
	}
	if tok, err := src.Token(in); err == nil && tok != "" {
		out.Header.Set("Authorization", "Bearer "+tok)
	}
}
