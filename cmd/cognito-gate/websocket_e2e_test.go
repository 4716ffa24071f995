package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

const wsPolicy = `default: deny
rules:
  - name: ws
    route: GET /ws/
`

// wsConfig is the extra configuration of the WebSocket tests: the
// subprotocol source, no leeway (a socket closes at exp itself).
const wsConfig = "no_leeway: true\ntokens:\n  websocket_subprotocol: true\n"

// TestWebSocketThroughProxy opens WebSockets through the real binary with
// the token in the subprotocol (as browsers must) and in Authorization:
// the upstream never sees the token entry and answers with the
// application's subprotocol, messages go both ways, and each socket is
// closed, with a Close frame 1008 "token expired", when its token expires
// — counted in cognito_gate_websocket_closed_total. The wait is bounded by
// a deadline on the close, never a fixed sleep.
func TestWebSocketThroughProxy(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newWSUpstream(t, firstOffered)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, wsPolicy, wsConfig))

	// A token that expires in a few seconds (exp is whole seconds), its
	// exp set here: computed beside the pool's own clock read, a second
	// boundary between the two moved it by a second.
	exp := time.Now().Add(3 * time.Second).Truncate(time.Second)
	tok := pool.AccessToken(cognitotest.WithExpiry(exp))

	viaProtocol := dialWS(t, p.addr["proxy"], "/ws/chat", http.Header{"Sec-Websocket-Protocol": {"chat.v1, " + wsTokenEntry(tok)}})
	if viaProtocol.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", viaProtocol.resp.Status)
	}
	if got := viaProtocol.resp.Header.Values("Sec-Websocket-Protocol"); !slices.Equal(got, []string{"chat.v1"}) {
		t.Fatalf("the answer names subprotocol %q, want chat.v1", got)
	}
	seen := up.last(t).Header
	if !slices.Equal(seen.Values("Sec-WebSocket-Protocol"), []string{"chat.v1"}) || !slices.Equal(seen.Values("Authorization"), []string{"Bearer " + tok}) {
		t.Fatalf("the upstream saw Sec-WebSocket-Protocol %q and Authorization %q; want chat.v1 and the verified token", seen.Values("Sec-WebSocket-Protocol"), seen.Values("Authorization"))
	}
	viaHeader := dialWS(t, p.addr["proxy"], "/ws/chat", http.Header{"Authorization": {"Bearer " + tok}, "Sec-Websocket-Protocol": {"chat.v1"}})
	if viaHeader.resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake with Authorization: %s", viaHeader.resp.Status)
	}

	var wg sync.WaitGroup
	for name, c := range map[string]*wsClient{"subprotocol": viaProtocol, "authorization": viaHeader} {
		wg.Go(func() {
			if got := c.roundTrip(t, "hello "+name); got != "echo: hello "+name {
				t.Errorf("%s: answer %q", name, got)
				return
			}
			c.conn.SetReadDeadline(exp.Add(15 * time.Second))
			f, err := readWSFrame(c.br)
			closedAt := time.Now()
			if err != nil {
				t.Errorf("%s: no Close frame: %v", name, err)
				return
			}
			if f.op != 8 || len(f.payload) < 2 || int(f.payload[0])<<8|int(f.payload[1]) != 1008 || string(f.payload[2:]) != "token expired" {
				t.Errorf("%s: frame op %d payload %q, want Close 1008 \"token expired\"", name, f.op, f.payload)
			}
			if closedAt.Before(exp.Add(-100 * time.Millisecond)) {
				t.Errorf("%s: closed at %s, before the token's exp %s", name, closedAt.Format(time.StampMilli), exp.Format(time.StampMilli))
			}
			if _, err := c.br.ReadByte(); err == nil {
				t.Errorf("%s: the connection stays open after the Close frame", name)
			}
		})
	}
	wg.Wait()
	if n := metric(t, p, `cognito_gate_websocket_closed_total{cause="token_expired"}`); n != 2 {
		t.Fatalf("cognito_gate_websocket_closed_total{cause=\"token_expired\"} = %v, want 2", n)
	}
}

// TestWebSocketHandshakeRefusals: what the gate refuses before the
// upstream sees a WebSocket handshake, and the answer it refuses to pass
// back (an upstream naming the token entry, which a client would see in
// its handshake).
func TestWebSocketHandshakeRefusals(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newWSUpstream(t, func(offered string) string {
		if strings.Contains(offered, "evil") {
			return middleware.WebSocketTokenPrefix + "eA"
		}
		return firstOffered(offered)
	})
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, wsPolicy, wsConfig))
	tok := pool.AccessToken()
	entry := wsTokenEntry(tok)
	tests := []struct {
		name     string
		path     string
		header   http.Header
		want     int
		upstream bool // the request reaches the upstream
	}{
		{name: "valid", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {"chat.v1, " + entry}}, want: 101, upstream: true},
		{name: "no token", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {"chat.v1"}}, want: 401},
		{name: "forged token", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {"chat.v1, " + wsTokenEntry("a.b.c")}}, want: 401},
		{name: "two token entries", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {entry + ", " + entry}}, want: 400},
		{name: "header repeated", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {"chat.v1", entry}}, want: 400},
		{name: "raw token after the prefix", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {middleware.WebSocketTokenPrefix + tok}}, want: 400},
		{name: "not a WebSocket handshake", path: "/ws/chat", header: http.Header{"Upgrade": {"foo"}, "Connection": {"Upgrade"}, "Sec-Websocket-Protocol": {entry}}, want: 400},
		{name: "the upstream answers with the token entry", path: "/ws/chat", header: http.Header{"Sec-Websocket-Protocol": {"evil, " + entry}}, want: 502, upstream: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			c := dialWS(t, p.addr["proxy"], tc.path, tc.header)
			if c.resp.StatusCode != tc.want {
				t.Fatalf("status %s, want %d", c.resp.Status, tc.want)
			}
			if got := up.count() > before; got != tc.upstream {
				t.Fatalf("reached the upstream: %v, want %v", got, tc.upstream)
			}
			for _, v := range c.resp.Header.Values("Sec-Websocket-Protocol") {
				if strings.Contains(v, middleware.WebSocketTokenPrefix) {
					t.Fatalf("the answer names the token entry: %q", v)
				}
			}
			if tc.upstream {
				for _, v := range up.last(t).Header.Values("Sec-WebSocket-Protocol") {
					if strings.Contains(v, middleware.WebSocketTokenPrefix) {
						t.Fatalf("the upstream saw the token entry: %q", v)
					}
				}
			}
			if tc.want == 401 && !strings.HasPrefix(c.resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Fatalf("401 without a challenge: %v", c.resp.Header)
			}
			if tc.want != 101 {
				io.Copy(io.Discard, c.resp.Body)
			}
		})
	}
}

// TestWebSocketTokenNotForwarded: with forward_authorization off, the
// upstream of a socket opened with the subprotocol token sees neither the
// token entry nor an Authorization header.
func TestWebSocketTokenNotForwarded(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newWSUpstream(t, firstOffered)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, wsPolicy, wsConfig+"forward_authorization: false\n"))
	c := dialWS(t, p.addr["proxy"], "/ws/chat", http.Header{"Sec-Websocket-Protocol": {wsTokenEntry(pool.AccessToken()) + ", chat.v2"}})
	if c.resp.StatusCode != 101 || c.resp.Header.Get("Sec-Websocket-Protocol") != "chat.v2" {
		t.Fatalf("handshake: %s, subprotocol %q", c.resp.Status, c.resp.Header.Get("Sec-Websocket-Protocol"))
	}
	if seen := up.last(t).Header; !slices.Equal(seen.Values("Sec-WebSocket-Protocol"), []string{"chat.v2"}) || len(seen.Values("Authorization")) != 0 {
		t.Fatalf("the upstream saw Sec-WebSocket-Protocol %q and Authorization %q", seen.Values("Sec-WebSocket-Protocol"), seen.Values("Authorization"))
	}
	if got := c.roundTrip(t, "hi"); got != "echo: hi" {
		t.Fatalf("answer %q", got)
	}
}

// TestWebSocketClosedWhenRevoked: a socket whose user is put on the deny
// list after it opened (a line added to revocation.file) is closed at the
// next recheck, 1008 "token revoked", long before its token expires, and
// counted with cause revoked. The wait is bounded by a deadline on the
// close.
func TestWebSocketClosedWhenRevoked(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newWSUpstream(t, firstOffered)
	denyFile := filepath.Join(t.TempDir(), "revoked.jsonl")
	if err := os.WriteFile(denyFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	extra := wsConfig + fmt.Sprintf("websocket:\n  recheck_interval: 1s\nrevocation:\n  file: %s\n  poll_interval: 100ms\n", denyFile)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", writeConfig(t, pool, up.URL, wsPolicy, extra))
	tok := pool.AccessToken(cognitotest.WithSubject("5f0c2b9e-0d1c-4a55-9a70-1f2e3d4c5b6a"))
	c := dialWS(t, p.addr["proxy"], "/ws/chat", http.Header{"Sec-Websocket-Protocol": {"chat.v1, " + wsTokenEntry(tok)}})
	if c.resp.StatusCode != 101 {
		t.Fatalf("handshake: %s", c.resp.Status)
	}
	if got := c.roundTrip(t, "before"); got != "echo: before" {
		t.Fatalf("answer %q", got)
	}
	line := fmt.Sprintf(`{"sub":"5f0c2b9e-0d1c-4a55-9a70-1f2e3d4c5b6a","expires":"%s"}`+"\n", time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339))
	if err := os.WriteFile(denyFile, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	f, err := readWSFrame(c.br)
	if err != nil {
		t.Fatalf("no Close frame after the revocation: %v", err)
	}
	if f.op != 8 || len(f.payload) < 2 || int(f.payload[0])<<8|int(f.payload[1]) != 1008 || string(f.payload[2:]) != "token revoked" {
		t.Fatalf("frame op %d payload %q, want Close 1008 \"token revoked\"", f.op, f.payload)
	}
	if n := metric(t, p, `cognito_gate_websocket_closed_total{cause="revoked"}`); n != 1 {
		t.Fatalf("cognito_gate_websocket_closed_total{cause=\"revoked\"} = %v, want 1", n)
	}
}
