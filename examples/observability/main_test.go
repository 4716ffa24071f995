package observability_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// The cognito-gate executable, built on first use by gateBinary into
// buildDir, which TestMain removes.
var (
	buildDir  string
	buildOnce sync.Once
	binary    string
	buildErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cognito-gate-observability")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// gateBinary builds cognito-gate once, with -race like the end-to-end tests
// of cmd/cognito-gate so that both builds share the build cache.
func gateBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		bin := filepath.Join(buildDir, "cognito-gate")
		out, err := exec.Command("go", "build", "-race", "-o", bin, "github.com/cognito-gate/cognito-gate/cmd/cognito-gate").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building cognito-gate: %v\n%s", err, out)
			return
		}
		binary = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// gateProc is a running `cognito-gate serve`.
type gateProc struct {
	proxy string // http://host:port of the proxy listener
	admin string // host:port of the admin listener (/metrics)
}

// startGate writes a configuration for pools (the first one also gets the
// policy's tokens) and runs `cognito-gate serve` with it in front of a
// small upstream, until the test ends. It returns once both listeners are
// up.
func startGate(t *testing.T, policyYAML string, pools ...*cognitotest.Pool) *gateProc {
	t.Helper()
	up := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "upstream ok\n") }),
		ReadHeaderTimeout: 5 * time.Second,
	}
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go up.Serve(upLn)
	t.Cleanup(func() { up.Close() })

	var cfg strings.Builder
	fmt.Fprintf(&cfg, "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream: http://%s\npools:\n", upLn.Addr())
	for _, p := range pools {
		fmt.Fprintf(&cfg, "  - user_pool_id: %s\n    jwks_url: %s\n    allow_http: true\n    client_ids: [%s]\n    token_use: access\n",
			p.PoolID(), p.JWKSURL(), p.ClientID())
	}
	// A short cooldown lets every unknown kid fetch the key set again (so
	// that fetches show up while Prometheus watches); a short backoff keeps
	// a failing pool's retries coming.
	cfg.WriteString("jwks:\n  cooldown: 1ms\n  max_backoff: 1s\npolicy_file: policy.yaml\nlog:\n  level: error\n  format: console\n")
	// An empty deny list, so that its metrics are exported too.
	cfg.WriteString("revocation:\n  file: revoked.jsonl\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "revoked.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gate.yaml"), []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(gateBinary(t), "serve", "--config", filepath.Join(dir, "gate.yaml"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &proctest.Buffer{}
	// Registered first, so it runs after the process has stopped.
	t.Cleanup(func() {
		if strings.Contains(stderr.String(), "WARNING: DATA RACE") {
			t.Error("the race detector reported a data race in cognito-gate")
		}
	})
	proctest.Start(t, "cognito-gate", cmd, stderr)

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	g := &gateProc{}
	deadline := time.After(30 * time.Second)
	for g.proxy == "" || g.admin == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("cognito-gate exited before listening:\n%s", stderr.String())
			}
			if addr, ok := strings.CutPrefix(line, "proxy listening on "); ok {
				g.proxy = "http://" + addr
			}
			if addr, ok := strings.CutPrefix(line, "admin listening on "); ok {
				g.admin = addr
			}
		case <-deadline:
			t.Fatalf("cognito-gate did not report its listeners within 30s:\n%s", stderr.String())
		}
	}
	go func() {
		for range lines { // keep draining stdout
		}
	}()
	return g
}

// scrape fetches the admin listener's /metrics and returns the sample
// names it exposes (histograms as their _bucket, _sum and _count series).
func scrape(t *testing.T, admin string) map[string]bool {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}
