package main

// Trust-boundary tests of the running binary: what a client can make the
// gate judge, and what reaches the upstream, in serve and forward-auth
// modes. Each test names the finding of docs/security.md it guards.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// boundaryPolicy has a host-restricted vhost, an anonymous area, an admin
// area and per-user data.
const boundaryPolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: internal
    route: internal.example.com/
    groups_any: [admin]
  - name: admin
    route: /admin/
    groups_any: [admin]
  - name: profile
    route: /users/{sub}/
    claims:
      - claim: sub
        equals: "{sub}"
  - name: me
    route: GET /me
`

// rawDo sends request, the whole request head (and body) exactly as given,
// on a fresh connection to addr ("host:port" or "http://host:port"), and
// reads one response.
func rawDo(t *testing.T, addr, request string) hardResponse {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(addr, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second)) // a bound on a broken test
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response to %q: %v", msg.Clip(request, 80), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hardResponse{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// head builds a request head: the request line, Host, Connection: close,
// then the given header lines ("Name: value").
func head(method, target, host string, lines ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, host)
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// metric returns the value of one series on the admin listener's /metrics,
// 0 when absent.
func metric(t *testing.T, p *proc, series string) float64 {
	t.Helper()
	resp, err := http.Get(p.addr["admin"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

const badRequests = `cognito_gate_requests_total{reason="bad_request",result="denied"}`

// identityLookalikes are spellings of identity headers that CGI, WSGI and
// PHP upstreams read as the real ones.
var identityLookalikes = []string{
	"X-Auth-Groups: admin", "X_Auth_Groups: admin", "X-Auth.Groups: admin", "x-auth-groups: admin",
	"X~Auth~Groups: admin", "X-AUTH-SUB: spoofed", "X.Auth.Sub: spoofed", "X_AUTH_USERNAME: spoofed",
	"X-Auth-Issuer: spoofed", "X-Auth-Token_Use: id",
}

// TestBoundaryServeHost guards finding 5: a Host that is not one host name
// or IP literal with at most one port is refused, so that no host rule is
// skipped while the raw value reaches the upstream in X-Forwarded-Host.
func TestBoundaryServeHost(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	admin := pool.AccessToken(cognitotest.WithGroups("admin"))

	for _, host := range []string{
		"www.example.com,internal.example.com", "internal.example.com:1:2", "internal.example.com:",
		"user@internal.example.com", "internal.example.com:99999",
		"internal.example.com%00", "[::1", "-internal.example.com",
	} {
		t.Run(host, func(t *testing.T) {
			before, bad := up.count(), metric(t, p, badRequests)
			resp := rawDo(t, p.addr["proxy"], head("GET", "/public/x", host))
			if resp.status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.status)
			}
			if up.count() != before {
				t.Errorf("the request reached the upstream: %q", up.since(before)[0].header)
			}
			// Go's server refuses some hosts itself (before the gate).
			if resp.header.Get("Www-Authenticate") != "" && metric(t, p, badRequests) != bad+1 {
				t.Errorf("bad_request count %v, want %v", metric(t, p, badRequests), bad+1)
			}
		})
	}
	for _, tc := range []struct {
		host, tok string
		want      int
	}{
		{"internal.example.com", "", 401},
		// Valid names in a non-canonical form: the policy refuses them as
		// it refuses non-canonical paths, 400 non_canonical_path, token or
		// not.
		{"INTERNAL.example.com", "", 400},
		{"internal.example.com.", "", 400},
		{"INTERNAL.example.com", admin, 400},
		{"internal.example.com:8080", admin, 200},
		{"www.example.com", "", 200},
		{"127.0.0.1:8080", "", 200},
		{"[::1]:8080", "", 200},
	} {
		t.Run("valid/"+tc.host, func(t *testing.T) {
			before := up.count()
			var lines []string
			if tc.tok != "" {
				lines = append(lines, "Authorization: Bearer "+tc.tok)
			}
			resp := rawDo(t, p.addr["proxy"], head("GET", "/public/x", tc.host, lines...))
			if resp.status != tc.want {
				t.Fatalf("status %d, want %d", resp.status, tc.want)
			}
			if tc.want != 200 {
				return
			}
			got := up.since(before)[0].values("X-Forwarded-Host")
			if len(got) != 1 || got[0] != tc.host {
				t.Errorf("X-Forwarded-Host = %q, want exactly %q", got, tc.host)
			}
		})
	}
}

// TestBoundaryServeHeaders guards findings 6, 7, 8 and 9: no spelling of
// an identity header, no override header, no client X-Forwarded-* and no
// h2c upgrade reaches the upstream, whatever the identity headers are
// renamed to.
func TestBoundaryServeHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	extra := "identity_headers:\n  groups: \"-\"\n  sub: X-User-Id\n  claims:\n    custom:tenant: X-Tenant\nrequest_headers:\n  keep: [X-Forwarded-Prefix]\n"
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, extra)
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	user := pool.AccessToken(cognitotest.WithSubject("sub-carol"), cognitotest.WithUsername("carol"), cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme"))

	spoof := append([]string{
		"X-User-Id: spoofed", "X_User_Id: spoofed", "X-User.Id: spoofed", "X-Tenant: spoofed", "X_Tenant: spoofed",
		"X-Original-URL: /admin/x", "X_Original_URL: /admin/x", "X-Rewrite-URL: /admin/x", "X-HTTP-Method-Override: DELETE",
		"X-HTTP-Method: DELETE", "X-Method-Override: DELETE", "X-Forwarded-Path: /admin", "X-Original-Host: internal.example.com",
		"X-Host: internal.example.com", "X-Forwarded-Server: internal.example.com", "X-Real-IP: 10.0.0.1", "X-Real.IP: 10.0.0.1",
		"X-Forwarded-For: 10.0.0.1", "X_Forwarded_For: 10.0.0.1", "X-Forwarded-Host: internal.example.com",
		"X-Forwarded-Proto: https", "X-Forwarded-Port: 443", "X-Forwarded-Anything: spoofed", "Forwarded: for=10.0.0.1;host=internal.example.com",
		"X-Original-URI: /admin/x", "X-Original-Method: DELETE", "X-Client-IP: 10.0.0.1", "X_Client_IP: 10.0.0.1",
		"True-Client-IP: 10.0.0.1", "True.Client.IP: 10.0.0.1", "X-Url-Scheme: https", "Front-End-Https: on",
		"X-Forwarded-Scheme: https", "X-Forwarded-Ssl: on", "X-Forwarded-Uri: /admin/x", "X-Forwarded-Method: DELETE",
		"X-Forwarded-Prefix: /kept", "X-Script-Name: /admin", "X_Script_Name: /admin", "X-Scheme: https",
		"Client-IP: 10.0.0.1", "X-Cluster-Client-IP: 10.0.0.1", "X-Original-Forwarded-For: 10.0.0.1",
		"Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings", "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA",
	}, identityLookalikes...)
	forbidden := []string{
		"X-User-Id", "X-Tenant", "X-Auth-Groups", "X-Auth-Sub", "X-Auth-Username", "X-Auth-Issuer", "X-Auth-Token-Use",
		"X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override", "X-Forwarded-Path",
		"X-Original-Host", "X-Host", "X-Forwarded-Server", "X-Real-IP", "X-Forwarded-Port", "X-Forwarded-Anything", "Forwarded",
		"HTTP2-Settings", "Upgrade",
		"X-Original-URI", "X-Original-Method", "X-Client-IP", "True-Client-IP", "X-Url-Scheme", "Front-End-Https",
		"X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Forwarded-Uri", "X-Forwarded-Method",
		"X-Script-Name", "X-Scheme", "Client-IP", "X-Cluster-Client-IP", "X-Original-Forwarded-For",
	}
	for _, tc := range []struct {
		name, target, tok string
		want              map[string]string // header -> the only value allowed
	}{
		{"anonymous", "/public/x", "", map[string]string{}},
		{"signed in", "/users/sub-carol/profile", user, map[string]string{"X-User-Id": "sub-carol", "X-Tenant": "acme",
			"X-Auth-Username": "carol", "X-Auth-Issuer": pool.Issuer(), "X-Auth-Token-Use": "access"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := spoof
			if tc.tok != "" {
				lines = append(lines[:len(lines):len(lines)], "Authorization: Bearer "+tc.tok)
			}
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("GET", tc.target, "api.example.com", lines...))
			if resp.status != 200 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			r := up.since(before)[0]
			for _, name := range forbidden {
				got := r.values(name)
				want, ok := tc.want[name]
				switch {
				case !ok && len(got) > 0:
					t.Errorf("%s reached the upstream: %q (headers sent: %q)", name, got, r.names())
				case ok && (len(got) != 1 || got[0] != want):
					t.Errorf("%s = %q, want exactly %q", name, got, want)
				}
			}
			for name, want := range map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "api.example.com", "X-Forwarded-Proto": "http", "X-Forwarded-Prefix": "/kept"} {
				if got := r.values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q, want exactly %q", name, got, want)
				}
			}
		})
	}

	// A WebSocket upgrade is still forwarded as one.
	before := up.count()
	rawDo(t, p.addr["proxy"], head("GET", "/public/ws", "api.example.com", "Upgrade: websocket", "Connection: Upgrade",
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"))
	if got := up.since(before)[0].values("Upgrade"); len(got) != 1 || got[0] != "websocket" {
		t.Errorf("websocket Upgrade = %q", got)
	}
}

// TestBoundaryServeCredentials guards finding 12: a credential the gate did
// not verify never reaches the upstream, on anonymous routes or beside a
// verified token.
func TestBoundaryServeCredentials(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, "tokens:\n  cookie: access_token\n  header: X-Access-Token\n  query: access_token\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	tok := pool.AccessToken()

	for _, tc := range []struct {
		name, target string
		lines        []string
		wantAuth     string // the only Authorization allowed upstream
		wantCookie   string // the Cookie header upstream
		wantStatus   int
	}{
		{"JWT scheme", "/public/x", []string{"Authorization: JWT forged"}, "", "", 200},
		{"bare token", "/public/x", []string{"Authorization: " + tok}, "", "", 200},
		{"basic", "/public/x", []string{"Authorization: Basic dXNlcjpwYXNz"}, "", "", 200},
		{"bearer tab", "/public/x", []string{"Authorization: Bearer\tforged"}, "", "", 400},
		{"forged cookie", "/public/x", []string{"Cookie: theme=dark; access_token=forged; lang=en"}, "", "", 401},
		{"other cookies", "/public/x", []string{"Cookie: theme=dark; lang=en"}, "", "theme=dark; lang=en", 200},
		{"forged custom header", "/public/x", []string{"X-Access-Token: forged"}, "", "", 401},
		{"look-alike of the custom header", "/public/x", []string{"X_Access_Token: forged", "X-Access.Token: forged"}, "", "", 200},
		{"bare token beside a verified bearer", "/me", []string{"Authorization: Bearer " + tok, "X_Access_Token: forged", "Cookie: a=1"}, "Bearer " + tok, "a=1", 200},
		{"forged cookie beside a verified bearer", "/me", []string{"Authorization: Bearer " + tok, "Cookie: access_token=forged"}, "Bearer " + tok, "", 200},
		// The verified token's source is the one the middleware read, not
		// one guessed again from the request: Basic credentials beside a
		// cookie token stay behind, the cookie goes on.
		{"basic beside a verified cookie", "/me", []string{"Authorization: Basic dXNlcjpwYXNz", "Cookie: access_token=" + tok + "; a=1"}, "", "access_token=" + tok + "; a=1", 200},
		// Cookie names PHP registers as $_COOKIE["access_token"] (dots,
		// spaces, escapes, arrays): never forwarded unverified, and not
		// beside the verified cookie either.
		{"look-alike cookies", "/public/x", []string{"Cookie: access.token=forged; access%5Ftoken=forged; access token=forged; access_token[]=forged; a=1"}, "", "a=1", 200},
		{"look-alike cookie beside a verified cookie", "/me", []string{"Cookie: access_token=" + tok + "; access.token=forged"}, "", "access_token=" + tok, 200},
		{"look-alike query parameters", "/public/x?access.token=forged&access_token[]=forged&access+token=forged&a=1", nil, "", "", 200},
		{"look-alike query parameter beside a verified one", "/me?access_token=" + tok + "&access.token=forged", nil, "", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("GET", tc.target, "api.example.com", tc.lines...))
			if resp.status != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.status, tc.wantStatus)
			}
			if tc.wantStatus != 200 {
				if up.count() != before {
					t.Error("a refused request reached the upstream")
				}
				return
			}
			r := up.since(before)[0]
			if got := r.values("Authorization"); (tc.wantAuth == "" && len(got) > 0) || (tc.wantAuth != "" && (len(got) != 1 || got[0] != tc.wantAuth)) {
				t.Errorf("Authorization upstream = %q, want %q", got, tc.wantAuth)
			}
			if got := r.values("X-Access-Token"); len(got) > 0 {
				t.Errorf("X-Access-Token upstream = %q", got)
			}
			if got := strings.Join(r.values("Cookie"), "; "); got != tc.wantCookie {
				t.Errorf("Cookie upstream = %q, want %q", got, tc.wantCookie)
			}
			if target := r.target(); strings.Contains(target, "forged") {
				t.Errorf("an unverified query parameter reached the upstream: %s", target)
			}
		})
	}
}

// TestBoundaryServeMethodParam guards review finding R4: a _method query
// parameter, with which Symfony and Express's method-override turn the
// POST the policy judged into a DELETE, never reaches the upstream, in no
// spelling PHP reads as it; other parameters stay byte for byte.
func TestBoundaryServeMethodParam(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	for _, tc := range []struct{ target, want string }{
		{"/public/x?_method=DELETE", "/public/x"},
		{"/public/x?a=1&_method=DELETE&b=%20", "/public/x?a=1&b=%20"},
		{"/public/x?%5Fmethod=DELETE&_method[]=PUT&.method=PATCH&+_method=PUT&_method", "/public/x"},
		{"/public/x?my_method=1&_methods=2&a=_method", "/public/x?my_method=1&_methods=2&a=_method"},
		// PHP ends a name at a NUL, and decodes the escapes around a
		// stray '%' (review of R4).
		{"/public/x?_method%00=DELETE&a=1", "/public/x?a=1"},
		{"/public/x?%5Fmethod%00%zz=DELETE", "/public/x"},
	} {
		t.Run(tc.target, func(t *testing.T) {
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("POST", tc.target, "api.example.com", "Content-Length: 0"))
			if resp.status != 200 {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			if got := up.since(before)[0].target(); got != tc.want {
				t.Errorf("upstream target %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBoundaryServePreflight guards finding 11: with cors_preflight, a
// preflight still passes the path and host checks, carries no body, and
// never forwards a token.
func TestBoundaryServePreflight(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, "cors_preflight: true\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	pre := []string{"Origin: https://app.example.com", "Access-Control-Request-Method: DELETE"}

	for _, tc := range []struct {
		name, target, host string
		lines              []string
		body               string
		forwarded          bool
	}{
		{"plain preflight", "/admin/x", "api.example.com", nil, "", true},
		{"dot-dot path", "/public/../admin/x", "api.example.com", nil, "", false},
		{"encoded dot-dot", "/public/%2e%2e/admin/x", "api.example.com", nil, "", false},
		{"odd host", "/admin/x", "INTERNAL.example.com.", nil, "", false},
		{"a body", "/admin/x", "api.example.com", []string{"Content-Length: 5"}, "hello", false},
		{"chunked body", "/admin/x", "api.example.com", []string{"Transfer-Encoding: chunked"}, "5\r\nhello\r\n0\r\n\r\n", false},
		{"a forged token", "/admin/x", "api.example.com", []string{"Authorization: Bearer forged.forged.forged"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := up.count()
			resp := rawDo(t, p.addr["proxy"], head("OPTIONS", tc.target, tc.host, append(pre[:2:2], tc.lines...)...)+tc.body)
			reqs := up.since(before)
			if !tc.forwarded {
				if len(reqs) > 0 {
					t.Fatalf("forwarded (status %d): %q", resp.status, reqs[0].line)
				}
				if resp.status < 300 {
					t.Errorf("status %d for a refused preflight", resp.status)
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("status %d, %d requests upstream", resp.status, len(reqs))
			}
			if a := reqs[0].values("Authorization"); len(a) > 0 {
				t.Errorf("an unverified token reached the upstream: %q", a)
			}
		})
	}
}

// TestBoundaryServePreflightAnswer guards review finding R5: the answer to
// a preflight the gate let through without a token carries only its
// status and the CORS headers, whatever an upstream handler that ignores
// the method sends (the admin page, a session cookie).
func TestBoundaryServePreflightAnswer(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "https://app.example.com")
		h.Set("Access-Control-Allow-Methods", "GET, DELETE")
		h.Set("Access-Control-Max-Age", "600")
		h.Set("Vary", "Origin")
		h.Set("Allow", "GET, DELETE, OPTIONS")
		h.Set("Set-Cookie", "session=upstream")
		h.Set("X-Internal-Build", "secret")
		h.Set("Content-Type", "text/html")
		h.Set("Location", "/elsewhere")
		if r.URL.Path == "/admin/status" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.URL.Path == "/admin/hints" {
			h.Set("Link", "</admin/secret-report.csv>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		io.WriteString(w, "admin report: secret")
	}))
	t.Cleanup(up.Close)
	cfg := writeConfig(t, pool, up.URL, boundaryPolicy, "cors_preflight: true\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	pre := []string{"Origin: https://app.example.com", "Access-Control-Request-Method: DELETE"}
	for _, tc := range []struct {
		target string
		status int
		lines  []string
	}{
		{"/admin/report", 200, nil},
		{"/admin/status", 204, nil},
		// 1xx answers carry headers too (review of R5).
		{"/admin/hints", 200, nil},
		// The proxy drops the headers named in Connection from the request
		// it sends upstream, which then is no preflight: the answer is
		// judged by the request as the client sent it (review of R5).
		{"/admin/report", 200, []string{"Connection: Access-Control-Request-Method"}},
		{"/admin/report", 200, []string{"Connection: Origin"}},
	} {
		t.Run(tc.target+strings.Join(tc.lines, ","), func(t *testing.T) {
			resp := rawDo(t, p.addr["proxy"], head("OPTIONS", tc.target, "api.example.com", append(pre[:2:2], tc.lines...)...))
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d", resp.status, tc.status)
			}
			if len(resp.body) != 0 {
				t.Errorf("body %q reached the client", resp.body)
			}
			for _, name := range []string{"Set-Cookie", "X-Internal-Build", "Content-Type", "Location", "Link"} {
				if v := resp.header.Values(name); len(v) > 0 {
					t.Errorf("%s: %q reached the client", name, v)
				}
			}
			for name, want := range map[string]string{"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Methods": "GET, DELETE",
				"Access-Control-Max-Age": "600", "Vary": "Origin", "Allow": "GET, DELETE, OPTIONS"} {
				if got := resp.header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
	// Not a preflight (no Access-Control-Request-Method): judged, and its
	// answer is not touched.
	resp := rawDo(t, p.addr["proxy"], head("OPTIONS", "/public/x", "api.example.com", "Origin: https://app.example.com"))
	if resp.status != 200 || resp.body != "admin report: secret" || resp.header.Get("Set-Cookie") == "" {
		t.Errorf("an anonymous OPTIONS: status %d, body %q, Set-Cookie %q", resp.status, resp.body, resp.header.Get("Set-Cookie"))
	}
}

// TestBoundaryServeTrailers checks that request trailers cannot carry what
// headers may not: an identity or override header declared as a trailer
// of a chunked body does not reach the upstream, not even as a declared
// name. (httputil.ReverseProxy forwards no request trailer values at all:
// it copies the trailer map before the body is read.)
func TestBoundaryServeTrailers(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	cfg := writeConfig(t, pool, "http://"+up.addr, boundaryPolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	before := up.count()
	req := head("POST", "/public/x", "api.example.com", "Transfer-Encoding: chunked", "Trailer: X-Auth-Groups, X-Original-URL, X-Checksum") +
		"5\r\nhello\r\n0\r\nX-Auth-Groups: admin\r\nX-Original-URL: /admin/x\r\nX-Checksum: 42\r\n\r\n"
	if resp := rawDo(t, p.addr["proxy"], req); resp.status != 200 {
		t.Fatalf("status %d", resp.status)
	}
	r := up.since(before)[0]
	if string(r.body) != "hello" {
		t.Errorf("body %q", r.body)
	}
	var names []string
	for _, f := range append(r.header, r.trailer...) {
		names = append(names, f[0])
		if sameHeader(f[0], "X-Auth-Groups") || sameHeader(f[0], "X-Original-URL") {
			t.Errorf("%s: %s reached the upstream", f[0], f[1])
		}
	}
	if got := r.values("Trailer"); len(got) != 1 || got[0] != "X-Checksum" {
		t.Errorf("Trailer upstream %q (all fields %q), want X-Checksum alone", got, names)
	}
}
