package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// frame is an unmasked WebSocket frame with opcode op and payload p.
func frame(op byte, p []byte) []byte {
	f := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		f = append(f, byte(n))
	case n < 1<<16:
		f = append(f, 126, byte(n>>8), byte(n))
	default:
		f = append(f, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(f, p...)
}

// TestFrames follows frame boundaries through every header form, split at
// every byte.
func TestFrames(t *testing.T) {
	masked := []byte{0x81, 0x83, 1, 2, 3, 4, 'a' ^ 1, 'b' ^ 2, 'c' ^ 3}
	tests := []struct {
		name      string
		stream    []byte
		between   bool
		closeSeen bool
	}{
		{name: "nothing", stream: nil, between: true},
		{name: "a short frame", stream: frame(1, []byte("hello")), between: true},
		{name: "an empty frame", stream: frame(9, nil), between: true},
		{name: "125 bytes", stream: frame(2, make([]byte, 125)), between: true},
		{name: "16-bit length", stream: frame(2, make([]byte, 126)), between: true},
		{name: "16-bit length, 65535", stream: frame(2, make([]byte, 65535)), between: true},
		{name: "64-bit length", stream: frame(2, make([]byte, 65536)), between: true},
		{name: "masked", stream: masked, between: true},
		{name: "three frames", stream: slices.Concat(frame(1, []byte("a")), frame(2, make([]byte, 300)), frame(10, nil)), between: true},
		{name: "the upstream's Close", stream: slices.Concat(frame(1, []byte("a")), frame(8, []byte{3, 232})), between: true, closeSeen: true},
		{name: "one header byte", stream: frame(1, []byte("a"))[:1]},
		{name: "header without its extended length", stream: frame(2, make([]byte, 300))[:3]},
		{name: "header without its masking key", stream: masked[:4]},
		{name: "payload short by one", stream: frame(1, []byte("hello"))[:6]},
		{name: "a frame and part of the next", stream: slices.Concat(frame(1, []byte("a")), frame(1, []byte("bc"))[:3])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{1, 2, 3, 7, len(tc.stream) + 1} {
				var f frames
				for b := tc.stream; len(b) > 0; {
					n := min(chunk, len(b))
					f.advance(b[:n])
					b = b[n:]
				}
				if f.between() != tc.between || f.closeSeen != tc.closeSeen {
					t.Fatalf("chunks of %d: between %v, close seen %v; want %v, %v", chunk, f.between(), f.closeSeen, tc.between, tc.closeSeen)
				}
			}
		})
	}
}

func TestStripWebSocketTokens(t *testing.T) {
	entry := middleware.WebSocketTokenPrefix + "YS5iLmM"
	tests := []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{name: "no header", in: http.Header{"A": {"1"}}, want: http.Header{"A": {"1"}}},
		{name: "application entries untouched", in: http.Header{"Sec-Websocket-Protocol": {"chat.v1,chat.v2"}}, want: http.Header{"Sec-Websocket-Protocol": {"chat.v1,chat.v2"}}},
		{name: "token entry removed", in: http.Header{"Sec-Websocket-Protocol": {"chat.v1, " + entry + ", chat.v2"}}, want: http.Header{"Sec-Websocket-Protocol": {"chat.v1, chat.v2"}}},
		{name: "token entry alone", in: http.Header{"Sec-Websocket-Protocol": {entry}}, want: http.Header{}},
		{name: "every entry with the prefix in any case", in: http.Header{"Sec-Websocket-Protocol": {strings.ToUpper(entry) + ",x-" + entry + ", a"}}, want: http.Header{"Sec-Websocket-Protocol": {"a"}}},
		{name: "repeated header", in: http.Header{"Sec-Websocket-Protocol": {"a", entry, "b, " + entry}}, want: http.Header{"Sec-Websocket-Protocol": {"a", "b"}}},
		{name: "other spellings", in: http.Header{"Sec_websocket_protocol": {entry + ", c"}, "Sec-Websocket.Protocol": {entry}}, want: http.Header{"Sec_websocket_protocol": {"c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stripWebSocketTokens(tc.in)
			if fmtHeader(tc.in) != fmtHeader(tc.want) {
				t.Fatalf("got %v, want %v", tc.in, tc.want)
			}
		})
	}
}

func fmtHeader(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}

// FuzzStripWebSocketTokens: whatever the client sends, no spelling of
// Sec-WebSocket-Protocol reaching the upstream holds the token prefix in
// any case, and the other entries stay, in order.
func FuzzStripWebSocketTokens(f *testing.F) {
	for _, s := range []string{"chat.v1, " + middleware.WebSocketTokenPrefix + "YQ", middleware.WebSocketTokenPrefix, ",,", "a,\tb", strings.ToUpper(middleware.WebSocketTokenPrefix) + "x, y"} {
		f.Add(s, "Sec-WebSocket-Protocol")
		f.Add(s, "sec_websocket_protocol")
	}
	f.Fuzz(func(t *testing.T, v, name string) {
		h := http.Header{name: {v}}
		stripWebSocketTokens(h)
		prefix := strings.ToLower(middleware.WebSocketTokenPrefix)
		for n, vals := range h {
			for _, got := range vals {
				if sameHeader(n, "Sec-WebSocket-Protocol") && strings.Contains(strings.ToLower(got), prefix) {
					t.Fatalf("%s: %q left %q", name, v, got)
				}
			}
		}
		if !sameHeader(name, "Sec-WebSocket-Protocol") || !strings.Contains(strings.ToLower(v), prefix) {
			if len(h[name]) != 1 || h[name][0] != v {
				t.Fatalf("%s: %q changed to %q", name, v, h[name])
			}
			return
		}
		var want []string
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.Trim(e, " \t"); e != "" && !strings.Contains(strings.ToLower(e), prefix) {
				want = append(want, e)
			}
		}
		if got := strings.Join(h[name], ", "); got != strings.Join(want, ", ") {
			t.Fatalf("%q: kept %q, want %q", v, got, want)
		}
	})
}

// testSockets is a sockets whose rechecks ask verify.
func testSockets(reg *prometheus.Registry, verify func(context.Context, string) error) *sockets {
	return &sockets{now: time.Now, leeway: 5 * time.Second, recheck: time.Minute, verify: verify, closed: socketsClosed(reg), logger: zap.NewNop()}
}

// watched starts watching one end of a pipe whose other end, the
// upstream's, it returns; the watch reads the token again when raw is set.
func watched(t *testing.T, s *sockets, deadline time.Time, raw string, websocket bool) (*watchedConn, net.Conn) {
	t.Helper()
	gate, up := net.Pipe()
	c := s.start(t.Context(), &socketWatch{deadline: deadline, raw: raw, path: "/ws", sub: "u"}, gate, websocket)
	t.Cleanup(func() { c.Close(); up.Close() })
	return c, up
}

// readAll reads c as the proxy's copy to the client does, until an error,
// and sends what it read and that error.
func readAll(c io.Reader) <-chan []byte {
	out := make(chan []byte, 1)
	go func() {
		var got bytes.Buffer
		buf := make([]byte, 7) // small reads: frames arrive in pieces
		for {
			n, err := c.Read(buf)
			got.Write(buf[:n])
			if err != nil {
				if !errors.Is(err, errClosedByGate) {
					got.WriteString("|" + err.Error())
				}
				out <- got.Bytes()
				return
			}
		}
	}()
	return out
}

func closedCount(s *sockets, cause string) float64 {
	return testutil.ToFloat64(s.closed.WithLabelValues(cause))
}

// TestWatchedConnExpiry closes connections at the token's deadline, by
// the (fake) clock, with a Close frame between frames, counted once.
func TestWatchedConnExpiry(t *testing.T) {
	hello := frame(1, []byte("hello"))
	expired := closeFrame(1008, "token expired")
	tests := []struct {
		name      string
		websocket bool
		upstream  []byte // written before the deadline
		want      []byte // what the client gets
	}{
		{name: "idle WebSocket", websocket: true, want: expired},
		{name: "after a frame", websocket: true, upstream: hello, want: slices.Concat(hello, expired)},
		{name: "inside a frame: cut, no Close frame", websocket: true, upstream: hello[:4], want: hello[:4]},
		{name: "after the upstream's own Close", websocket: true, upstream: frame(8, []byte{3, 232}), want: frame(8, []byte{3, 232})},
		{name: "another protocol: cut", websocket: false, upstream: []byte("raw bytes"), want: []byte("raw bytes")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := testSockets(prometheus.NewRegistry(), nil)
				c, up := watched(t, s, time.Now().Add(time.Hour), "", tc.websocket)
				got := readAll(c)
				if len(tc.upstream) > 0 {
					if _, err := up.Write(tc.upstream); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Hour - time.Nanosecond) // the fake clock: just before the deadline
				synctest.Wait()
				if n := closedCount(s, closeExpired); n != 0 {
					t.Fatalf("closed before the deadline (%v)", n)
				}
				time.Sleep(time.Nanosecond)
				synctest.Wait()
				if g := <-got; !bytes.Equal(g, tc.want) {
					t.Fatalf("the client got %q, want %q", g, tc.want)
				}
				if _, err := c.Write([]byte("x")); err == nil {
					t.Fatal("the upstream's side still takes writes")
				}
				if n := closedCount(s, closeExpired); n != 1 {
					t.Fatalf("counted %v closes, want 1", n)
				}
			})
		})
	}
}

// TestWatchedConnClosedFirst: a connection that ends before its token is
// not closed again nor counted.
func TestWatchedConnClosedFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := testSockets(prometheus.NewRegistry(), func(context.Context, string) error { return claims.ErrRevoked })
		c, _ := watched(t, s, time.Now().Add(time.Minute), "raw", true)
		c.Close()
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		for _, cause := range []string{closeExpired, closeRevoked, closeRejected} {
			if n := closedCount(s, cause); n != 0 {
				t.Fatalf("%s counted %v", cause, n)
			}
		}
	})
}

// TestWatchedConnRecheck verifies the token again every recheck interval:
// a token the verifier now refuses ends the connection, by cause; one it
// cannot check keeps it open.
func TestWatchedConnRecheck(t *testing.T) {
	tests := []struct {
		name  string
		err   error // what the second recheck returns
		cause string
		want  []byte
	}{
		{name: "revoked", err: claims.ErrRevoked, cause: closeRevoked, want: closeFrame(1008, "token revoked")},
		{name: "key retired", err: claims.ErrUnknownKID, cause: closeRejected, want: closeFrame(1008, "token no longer valid")},
		{name: "expired", err: claims.ErrExpired, cause: closeExpired, want: closeFrame(1008, "token expired")},
		{name: "keys unavailable", err: claims.ErrJWKSUnavailable},
		{name: "still valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var n atomic.Int32
				calls := func() int { return int(n.Load()) }
				s := testSockets(prometheus.NewRegistry(), func(_ context.Context, raw string) error {
					if raw != "the-token" {
						t.Errorf("rechecked %q", raw)
					}
					if n.Add(1) == 2 {
						return tc.err
					}
					return nil
				})
				c, _ := watched(t, s, time.Now().Add(time.Hour), "the-token", true)
				got := readAll(c)
				time.Sleep(2*time.Minute + time.Second)
				synctest.Wait()
				if calls() != 2 {
					t.Fatalf("%d rechecks in 2 intervals", calls())
				}
				if tc.cause == "" {
					select {
					case g := <-got:
						t.Fatalf("closed: %q", g)
					default:
					}
					time.Sleep(time.Minute)
					synctest.Wait()
					if calls() != 3 {
						t.Fatalf("no recheck after the one that could not check (%d)", calls())
					}
					return
				}
				if g := <-got; !bytes.Equal(g, tc.want) {
					t.Fatalf("the client got %q, want %q", g, tc.want)
				}
				if n := closedCount(s, tc.cause); n != 1 {
					t.Fatalf("%s counted %v", tc.cause, n)
				}
				time.Sleep(time.Hour)
				synctest.Wait()
				if calls() != 2 || closedCount(s, closeExpired)+closedCount(s, closeRevoked)+closedCount(s, closeRejected) != 1 {
					t.Fatalf("after the close: %d rechecks, counts changed", calls())
				}
			})
		})
	}
}

// TestModifyResponse: a handshake answer naming the token entry is
// refused (502 by the proxy's error handler), in any spelling and case;
// other answers pass, and only a marked 101 is watched.
func TestModifyResponse(t *testing.T) {
	s := testSockets(prometheus.NewRegistry(), nil)
	req, _ := http.NewRequest("GET", "http://up/ws", nil)
	marked := req.WithContext(context.WithValue(req.Context(), watchKey{}, &socketWatch{deadline: time.Now().Add(time.Hour)}))
	body := func() io.ReadCloser { a, b := net.Pipe(); b.Close(); return a }
	tests := []struct {
		name    string
		res     *http.Response
		wantErr bool
		watched bool
	}{
		{name: "chosen application subprotocol", res: &http.Response{StatusCode: 101, Header: http.Header{"Sec-Websocket-Protocol": {"chat.v1"}}, Request: req, Body: body()}},
		{name: "token entry chosen", res: &http.Response{StatusCode: 101, Header: http.Header{"Sec-Websocket-Protocol": {middleware.WebSocketTokenPrefix + "YQ"}}, Request: req, Body: body()}, wantErr: true},
		{name: "token entry in upper case", res: &http.Response{StatusCode: 101, Header: http.Header{"Sec-Websocket-Protocol": {strings.ToUpper(middleware.WebSocketTokenPrefix)}}, Request: req, Body: body()}, wantErr: true},
		{name: "token entry in another spelling", res: &http.Response{StatusCode: 101, Header: http.Header{"Sec_websocket_protocol": {middleware.WebSocketTokenPrefix + "YQ"}}, Request: req, Body: body()}, wantErr: true},
		{name: "not a 101", res: &http.Response{StatusCode: 200, Header: http.Header{"Sec-Websocket-Protocol": {middleware.WebSocketTokenPrefix}}, Request: req, Body: http.NoBody}},
		{name: "marked 101 is watched", res: &http.Response{StatusCode: 101, Header: http.Header{"Upgrade": {"websocket"}}, Request: marked, Body: body()}, watched: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.modifyResponse(tc.res)
			if (err != nil) != tc.wantErr {
				t.Fatalf("modifyResponse: %v, want error %v", err, tc.wantErr)
			}
			wc, ok := tc.res.Body.(*watchedConn)
			if ok != tc.watched {
				t.Fatalf("body %T, watched %v", tc.res.Body, tc.watched)
			}
			if ok {
				if !wc.websocket {
					t.Fatal("a WebSocket answer not watched as one")
				}
				wc.Close()
			}
		})
	}
}

func TestWebSocketConfig(t *testing.T) {
	tests := []struct {
		name, extra string
		want        string // the error, "" for none
		recheck     time.Duration
	}{
		{name: "defaults", recheck: defaultRecheckInterval},
		{name: "interval", extra: "websocket:\n  recheck_interval: 10s\n", recheck: 10 * time.Second},
		{name: "too short", extra: "websocket:\n  recheck_interval: 10ms\n", want: "gate.yaml:12: websocket.recheck_interval: want 1s to 1h0m0s, got 10ms"},
		{name: "too long", extra: "websocket:\n  recheck_interval: 2h\n", want: "gate.yaml:12: websocket.recheck_interval: want 1s to 1h0m0s"},
		{name: "unknown key", extra: "websocket:\n  recheck: 10s\n", want: "gate.yaml:12: websocket.recheck: unknown key"},
		{name: "not a bool", extra: "tokens:\n  websocket_subprotocol: yes please\n", want: "gate.yaml:12: tokens.websocket_subprotocol: want true or false"},
		{name: "the only token source", extra: "tokens:\n  authorization: false\n  websocket_subprotocol: true\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gc, err := parseConfig([]byte(validConfig+tc.extra), "gate.yaml", nil)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gc.raw.WebSocket.RecheckInterval != tc.recheck && tc.recheck != 0 {
				t.Fatalf("recheck_interval %s, want %s", gc.raw.WebSocket.RecheckInterval, tc.recheck)
			}
		})
	}
	gc, err := parseConfig([]byte(validConfig+"tokens:\n  websocket_subprotocol: true\n  query: access_token\n"), "gate.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range gc.sources {
		names = append(names, s.Name())
	}
	if want := []string{"header Authorization", "query access_token", "websocket subprotocol"}; !slices.Equal(names, want) || !gc.credentials.websocket {
		t.Fatalf("sources %q (websocket %v), want %q", names, gc.credentials.websocket, want)
	}
}

// denyFlag is a claims.Denylist that refuses every token once set.
type denyFlag struct{ on atomic.Bool }

func (d *denyFlag) Revoked(*claims.Token, time.Time) bool { return d.on.Load() }

// TestWatchedConnRevokedByTheVerifier is the attacker's case with the
// real verifier: a socket opened with a token that is revoked afterwards
// (the deny list refuses it from then on, cache hits included) is closed
// at the next recheck, 1008 "token revoked", long before its exp. Time is
// the bubble's; the verifier's clock is shifted to the token's.
func TestWatchedConnRevokedByTheVerifier(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	raw := pool.AccessToken()
	issued := time.Now()
	synctest.Test(t, func(t *testing.T) {
		offset := time.Until(issued)
		now := func() time.Time { return time.Now().Add(offset) }
		deny := &denyFlag{}
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{UserPoolID: pool.PoolID(), Issuer: pool.Issuer(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
			Now:   now, Denylist: deny,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		tok, err := v.Verify(t.Context(), raw)
		if err != nil {
			t.Fatalf("the token does not verify: %v", err)
		}
		s := testSockets(prometheus.NewRegistry(), func(ctx context.Context, raw string) error {
			_, err := v.Verify(ctx, raw)
			return err
		})
		s.now = now
		c, _ := watched(t, s, tok.Expiry.Add(s.leeway), raw, true)
		got := readAll(c)
		time.Sleep(time.Minute + time.Second) // the first recheck: still valid
		synctest.Wait()
		deny.on.Store(true) // revoked
		time.Sleep(time.Minute)
		synctest.Wait()
		if g := <-got; !bytes.Equal(g, closeFrame(1008, "token revoked")) {
			t.Fatalf("the client got %q, want the Close frame", g)
		}
		if n := closedCount(s, closeRevoked); n != 1 {
			t.Fatalf("revoked counted %v", n)
		}
		if now().After(tok.Expiry) {
			t.Fatal("closed only after exp")
		}
	})
}

// TestEventStreamExpiry guards review finding R15: an event stream
// (text/event-stream) opened with a token is cut at the token's deadline,
// by the (fake) clock, as an upgraded connection is; other answers, and
// streams without a token, are left alone.
func TestEventStreamExpiry(t *testing.T) {
	for _, tc := range []struct {
		name, contentType string
		token, watched    bool
	}{
		{"event stream", "text/event-stream", true, true},
		{"event stream with a charset", "Text/Event-Stream; charset=utf-8", true, true},
		{"another type", "application/json", true, false},
		{"a look-alike type", "text/event-streams", true, false},
		{"a tab before the parameters", "text/event-stream\t;charset=utf-8", true, true},
		{"no token (an anonymous route)", "text/event-stream", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := testSockets(prometheus.NewRegistry(), nil)
				ctx := t.Context()
				if tc.token {
					ctx = claims.NewContext(ctx, &claims.Token{Subject: "u", Expiry: time.Now().Add(time.Minute)})
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1/events", nil)
				pr, pw := io.Pipe()
				defer pw.Close()
				res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {tc.contentType}}, Body: pr, Request: req}
				if err := s.modifyResponse(res); err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				got := readAll(res.Body)
				if _, err := pw.Write([]byte("data: 1\n\n")); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Minute + s.leeway + time.Second)
				synctest.Wait()
				select {
				case g := <-got:
					if !tc.watched {
						t.Fatalf("ended (%q) though not watched", g)
					}
					if string(g) != "data: 1\n\n" {
						t.Fatalf("the client got %q", g)
					}
				default:
					if tc.watched {
						t.Fatal("the stream outlived its token")
					}
				}
				if n, want := closedCount(s, closeExpired), map[bool]float64{true: 1}[tc.watched]; n != want {
					t.Fatalf("token_expired counted %v, want %v", n, want)
				}
			})
		})
	}
}
