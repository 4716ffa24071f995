package yamlstrict

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type item struct {
	Name string `yaml:"name"`
	Port int    `yaml:"port"`
}

type testConfig struct {
	Name   string            `yaml:"name"`
	On     bool              `yaml:"on"`
	Opt    *bool             `yaml:"opt"`
	Wait   time.Duration     `yaml:"wait"`
	Size   int64             `yaml:"size"`
	Count  int               `yaml:"count"`
	List   []string          `yaml:"list"`
	Items  []item            `yaml:"items"`
	Labels map[string]string `yaml:"labels"`
	Raw    *Node             `yaml:"raw"`
	Sub    struct {
		A string `yaml:"a"`
	} `yaml:"sub"`
	Ignored string
}

var testEnv = map[string]string{"NAME": "from-env", "EMPTY": "", "YES": "true", "TEN": "10s", "BIG": "2MiB"}

func lookup(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

// decode parses text and decodes it into a testConfig.
func decode(text string, env func(string) (string, bool)) (*testConfig, *Decoder, bool) {
	d := NewDecoder("t.yaml", env)
	var c testConfig
	root, ok := d.Parse([]byte(text))
	if root != nil {
		d.Decode(root, "", &c)
	}
	return &c, d, ok
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // every error, as Error() prints it, in order
	}{
		{"syntax", "name: [\n", []string{"t.yaml:1: did not find expected node content"}},
		{"tab", "sub:\n\ta: x\n", []string{"t.yaml:2: found character that cannot start any token"}},
		{"second document", "name: a\n---\nname: b\n", []string{"t.yaml:2: a second YAML document; want exactly one"}},
		{"empty second document", "name: a\n---\n", []string{"t.yaml:2: a second YAML document; want exactly one"}},
		{"not a mapping", "- a\n", []string{`t.yaml:1: want a mapping with keys name, on, opt, wait, size, count, list, items, labels, raw, sub, got a list`}},
		{"unknown key", "name: a\nnmae: b\n", []string{`t.yaml:2: nmae: unknown key "nmae"; want one of name, on, opt, wait, size, count, list, items, labels, raw, sub`}},
		{"untagged field is not a key", "Ignored: x\n", []string{`t.yaml:1: Ignored: unknown key "Ignored"; want one of name, on, opt, wait, size, count, list, items, labels, raw, sub`}},
		{"repeated key", "name: a\non: true\nname: b\n", []string{`t.yaml:3: name: key "name" repeated (first on line 1)`}},
		{"repeated map key", "labels:\n  a: x\n  a: y\n", []string{`t.yaml:3: labels.a: key "a" repeated (first on line 2)`}},
		{"key not a string", "1: a\n", []string{`t.yaml:1: key int "1": want one of name, on, opt, wait, size, count, list, items, labels, raw, sub`}},
		{"map key not a string", "labels:\n  [a]: x\n", []string{`t.yaml:2: labels: key a list: want a string`}},
		{"anchor", "sub: &s\n  a: x\n", []string{"t.yaml:1: sub: anchors and aliases are not supported; write the value out"}},
		{"alias", "name: &n a\nlist: [*n]\n", []string{"t.yaml:1: name: anchors and aliases are not supported; write the value out", "t.yaml:2: list[0]: anchors and aliases are not supported; write the value out"}},
		{"anchored key", "&k name: a\n", []string{"t.yaml:1: anchors and aliases are not supported; write the value out"}},
		{"merge key", "sub:\n  <<: {a: x}\n", []string{`t.yaml:2: sub: key merge "<<": want one of a`}},
		{"string is null", "name:\n", []string{"t.yaml:1: name: want a string, got null"}},
		// A value not written at all is reported at its key, not where the
		// parser puts it (the next token, or past the end of the file).
		{"missing value of a last ? key", "labels:\n  ? 0A", []string{"t.yaml:2: labels.0A: want a string, got null"}},
		{"missing value of a ? key, then more", "labels:\n  ? a\n\n\n  b: x\n", []string{"t.yaml:2: labels.a: want a string, got null"}},
		{"missing value, comments after", "name:\n# one\n# two\non: true\n", []string{"t.yaml:1: name: want a string, got null"}},
		{"string is a list", "name: [a]\n", []string{"t.yaml:1: name: want a string, got a list"}},
		{"string is binary", "name: !!binary aGk=\n", []string{`t.yaml:1: name: want a string, got binary "aGk="`}},
		{"string with a custom tag", "name: !env X\n", []string{`t.yaml:1: name: want a string, got !env "X"`}},
		{"bool is a string", "on: yes\n", []string{`t.yaml:1: on: want true or false, got the string "yes"`}},
		{"bool is quoted", "on: \"true\"\n", []string{`t.yaml:1: on: want true or false, got the string "true"`}},
		{"bool is a number", "on: 1\n", []string{`t.yaml:1: on: want true or false, got int "1"`}},
		{"bad duration", "wait: soon\n", []string{`t.yaml:1: wait: want a non-negative duration such as 500ms, 10s or 1h, got "soon"`}},
		{"negative duration", "wait: -1s\n", []string{`t.yaml:1: wait: want a non-negative duration such as 500ms, 10s or 1h, got "-1s"`}},
		{"bad size", "size: lots\n", []string{`t.yaml:1: size: want a non-negative whole number (optionally with KiB, MiB or GiB), got "lots"`}},
		{"size overflow", "size: 9999999999GiB\n", []string{`t.yaml:1: size: want a non-negative whole number (optionally with KiB, MiB or GiB), got "9999999999GiB"`}},
		{"list is a scalar", "list: a\n", []string{`t.yaml:1: list: want a list, got the string "a"`}},
		{"struct is a list", "sub: [a]\n", []string{"t.yaml:1: sub: want a mapping with keys a, got a list"}},
		{"map is a scalar", "labels: x\n", []string{`t.yaml:1: labels: want a mapping, got the string "x"`}},
		{"nested", "items:\n  - name: a\n    port: x\n  - nme: b\n", []string{
			`t.yaml:3: items[0].port: want a non-negative whole number (optionally with KiB, MiB or GiB), got "x"`,
			`t.yaml:4: items[1].nme: unknown key "nme"; want one of name, port`,
		}},
		{"every problem", "name: [a]\non: maybe\nwait: soon\nbogus: 1\nlist: x\n", []string{
			"t.yaml:1: name: want a string, got a list",
			`t.yaml:2: on: want true or false, got the string "maybe"`,
			`t.yaml:3: wait: want a non-negative duration such as 500ms, 10s or 1h, got "soon"`,
			`t.yaml:4: bogus: unknown key "bogus"; want one of name, on, opt, wait, size, count, list, items, labels, raw, sub`,
			`t.yaml:5: list: want a list, got the string "x"`,
		}},
		{"unset variable", "name: ${NOPE}\n", []string{"t.yaml:1: name: environment variable NOPE is not set"}},
		{"empty variable", "name: ${EMPTY}\n", []string{"t.yaml:1: name: environment variable EMPTY is not set"}},
		{"unset variable twice", "name: ${NOPE}-${NOPE2}\n", []string{"t.yaml:1: name: environment variable NOPE is not set"}},
		{"substituted bool", "on: ${NAME}\n", []string{`t.yaml:1: on: want true or false, got "from-env"`}},
		{"substituted duration", "wait: ${NAME}\n", []string{`t.yaml:1: wait: want a non-negative duration such as 500ms, 10s or 1h, got "from-env"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d, _ := decode(tt.text, lookup)
			var got []string
			for _, e := range d.Errors() {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDecode(t *testing.T) {
	text := `name: 2024
on: True
opt: ~
wait: 1m30s
size: 64KiB
count: 12
list: []
items:
  - {name: a, port: 80}
labels:
  "custom:tenant": X-Tenant
raw:
  anything: [goes, {here: 1}]
sub:
  a: 2026-01-02
`
	c, d, ok := decode(text, nil)
	if !ok || len(d.Errors()) != 0 {
		t.Fatalf("errors: %v", d.Errors())
	}
	if c.Name != "2024" || !c.On || c.Opt != nil || c.Wait != 90*time.Second || c.Size != 64<<10 || c.Count != 12 {
		t.Errorf("scalars: %+v", c)
	}
	if c.List == nil || len(c.List) != 0 {
		t.Errorf("list = %#v, want empty and not nil", c.List)
	}
	if len(c.Items) != 1 || c.Items[0] != (item{"a", 80}) || c.Labels["custom:tenant"] != "X-Tenant" || c.Sub.A != "2026-01-02" {
		t.Errorf("collections: %+v", c)
	}
	if c.Raw == nil || !c.Raw.IsMapping() || c.Raw.Line() != 13 {
		t.Errorf("raw = %+v", c.Raw)
	}
	for field, want := range map[string]int{"name": 1, "items": 8, "items[0]": 9, "items[0].port": 9, "labels.custom:tenant": 11, "sub": 14, "sub.a": 15, "sub.b": 14, "items[0].x.y": 9, "nothing": 0, "": 0} {
		if got := d.Line(field); got != want {
			t.Errorf("Line(%q) = %d, want %d", field, got, want)
		}
	}
	if c, d, _ := decode("opt: false\nraw: ~\n", nil); c.Opt == nil || *c.Opt || c.Raw != nil || len(d.Errors()) != 0 {
		t.Errorf("opt = %v, raw = %v, errors %v", c.Opt, c.Raw, d.Errors())
	}
}

func TestSubstitution(t *testing.T) {
	tests := []struct {
		name string
		env  func(string) (string, bool)
		text string
		want testConfig
	}{
		{"set", lookup, "name: ${NAME}", testConfig{Name: "from-env"}},
		{"in text", lookup, "name: a-${NAME}-b", testConfig{Name: "a-from-env-b"}},
		{"default", lookup, "name: ${NOPE:-fallback}", testConfig{Name: "fallback"}},
		{"empty default", lookup, "name: x${NOPE:-}", testConfig{Name: "x"}},
		{"empty takes the default", lookup, "name: ${EMPTY:-fallback}", testConfig{Name: "fallback"}},
		{"bool", lookup, "on: ${YES}", testConfig{On: true}},
		{"bool default", lookup, "on: ${NOPE:-true}", testConfig{On: true}},
		{"duration", lookup, "wait: ${TEN}", testConfig{Wait: 10 * time.Second}},
		{"size", lookup, "size: ${BIG}", testConfig{Size: 2 << 20}},
		{"list item", lookup, "list: [\"${NAME}\"]", testConfig{List: []string{"from-env"}}},
		{"not a reference", lookup, "name: ${1A} $NAME ${NAME", testConfig{Name: "${1A} $NAME ${NAME"}},
		{"no environment", nil, "name: ${NAME}", testConfig{Name: "${NAME}"}},
		{"keys are not substituted", lookup, "labels: {\"${NAME}\": v}", testConfig{Labels: map[string]string{"${NAME}": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, d, _ := decode(tt.text+"\n", tt.env)
			if len(d.Errors()) != 0 {
				t.Fatalf("errors: %v", d.Errors())
			}
			if c.Name != tt.want.Name || c.On != tt.want.On || c.Wait != tt.want.Wait || c.Size != tt.want.Size ||
				strings.Join(c.List, ",") != strings.Join(tt.want.List, ",") || len(c.Labels) != len(tt.want.Labels) {
				t.Errorf("got %+v, want %+v", c, tt.want)
			}
			for k, v := range tt.want.Labels {
				if c.Labels[k] != v {
					t.Errorf("labels = %v, want %v", c.Labels, tt.want.Labels)
				}
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "# nothing\n", "~\n", "null\n", "---\n"} {
		d := NewDecoder("t.yaml", nil)
		root, ok := d.Parse([]byte(text))
		if root != nil || !ok || len(d.Errors()) != 0 {
			t.Errorf("Parse(%q) = %v, %v, %v; want an empty document", text, root, ok, d.Errors())
		}
	}
	d := NewDecoder("t.yaml", nil)
	if root, ok := d.Parse([]byte("&a ~\n")); root == nil || !ok {
		t.Errorf("an anchored null is a value (to be refused), got %v %v", root, ok)
	}
}

func TestReported(t *testing.T) {
	_, d, _ := decode("items:\n  - port: x\nlabels:\n  [a]: b\nwait: soon\n", nil)
	for field, want := range map[string]bool{
		"items[0].port": true, "items[0]": true, "items": true, "items[0].port.x": true,
		"items[1]": false, "items[0].name": false, "item": false, "labels": false, "wait": true, "waiting": false, "name": false,
	} {
		if got := d.Reported(field); got != want {
			t.Errorf("Reported(%q) = %v, want %v", field, got, want)
		}
	}
	_, d, _ = decode("- a\n", nil)
	if !d.Reported("name") {
		t.Error("a root that is not a mapping does not cover its fields")
	}
}

func TestFailClass(t *testing.T) {
	errCustom := errors.New("custom")
	d := NewDecoder("t.yaml", nil)
	root, _ := d.Parse([]byte("a: b\n"))
	d.Fail(root, "a", errCustom, "bad %s", "a")
	d.Fail(nil, "", nil, "whole")
	errs := d.Errors()
	if len(errs) != 2 || !errors.Is(errs[0], errCustom) || errs[0].Error() != "t.yaml:1: a: bad a" || errs[1].Error() != "t.yaml: whole" || errors.Unwrap(errs[1]) != nil {
		t.Errorf("errors %v", errs)
	}
}

func TestManyErrorsAreBounded(t *testing.T) {
	text := strings.Repeat("x: 1\n", 3000)
	_, d, _ := decode(text, nil)
	if n := len(d.Errors()); n != maxRecorded || d.Dropped() != 3000-maxRecorded {
		t.Errorf("kept %d, dropped %d", n, d.Dropped())
	}
}

func TestLookup(t *testing.T) {
	d := NewDecoder("t.yaml", nil)
	root, _ := d.Parse([]byte("a: 1\npolicy:\n  rules: []\npolicy: 2\n"))
	n, line := root.Lookup("policy")
	if n == nil || !n.IsMapping() || line != 2 || n.Line() != 3 {
		t.Errorf("Lookup = %v, %d", n, line)
	}
	if n, line := root.Lookup("nope"); n != nil || line != 0 {
		t.Errorf("Lookup(nope) = %v, %d", n, line)
	}
}
