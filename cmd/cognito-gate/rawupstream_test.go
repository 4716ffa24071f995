package main

import (
	"bufio"
	"io"
	"net"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawUpstream is a test upstream that records each request exactly as it
// arrives on the wire — the request line and every header line in order,
// as sent — so that tests can assert on what reached it, spellings
// included, rather than on what Go's parser makes of it. It answers every
// request "200 upstream ok" and closes the connection.
type rawUpstream struct {
	ln   net.Listener
	addr string // host:port
	mu   sync.Mutex
	reqs []rawRequest
}

// rawRequest is one recorded request.
type rawRequest struct {
	line    string      // e.g. "GET /public/x HTTP/1.1"
	header  [][2]string // name and value, as sent
	trailer [][2]string // trailer fields of a chunked body, as sent
	body    []byte
}

func newRawUpstream(t *testing.T) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &rawUpstream{ln: ln, addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				u.serve(c)
			}()
		}
	}()
	return u
}

// serve reads one request from c, records it and answers.
func (u *rawUpstream) serve(c net.Conn) {
	defer c.Close()
	// A bound on a broken test, not a wait: peers send at once.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	req := rawRequest{line: strings.TrimRight(line, "\r\n")}
	length, chunked := 0, false
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		name, value, _ := strings.Cut(l, ":")
		value = strings.TrimSpace(value)
		req.header = append(req.header, [2]string{name, value})
		switch strings.ToLower(name) {
		case "content-length":
			length, _ = strconv.Atoi(value)
		case "transfer-encoding":
			chunked = strings.Contains(strings.ToLower(value), "chunked")
		}
	}
	var body io.Reader = io.LimitReader(br, int64(length))
	if chunked {
		body = httputil.NewChunkedReader(br)
	}
	req.body, _ = io.ReadAll(io.LimitReader(body, 1<<20))
	if chunked {
		for {
			l, err := br.ReadString('\n')
			if l = strings.TrimRight(l, "\r\n"); err != nil || l == "" {
				break
			}
			name, value, _ := strings.Cut(l, ":")
			req.trailer = append(req.trailer, [2]string{name, strings.TrimSpace(value)})
		}
	}
	u.mu.Lock()
	u.reqs = append(u.reqs, req)
	u.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nupstream ok")
}

// count returns how many requests arrived.
func (u *rawUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// since returns the requests that arrived after the first n.
func (u *rawUpstream) since(n int) []rawRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]rawRequest(nil), u.reqs[n:]...)
}

// values returns the values of every header line whose name is name or a
// spelling an upstream runtime would read as name: the same CGI variable
// (cgi, written independently of the gate's sameHeader, which the tests
// judge).
func (r rawRequest) values(name string) []string {
	var out []string
	for _, h := range r.header {
		if cgi(h[0]) == cgi(name) {
			out = append(out, h[1])
		}
	}
	return out
}

// names returns the header names as sent.
func (r rawRequest) names() []string {
	out := make([]string, len(r.header))
	for i, h := range r.header {
		out[i] = h[0]
	}
	return out
}

// cgi is the CGI/WSGI/PHP variable name of a header (without "HTTP_"):
// upper case, every byte but letters and digits read as '_'. It is the
// tests' oracle for sameHeader.
func cgi(s string) string {
	out := []byte(s)
	for i, c := range out {
		switch {
		case 'a' <= c && c <= 'z':
			out[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			out[i] = '_'
		}
	}
	return string(out)
}

// line returns the request line's target (path and query).
func (r rawRequest) target() string {
	f := strings.Fields(r.line)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}
