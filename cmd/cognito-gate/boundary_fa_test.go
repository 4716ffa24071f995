package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

const nonCanonical = `cognito_gate_requests_total{reason="non_canonical_path",result="denied"}`

// TestBoundaryForwardAuthHeaders guards findings 1 to 4 at the endpoint
// itself: the original request comes from exactly the configured headers,
// with no fallback; a subrequest without them, with two of one, with an
// invalid host, or carrying a spelling of an identity header or a routing
// override is refused with 400 and counted.
func TestBoundaryForwardAuthHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "", boundaryPolicy, "")
	p := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	orig := func(method, uri, host string) []string {
		return []string{"X-Forwarded-Method: " + method, "X-Forwarded-Uri: " + uri, "X-Forwarded-Host: " + host}
	}
	bearer := func(tok string) string { return "Authorization: Bearer " + tok }

	tests := []struct {
		name    string
		lines   []string
		want    int
		wantSub string
	}{
		{"admin", append(orig("DELETE", "/admin/users/1", "api.example.com"), bearer(admin)), 200, "sub-alice"},
		{"own profile", append(orig("GET", "/users/sub-bob/profile", "api.example.com"), bearer(bob)), 200, "sub-bob"},
		{"someone else's profile", append(orig("GET", "/users/sub-carol/profile", "api.example.com"), bearer(bob)), 403, ""},
		{"host rule", orig("GET", "/public/x", "internal.example.com"), 401, ""},
		{"X-Original-URI is not read", []string{"X-Original-URI: /public/x", "X-Forwarded-Method: GET", "X-Forwarded-Host: a.example"}, 400, ""},
		{"X-Original-URI does not override", append(orig("GET", "/admin/secret", "api.example.com"), "X-Original-URI: /public/x"), 401, ""},
		// Another spelling of a forwarded or override header is refused:
		// the proxy would pass it on, and a CGI-style upstream read it.
		{"underscore spelling is refused", append(orig("GET", "/admin/secret", "api.example.com"), "X_Forwarded_Uri: /public/x"), 400, ""},
		{"underscore X-Forwarded-Host", append(orig("GET", "/public/x", "api.example.com"), "X_Forwarded_Host: internal.example.com"), 400, ""},
		{"dotted X-Forwarded-Proto", append(orig("GET", "/public/x", "api.example.com"), "X-Forwarded.Proto: http"), 400, ""},
		{"underscore X-Real-IP", append(orig("GET", "/public/x", "api.example.com"), "X_Real_IP: 10.0.0.1"), 400, ""},
		{"underscore X-Script-Name", append(orig("GET", "/public/x", "api.example.com"), "X_Script_Name: /admin"), 400, ""},
		{"plain X-Real-IP is the proxy's", append(orig("GET", "/public/x", "api.example.com"), "X-Real-IP: 10.0.0.1", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Port: 443"), 200, ""},
		{"an unrelated underscore name", append(orig("GET", "/public/x", "api.example.com"), "X_Request_Id: 1"), 200, ""},
		{"no URI header", []string{"X-Forwarded-Method: GET", "X-Forwarded-Host: a.example"}, 400, ""},
		{"no method header", []string{"X-Forwarded-Uri: /public/x", "X-Forwarded-Host: a.example"}, 400, ""},
		{"no host header", []string{"X-Forwarded-Method: GET", "X-Forwarded-Uri: /public/x"}, 400, ""},
		{"no headers at all", nil, 400, ""},
		{"two URI headers", append(orig("GET", "/public/x", "a.example"), "X-Forwarded-Uri: /admin/x"), 400, ""},
		{"host with a space", orig("GET", "/public/x", "a b.example"), 400, ""},
		{"host with a comma", orig("GET", "/public/x", "www.example.com,internal.example.com"), 400, ""},
		{"host with two ports", orig("GET", "/public/x", "internal.example.com:1:2"), 400, ""},
		{"absolute URI", append(orig("GET", "http://evil.example/admin/", "a.example"), bearer(admin)), 400, ""},
		{"method with a space", orig("GET /x", "/public/x", "a.example"), 400, ""},
		{"non-canonical path", orig("GET", "/admin/../public/x", "a.example"), 400, ""},
		{"a fragment in the URI", orig("GET", "/admin#/public/x", "a.example"), 400, ""},
		{"routing override", append(orig("GET", "/public/x", "a.example"), "X-Original-URL: /admin/x"), 400, ""},
		{"method override", append(orig("GET", "/public/x", "a.example"), "X-HTTP-Method-Override: DELETE"), 400, ""},
		{"method override parameter", orig("POST", "/public/x?_method=DELETE", "a.example"), 400, ""},
		{"method override parameter, encoded", orig("POST", "/public/x?a=1&%5Fmethod=DELETE", "a.example"), 400, ""},
		{"a parameter like it", orig("POST", "/public/x?my_method=DELETE", "a.example"), 200, ""},
		{"method override parameter cut at a NUL", orig("POST", "/public/x?_method%00=DELETE", "a.example"), 400, ""},
	}
	// Every routing override, and spellings a framework reads as one.
	for _, l := range []string{"X-Original-URL: /admin/x", "X-Rewrite-URL: /admin/x", "X-HTTP-Method-Override: DELETE",
		"X-HTTP-Method: DELETE", "X-Method-Override: DELETE", "X_Original_URL: /admin/x", "X-Rewrite.URL: /admin/x", "x_http_method_override: DELETE"} {
		tests = append(tests, struct {
			name    string
			lines   []string
			want    int
			wantSub string
		}{"override " + l, append(orig("GET", "/public/x", "a.example"), l), 400, ""})
	}
	for _, l := range identityLookalikes {
		tests = append(tests, struct {
			name    string
			lines   []string
			want    int
			wantSub string
		}{"identity header " + l, append(orig("GET", "/public/x", "a.example"), l), 400, ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := metric(t, p, badRequests) + metric(t, p, nonCanonical)
			resp := rawDo(t, p.addr["forward-auth"], head("GET", "/auth", "gate.internal", tt.lines...))
			if resp.status != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.want, resp.body)
			}
			if got := resp.header.Get("X-Auth-Sub"); got != tt.wantSub {
				t.Errorf("X-Auth-Sub = %q, want %q", got, tt.wantSub)
			}
			if tt.want == 400 {
				if got := metric(t, p, badRequests) + metric(t, p, nonCanonical); got != bad+1 {
					t.Errorf("bad_request and non_canonical_path count %v, want %v", got, bad+1)
				}
				if !strings.Contains(resp.header.Get("Www-Authenticate"), `error="invalid_request"`) {
					t.Errorf("WWW-Authenticate = %q", resp.header.Get("Www-Authenticate"))
				}
			}
		})
	}
	if strings.Contains(p.stderr.String(), "spoofed") {
		t.Error("a refused header's value was logged")
	}
}

// TestBoundaryForwardAuthEnvoy checks mode envoy: the subrequest is the
// original request, less path_prefix.
func TestBoundaryForwardAuthEnvoy(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "", boundaryPolicy, "forward_auth:\n  mode: envoy\n  path_prefix: /ext-authz\n")
	p := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)
	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	for _, tc := range []struct {
		name, method, target, host string
		lines                      []string
		want                       int
	}{
		{"admin", "DELETE", "/ext-authz/admin/x", "api.example.com", []string{"Authorization: Bearer " + admin}, 200},
		{"anonymous", "GET", "/ext-authz/admin/x", "api.example.com", nil, 401},
		{"public", "GET", "/ext-authz/public/x?a=1", "api.example.com", nil, 200},
		{"host rule", "GET", "/ext-authz/public/x", "internal.example.com", nil, 401},
		{"outside the prefix", "GET", "/public/x", "api.example.com", nil, 400},
		{"prefix without a slash", "GET", "/ext-authzpublic/x", "api.example.com", nil, 400},
		{"headers are not read", "GET", "/ext-authz/admin/x", "api.example.com", []string{"X-Forwarded-Uri: /public/x"}, 401},
		{"identity header", "GET", "/ext-authz/public/x", "api.example.com", []string{"X-Auth.Groups: admin"}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawDo(t, p.addr["forward-auth"], head(tc.method, tc.target, tc.host, tc.lines...))
			if resp.status != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.want, resp.body)
			}
		})
	}
}

// proxyAttack is one request sent to a proxy in front of forward-auth.
type proxyAttack struct {
	name, method, target, host string
	lines                      []string
	allowed                    bool // reaches the upstream
	// either: the proxy may refuse the request or drop the headers and
	// forward it (nginx drops names with '_' or '.'); either way nothing
	// spoofed reaches the upstream.
	either bool
}

// boundaryAttacks are the requests both proxies are attacked with; the
// tokens are filled in by the test.
func boundaryAttacks(admin, bob string) []proxyAttack {
	b := func(tok string) string { return "Authorization: Bearer " + tok }
	return []proxyAttack{
		{"admin", "GET", "/admin/secret", "api.example.com", []string{b(admin)}, true, false},
		{"own profile", "GET", "/users/sub-bob/profile", "api.example.com", []string{b(bob)}, true, false},
		{"public", "GET", "/public/x", "api.example.com", nil, true, false},
		{"spoofed X-Forwarded-Uri", "GET", "/admin/secret", "api.example.com", []string{"X-Forwarded-Uri: /public/x"}, false, false},
		{"spoofed X-Original-URI", "GET", "/admin/secret", "api.example.com", []string{"X-Original-URI: /public/x"}, false, false},
		{"spoofed X-Forwarded-Method", "DELETE", "/me", "api.example.com", []string{b(bob), "X-Forwarded-Method: GET", "Content-Length: 0"}, false, false},
		{"someone else's profile with a spoofed URI", "GET", "/users/sub-carol/profile", "api.example.com", []string{b(bob), "X-Forwarded-Uri: /users/sub-bob/profile"}, false, false},
		{"spoofed X-Forwarded-Host", "GET", "/public/x", "internal.example.com", []string{"X-Forwarded-Host: www.example.com"}, false, false},
		{"host list", "GET", "/public/x", "www.example.com,internal.example.com", nil, false, false},
		{"host with two ports", "GET", "/public/x", "internal.example.com:1:2", nil, false, false},
		{"dot-dot", "GET", "/public/../admin/secret", "api.example.com", nil, false, false},
		{"encoded dot-dot", "GET", "/public/%2e%2e/admin/secret", "api.example.com", nil, false, false},
		{"double slash", "GET", "//admin/secret", "api.example.com", nil, false, false},
		{"X-Original-URL", "GET", "/public/x", "api.example.com", []string{"X-Original-URL: /admin/secret"}, false, false},
		{"method override", "POST", "/public/x", "api.example.com", []string{"X-HTTP-Method-Override: DELETE", "Content-Length: 0"}, false, false},
		{"method override parameter", "POST", "/public/x?_method=DELETE", "api.example.com", []string{"Content-Length: 0"}, false, false},
		// Headers an upstream routes or trusts by, on an allowed request:
		// the proxy sets or blanks them (review finding R6).
		{"routing headers on a public route", "GET", "/public/x", "api.example.com", []string{
			"Forwarded: for=spoofed;host=spoofed", "X-Forwarded-Uri: /spoofed", "X-Forwarded-Method: spoofed", "X-Original-URI: /spoofed",
			"X-Original-Method: spoofed", "X-Forwarded-Ssl: spoofed", "X-Forwarded-Scheme: spoofed", "Front-End-Https: spoofed",
			"X-Url-Scheme: spoofed", "X-Script-Name: /spoofed", "X-Scheme: spoofed", "Client-IP: spoofed", "X-Cluster-Client-IP: spoofed",
			"X-Original-Forwarded-For: spoofed", "X-Forwarded-Prefix: /spoofed", "X-Real-IP: spoofed",
		}, true, false},
		// Other spellings of them: nginx drops them; through Caddy the gate
		// refuses the subrequest (review finding R7).
		{"X_Forwarded_Host", "GET", "/public/x", "api.example.com", []string{"X_Forwarded_Host: spoofed.example"}, false, true},
		{"X_Forwarded_Uri", "GET", "/public/x", "api.example.com", []string{"X_Forwarded_Uri: /spoofed"}, false, true},
		{"X-Forwarded.Proto", "GET", "/public/x", "api.example.com", []string{"X-Forwarded.Proto: spoofed"}, false, true},
		{"X_Real_IP", "GET", "/public/x", "api.example.com", []string{"X_Real_IP: spoofed"}, false, true},
		{"X_Original_URI", "GET", "/public/x", "api.example.com", []string{"X_Original_URI: /spoofed"}, false, true},
		{"X_Script_Name", "GET", "/public/x", "api.example.com", []string{"X_Script_Name: /spoofed"}, false, true},
		{"Connection naming the answer's headers", "GET", "/users/sub-bob/profile", "api.example.com", []string{b(bob), "Connection: X-Auth-Sub, X-Auth-Assertion, X-Auth-Groups"}, true, false},
		{"identity X-Auth-Groups", "GET", "/public/x", "api.example.com", []string{"X-Auth-Groups: admin"}, false, true},
		{"identity X-Auth.Groups", "GET", "/public/x", "api.example.com", []string{"X-Auth.Groups: admin"}, false, true},
		{"identity X_Auth_Sub", "GET", "/public/x", "api.example.com", []string{"X_Auth_Sub: spoofed"}, false, true},
		{"identity x-auth-groups beside a token", "GET", "/me", "api.example.com", []string{b(bob), "x-auth-groups: admin"}, false, true},
	}
}

// checkProxyAttacks runs the attacks against a proxy at base and checks
// what reached the upstream: nothing for refused requests; for allowed
// ones, exactly the request line sent and no spoofed header, and what
// check (when not nil) checks of the request.
func checkProxyAttacks(t *testing.T, base string, up *rawUpstream, attacks []proxyAttack, check func(*testing.T, proxyAttack, rawRequest)) {
	t.Helper()
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			before := up.count()
			resp := rawDo(t, base, head(a.method, a.target, a.host, a.lines...))
			reqs := up.since(before)
			if a.either && len(reqs) > 0 {
				a.allowed = true
			}
			if !a.allowed {
				if len(reqs) > 0 {
					t.Fatalf("reached the upstream (status %d): %q %q", resp.status, reqs[0].line, reqs[0].header)
				}
				if resp.status < 400 {
					t.Errorf("status %d for a refused request", resp.status)
				}
				return
			}
			if resp.status != 200 || len(reqs) != 1 {
				t.Fatalf("status %d, %d requests upstream: %s", resp.status, len(reqs), resp.body)
			}
			r := reqs[0]
			if want := a.method + " " + a.target; !strings.HasPrefix(r.line, want+" ") {
				t.Errorf("upstream request line %q, want %q", r.line, want)
			}
			for _, h := range r.header {
				if strings.Contains(h[1], "spoofed") || strings.Contains(h[1], "/public/x") && !strings.HasPrefix(a.target, "/public/") {
					t.Errorf("a spoofed header reached the upstream: %s: %s", h[0], h[1])
				}
			}
			for _, name := range defaultIdentityNames {
				for _, v := range r.values(name) {
					if v == "admin" && a.name != "admin" {
						t.Errorf("%s: %q reached the upstream", name, v)
					}
				}
			}
			if a.name == "admin" {
				if got := r.values("X-Auth-Groups"); len(got) != 1 || got[0] != "admin" {
					t.Errorf("X-Auth-Groups = %q, want the gate's answer", got)
				}
			}
			if check != nil {
				check(t, a, r)
			}
		})
	}
}

// exampleFile reads a file of examples/forward-auth with the documented
// addresses replaced.
func exampleFile(t *testing.T, name string, oldnew ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "forward-auth", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i < len(oldnew); i += 2 {
		if !strings.Contains(s, oldnew[i]) {
			t.Fatalf("%s no longer holds %q", name, oldnew[i])
		}
		s = strings.ReplaceAll(s, oldnew[i], oldnew[i+1])
	}
	return s
}

// waitPort waits for a just-started child process to accept connections.
func waitPort(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a child process's start-up
	}
}

// TestBoundaryNginx attacks the documented nginx auth_request set-up
// (examples/forward-auth/nginx.conf, run as it is) with a real nginx, the
// gate signing assertions: the upstream verifies the gate's and never gets
// a client's (checkProxyAssertions).
func TestBoundaryNginx(t *testing.T) {
	nginx := proctest.Tool(t, "nginx", "apt-get install nginx", "/usr/sbin")
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	key := writeAssertionKey(t, t.TempDir(), "k1")
	cfg := writeConfig(t, pool, "", boundaryPolicy, assertionYAML([]string{key.private}))
	gate := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)

	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	listen := fmt.Sprintf("127.0.0.1:%d", proctest.FreePort(t))
	server := exampleFile(t, "nginx.conf", "127.0.0.1:8080", listen, "127.0.0.1:8081", strings.TrimPrefix(gate.addr["forward-auth"], "http://"), "127.0.0.1:3000", up.addr)
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, server)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	proctest.Start(t, "nginx", exec.Command(nginx, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log")), &proctest.Buffer{})
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", log)
		}
	})
	waitPort(t, listen)

	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	checkProxyAssertions(t, "http://"+listen, up, upstreamVerifier(t, gate.addr["admin"], "", jwks.Config{}), admin, bob, nil)

	// A 401 carries the gate's challenge through nginx.
	resp := rawDo(t, listen, head("GET", "/admin/secret", "api.example.com"))
	if resp.status != http.StatusUnauthorized || !strings.HasPrefix(resp.header.Get("Www-Authenticate"), "Bearer ") {
		t.Errorf("401 through nginx: %d %q", resp.status, resp.header.Get("Www-Authenticate"))
	}
}

// TestBoundaryCaddy attacks the documented Caddy forward_auth set-up
// (examples/forward-auth/Caddyfile, run as it is) with a real Caddy, the
// gate signing assertions, as TestBoundaryNginx.
func TestBoundaryCaddy(t *testing.T) {
	caddy := proctest.Tool(t, "caddy", "apt-get install caddy")
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newRawUpstream(t)
	key := writeAssertionKey(t, t.TempDir(), "k1")
	cfg := writeConfig(t, pool, "", boundaryPolicy, assertionYAML([]string{key.private}))
	gate := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)

	dir := t.TempDir()
	port := proctest.FreePort(t)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	site := exampleFile(t, "Caddyfile", "http://:8080 {", fmt.Sprintf("http://:%d {", port), "127.0.0.1:8081", strings.TrimPrefix(gate.addr["forward-auth"], "http://"), "127.0.0.1:3000", up.addr)
	conf := "{\n\tadmin off\n\tauto_https off\n\tstorage file_system " + dir + "\n}\n" + site
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", path)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	proctest.Start(t, "caddy", cmd, &proctest.Buffer{})
	waitPort(t, listen)

	admin := pool.AccessToken(cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin"))
	bob := pool.AccessToken(cognitotest.WithSubject("sub-bob"))
	checkProxyAssertions(t, "http://"+listen, up, upstreamVerifier(t, gate.addr["admin"], "", jwks.Config{}), admin, bob, caddyUnset)

	// A WebSocket handshake still reaches the upstream as an upgrade, with
	// the gate's identity headers, whatever else Connection names (the
	// Caddyfile rewrites Connection; review of R14).
	for _, conn := range []string{"Upgrade", "keep-alive, Upgrade, X-Auth-Sub, X-Auth-Assertion"} {
		before := up.count()
		rawDo(t, "http://"+listen, "GET /users/sub-bob/profile HTTP/1.1\r\nHost: api.example.com\r\nConnection: "+conn+"\r\nUpgrade: websocket\r\n"+
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer "+bob+"\r\n\r\n")
		reqs := up.since(before)
		if len(reqs) != 1 {
			t.Fatalf("Connection: %s: %d requests upstream", conn, len(reqs))
		}
		r := reqs[0]
		if got := r.values("Upgrade"); len(got) != 1 || !strings.EqualFold(got[0], "websocket") {
			t.Errorf("Connection: %s: Upgrade upstream %q, want websocket", conn, got)
		}
		if got := strings.ToLower(strings.Join(r.values("Connection"), ",")); !strings.Contains(got, "upgrade") {
			t.Errorf("Connection: %s: Connection upstream %q, want upgrade", conn, got)
		}
		if got := r.values("X-Auth-Sub"); len(got) != 1 || got[0] != "sub-bob" {
			t.Errorf("Connection: %s: X-Auth-Sub upstream %q, want sub-bob", conn, got)
		}
	}
}
