package browser

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// page opens a WebSocket to /ws/chat of its own origin with the token of
// its URL's fragment (never sent to a server) in the subprotocol, sends
// "hello" once open and "again" after the first answer, and writes each
// event to the console as "ws <event>", which the test reads.
const page = `<!doctype html>
<title>cognito-gate WebSocket</title>
<script>
const token = location.hash.slice(1);
const b64url = btoa(token).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const ws = new WebSocket("ws://" + location.host + "/ws/chat", ["chat.v1", "%s" + b64url]);
ws.onopen = () => { console.log("ws open " + ws.protocol); ws.send("hello"); };
ws.onmessage = (e) => { console.log("ws message " + e.data); if (e.data === "echo: hello") ws.send("again"); };
ws.onerror = () => console.log("ws error");
ws.onclose = (e) => console.log("ws close " + e.code + " " + e.reason);
</script>
`

// upstream serves the page (/app/) and the WebSocket (/ws/chat): it
// accepts subprotocol chat.v1 only and echoes each text message.
func upstream(t *testing.T, origin string) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, middleware.WebSocketTokenPrefix)
	})
	mux.HandleFunc("GET /ws/chat", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Sec-WebSocket-Protocol"), middleware.WebSocketTokenPrefix) {
			t.Errorf("the upstream received the token entry: %q", r.Header.Get("Sec-WebSocket-Protocol"))
		}
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"chat.v1"}, OriginPatterns: []string{origin}})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, msg, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, append([]byte("echo: "), msg...)); err != nil {
				return
			}
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// gate builds the binary and starts `cognito-gate serve` for pool and the
// upstream on 127.0.0.1, and returns its address.
func gate(t *testing.T, pool *cognitotest.Pool, upstreamURL string, listen int) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "cognito-gate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cognito-gate")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cognito-gate: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf(`listen: 127.0.0.1:%d
admin_listen: 127.0.0.1:0
upstream: %s
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s]
    token_use: access
no_leeway: true
tokens:
  websocket_subprotocol: true
policy:
  default: deny
  rules:
    - name: app
      route: GET /app/
      anonymous: true
    - name: ws
      route: GET /ws/
`, listen, upstreamURL, pool.PoolID(), pool.JWKSURL(), pool.ClientID())
	path := filepath.Join(dir, "gate.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &proctest.Buffer{}
	cmd.Stderr = out
	proctest.Start(t, "cognito-gate", cmd, out)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("cognito-gate exited:\n%s", out.String())
			}
			if addr, ok := strings.CutPrefix(line, "proxy listening on "); ok {
				go func() {
					for range lines {
					}
				}()
				return "http://" + addr
			}
		case <-deadline:
			t.Fatalf("cognito-gate did not start:\n%s", out.String())
		}
	}
}

// TestBrowserWebSocketClosedAtExpiry: a page in headless chromium opens a
// WebSocket through the gate with a token that expires in a few seconds,
// in the subprotocol; the handshake names chat.v1 (never the token), two
// messages go back and forth, and the socket is closed by the gate with
// status 1008 "token expired", not before the token's exp. The wait is
// bounded by a deadline on the close event.
func TestBrowserWebSocketClosedAtExpiry(t *testing.T) {
	chromium := proctest.Tool(t, "chromium", "apt-get install -y chromium", "/usr/bin")
	pool := cognitotest.New(t, cognitotest.Config{})
	port := proctest.FreePort(t)
	origin := fmt.Sprintf("127.0.0.1:%d", port)
	addr := gate(t, pool, upstream(t, origin).URL, port)

	alloc, cancel := chromedp.NewExecAllocator(t.Context(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	tok := pool.AccessToken(cognitotest.WithLifetime(4 * time.Second))
	exp := time.Now().Add(4 * time.Second).Truncate(time.Second)
	// The page's events, until the close event or a deadline well after
	// the token's exp.
	wait, cancelWait := context.WithDeadline(ctx, exp.Add(20*time.Second))
	defer cancelWait()
	messages := chromedp.Console(wait)
	if err := chromedp.Do(ctx, chromedp.Navigate(addr+"/app/#"+tok)); err != nil {
		t.Fatal(err)
	}
	var events []string
	var closedAt time.Time
	for m, err := range messages {
		if err != nil {
			t.Fatalf("the socket was not closed 20 s after the token's exp (%v); events %q", err, events)
		}
		if ev, ok := strings.CutPrefix(m.Text, "ws "); ok {
			events = append(events, ev)
			if strings.HasPrefix(ev, "close ") {
				closedAt = time.Now()
				break
			}
		}
	}
	want := []string{"open chat.v1", "message echo: hello", "message echo: again", "close 1008 token expired"}
	if strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events %q, want %q", events, want)
	}
	if closedAt.Before(exp.Add(-100 * time.Millisecond)) {
		t.Fatalf("closed at %s, before the token's exp %s", closedAt.Format(time.StampMilli), exp.Format(time.StampMilli))
	}
}
