package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/exampletest"
)

func TestDemo(t *testing.T) {
	p := start(t, []string{}, "demo", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
	// Collect the banner up to the last line.
	var out strings.Builder
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C to stop.") {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("demo exited:\n%s\n%s", out.String(), p.stderr.String())
			}
			out.WriteString(line + "\n")
		case <-deadline:
			t.Fatalf("demo did not print its commands:\n%s", out.String())
		}
	}
	if n := exampletest.Replay(t, out.String()); n != 13 {
		t.Errorf("%d curl lines replayed, want 13:\n%s", n, out.String())
	}
	checkDemoMachine(t, out.String())
	p.signal(t, syscall.SIGINT)
	if err := p.wait(t); err != nil {
		t.Errorf("demo exit: %v", err)
	}
}

// checkDemoMachine sends the machine token's curl line of the demo's
// output and checks what the demo upstream echoes: a machine caller, named
// by its client id, without a username.
func checkDemoMachine(t *testing.T, out string) {
	t.Helper()
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, demoMachineLine) {
			line = l
		}
	}
	f := strings.Fields(line)
	if len(f) < 7 || f[3] != "'Authorization:" {
		t.Fatalf("no machine token line in the demo's output:\n%s", out)
	}
	req, err := http.NewRequest("GET", f[6], nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSuffix(f[5], "'"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var echo struct{ Identity map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
		t.Fatalf("the upstream's answer: %v", err)
	}
	id := echo.Identity
	if id["X-Auth-Caller-Type"] != "machine" || id["X-Auth-Caller"] == "" || id["X-Auth-Caller"] != id["X-Auth-Client-Id"] || id["X-Auth-Username"] != "" {
		t.Errorf("the machine token's identity upstream: %v", id)
	}
}

// TestDemoPrintConfigWorksWithServe: the configuration that
// `demo --print-config` prints is one `serve` runs while the demo runs,
// and the demo's tokens verify through that gateway (the curl commands the
// demo prints on stderr answer as their comments say).
func TestDemoPrintConfigWorksWithServe(t *testing.T) {
	demo := start(t, []string{}, "demo", "--print-config", "--listen", "localhost:0", "--admin-listen", "127.0.0.1:0")
	var cfg strings.Builder
	deadline := time.After(30 * time.Second)
	for !strings.HasSuffix(cfg.String(), demoConfigEnd) {
		select {
		case line, ok := <-demo.lines:
			if !ok {
				t.Fatalf("demo exited:\n%s\n%s", cfg.String(), demo.stderr.String())
			}
			cfg.WriteString(line + "\n")
		case <-deadline:
			t.Fatalf("demo did not print its configuration:\n%s", cfg.String())
		}
	}
	for !strings.Contains(demo.stderr.String(), "Press Ctrl-C to stop.") {
		select {
		case <-deadline:
			t.Fatalf("demo did not print its commands:\n%s", demo.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	parsed, err := parseConfig([]byte(cfg.String()), "demo.yaml", nil)
	if err != nil {
		t.Fatalf("the printed configuration does not load: %v\n%s", err, cfg.String())
	}
	// ":0" became a fixed port, so that the commands can name it.
	if strings.HasSuffix(parsed.raw.Listen, ":0") || strings.HasSuffix(parsed.raw.AdminListen, ":0") {
		t.Errorf("listen %s, admin_listen %s: want fixed ports", parsed.raw.Listen, parsed.raw.AdminListen)
	}
	file := filepath.Join(t.TempDir(), "demo.yaml")
	if err := os.WriteFile(file, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	gw := start(t, []string{"proxy", "admin"}, "serve", "--config", file)
	if want := "http://" + parsed.raw.Listen; gw.addr["proxy"] != want {
		t.Fatalf("serve listens on %s, want %s", gw.addr["proxy"], want)
	}
	if n := exampletest.Replay(t, demo.stderr.String()); n != 13 {
		t.Errorf("%d curl lines replayed through serve, want 13:\n%s", n, demo.stderr.String())
	}
	checkDemoMachine(t, demo.stderr.String())
	gw.signal(t, syscall.SIGINT)
	if err := gw.wait(t); err != nil {
		t.Errorf("serve exit: %v", err)
	}
	demo.signal(t, syscall.SIGINT)
	if err := demo.wait(t); err != nil {
		t.Errorf("demo exit: %v", err)
	}
}

// TestDemoUsageErrors: a listen address the demo will not use is
// explained, followed by the usage, with exit status 2 (it used to exit 2
// silently).
func TestDemoUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no port", []string{"--listen", "127.0.0.1"}, `--listen "127.0.0.1" has no port`},
		{"no port, localhost", []string{"--admin-listen", "localhost"}, `--admin-listen "localhost" has no port`},
		{"every interface", []string{"--listen", ":8080"}, "would listen on every interface"},
		{"wildcard address", []string{"--listen", "0.0.0.0:8080"}, "is not a loopback address"},
		{"other address", []string{"--admin-listen", "192.0.2.1:9090"}, "is not a loopback address"},
		{"host name", []string{"--listen", "example.com:8080"}, "neither an IP address nor localhost"},
		{"port name", []string{"--listen", "127.0.0.1:http"}, "is not a number"},
		{"same address", []string{"--listen", "localhost:8081"}, "--listen and --admin-listen are both 127.0.0.1:8081"},
		{"argument", []string{"now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"demo"}, tt.args...), nil, &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) || !strings.Contains(stderr.String(), "Usage: cognito-gate demo") || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr:\n%s\nstdout: %q\nwant exit 2, %q and the usage on stderr", code, stderr.String(), stdout.String(), tt.want)
			}
		})
	}
}

func TestLoopbackAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"localhost:18080", "127.0.0.1:18080"},
		{"LocalHost:0", "127.0.0.1:0"},
		{"127.0.0.2:1", "127.0.0.2:1"},
		{"[::1]:8080", "[::1]:8080"},
		{"[0:0:0:0:0:0:0:1]:8080", "[::1]:8080"},
	}
	for _, tt := range tests {
		if got, err := loopbackAddr(tt.in); err != nil || got != tt.want {
			t.Errorf("loopbackAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1", "[::1]", "localhost", ":0", "0.0.0.0:1", "[::]:1", "10.0.0.1:80", "localhost.:80", "127.0.0.1:65536", "127.0.0.1:-1"} {
		if got, err := loopbackAddr(bad); err == nil {
			t.Errorf("loopbackAddr(%q) = %q, want an error", bad, got)
		}
	}
}

// TestDemoBusyPort: a port in use is reported with the flag that moves
// it, whether the demo runs the gateway or prints its configuration.
func TestDemoBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().String()
	tests := []struct {
		name string
		args []string
		flag string
	}{
		{"gateway", []string{"--listen", busy, "--admin-listen", "127.0.0.1:0"}, "--listen"},
		{"admin", []string{"--listen", "127.0.0.1:0", "--admin-listen", busy}, "--admin-listen"},
		{"print-config, gateway", []string{"--print-config", "--listen", busy, "--admin-listen", "127.0.0.1:0"}, "--listen"},
		{"print-config, admin", []string{"--print-config", "--listen", "127.0.0.1:0", "--admin-listen", busy}, "--admin-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"demo"}, tt.args...), nil, &stdout, &stderr)
			want := tt.flag + " " + busy + " is in use"
			if code != 1 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "choose another address with "+tt.flag) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr.String(), want)
			}
			if strings.Contains(tt.name, "print-config") && stdout.Len() != 0 {
				t.Errorf("a configuration was printed for a busy port:\n%s", stdout.String())
			}
		})
	}
}

// TestBinaryLinksNoTestCode: the production binary, demo included, links
// neither package testing (the demo's fake pool is fakepool, not
// cognitotest) nor Echo (the Echo adapters are packages of their own).
func TestBinaryLinksNoTestCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "testing", strings.HasPrefix(dep, "testing/"):
			t.Errorf("cognito-gate links %s", dep)
		case strings.Contains(dep, "labstack"), strings.Contains(dep, "autocert"):
			t.Errorf("cognito-gate links %s", dep)
		case strings.HasSuffix(dep, "/cognitotest"):
			t.Errorf("cognito-gate links %s", dep)
		}
	}
}
