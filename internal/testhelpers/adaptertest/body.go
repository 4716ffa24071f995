package adaptertest

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

// RawExchange sends head (a request's header block, without its body) to
// srv over a new TCP connection and reads until the server closes it. The
// read deadline bounds a failing test; a passing one never waits for it.
func RawExchange(t testing.TB, srv *httptest.Server, head string) (resp *http.Response, rest []byte, err error) {
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

// anyStatus stands for any status in UnsentBody's table.
const anyStatus = -1

// UnsentBody guards finding 10 in the adapter: a request that announced
// a body it never sent (POST, Content-Length: 1000) was denied, but
// net/http first waited to read and discard the body — with no deadline —
// before sending the 401, holding the connection and a goroutine. Denials
// and redirects of requests with a body carry "Connection: close": the
// answer comes at once, then EOF. Whoever answers the denial — the default
// error, the ErrorHandler, Config.ErrorHandler, or the default after an
// ignored one — the connection closes.
func UnsentBody(t *testing.T, a Adapter) {
	e := NewEnv(t)
	reader := e.Pool.AccessToken(cognitotest.WithGroups("readers"))
	base := middleware.Config{Verifier: e.Verifier, Policy: Policy(t)}
	withNetErr := base
	withNetErr.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { http.Error(w, "no", http.StatusTeapot) }
	shared, err := middleware.New(base)
	if err != nil {
		t.Fatal(err)
	}
	specs := map[string]Spec{
		"default":        {Config: base},
		"shared":         {Shared: shared},
		"error handler":  {Config: base, ErrorHandler: func(error) Action { return WriteTeapot }},
		"returned error": {Config: base, ErrorHandler: func(error) Action { return ReturnErr }},
		"ignored":        {Config: base, ErrorHandler: func(error) Action { return ReturnNil }, ContinueOnIgnoredError: true},
		"net/http hook":  {Config: withNetErr},
	}
	servers := map[string]*httptest.Server{}
	for name, spec := range specs {
		if spec.needsEchoHooks() && !a.EchoHooks {
			continue
		}
		srv := httptest.NewServer(build(t, a, spec))
		defer srv.Close()
		servers[name] = srv
	}
	// server returns the server of that name, skipping the test when the
	// adapter has no such configuration.
	server := func(t *testing.T, name string) *httptest.Server {
		srv, ok := servers[name]
		if !ok {
			t.Skipf("%q needs Echo hooks", name)
		}
		return srv
	}
	tests := []struct {
		name       string
		server     string
		head       string
		wantStatus int
	}{
		{"no token", "default", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 401},
		{"bad token", "default", "POST /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\nContent-Length: 1000\r\n\r\n", 401},
		{"policy denial", "default", "POST /admin/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + reader + "\r\nContent-Length: 1000\r\n\r\n", 403},
		{"unreadable token", "default", "POST /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer\tx\r\nContent-Length: 1000\r\n\r\n", 400},
		{"chunked body never sent", "default", "POST /me HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 401},
		{"redirect to the cleaned path", "default", "POST /admin/../public/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 308},
		{"shared middleware", "shared", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 401},
		{"error handler answers", "error handler", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 418},
		// Echo answers the *middleware.Error returned as is with its own
		// status for an error it does not know (500).
		{"error handler returns the error", "returned error", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", anyStatus},
		{"ignored, but a token is needed", "ignored", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 401},
		{"ignored, redirect to the cleaned path", "ignored", "POST /admin/../public/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\nContent-Length: 1000\r\n\r\n", 308},
		{"Config.ErrorHandler answers", "net/http hook", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", 418},
		// A client that does send its body gets its answer and a clean
		// close, not a reset.
		{"body sent", "default", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 401},
		{"large body sent", "default", "POST /me HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 100000), 401},
	}
	t.Run("denials", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel() // each waits for the server's short drain grace
				resp, rest, err := RawExchange(t, server(t, tt.server), tt.head)
				if err != nil {
					t.Fatalf("no full answer and EOF before the body was sent: %v", err)
				}
				if tt.wantStatus != anyStatus && resp.StatusCode != tt.wantStatus || !resp.Close || len(rest) != 0 {
					t.Errorf("status %d, Connection: close %v, %d bytes after the answer; want %d and close", resp.StatusCode, resp.Close, len(rest), tt.wantStatus)
				}
			})
		}
	})

	// An allowed request whose body is read keeps its connection, and so
	// do a denial without a body and a request continued anonymously past
	// an ignored denial.
	for _, c := range []struct{ server, head string }{
		{"default", "POST /public/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"},
		{"ignored", "POST /public/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x.y.z\r\nContent-Length: 5\r\n\r\nhello"},
		{"default", "GET /me HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		srv, ok := servers[c.server]
		if !ok {
			continue // the adapter has no such configuration
		}
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, c.head)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil || resp.Close {
			t.Errorf("%s %q: %v, close %v; want a kept-alive answer", c.server, c.head, err, resp != nil && resp.Close)
		}
	}
}
