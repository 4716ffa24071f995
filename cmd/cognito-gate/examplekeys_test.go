package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// configKeys returns every key of the configuration file that t (a
// struct of fileConfig's) declares, as dotted paths ("pools.token_use"):
// sections and their keys, through pointers and lists. A map (claims to
// header names) is one key; the policy is its own file format.
func configKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			if f.Anonymous {
				keys = append(keys, configKeys(f.Type, prefix)...)
			}
			continue
		}
		path := prefix + name
		keys = append(keys, path)
		if path != "policy" {
			keys = append(keys, configKeys(f.Type, path+".")...)
		}
	}
	return keys
}

// TestExampleConfigNamesEveryKey: examples/gate.yaml, "every key, with its
// default", names every key of the configuration file, set or in a
// comment ("# key: value"), at its place: below its section's line and
// indented deeper than it ("- " of a list item counts as indentation).
func TestExampleConfigNamesEveryKey(t *testing.T) {
	data, err := os.ReadFile("../../examples/gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keyLine := regexp.MustCompile(`^(\s*)(#\s?)?(\s*)(- )?([a-z_0-9]+):(\s|$)`)
	type line struct {
		name string // "" for a line that is not a key's
		col  int
	}
	var lines []line
	for _, l := range strings.Split(string(data), "\n") {
		m := keyLine.FindStringSubmatch(l)
		if m == nil {
			lines = append(lines, line{})
			continue
		}
		lines = append(lines, line{name: m[5], col: len(m[1]) + len(m[3]) + len(m[4])})
	}
	// find returns the line of the key name in lines[from:until], the
	// least indented if several, deeper than col; -1 when there is none.
	find := func(name string, from, until, col int) int {
		best := -1
		for i := from; i < until; i++ {
			if lines[i].name == name && lines[i].col > col && (best < 0 || lines[i].col < lines[best].col) {
				best = i
			}
		}
		return best
	}
	var missing []string
	for _, key := range configKeys(reflect.TypeFor[fileConfig](), "") {
		from, until, col := 0, len(lines), -1
		for _, part := range strings.Split(key, ".") {
			i := find(part, from, until, col)
			if i < 0 {
				missing = append(missing, key)
				break
			}
			// The section ends at the next key no deeper than its own.
			col, from, until = lines[i].col, i+1, i+1
			for until < len(lines) && (lines[until].name == "" || lines[until].col > col) {
				until++
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("examples/gate.yaml does not name %d key(s) of the configuration file (set, or as a comment, at its place):\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}
