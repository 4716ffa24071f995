package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// binary is the cognito-gate executable built once for the end-to-end
// tests.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	if fuzzing() {
		// Fuzz targets call functions, not the binary; building it in
		// every fuzz worker would eat the whole fuzz time.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "cognito-gate-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "cognito-gate")
	args := []string{"build", "-race", "-o", binary}
	if cover := os.Getenv("COGNITO_GATE_COVERDIR"); cover != "" {
		// End-to-end coverage: the binary writes its counters to
		// GOCOVERDIR when it exits normally (processes are stopped with
		// SIGTERM, see startCmd); `go tool covdata percent -i DIR` reads
		// them.
		if err := os.MkdirAll(cover, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		args = append(args, "-cover", "-coverpkg=github.com/cognito-gate/cognito-gate/...")
		os.Setenv("GOCOVERDIR", cover)
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cognito-gate:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fuzzing reports whether this test binary runs fuzz targets (go test
// -fuzz, or one of its workers).
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// proc is a running cognito-gate process.
type proc struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, line by line
	stderr *proctest.Buffer
	addr   map[string]string // listener name -> address
	done   chan error

	seenMu sync.Mutex
	marks  map[string]int // log substring -> occurrences already consumed
}

func (p *proc) seen(s string) int {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	return p.marks[s]
}

func (p *proc) mark(s string, n int) {
	p.seenMu.Lock()
	defer p.seenMu.Unlock()
	if p.marks == nil {
		p.marks = map[string]int{}
	}
	p.marks[s] = n
}

// start runs the binary with args and waits until it reports the named
// listeners (e.g. "proxy", "admin") on stdout.
func start(t *testing.T, listeners []string, args ...string) *proc {
	t.Helper()
	return startCmd(t, listeners, exec.Command(binary, args...))
}

// startCmd is start for a prepared command (one that runs the binary with
// limits, say).
func startCmd(t *testing.T, listeners []string, cmd *exec.Cmd) *proc {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1024), stderr: &proctest.Buffer{}, addr: map[string]string{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<10)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			// SIGTERM first, so that the binary exits normally (and writes
			// its coverage counters); a kill if it does not within 5 s.
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("cognito-gate stderr:\n%s", p.stderr.String())
		}
	})
	deadline := time.After(30 * time.Second)
	for len(p.addr) < len(listeners) {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("cognito-gate exited before listening:\n%s", p.stderr.String())
			}
			for _, name := range listeners {
				if rest, ok := strings.CutPrefix(line, name+" listening on "); ok {
					p.addr[name] = "http://" + rest
				}
			}
		case <-deadline:
			t.Fatalf("cognito-gate did not start:\n%s", p.stderr.String())
		}
	}
	return p
}

// signal sends sig and, for a stopping signal, waits for the exit.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("cognito-gate did not exit")
		return nil
	}
}

// upstream is a test upstream that records the requests it receives.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, r.Clone(r.Context()))
		u.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		io.WriteString(w, "upstream ok")
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last(t *testing.T) *http.Request {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return u.reqs[len(u.reqs)-1]
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// writeConfig writes a configuration for pool and upstream (empty: none)
// with the given policy and extra top-level YAML, and returns its path.
func writeConfig(t *testing.T, pool *cognitotest.Pool, up string, policyYAML, extra string) string {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
pools:
  - user_pool_id: %s
    jwks_url: %s
    allow_http: true
    client_ids: [%s]
    token_use: access
jwks:
  cooldown: 1ms
  max_backoff: 1ms
  refresh_interval: 1h
policy_file: policy.yaml
log:
  level: debug
%s`, pool.PoolID(), pool.JWKSURL(), pool.ClientID(), extra)
	if up != "" {
		text = "upstream: " + up + "\n" + text
	}
	if err := os.WriteFile(filepath.Join(dir, "gate.yaml"), []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "gate.yaml")
}

const e2ePolicy = `default: deny
rules:
  - name: public
    route: /public/
    anonymous: true
  - name: me
    route: GET /me
  - name: admin
    route: /admin/
    groups_any: [admin]
  - name: slow
    route: /slow
    anonymous: true
`

// get sends a request with an optional bearer token and extra headers.
func get(t *testing.T, method, url, token string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// runBinary runs the binary to completion.
func runBinary(t *testing.T, args ...string) error {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Logf("cognito-gate %s:\n%s", strings.Join(args, " "), out)
	}
	return err
}
