package main

// Hardening tests of the running binary (issue 8): slow clients, path
// tricks through the real proxy, identity headers stripped in every mode,
// and no token or key material in logs, denials or metrics.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// hardHeader is one request header, name spelled exactly as sent.
type hardHeader struct{ name, value string }

// hardResponse is a response read from a raw connection.
type hardResponse struct {
	status int
	header http.Header
	body   string
}

// hardRaw sends one request with exactly the given method, request target
// and headers on a fresh connection (Go's client would normalise some of
// them) and reads the response. base is "http://host:port".
func hardRaw(t *testing.T, base, method, target string, hdr ...hardHeader) hardResponse {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for _, h := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", h.name, h.value)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return hardResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// hardBearer is the Authorization header for tok, or nothing.
func hardBearer(tok string) []hardHeader {
	if tok == "" {
		return nil
	}
	return []hardHeader{{"Authorization", "Bearer " + tok}}
}

// hardVerify verifies tokens in-process, to ask the policy what it decides
// for them.
func hardVerify(t *testing.T, pool *cognitotest.Pool, toks ...string) []*claims.Token {
	t.Helper()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	out := make([]*claims.Token, len(toks))
	for i, tok := range toks {
		if out[i], err = v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// hardParse parses a request line as the server does, or fails.
func hardParse(method, target string) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(strings.NewReader(method + " " + target + " HTTP/1.1\r\nHost: gate.test\r\n\r\n")))
}

// TestHardeningSlowClients checks that clients that never finish their
// headers, or send them byte by byte, are cut off by read_header_timeout
// while other clients are served normally.
func TestHardeningSlowClients(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "server:\n  read_header_timeout: 300ms\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	addr := strings.TrimPrefix(p.addr["proxy"], "http://")
	tok := pool.AccessToken()
	const (
		timeout = 300 * time.Millisecond
		// cutBy bounds how long the server may take to drop a slow client:
		// the timeout plus generous slack for a loaded machine and the race
		// detector. A client that is never dropped fails the test here.
		cutBy = 5 * time.Second
	)

	// awaitClose reads conn until the server closes it and returns what
	// the server wrote and when it closed.
	awaitClose := func(conn net.Conn) (string, time.Time, error) {
		conn.SetReadDeadline(time.Now().Add(cutBy))
		b, err := io.ReadAll(conn)
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			return string(b), time.Now(), err
		}
		return string(b), time.Now(), nil
	}

	// Slow clients: partial request lines and unfinished headers, all
	// open at once.
	partial := []string{
		"GET /public/partial-line HT",
		"GET /public/partial-headers HTTP/1.1\r\nHost: x\r\nX-A: b\r\n",
		"GET /me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok[:40],
		"G",
	}
	type slow struct {
		what   string
		conn   net.Conn
		opened time.Time
	}
	var slows []slow
	for i := 0; i < 4; i++ { // several of each, so that they overlap the normal traffic
		for _, s := range partial {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, s); err != nil {
				t.Fatal(err)
			}
			slows = append(slows, slow{what: fmt.Sprintf("%.30q", s), conn: conn, opened: time.Now()})
		}
	}

	// A client that sends its headers one byte every 50 ms: its 154 bytes
	// would take almost 8 s, far past the 300 ms timeout.
	trickle := "GET /public/trickle HTTP/1.1\r\nHost: x\r\nX-Padding: " + strings.Repeat("a", 100) + "\r\n\r\n"
	tconn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tconn.Close()
	trickleSent := make(chan int, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(trickle); i++ {
			if _, err := tconn.Write([]byte{trickle[i]}); err != nil {
				trickleSent <- i
				return
			}
			<-tick.C
		}
		trickleSent <- len(trickle)
	}()
	trickleStart := time.Now()

	// Meanwhile normal clients are served.
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, auth := "/public/x", ""
			if i%2 == 1 {
				path, auth = "/me", tok
			}
			req, _ := http.NewRequest("GET", p.addr["proxy"]+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", "Bearer "+auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- fmt.Errorf("normal request %s: %v", path, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("normal request %s: status %d", path, resp.StatusCode)
			}
		}()
	}

	for _, s := range slows {
		got, at, err := awaitClose(s.conn)
		if err != nil {
			t.Errorf("slow client %s: not disconnected within %s: %v", s.what, cutBy, err)
			continue
		}
		if got != "" && !strings.HasPrefix(got, "HTTP/1.1 4") {
			t.Errorf("slow client %s: server answered %.40q, want nothing or a 4xx", s.what, got)
		}
		if d := at.Sub(s.opened); d < timeout-50*time.Millisecond {
			t.Errorf("slow client %s: disconnected after %s, before the %s timeout", s.what, d, timeout)
		}
	}
	got, at, err := awaitClose(tconn)
	if err != nil {
		t.Errorf("trickling client: not disconnected within %s: %v", cutBy, err)
	}
	if got != "" && !strings.HasPrefix(got, "HTTP/1.1 4") {
		t.Errorf("trickling client: server answered %.40q, want nothing or a 4xx", got)
	}
	tconn.Close()
	sent := <-trickleSent
	t.Logf("trickling client cut off after %s, %d of %d header bytes sent", at.Sub(trickleStart).Round(time.Millisecond), sent, len(trickle))
	if sent == len(trickle) {
		t.Error("the trickling client sent its whole request without being cut off")
	}

	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// None of the slow requests reached the upstream.
	up.mu.Lock()
	for _, r := range up.reqs {
		if r.URL.Path != "/public/x" && r.URL.Path != "/me" {
			t.Errorf("a slow client's request reached the upstream: %s", r.URL.Path)
		}
	}
	up.mu.Unlock()
	// And the gateway still serves.
	if resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil); resp.StatusCode != 200 {
		t.Errorf("after the slow clients: %d", resp.StatusCode)
	}
}

// hardPathCases are request targets that try to reach /admin/ through a
// weaker rule (or the reverse), with the status each kind of caller must
// get from e2ePolicy: no token, a reader's token, an admin's token. 200 is
// forwarded as is, 308 is redirected to the cleaned path, 400 is refused
// unjudged as non-canonical, whoever sends it.
var hardPathCases = []struct {
	name, method, target string
	anon, reader, admin  int
}{
	{"dot-dot out of public", "GET", "/public/../admin/x", 401, 403, 308},
	{"encoded dots", "GET", "/public/%2e%2e/admin/x", 400, 400, 400},
	{"encoded dots upper-case", "GET", "/public/%2E%2E/admin/x", 400, 400, 400},
	{"dot-dot with encoded slash", "GET", "/public/..%2fadmin/x", 400, 400, 400},
	{"double slash", "GET", "//admin/x", 401, 403, 308},
	{"upper-case admin", "GET", "/ADMIN/x", 401, 403, 403},
	{"mixed-case public", "GET", "/Public/x", 401, 403, 403},
	{"trailing dot-dot", "GET", "/admin/x/..", 401, 403, 308},
	{"encoded slash", "GET", "/admin%2fx", 400, 400, 400},
	{"dot segment", "GET", "/./admin/x", 401, 403, 308},
	{"backslashes", "GET", `/public\..\admin/x`, 400, 400, 400},
	{"backslash after dot-dot", "GET", `/public/..\admin/x`, 400, 400, 400},
	{"encoded backslash", "GET", "/public/..%5cadmin/x", 400, 400, 400},
	{"semicolon", "GET", "/public/..;/admin/x", 400, 400, 400},
	{"encoded percent", "GET", "/public/%252e%252e/admin/x", 400, 400, 400},
	{"overlong utf-8 dot", "GET", "/public/%c0%ae%c0%ae/admin/x", 400, 400, 400},
	{"encoded letter", "GET", "/%61dmin/x", 401, 403, 200},
	{"two dot-dots out of public", "GET", "/public/x/../../admin/x", 401, 403, 308},
	{"dot-dot to root", "GET", "/public/..", 401, 403, 403},
	{"public, clean", "GET", "/public/x", 200, 200, 200},
	{"public, double slash", "GET", "/public//x", 308, 308, 308},
	{"public without slash", "GET", "/public", 200, 200, 200},
	{"admin without slash", "GET", "/admin", 401, 403, 200},
	{"query does not count", "GET", "/public/x?next=/../admin/x", 200, 200, 200},
	{"absolute form", "GET", "http://gate.test/public/../admin/x", 401, 403, 308},
	{"lower-case method", "get", "/public/x", 400, 400, 400},
	{"asterisk", "GET", "*", 400, 400, 400},
}

// TestHardeningPathTricks sends path tricks through the real proxy and
// checks that each is denied with the policy's status, redirected to the
// cleaned path, or forwarded with exactly the path the policy judged, and
// that the upstream never receives a path another rule would judge.
func TestHardeningPathTricks(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	pol, err := policy.Load(filepath.Join(filepath.Dir(cfg), "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	reader := pool.AccessToken(cognitotest.WithUsername("bob"))
	admin := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	toks := hardVerify(t, pool, reader, admin)
	callers := []struct {
		name string
		raw  string
		tok  *claims.Token
	}{{"anonymous", "", nil}, {"reader", reader, toks[0]}, {"admin", admin, toks[1]}}

	for _, tc := range hardPathCases {
		for i, c := range callers {
			want := []int{tc.anon, tc.reader, tc.admin}[i]
			t.Run(tc.name+"/"+c.name, func(t *testing.T) {
				before := up.count()
				resp := hardRaw(t, p.addr["proxy"], tc.method, tc.target, hardBearer(c.raw)...)
				if resp.status != want {
					t.Fatalf("%s %s: status %d, want %d (body %q)", tc.method, tc.target, resp.status, want, resp.body)
				}
				// The decision the gateway's policy makes for this request.
				req, err := hardParse(tc.method, tc.target)
				if err != nil {
					t.Fatalf("the test cannot parse its own request: %v", err)
				}
				d := pol.Decide(req, c.tok)
				if resp.status != 200 {
					if n := up.count(); n != before {
						t.Fatalf("status %d, but the upstream received %d request(s)", resp.status, n-before)
					}
				}
				switch {
				case resp.status == http.StatusPermanentRedirect:
					loc := resp.header.Get("Location")
					wantLoc := d.Path
					if req.URL.RawQuery != "" {
						wantLoc += "?" + req.URL.RawQuery
					}
					if !d.Allow || loc != wantLoc {
						t.Fatalf("redirect to %q, want %q (the path the policy judged)", loc, wantLoc)
					}
					// The redirect target is clean and judged by the same rule.
					r2, err := hardParse("GET", loc)
					if err != nil {
						t.Fatalf("redirect target %q: %v", loc, err)
					}
					if d2 := pol.Decide(r2, c.tok); d2.Rule != d.Rule || d2.Path != r2.URL.EscapedPath() {
						t.Fatalf("redirect target %q judged by %q as %q; the original by %q", loc, d2.Rule, d2.Path, d.Rule)
					}
				case resp.status == 200:
					if up.count() != before+1 {
						t.Fatalf("forwarded: the upstream received %d requests, want 1", up.count()-before)
					}
					got := up.last(t)
					gotPath := got.URL.EscapedPath()
					if gotPath != d.Path {
						t.Fatalf("the upstream received %q; the policy judged %q", got.RequestURI, d.Path)
					}
					if got.URL.RawQuery != req.URL.RawQuery {
						t.Errorf("the upstream received query %q, want %q", got.URL.RawQuery, req.URL.RawQuery)
					}
					// Judged again as the upstream received it: the same rule.
					r2, err := hardParse(got.Method, got.RequestURI)
					if err != nil {
						t.Fatalf("upstream request %q: %v", got.RequestURI, err)
					}
					if d2 := pol.Decide(r2, c.tok); d2.Rule != d.Rule || !d2.Allow {
						t.Fatalf("the upstream received %q, which rule %q judges (allow %v); the gateway judged by %q", got.RequestURI, d2.Rule, d2.Allow, d.Rule)
					}
				default:
					if d.Allow {
						t.Fatalf("status %d, but the policy allows (%s)", resp.status, d)
					}
					if d.Status != resp.status {
						t.Fatalf("status %d, the policy says %d (%s)", resp.status, d.Status, d)
					}
				}
			})
		}
	}

	// Over the whole run, every path the upstream received was clean and
	// judged, as received, by the rule that allowed it.
	up.mu.Lock()
	defer up.mu.Unlock()
	for _, r := range up.reqs {
		if r.URL.EscapedPath() != cleanForTest(r.URL.EscapedPath()) {
			t.Errorf("the upstream received an uncleaned path %q", r.RequestURI)
		}
	}
}

// cleanForTest is ServeMux's path cleaning (net/http.cleanPath), for the
// assertion above: path.Clean, keeping a trailing slash.
func cleanForTest(p string) string {
	if p == "" || p[0] != '/' {
		return ""
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// hardIdentityHeaders are the identity headers of the test configuration.
var hardIdentityHeaders = []string{
	"X-Auth-Sub", "X-Auth-Username", "X-Auth-Groups", "X-Auth-Scopes",
	"X-Auth-Client-Id", "X-Auth-Token-Use", "X-Auth-Issuer", "X-Auth-Tenant",
}

// hardSpoof is every identity header sent by a client: canonical names,
// lower case, upper case, and repeated.
func hardSpoof() []hardHeader {
	var out []hardHeader
	for _, h := range hardIdentityHeaders {
		out = append(out, hardHeader{h, "spoofed"}, hardHeader{strings.ToLower(h), "spoofed-lower"},
			hardHeader{strings.ToUpper(h), "spoofed-upper"}, hardHeader{h, "spoofed-again"})
	}
	return out
}

// TestHardeningIdentityHeadersStripped checks that identity headers sent by
// clients never reach the upstream (proxy mode, allowed and anonymous
// requests) or the forward-auth answer.
func TestHardeningIdentityHeadersStripped(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	extra := "identity_headers:\n  claims:\n    custom:tenant: X-Auth-Tenant\n"
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, extra)
	proxy := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	fa := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)

	admin := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithSubject("sub-alice"),
		cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme"))
	plain := pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithSubject("sub-bob")) // no groups, no tenant
	want := map[string]map[string]string{
		"": {},
		admin: {"X-Auth-Sub": "sub-alice", "X-Auth-Username": "alice", "X-Auth-Groups": "admin",
			"X-Auth-Scopes": cognitotest.DefaultScope, "X-Auth-Client-Id": pool.ClientID(), "X-Auth-Token-Use": "access",
			"X-Auth-Issuer": pool.Issuer(), "X-Auth-Tenant": "acme"},
		plain: {"X-Auth-Sub": "sub-bob", "X-Auth-Username": "bob",
			"X-Auth-Scopes": cognitotest.DefaultScope, "X-Auth-Client-Id": pool.ClientID(), "X-Auth-Token-Use": "access",
			"X-Auth-Issuer": pool.Issuer()},
	}
	check := func(t *testing.T, h http.Header, tok string) {
		t.Helper()
		for _, name := range hardIdentityHeaders {
			got := h.Values(name)
			w, ok := want[tok][name]
			switch {
			case !ok && len(got) != 0:
				t.Errorf("%s = %q, want none", name, got)
			case ok && (len(got) != 1 || got[0] != w):
				t.Errorf("%s = %q, want exactly %q", name, got, w)
			}
		}
		for name, vs := range h {
			for _, v := range vs {
				if strings.Contains(v, "spoofed") {
					t.Errorf("spoofed value reached the other side: %s: %q", name, v)
				}
			}
		}
	}

	proxyCases := []struct {
		name, target, tok string
	}{
		{"anonymous route, no token", "/public/x", ""},
		{"anonymous route, token without groups", "/public/x", plain},
		{"anonymous route, admin token", "/public/x", admin},
		{"authenticated route, token without groups", "/me", plain},
		{"admin route", "/admin/x", admin},
	}
	for _, tc := range proxyCases {
		t.Run("proxy/"+tc.name, func(t *testing.T) {
			resp := hardRaw(t, proxy.addr["proxy"], "GET", tc.target, append(hardSpoof(), hardBearer(tc.tok)...)...)
			if resp.status != 200 {
				t.Fatalf("status %d", resp.status)
			}
			check(t, up.last(t).Header, tc.tok)
		})
	}

	faCases := []struct {
		name, uri, tok string
	}{
		{"anonymous route, no token", "/public/x", ""},
		{"anonymous route, token without groups", "/public/x", plain},
		{"authenticated route", "/me", plain},
		{"admin route", "/admin/x", admin},
	}
	for _, tc := range faCases {
		t.Run("forward-auth/"+tc.name, func(t *testing.T) {
			hdr := []hardHeader{{"X-Forwarded-Uri", tc.uri}, {"X-Forwarded-Method", "GET"}, {"X-Forwarded-Host", "api.example.com"}}
			resp := hardRaw(t, fa.addr["forward-auth"], "GET", "/auth", append(hdr, hardBearer(tc.tok)...)...)
			if resp.status != 200 {
				t.Fatalf("status %d", resp.status)
			}
			check(t, resp.header, tc.tok)
			// A subrequest that carries identity headers is refused
			// (TestBoundaryForwardAuthHeaders has every spelling).
			resp = hardRaw(t, fa.addr["forward-auth"], "GET", "/auth", append(append(hardSpoof(), hdr...), hardBearer(tc.tok)...)...)
			if resp.status != 400 {
				t.Fatalf("with spoofed identity headers: status %d, want 400", resp.status)
			}
			check(t, resp.header, "")
		})
	}
	// Denied forward-auth requests carry no identity either.
	resp := hardRaw(t, fa.addr["forward-auth"], "GET", "/auth", hardHeader{"X-Forwarded-Uri", "/admin/x"}, hardHeader{"X-Forwarded-Method", "GET"}, hardHeader{"X-Forwarded-Host", "api.example.com"})
	if resp.status != 401 {
		t.Fatalf("forward-auth denial: %d", resp.status)
	}
	check(t, resp.header, "")
}

// TestHardeningUnderscoreIdentityHeaders documents a gap: a client header
// spelled with underscores (X_Auth_Groups) is a different header to Go and
// is forwarded, but CGI, WSGI, PHP and Rack upstreams map both spellings to
// the same variable (HTTP_X_AUTH_GROUPS), so it can pose as an identity
// header on requests that carry none (anonymous routes, tokens without
// groups).
func TestHardeningUnderscoreIdentityHeaders(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	resp := hardRaw(t, p.addr["proxy"], "GET", "/public/x", hardHeader{"X_Auth_Groups", "admin"}, hardHeader{"X_AUTH_SUB", "spoofed"})
	if resp.status != 200 {
		t.Fatalf("status %d", resp.status)
	}
	var leaked []string
	for name := range up.last(t).Header {
		if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Auth-Groups") || strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Auth-Sub") {
			leaked = append(leaked, name)
		}
	}
	if len(leaked) > 0 {
		t.Errorf("underscore spellings of identity headers reached the upstream: %v", leaked)
	}
}

// hardSecrets returns the strings that must never appear in output: each
// token whole, windows of its payload and signature segments, and windows
// of the pool's RSA moduli as its JWKS publishes them.
func hardSecrets(t *testing.T, pool *cognitotest.Pool, tokens []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	window := func(what, s string) {
		const n = 20
		if len(s) < n {
			if len(s) >= 12 {
				out[s] = what
			}
			return
		}
		for _, at := range []int{0, len(s)/2 - n/2, len(s) - n} {
			out[s[at:at+n]] = what
		}
	}
	for i, tok := range tokens {
		out[tok] = fmt.Sprintf("token %d", i)
		parts := strings.Split(tok, ".")
		if len(parts) == 3 {
			window(fmt.Sprintf("token %d payload", i), parts[1])
			window(fmt.Sprintf("token %d signature", i), parts[2])
		}
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			N   string `json:"n"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(pool.JWKS(), &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("pool JWKS: %v", err)
	}
	for _, k := range set.Keys {
		window("modulus of "+k.Kid, k.N)
		window("modulus (hex) of "+k.Kid, pool.PublicKey(k.Kid).N.Text(16))
	}
	return out
}

// TestHardeningNoSecretsInOutput sends valid and hostile tokens to the
// proxy and the forward-auth endpoint, then scans the processes' logs, the
// status line, headers and body of every denial, and the metrics
// exposition for token or key material.
func TestHardeningNoSecretsInOutput(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "tokens:\n  cookie: session\n")
	proxy := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	fa := start(t, []string{"forward-auth", "admin"}, "forward-auth", "--config", cfg)

	valid := pool.AccessToken(cognitotest.WithUsername("bob"))
	admin := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))
	other := pool.AccessToken(cognitotest.WithUsername("carol"))
	dot := strings.LastIndexByte(valid, '.')
	hdr, payload, _ := strings.Cut(valid, ".")
	payload = payload[:strings.IndexByte(payload, '.')]
	sig := valid[dot+1:]
	expired := pool.AccessToken(cognitotest.WithIssuedAt(time.Now().Add(-3 * time.Hour)))
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."
	hs := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"x"}`)) + "." + payload + "." + sig
	hostile := []string{
		valid[:dot] + other[strings.LastIndexByte(other, '.'):], // bad signature
		expired,
		pool.AccessToken(cognitotest.WithClientID("someoneelse0client0id1234")),
		pool.AccessToken(cognitotest.WithUnpublishedKey()),
		pool.AccessToken(cognitotest.WithHeader("kid", "made-up-kid")),
		pool.IDToken(),
		pool.AccessToken(cognitotest.WithIssuer("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1")),
		none, hs,
		hdr + "." + payload,                  // two segments
		valid + ".extra",                     // four segments
		valid + "=",                          // padding
		hdr + "." + payload + "." + sig[:10], // short signature
		payload + "." + hdr + "." + sig,      // swapped
		strings.Repeat(payload, 40),          // too big, one segment
		hdr + "." + strings.Repeat("A", 20000) + "." + sig,
	}
	secrets := hardSecrets(t, pool, append([]string{valid, admin, other, expired}, hostile...))

	var scanned strings.Builder // every denial, as received
	record := func(what string, r hardResponse) {
		fmt.Fprintf(&scanned, "== %s: %d\n", what, r.status)
		for k, vs := range r.header {
			for _, v := range vs {
				fmt.Fprintf(&scanned, "%s: %s\n", k, v)
			}
		}
		scanned.WriteString(r.body + "\n")
	}
	denials := 0
	send := func(base, target string, wantOK bool, hdrs ...hardHeader) {
		t.Helper()
		r := hardRaw(t, base, "GET", target, hdrs...)
		if wantOK {
			if r.status != 200 {
				t.Errorf("%s with a valid token: %d", target, r.status)
			}
			return
		}
		if r.status < 400 {
			t.Errorf("%s: status %d, want a denial", target, r.status)
		}
		denials++
		record(fmt.Sprintf("denial %d", denials), r) // not the target: it may hold a token

	}
	p := proxy.addr["proxy"]
	send(p, "/me", true, hardBearer(valid)...)
	send(p, "/admin/x", true, hardBearer(admin)...)
	send(p, "/admin/x", false, hardBearer(valid)...) // 403
	send(p, "/other", false, hardBearer(valid)...)   // default deny
	send(p, "/me?access_token="+valid, false)        // the query is not a token source
	send(p, "/me", false, hardHeader{"Cookie", "session=" + expired})
	send(p, "/me", false, hardHeader{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+valid))})
	for _, tok := range hostile {
		send(p, "/me", false, hardBearer(tok)...)
		send(p, "/public/x", false, hardHeader{"Authorization", "Bearer " + tok}, hardHeader{"Authorization", "Bearer " + tok})
		send(fa.addr["forward-auth"], "/auth", false, append(hardBearer(tok), hardHeader{"X-Forwarded-Uri", "/me"})...)
	}
	send(fa.addr["forward-auth"], "/auth", false, append(hardBearer(valid), hardHeader{"X-Forwarded-Uri", "/admin/x"})...)

	metrics := body(t, proxy.addr["admin"]+"/metrics") + body(t, fa.addr["admin"]+"/metrics")
	outputs := map[string]string{
		"proxy logs":         proxy.stderr.String(),
		"forward-auth logs":  fa.stderr.String(),
		"denial responses":   scanned.String(),
		"metrics exposition": metrics,
	}
	for what, text := range outputs {
		for s, name := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s hold %s: %.60q…", what, name, text[max(0, i-20):])
			}
		}
	}
	if denials < 40 || !strings.Contains(proxy.stderr.String(), "request denied") {
		t.Fatalf("the scan saw too little: %d denials, logs:\n%s", denials, proxy.stderr.String())
	}
	t.Logf("scanned %d bytes of logs, %d denials (%d bytes), %d bytes of metrics for %d secret strings",
		len(outputs["proxy logs"])+len(outputs["forward-auth logs"]), denials, scanned.Len(), len(metrics), len(secrets))
}
