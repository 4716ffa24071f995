package middleware_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// rawExchange sends head (a request's header block, without its body) to
// srv over a new TCP connection and reads until the server closes it. The
// read deadline bounds a failing test; a passing one never waits for it.
func rawExchange(t *testing.T, srv *httptest.Server, head string) (resp *http.Response, rest []byte, err error) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, err
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	rest, err = io.ReadAll(br) // nil error at EOF: the server closed the connection
	return resp, rest, err
}

// TestDenialWithUnsentBodyIsAnsweredAtOnce guards finding 10: a request
// that announced a body it never sent (POST, Content-Length: 1000) was
// denied, but net/http first waited to read and discard the body — with no
// deadline — before sending the 401, holding the connection and a
// goroutine. Denials and redirects of requests with a body now carry
// "Connection: close": the answer comes at once, then EOF. (The Echo
// adapters run the same test: adaptertest.UnsentBody.)
func TestDenialWithUnsentBodyIsAnsweredAtOnce(t *testing.T) {
	e := newEnv(t)
	reader := e.pool.AccessToken(cognitotest.WithGroups("readers"))
	m, err := middleware.New(middleware.Config{Verifier: e.v, Policy: testPolicy(t)})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := middleware.New(middleware.Config{Verifier: e.v, Policy: testPolicy(t),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { http.Error(w, "no", http.StatusTeapot) }})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	servers := map[string]*httptest.Server{
		"net/http":      httptest.NewServer(m.Handler(ok)),
		"error handler": httptest.NewServer(custom.Handler(ok)),
	}
	for _, srv := range servers {
		defer srv.Close()
	}
	tests := []struct {
		name       string
		server     string
		head       string
		wantStatus int
	}{
		{"no token", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 401},
		{"bad token", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\nContent-Length: 1000\r\n\r\n", 401},
		{"policy denial", "net/http", "POST /admin/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + reader + "\r\nContent-Length: 1000\r\n\r\n", 403},
		{"unreadable token", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\tx\r\nContent-Length: 1000\r\n\r\n", 400},
		{"chunked body never sent", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 401},
		{"redirect to the cleaned path", "net/http", "POST /admin/../public/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 308},
		{"custom error handler", "error handler", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 418},
		// A client that does send its body gets its answer and a clean
		// close, not a reset.
		{"body sent", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 401},
		{"large body sent", "net/http", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000), 401},
	}
	t.Run("denials", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel() // each waits for the server's short drain grace
				resp, rest, err := rawExchange(t, servers[tt.server], tt.head)
				if err != nil {
					t.Fatalf("no full answer and EOF before the body was sent: %v", err)
				}
				if resp.StatusCode != tt.wantStatus || !resp.Close || len(rest) != 0 {
					t.Errorf("status %d, Connection: close %v, %d bytes after the answer; want %d and close", resp.StatusCode, resp.Close, len(rest), tt.wantStatus)
				}
			})
		}
	})

	// An allowed request whose body is read keeps its connection, and a
	// denial without a body does not close it either.
	for _, head := range []string{
		"POST /public/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"GET /me HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", servers["net/http"].Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, head)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil || resp.Close {
			t.Errorf("%q: %v, close %v; want a kept-alive answer", head, err, resp != nil && resp.Close)
		}
	}
}
