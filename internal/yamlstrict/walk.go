package yamlstrict

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// plain refuses anchors and aliases, which would let a small file expand
// into a large configuration and make line numbers ambiguous.
func (d *Decoder) plain(n *Node, field string) bool {
	if n.y.Kind == yaml.AliasNode || n.y.Anchor != "" {
		d.Fail(n, field, nil, "anchors and aliases are not supported; write the value out")
		return false
	}
	return true
}

// Join returns the path of key inside the field prefix.
func Join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// Mapping walks the mapping n at field, refusing keys that are not plain
// strings, unknown keys (not in keys) and repeated keys, and calls fn with
// each other key, its value and its field path.
func (d *Decoder) Mapping(n *Node, field string, keys []string, fn func(key string, v *Node, field string)) {
	d.entries(n, field, keys, fn)
}

// Entries walks the mapping n at field whose keys are the user's (claim
// names, say): any plain string, but not twice. It calls fn as Mapping
// does.
func (d *Decoder) Entries(n *Node, field string, fn func(key string, v *Node, field string)) {
	d.entries(n, field, nil, fn)
}

// entries is Mapping with keys, Entries without.
func (d *Decoder) entries(n *Node, field string, keys []string, fn func(key string, v *Node, field string)) {
	if !d.plain(n, field) {
		return
	}
	want, wantKey := "a mapping", "a string"
	if keys != nil {
		want, wantKey = "a mapping with keys "+strings.Join(keys, ", "), "one of "+strings.Join(keys, ", ")
	}
	if n.y.Kind != yaml.MappingNode {
		d.Fail(n, field, nil, "want %s, got %s", want, describe(n.y))
		return
	}
	if _, ok := d.lines[field]; !ok && field != "" {
		d.lines[field] = n.y.Line
	}
	seen := make(map[string]int)
	c := n.y.Content
	for i := 0; i+1 < len(c); i += 2 {
		k, v := c[i], c[i+1]
		if !d.plain(wrap(k), field) {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			// Not counted by Reported: the field is the mapping's, whose
			// other keys are fine.
			d.record(&Error{File: d.file, Line: k.Line, Field: field, Msg: "key " + describe(k) + ": want " + wantKey}, "-")
			continue
		}
		f := Join(field, k.Value)
		if keys != nil && !slices.Contains(keys, k.Value) {
			d.Fail(wrap(k), f, nil, "unknown key %q; want one of %s", k.Value, strings.Join(keys, ", "))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.Fail(wrap(k), f, nil, "key %q repeated (first on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[f] = k.Line
		if vn := wrap(v); d.plain(vn, f) {
			fn(k.Value, vn, f)
		}
	}
}

// Sequence walks the sequence n at field and calls fn with each item and
// its field path (field[i]).
func (d *Decoder) Sequence(n *Node, field string, fn func(i int, item *Node, field string)) {
	if !d.plain(n, field) {
		return
	}
	if n.y.Kind != yaml.SequenceNode {
		d.Fail(n, field, nil, "want a list, got %s", describe(n.y))
		return
	}
	for i, item := range n.y.Content {
		f := field + "[" + strconv.Itoa(i) + "]"
		d.lines[f] = item.Line
		if in := wrap(item); d.plain(in, f) {
			fn(i, in, f)
		}
	}
}

// Strings reads a list of strings. An empty list gives an empty, non-nil
// slice: the caller decides whether that is allowed (it is never "no
// requirement" by accident).
func (d *Decoder) Strings(n *Node, field string) []string {
	out := []string{}
	d.Sequence(n, field, func(_ int, item *Node, field string) {
		s, _ := d.String(item, field)
		out = append(out, s)
	})
	return out
}

// text returns a scalar's text, substituted, and whether it was
// substituted; it records why not when n is no scalar or of a tag no
// field takes (null, !!binary, a custom tag).
func (d *Decoder) text(n *Node, field, want string) (s string, substituted, ok bool) {
	if !d.plain(n, field) {
		return "", false, false
	}
	if n.y.Kind == yaml.ScalarNode {
		switch n.y.ShortTag() {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			return d.substitute(n, field)
		}
	}
	d.Fail(n, field, nil, "want %s, got %s", want, describe(n.y))
	return "", false, false
}

// String reads a scalar as its text: strings, and numbers, booleans and
// dates as written.
func (d *Decoder) String(n *Node, field string) (string, bool) {
	s, _, ok := d.text(n, field, "a string")
	return s, ok
}

// Bool reads true or false: a YAML boolean, or a substituted value that is
// "true" or "false".
func (d *Decoder) Bool(n *Node, field string) (bool, bool) {
	s, substituted, ok := d.text(n, field, "true or false")
	if !ok {
		return false, false
	}
	if n.y.ShortTag() == "!!bool" || substituted {
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	if substituted {
		d.Fail(n, field, nil, "want true or false, got %q", s)
	} else {
		d.Fail(n, field, nil, "want true or false, got %s", describe(n.y))
	}
	return false, false
}

// Duration reads a non-negative Go duration such as 500ms or 1h30m.
func (d *Decoder) Duration(n *Node, field string) (time.Duration, bool) {
	const want = "a non-negative duration such as 500ms, 10s or 1h"
	s, _, ok := d.text(n, field, want)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		d.Fail(n, field, nil, "want %s, got %q", want, s)
		return 0, false
	}
	return v, true
}

// Size reads a non-negative whole number with an optional KiB, MiB or GiB
// suffix ("64KiB", "1 MiB").
func (d *Decoder) Size(n *Node, field string) (int64, bool) {
	const want = "a non-negative whole number (optionally with KiB, MiB or GiB)"
	s, _, ok := d.text(n, field, want)
	if !ok {
		return 0, false
	}
	v, ok := parseSize(s)
	if !ok {
		d.Fail(n, field, nil, "want %s, got %q", want, s)
	}
	return v, ok
}

// sizeSuffixes are Size's suffixes, in the order they are tried.
var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}}

func parseSize(s string) (int64, bool) {
	mult := int64(1)
	for _, x := range sizeSuffixes {
		if rest, ok := strings.CutSuffix(s, x.suffix); ok {
			s, mult = strings.TrimSpace(rest), x.mult
			break
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i < 0 || i > (1<<62)/mult {
		return 0, false
	}
	return i * mult, true
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// substitute returns n's value with ${VAR} and ${VAR:-default} replaced,
// when the decoder has an environment.
func (d *Decoder) substitute(n *Node, field string) (s string, substituted, ok bool) {
	v := n.y.Value
	if d.env == nil || !strings.Contains(v, "${") {
		return v, false, true
	}
	ok = true
	s = envRef.ReplaceAllStringFunc(v, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		substituted = true
		if val, set := d.env(m[1]); set && val != "" {
			return val
		}
		if m[2] != "" {
			return m[3]
		}
		if ok {
			d.Fail(n, field, nil, "environment variable %s is not set", m[1])
		}
		ok = false
		return ""
	})
	return s, substituted, ok
}

// describe says what a node is, for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return "the string " + quote(n.Value)
		default:
			return strings.TrimPrefix(n.ShortTag(), "!!") + " " + quote(n.Value)
		}
	}
	return "nothing"
}

// quote quotes a scalar's text, shortened to 40 bytes.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}
