package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestProxyStreamsAndUpgrades checks that the proxy passes a streamed
// response on as it is written, and a protocol upgrade (as WebSocket uses)
// through to the upstream, for authorized requests only.
func TestProxyStreamsAndUpgrades(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/me":
			if r.Header.Get("Upgrade") == "echo" {
				upgradeEcho(t, w, r)
				return
			}
			// A streamed response: the first chunk must reach the client
			// while the upstream is still working.
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			<-release
			io.WriteString(w, "second\n")
		}
	})
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	tok := pool.AccessToken()

	t.Run("streaming", func(t *testing.T) {
		req, _ := http.NewRequest("GET", p.addr["proxy"]+"/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		line, err := br.ReadString('\n')
		if err != nil || line != "first\n" {
			t.Fatalf("first chunk %q, %v", line, err)
		}
		close(release) // only now may the upstream finish
		rest, _ := io.ReadAll(br)
		if string(rest) != "second\n" {
			t.Fatalf("rest %q", rest)
		}
	})

	t.Run("upgrade", func(t *testing.T) {
		for _, tc := range []struct {
			token string
			want  string
		}{{tok, "101"}, {"", "401"}} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(p.addr["proxy"], "http://"))
			if err != nil {
				t.Fatal(err)
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			auth := ""
			if tc.token != "" {
				auth = "Authorization: Bearer " + tc.token + "\r\n"
			}
			fmt.Fprintf(conn, "GET /me HTTP/1.1\r\nHost: gate\r\nConnection: Upgrade\r\nUpgrade: echo\r\n%s\r\n", auth)
			br := bufio.NewReader(conn)
			status, err := br.ReadString('\n')
			if err != nil || !strings.Contains(status, " "+tc.want+" ") {
				t.Fatalf("status line %q (%v), want %s", status, err, tc.want)
			}
			if tc.want == "101" {
				for { // skip the headers
					l, err := br.ReadString('\n')
					if err != nil {
						t.Fatal(err)
					}
					if l == "\r\n" {
						break
					}
				}
				io.WriteString(conn, "ping\n")
				if l, err := br.ReadString('\n'); err != nil || l != "echo: ping\n" {
					t.Fatalf("over the upgraded connection: %q, %v", l, err)
				}
			}
			conn.Close()
		}
	})
}

// upgradeEcho switches to a line echo protocol.
func upgradeEcho(t *testing.T, w http.ResponseWriter, r *http.Request) {
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	io.WriteString(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	brw.Flush()
	line, err := brw.ReadString('\n')
	if err != nil {
		return
	}
	io.WriteString(brw, "echo: "+line)
	brw.Flush()
}
