package middleware_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoFrameworkDependency: net/http users of middleware link no web
// framework (Echo lives in middleware/echomw and middleware/echomw/v5).
func TestNoFrameworkDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "labstack") || strings.Contains(dep, "autocert") {
			t.Errorf("middleware links %s", dep)
		}
	}
}
