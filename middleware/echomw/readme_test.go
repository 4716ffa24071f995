package echomw_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeSnippet: README.md's Echo snippet (in its Middleware section)
// is the code of ExampleWithConfig between the README markers, so it
// compiles and runs as shown.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Middleware (`middleware`)\n")
	if !ok {
		t.Fatal("README.md has no Middleware section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var snippet string
	for _, block := range strings.Split(section, "```go\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.Contains(code, "echomw.") {
			snippet = code
			break
		}
	}
	if snippet == "" {
		t.Fatal("the Middleware section of README.md has no Echo snippet (a go block using echomw)")
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(src), "\t// README: begin\n")
	example, _, _ = strings.Cut(example, "\t// README: end\n")
	var lines []string
	for _, l := range strings.SplitAfter(example, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, ""); snippet != want {
		t.Errorf("README.md's Echo snippet:\n%s\nis not ExampleWithConfig's:\n%s", snippet, want)
	}
}
