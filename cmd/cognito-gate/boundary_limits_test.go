package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// TestBoundaryDeniedBodiesNotAwaited guards finding 10: a denied request
// that promises a body it never sends is answered at once and its
// connection closed, so that a few hundred such clients cannot exhaust a
// gate limited to 256 file descriptors.
func TestBoundaryDeniedBodiesNotAwaited(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, binary, "serve", "--config", cfg)
	p := startCmd(t, []string{"proxy", "admin"}, cmd)
	addr := strings.TrimPrefix(p.addr["proxy"], "http://")

	const clients = 400 // more than the descriptor limit, all at once
	errs := make(chan error, clients)
	for i := range clients {
		// Every fourth one is refused by the gate itself (a bad Host)
		// rather than by the policy.
		host, want := addr, http.StatusUnauthorized
		if i%4 == 3 {
			host, want = "a.example,b.example", http.StatusBadRequest
		}
		go func() { errs <- slowBodyClient(addr, host, want) }()
		if i%100 == 99 {
			// Legitimate requests still get through.
			if resp := get(t, "GET", p.addr["proxy"]+"/public/x", "", nil); resp.StatusCode != http.StatusOK {
				t.Fatalf("after %d slow clients: status %d", i+1, resp.StatusCode)
			}
		}
	}
	for i := range clients {
		if err := <-errs; err != nil {
			t.Errorf("slow client %d: %v", i, err)
		}
	}
	if resp := get(t, "GET", p.addr["proxy"]+"/public/x", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the slow clients: status %d", resp.StatusCode)
	}
	if up.count() == 0 {
		t.Error("no legitimate request reached the upstream")
	}
}

// slowBodyClient promises a body it never sends to a denied route: it must
// get its denial (want) and then see the gate close the connection, without ever
// sending the body or closing its side.
func slowBodyClient(addr, host string, want int) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) // a bound on a broken gate
	fmt.Fprintf(c, "POST /admin/x HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("no answer before its body: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("connection not closed after the denial: %v", err)
	}
	return nil
}

// TestBoundaryProxyErrors guards finding 13: a client's broken body is a
// 400 counted as a client error and logged at info, never a 502 or a
// warning; an upstream failure is a 502 whose log line holds at most 256
// bytes of the path.
func TestBoundaryProxyErrors(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	addr := strings.TrimPrefix(p.addr["proxy"], "http://")

	for _, tc := range []struct{ name, req string }{
		{"bad chunk", "POST /public/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"},
		{"short body", "POST /public/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tc.req)
			c.(*net.TCPConn).CloseWrite() // the client's body ends here
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err == nil && resp.StatusCode == http.StatusBadGateway {
				t.Errorf("a client's broken body answered 502")
			}
		})
	}
	// A client that half-closes after a short body may be seen as gone
	// (its context cancelled) before its body error: either is the
	// client's, neither the upstream's.
	client := metric(t, p, `cognito_gate_proxy_errors_total{cause="client"}`)
	canceled := metric(t, p, `cognito_gate_proxy_errors_total{cause="canceled"}`)
	if client < 1 || client+canceled != 2 {
		t.Errorf("client errors counted %v and canceled %v, want 2 in all, the bad chunk a client error", client, canceled)
	}
	if got := metric(t, p, `cognito_gate_proxy_errors_total{cause="upstream"}`); got != 0 {
		t.Errorf("upstream errors counted %v, want 0", got)
	}

	up.Close()
	long := "/public/" + strings.Repeat("a", 60<<10)
	if resp := get(t, "GET", p.addr["proxy"]+long, "", nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("upstream down: %d", resp.StatusCode)
	}
	waitLog(t, p, "upstream request failed")
	for _, line := range strings.Split(p.stderr.String(), "\n") {
		if strings.Contains(line, "upstream request failed") && len(line) > 2048 {
			t.Errorf("upstream failure logged in %d bytes", len(line))
		}
		if strings.Contains(line, "client request body failed") && strings.Contains(line, `"level":"warn"`) {
			t.Errorf("a client error logged as a warning: %s", msg.Clip(line, 200))
		}
	}
	if got := metric(t, p, `cognito_gate_proxy_errors_total{cause="upstream"}`); got != 1 {
		t.Errorf("upstream errors counted %v, want 1", got)
	}
}
