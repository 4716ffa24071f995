package grpcmw_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoGRPCDependency: programs that use the library without gRPC link
// no grpc-go (nor the genproto packages it brings): it stays in this
// package.
func TestNoGRPCDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	const module = "github.com/cognito-gate/cognito-gate/"
	pkgs := []string{"middleware", "claims", "policy", "jwks"}
	for _, pkg := range pkgs {
		out, err := exec.Command("go", "list", "-deps", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 || deps[len(deps)-1] != module+pkg {
			t.Fatalf("go list -deps %s listed %q", pkg, deps)
		}
		for _, dep := range deps {
			if strings.HasPrefix(dep, "google.golang.org/grpc") || strings.HasPrefix(dep, "google.golang.org/genproto") {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
	// The check can fail: this package's own dependencies include grpc-go.
	out, err := exec.Command("go", "list", "-deps", module+"middleware/grpcmw").Output()
	if err != nil || !strings.Contains(string(out), "\ngoogle.golang.org/grpc\n") {
		t.Errorf("go list -deps middleware/grpcmw does not list google.golang.org/grpc (%v): the check above cannot see it", err)
	}
}
