package observability_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

// TestPromtool validates alerts.yml (`promtool check rules`), runs its unit
// tests (`promtool test rules alerts_test.yml`: input series and the alerts
// expected from them) and validates prometheus.yml with the rule file it
// loads (`promtool check config`).
func TestPromtool(t *testing.T) {
	promtool := proctest.Tool(t, "promtool", "apt-get install prometheus", "/usr/bin")
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, err := exec.Command(promtool, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
		})
	}
}
