package echomw_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/exampletest"
)

// TestReadmeSnippet: README.md's Echo snippet (in its Middleware section)
// is the code of ExampleWithConfig between the README markers, so it
// compiles and runs as shown.
func TestReadmeSnippet(t *testing.T) {
	exampletest.ReadmeSnippet(t, "../../README.md", "Middleware (`middleware`)", "echomw.", "example_test.go")
}
