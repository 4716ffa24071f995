// Package proctest helps end-to-end tests that run other programs — the
// cognito-gate binary, nginx, Prometheus, the cognito-local emulator — on
// 127.0.0.1: finding a tool, picking a free port, and starting a process
// that is stopped, and whose output is shown on failure, when the test ends.
package proctest

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer collects a child process's output; it is safe for the process's
// writers and the test's readers at once.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Tool returns the path of the program name, looked up in PATH and then in
// the given folders. When it is missing the test is skipped outside CI and
// fails in CI (the environment variable CI is set), where .ci/run installs
// it; hint says how to install it.
func Tool(t testing.TB, name, hint string, dirs ...string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, d := range dirs {
		if path, err := exec.LookPath(d + "/" + name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed; .ci/run installs it (%s)", name, hint)
	}
	t.Skipf("%s not found; install it (%s) to run this test, which is required in CI", name, hint)
	return ""
}

// Start starts cmd with its output going to out (unless cmd already has a
// Stdout or Stderr), and stops it when the test ends — an interrupt, then,
// after 5 s, a kill (nginx, say, must stop its workers itself) — logging out
// if the test failed. The returned channel is closed when the process
// exits.
func Start(t testing.TB, name string, cmd *exec.Cmd, out *Buffer) <-chan struct{} {
	t.Helper()
	if cmd.Stdout == nil {
		cmd.Stdout = out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = out
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return exited
}
