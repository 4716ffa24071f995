package exampletest

import (
	"os"
	"strings"
	"testing"
)

// ReadmeSnippet checks that README.md (at readme) shows, in its section
// headed "## <section>" (up to the next "## " heading), a ```go block
// containing marker whose code is exactly the lines of the example file
// between its "// README: begin" and "// README: end" comments (one tab of
// indentation removed), so that the snippet compiles and runs as shown.
func ReadmeSnippet(t *testing.T, readme, section, marker, example string) {
	t.Helper()
	text, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(text), "\n## "+section+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", readme, section)
	}
	if i := strings.Index(body, "\n## "); i >= 0 {
		body = body[:i]
	}
	var snippet string
	for _, block := range strings.Split(body, "```go\n")[1:] {
		code, _, _ := strings.Cut(block, "```")
		if strings.Contains(code, marker) {
			snippet = code
			break
		}
	}
	if snippet == "" {
		t.Fatalf("section %q of %s has no go block using %s", section, readme, marker)
	}
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(src), "\t// README: begin\n")
	code, _, ok2 := strings.Cut(code, "\t// README: end\n")
	if !ok || !ok2 {
		t.Fatalf("%s has no README: begin/end markers", example)
	}
	var lines []string
	for _, l := range strings.SplitAfter(code, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, ""); snippet != want {
		t.Errorf("%s's snippet using %s:\n%s\nis not %s's:\n%s", readme, marker, snippet, example, want)
	}
}
