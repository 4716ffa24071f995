package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// spoofed are identity headers a client tries to smuggle in.
var spoofed = map[string]string{
	"X-Auth-Sub": "spoofed", "X-Auth-Username": "spoofed", "X-Auth-Groups": "admin", "X-Auth-Scopes": "all",
	"X-Auth-Client-Id": "spoofed", "X-Auth-Token-Use": "access", "X-Auth-Issuer": "spoofed", "X-Auth-Tenant": "spoofed",
}

func TestServeProxy(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "identity_headers:\n  claims:\n    custom:tenant: X-Auth-Tenant\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	base := p.addr["proxy"]

	admin := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithSubject("sub-alice"), cognitotest.WithGroups("admin", "ops"),
		cognitotest.WithScopes("a/b", "c/d"), cognitotest.WithClaim("custom:tenant", "acme"))
	reader := pool.AccessToken(cognitotest.WithUsername("bob"))

	tests := []struct {
		name, method, path, token string
		want                      int
	}{
		{"anonymous public", "GET", "/public/x", "", 200},
		{"no token", "GET", "/me", "", 401},
		{"valid token", "GET", "/me", reader, 200},
		{"admin", "DELETE", "/admin/users/1", admin, 200},
		{"reader on admin", "GET", "/admin/", reader, 403},
		{"expired", "GET", "/me", pool.AccessToken(cognitotest.WithIssuedAt(time.Now().Add(-3 * time.Hour))), 401},
		{"forged", "GET", "/me", reader[:strings.LastIndexByte(reader, '.')] + admin[strings.LastIndexByte(admin, '.'):], 401},
		{"default deny", "GET", "/other", admin, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := up.count()
			resp := get(t, tt.method, base+tt.path, tt.token, spoofed)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want != 200 {
				if up.count() != before {
					t.Error("a denied request reached the upstream")
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("denial without WWW-Authenticate")
				}
				return
			}
			r := up.last(t)
			if r.URL.Path != tt.path || r.Method != tt.method {
				t.Errorf("upstream got %s %s", r.Method, r.URL.Path)
			}
			for name := range spoofed {
				if r.Header.Get(name) == "spoofed" || (name == "X-Auth-Groups" && tt.token != admin && r.Header.Get(name) != "") {
					t.Errorf("spoofed %s reached the upstream: %q", name, r.Header.Get(name))
				}
			}
			if tt.token == "" && r.Header.Get("X-Auth-Sub") != "" {
				t.Error("anonymous request carried identity")
			}
			if r.Header.Get("X-Forwarded-For") == "" || r.Header.Get("Authorization") != headerOf(tt.token) {
				t.Errorf("forwarding headers: %v", r.Header)
			}
		})
	}

	// The admin's identity reached the upstream exactly.
	get(t, "GET", base+"/admin/x", admin, spoofed)
	r := up.last(t)
	want := map[string]string{
		"X-Auth-Sub": "sub-alice", "X-Auth-Username": "alice", "X-Auth-Groups": "admin,ops", "X-Auth-Scopes": "a/b c/d",
		"X-Auth-Client-Id": pool.ClientID(), "X-Auth-Token-Use": "access", "X-Auth-Issuer": pool.Issuer(), "X-Auth-Tenant": "acme",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}

	// Admin listener.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
		if resp := get(t, "GET", p.addr["admin"]+path, "", nil); resp.StatusCode != want {
			t.Errorf("admin %s: %d", path, resp.StatusCode)
		}
	}
	if resp := get(t, "GET", base+"/metrics", "", nil); resp.StatusCode != 403 && resp.StatusCode != 401 {
		t.Errorf("/metrics on the proxy listener: %d, want it denied", resp.StatusCode)
	}
	metrics := body(t, p.addr["admin"]+"/metrics")
	for _, line := range []string{
		`cognito_gate_requests_total{reason="group_denied",result="denied"} 1`,
		`cognito_gate_requests_total{reason="missing_token",result="denied"} 2`,
		`cognito_gate_policy_decisions_total{result="allow",rule="admin"} 2`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	// No token material in the logs.
	assertNoToken(t, p.stderr.String(), admin, reader)
}

func headerOf(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

func body(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func assertNoToken(t *testing.T, logs string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		parts := strings.Split(tok, ".")
		for _, s := range []string{tok, parts[1][:24], parts[2][:24]} {
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold token material %q", s[:10])
			}
		}
	}
}

func TestServeUpstreamDownAndAuthorizationNotForwarded(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "forward_authorization: false\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	tok := pool.AccessToken()
	if resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if got := up.last(t).Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization forwarded: %q", got)
	}
	up.Close()
	if resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("upstream down: %d, want 502", resp.StatusCode)
	}
}

func TestServeKeysUnavailableAndReadiness(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	pool.SetFault(cognitotest.Fault{Status: 500})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)

	if resp := get(t, "GET", p.addr["admin"]+"/readyz", "", nil); resp.StatusCode != 503 {
		t.Fatalf("/readyz with no keys: %d, want 503", resp.StatusCode)
	}
	tok := pool.AccessToken()
	resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("request with no keys: %d, want 503 with Retry-After", resp.StatusCode)
	}
	// Anonymous routes work without keys.
	if resp := get(t, "GET", p.addr["proxy"]+"/public/x", "", nil); resp.StatusCode != 200 {
		t.Fatalf("anonymous route with no keys: %d", resp.StatusCode)
	}
	// The key server recovers; a token triggers a fetch once the cooldown
	// (1 ms here) has passed since the last attempt, and everything is
	// ready. Requests inside the cooldown still fail fast with 503.
	pool.ClearFault()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := get(t, "GET", p.addr["proxy"]+"/me", tok, nil)
		if resp.StatusCode == 200 {
			break
		}
		if resp.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("after recovery: %d", resp.StatusCode)
		}
	}
	if resp := get(t, "GET", p.addr["admin"]+"/readyz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("/readyz after recovery: %d", resp.StatusCode)
	}
}

func TestServeReloadOnSIGHUP(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	url := p.addr["proxy"] + "/open/x"
	if resp := get(t, "GET", url, "", nil); resp.StatusCode != 401 {
		t.Fatalf("before reload: %d", resp.StatusCode)
	}
	policyFile := filepath.Join(filepath.Dir(cfg), "policy.yaml")
	reloaded := func() {
		t.Helper()
		p.signal(t, syscall.SIGHUP)
		waitLog(t, p, "reload")
	}

	// A broken policy is rejected; the old one stays.
	os.WriteFile(policyFile, []byte("default: deny\nrules:\n  - name: open\n    route: /open/\n    groups_any: []\n"), 0o600)
	reloaded()
	if !strings.Contains(p.stderr.String(), "policy.yaml:5") {
		t.Errorf("the reload error does not name the line:\n%s", p.stderr.String())
	}
	if resp := get(t, "GET", url, "", nil); resp.StatusCode != 401 {
		t.Fatalf("after a broken reload: %d, want the old policy's 401", resp.StatusCode)
	}

	// A good policy takes effect.
	os.WriteFile(policyFile, []byte(e2ePolicy+"  - name: open\n    route: /open/\n    anonymous: true\n"), 0o600)
	reloaded()
	if resp := get(t, "GET", url, "", nil); resp.StatusCode != 200 {
		t.Fatalf("after reload: %d, want 200", resp.StatusCode)
	}
}

// waitLog waits until the process has logged a line containing s since the
// last call (reading stderr, which the process writes as it goes).
func waitLog(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		logs := p.stderr.String()
		if n := strings.Count(logs, s); n > p.seen(s) {
			p.mark(s, n)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", s, logs)
		}
		time.Sleep(10 * time.Millisecond) // polling the child's output, not waiting for a timer
	}
}

func TestGracefulShutdown(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		io.WriteString(w, "done")
	})
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)

	result := make(chan *http.Response, 1)
	go func() {
		resp, err := http.Get(p.addr["proxy"] + "/slow")
		if err != nil {
			t.Error(err)
			result <- nil
			return
		}
		result <- resp
	}()
	<-entered
	p.signal(t, syscall.SIGTERM)
	waitLog(t, p, "shutting down")
	close(release)
	resp := <-result
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("in-flight request: %v", resp)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "done" {
		t.Errorf("in-flight body %q", b)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr.String())
	}
}
