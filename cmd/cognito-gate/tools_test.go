package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
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
	if n := exampletest.Replay(t, out.String()); n != 12 {
		t.Errorf("%d curl lines replayed, want 12:\n%s", n, out.String())
	}
	p.signal(t, syscall.SIGINT)
	if err := p.wait(t); err != nil {
		t.Errorf("demo exit: %v", err)
	}
}

func TestDemoPrintConfigIsValid(t *testing.T) {
	out, err := exec.Command(binary, "demo", "--print-config").Output()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseConfig(out, "demo.yaml", nil); err != nil {
		t.Fatalf("the demo's configuration does not load: %v\n%s", err, out)
	}
}

func TestVerifyAndExplain(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	cfg := writeConfig(t, pool, "", e2ePolicy, "")
	admin := pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"))

	out, err := exec.Command(binary, "verify", "--config", cfg, admin).Output()
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var got struct {
		Valid  bool           `json:"valid"`
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal(out, &got); err != nil || !got.Valid || got.Claims["username"] != "alice" {
		t.Fatalf("verify output %s (%v)", out, err)
	}

	cmd := exec.Command(binary, "verify", "--config", cfg, "-")
	cmd.Stdin = strings.NewReader(pool.AccessToken(cognitotest.WithIssuedAt(time.Now().Add(-3*time.Hour))) + "\n")
	out, err = cmd.Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.HasPrefix(string(out), "invalid: expired (HTTP 401)") {
		t.Fatalf("verify expired: %v %s", err, out)
	}

	out, err = exec.Command(binary, "explain", "--config", cfg, "--method", "DELETE", "--path", "/admin/users/1", admin).Output()
	if err != nil || !strings.Contains(string(out), "admin") || !strings.Contains(strings.ToLower(string(out)), "allow") {
		t.Fatalf("explain admin: %v\n%s", err, out)
	}
	out, err = exec.Command(binary, "explain", "--config", cfg, "--path", "/admin/x").Output()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "missing_token") {
		t.Fatalf("explain anonymous: %v\n%s", err, out)
	}
	if err := exec.Command(binary, "explain", "--config", cfg).Run(); err == nil {
		t.Error("explain without --path succeeded")
	}
	if err := exec.Command(binary, "verify", "--config", cfg).Run(); err == nil {
		t.Error("verify without a token succeeded")
	}
}

// TestReadmeCommands keeps the README's set-up commands in step with what
// the tests exercise: the demo command and the test command.
func TestReadmeCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"go run ./cmd/cognito-gate demo", "go test -race ./..."} {
		if !strings.Contains(string(readme), cmd) {
			t.Errorf("README.md lacks %q", cmd)
		}
	}
	if !strings.Contains(string(ci), "\ngo test -race ./...") {
		t.Error(".ci/run does not run the README's test command")
	}
}
