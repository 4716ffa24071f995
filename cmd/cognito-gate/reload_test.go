package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// reloadConfig writes gate.yaml in dir for pools (the first with its
// client), with the extra YAML, beside policy.yaml.
func reloadConfigText(up string, extra string, pools ...*cognitotest.Pool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\npools:\n", up)
	for _, p := range pools {
		fmt.Fprintf(&b, "  - user_pool_id: %s\n    jwks_url: %s\n    allow_http: true\n    client_ids: [%s]\n    token_use: access\n", p.PoolID(), p.JWKSURL(), p.ClientID())
	}
	b.WriteString("jwks:\n  cooldown: 1ms\n  max_backoff: 1ms\npolicy_file: policy.yaml\nlog:\n  level: debug\n")
	b.WriteString(extra)
	return b.String()
}

// stream sends requests to url, each on a new connection, until stopped,
// and records every failure to connect or answer.
type stream struct {
	mu     sync.Mutex
	n      int
	errs   []error
	stop   chan struct{}
	wg     sync.WaitGroup
	client *http.Client
}

func startStream(url string) *stream {
	s := &stream{stop: make(chan struct{}), client: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			resp, err := s.client.Get(url)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			s.mu.Lock()
			s.n++
			if err != nil {
				s.errs = append(s.errs, err)
			}
			s.mu.Unlock()
		}
	}()
	return s
}

func (s *stream) end(t *testing.T) {
	t.Helper()
	close(s.stop)
	s.wg.Wait()
	if len(s.errs) > 0 {
		t.Errorf("%d of %d requests failed during the reloads, the first: %v", len(s.errs), s.n, s.errs[0])
	}
	if s.n == 0 {
		t.Error("the stream sent nothing")
	}
}

// TestReloadEverything reloads a running gateway on SIGHUP, under a stream
// of requests that must all be served: identity header names, token
// sources, server timeouts (new servers on the same sockets), the log level
// and the policy change at once, and the pool's keys are not fetched again
// (the key cache is kept); a broken file and a change that needs a restart
// change nothing; a new pool starts a new key cache whose tokens are
// accepted.
func TestReloadEverything(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "")
	os.WriteFile(cfg, []byte(reloadConfigText(up.URL, "", pool)), 0o600)
	policyFile := filepath.Join(filepath.Dir(cfg), "policy.yaml")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	base := p.addr["proxy"]
	tok := pool.AccessToken()
	if resp := get(t, "GET", base+"/me", tok, nil); resp.StatusCode != 200 || up.last(t).Header.Get("X-Auth-Sub") == "" {
		t.Fatalf("before: %d, X-Auth-Sub %q", resp.StatusCode, up.last(t).Header.Get("X-Auth-Sub"))
	}
	fetches := pool.Fetches()
	s := startStream(base + "/public/x")
	reload := func(want string) {
		t.Helper()
		p.signal(t, syscall.SIGHUP)
		waitLog(t, p, want)
	}

	// Everything that can change, at once.
	os.WriteFile(cfg, []byte(reloadConfigText(up.URL, `identity_headers:
  sub: X-User-Id
tokens:
  cookie: session
server:
  read_header_timeout: 5s
  idle_timeout: 30s
`, pool)), 0o600)
	os.WriteFile(policyFile, []byte(e2ePolicy+"  - name: open\n    route: /open/\n    anonymous: true\n"), 0o600)
	reload("configuration reloaded")
	if resp := get(t, "GET", base+"/me", tok, nil); resp.StatusCode != 200 {
		t.Fatalf("after the reload: %d", resp.StatusCode)
	}
	h := lastTo(t, up, "/me").Header
	if h.Get("X-User-Id") == "" || h.Get("X-Auth-Sub") != "" {
		t.Errorf("identity headers after the reload: X-User-Id %q, X-Auth-Sub %q", h.Get("X-User-Id"), h.Get("X-Auth-Sub"))
	}
	if resp := get(t, "GET", base+"/me", "", map[string]string{"Cookie": "session=" + tok}); resp.StatusCode != 200 {
		t.Errorf("the new cookie source: %d", resp.StatusCode)
	}
	if resp := get(t, "GET", base+"/open/x", "", nil); resp.StatusCode != 200 {
		t.Errorf("the new policy: %d", resp.StatusCode)
	}
	if got := pool.Fetches(); got != fetches {
		t.Errorf("the key set was fetched %d more times; an unchanged pool keeps its keys", got-fetches)
	}
	if !strings.Contains(p.stderr.String(), `"key_cache_kept":true`) {
		t.Error("the reload does not say it kept the key cache")
	}

	// A broken file: the old configuration stays; the error names the line.
	good, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(append([]byte(nil), good...), "bogus_key: 1\n"...), 0o600)
	reload("reload failed")
	if !strings.Contains(p.stderr.String(), `gate.yaml:23: bogus_key`) {
		t.Errorf("the reload error does not name the file and line:\n%s", grepLines(p.stderr.String(), "reload failed"))
	}
	if resp := get(t, "GET", base+"/open/x", "", nil); resp.StatusCode != 200 {
		t.Errorf("after a broken reload: %d, want the current configuration", resp.StatusCode)
	}

	// A new listen address needs a restart: refused, nothing applied (not
	// even the policy change beside it).
	os.WriteFile(cfg, []byte(strings.Replace(string(good), "listen: 127.0.0.1:0\n", "listen: 127.0.0.1:1\n", 1)), 0o600)
	os.WriteFile(policyFile, []byte(e2ePolicy), 0o600)
	reload("reload refused")
	if !strings.Contains(p.stderr.String(), `listen: \"127.0.0.1:0\" -> \"127.0.0.1:1\": needs a restart`) {
		t.Errorf("the refusal does not say what needs a restart:\n%s", grepLines(p.stderr.String(), "reload refused"))
	}
	if resp := get(t, "GET", base+"/open/x", "", nil); resp.StatusCode != 200 {
		t.Errorf("after a refused reload: %d, want the current policy", resp.StatusCode)
	}

	// A second pool: a new key cache, loaded before it serves, which
	// takes over the first pool's keys (fetched once, at the start).
	other := cognitotest.New(t, cognitotest.Config{PoolID: "us-east-1_Other2", ClientID: "other-client"})
	os.WriteFile(cfg, []byte(reloadConfigText(up.URL, "", pool, other)), 0o600)
	reload("configuration reloaded")
	if got, o := pool.Fetches(), other.Fetches(); got != fetches || o != 1 {
		t.Errorf("adding a pool fetched the first pool's keys %d more times and the new pool's %d times, want 0 and 1", got-fetches, o)
	}
	if !strings.Contains(p.stderr.String(), `"key_sets_fetched":["`+other.Issuer()+`"]`) {
		t.Errorf("the reload does not name the one key set it fetched:\n%s", grepLines(p.stderr.String(), "configuration reloaded"))
	}
	for _, tk := range []string{tok, other.AccessToken()} {
		if resp := get(t, "GET", base+"/me", tk, nil); resp.StatusCode != 200 {
			t.Errorf("a token after the pool was added: %d", resp.StatusCode)
		}
	}
	if !strings.Contains(p.stderr.String(), `"key_cache_kept":false`) {
		t.Error("the reload that added a pool says it kept the key cache")
	}
	s.end(t)
}

// lastTo is the last request the upstream received for path (the stream
// sends others meanwhile).
func lastTo(t *testing.T, u *upstream, path string) *http.Request {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := len(u.reqs) - 1; i >= 0; i-- {
		if u.reqs[i].URL.Path == path {
			return u.reqs[i]
		}
	}
	t.Fatalf("the upstream received nothing for %s", path)
	return nil
}

// TestReloadWatch checks reload.watch: a change of the policy file is
// picked up without a signal.
func TestReloadWatch(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up := newUpstream(t, nil)
	cfg := writeConfig(t, pool, up.URL, e2ePolicy, "reload:\n  watch: true\n  poll_interval: 100ms\n")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	if resp := get(t, "GET", p.addr["proxy"]+"/open/x", "", nil); resp.StatusCode != 401 {
		t.Fatalf("before: %d", resp.StatusCode)
	}
	os.WriteFile(filepath.Join(filepath.Dir(cfg), "policy.yaml"), []byte(e2ePolicy+"  - name: open\n    route: /open/\n    anonymous: true\n"), 0o600)
	waitLog(t, p, "configuration reloaded")
	if resp := get(t, "GET", p.addr["proxy"]+"/open/x", "", nil); resp.StatusCode != 200 {
		t.Errorf("after the policy file changed: %d, want 200", resp.StatusCode)
	}
}

func TestRestartOnly(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "CA")
	ca.writePair(t, dir, "tls", "127.0.0.1", false)
	load := func(extra string) *gateConfig {
		t.Helper()
		cfg, err := tlsTestConfig(t, dir, "http://127.0.0.1:3000", extra)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	base := load("")
	tests := []struct {
		name, extra string
		want        string // "" for a reloadable change
	}{
		{"nothing", "", ""},
		{"policy and headers", "identity_headers: {sub: X-User}\nserver: {idle_timeout: 5s}\nlog: {level: debug}\n", ""},
		{"listen", "listen: 127.0.0.1:9999\n", `listen: "127.0.0.1:8080" -> "127.0.0.1:9999"`},
		{"admin_listen", "admin_listen: 127.0.0.1:9998\n", `admin_listen: "127.0.0.1:8081" -> "127.0.0.1:9998"`},
		{"TLS on", "tls: {cert_file: tls.crt, key_file: tls.key}\n", `tls: "off" -> "on"`},
		{"admin TLS on", "admin_tls: {cert_file: tls.crt, key_file: tls.key}\n", `admin_tls: "off" -> "on"`},
		{"log format", "log: {format: console}\n", `log.format: "json" -> "console"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := restartOnly(base, load(tt.extra))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%v, want %q", err, tt.want)
			}
		})
	}
}

func TestChangedSections(t *testing.T) {
	a := fileConfig{Listen: "x", Realm: "r"}
	b := a
	b.Realm = "other"
	b.Server.IdleTimeout = time.Second
	if got := strings.Join(changedSections(&a, &b), ","); got != "realm,server" {
		t.Errorf("changed %q, want realm,server", got)
	}
	if got := changedSections(&a, &a); len(got) != 0 {
		t.Errorf("changed %q for the same configuration", got)
	}
}
