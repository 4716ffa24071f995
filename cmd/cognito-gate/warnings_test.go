package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// TestStartUpWarnings: the warnings docs/security.md promises "at
// start-up and in check" are logged by the running binary and printed by
// check, for the same file: here a policy whose default is allow.
func TestStartUpWarnings(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	const failsOpen = "default: allow lets every request that no rule matches through"
	cfg := writeConfig(t, pool, "http://127.0.0.1:1", "default: allow\nrules:\n  - name: me\n    route: GET /me\n", "")
	p := start(t, []string{"proxy", "admin"}, "serve", "--config", cfg)
	if log := p.stderr.String(); !strings.Contains(log, failsOpen) || !strings.Contains(log, `"level":"warn"`) {
		t.Errorf("serve logged no warning %q:\n%s", failsOpen, log)
	}
	out, err := exec.Command(binary, "check", "--config", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), failsOpen) {
		t.Errorf("check: %v, printed no warning %q:\n%s", err, failsOpen, out)
	}
	// Without the risky setting, neither warns.
	quiet := writeConfig(t, pool, "http://127.0.0.1:1", "default: deny\nrules:\n  - name: me\n    route: GET /me\n", "")
	out, err = exec.Command(binary, "check", "--config", quiet).CombinedOutput()
	if err != nil || strings.Contains(string(out), "default: allow") {
		t.Errorf("check of a deny-by-default file: %v\n%s", err, out)
	}
}
