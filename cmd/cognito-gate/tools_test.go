package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

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
