package grpcmw_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/exampletest"
)

// TestReadmeSnippet: README.md's gRPC snippet (in its Middleware section)
// is the code of the package Example between the README markers, so it
// compiles and runs as shown.
func TestReadmeSnippet(t *testing.T) {
	exampletest.ReadmeSnippet(t, "../../README.md", "Middleware (`middleware`)", "grpcmw.", "example_test.go")
}
