package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// configError is one problem in a configuration file, with where it is.
type configError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *configError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// errConfig is matched by every configuration error.
var errConfig = errors.New("invalid configuration")

func (e *configError) Unwrap() error { return errConfig }

// decoder decodes YAML nodes into tagged structs strictly: unknown keys,
// repeated keys, anchors and wrong types are errors naming the line and the
// field path. It remembers the line of every field it decoded, so that
// later validation can point at it too.
type decoder struct {
	file  string
	lines map[string]int // field path -> line
	errs  []error
	env   func(string) (string, bool)
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	nodeType     = reflect.TypeOf(yaml.Node{})
)

func (d *decoder) fail(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	if len(d.errs) < 20 {
		d.errs = append(d.errs, &configError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

// at returns an error for a field decoded earlier.
func (d *decoder) at(field, format string, args ...any) error {
	return &configError{File: d.file, Line: d.lines[field], Field: field, Msg: fmt.Sprintf(format, args...)}
}

// decodeDocument parses data as one YAML document into v (a pointer to a
// struct).
func (d *decoder) decodeDocument(data []byte, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		return &configError{File: d.file, Line: line, Msg: msg}
	}
	if len(doc.Content) == 0 {
		return &configError{File: d.file, Msg: "empty configuration"}
	}
	d.value(doc.Content[0], reflect.ValueOf(v).Elem(), "")
	return errors.Join(d.errs...)
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// value decodes n into v.
func (d *decoder) value(n *yaml.Node, v reflect.Value, field string) {
	if field != "" {
		d.lines[field] = n.Line
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, field, "anchors and aliases are not supported")
		return
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		p := reflect.New(v.Type().Elem())
		d.value(n, p.Elem(), field)
		v.Set(p)
	case reflect.Struct:
		d.mapping(n, v, field)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, field, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", field, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, field, "want a mapping, got %s", kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key, ok := d.scalar(k, join(field, k.Value))
			if !ok {
				continue
			}
			if m.MapIndex(reflect.ValueOf(key)).IsValid() {
				d.fail(k, join(field, key), "repeated key")
				continue
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			d.value(val, ev, join(field, key))
			m.SetMapIndex(reflect.ValueOf(key), ev)
		}
		v.Set(m)
	default:
		s, ok := d.scalar(n, field)
		if !ok {
			return
		}
		d.setScalar(n, v, s, field)
	}
}

// mapping decodes a mapping node into the struct v, by yaml tags.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, field string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "want a mapping, got %s", kindName(n))
		return
	}
	t := v.Type()
	byName := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		byName[name] = i
		names = append(names, name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := byName[k.Value]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.fail(k, field, "keys must be plain strings")
		case !ok:
			d.fail(k, join(field, k.Value), "unknown key; want one of %s", strings.Join(names, ", "))
		case seen[k.Value]:
			d.fail(k, join(field, k.Value), "repeated key")
		default:
			seen[k.Value] = true
			d.value(val, v.Field(idx), join(field, k.Value))
			d.lines[join(field, k.Value)] = k.Line // point at the key, not its value
		}
	}
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// scalar returns a scalar node's value with ${VAR} and ${VAR:-default}
// replaced from the environment.
func (d *decoder) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, "want a single value, got %s", kindName(n))
		return "", false
	}
	ok := true
	s := envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
		m := envRef.FindStringSubmatch(ref)
		if v, set := d.env(m[1]); set && v != "" {
			return v
		}
		if m[2] != "" {
			return m[3]
		}
		d.fail(n, field, "environment variable %s is not set", m[1])
		ok = false
		return ""
	})
	return s, ok
}

func (d *decoder) setScalar(n *yaml.Node, v reflect.Value, s, field string) {
	switch {
	case v.Type() == durationType:
		dur, err := time.ParseDuration(s)
		if err != nil || dur < 0 {
			d.fail(n, field, "want a non-negative duration such as 500ms, 10s or 1h, got %q", s)
			return
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil || (n.Tag != "!!bool" && n.Tag != "!!str" && n.Tag != "") {
			d.fail(n, field, "want true or false, got %q", s)
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		i, err := parseSize(s)
		if err != nil {
			d.fail(n, field, "%v", err)
			return
		}
		v.SetInt(i)
	default:
		d.fail(n, field, "unsupported type %s", v.Type())
	}
}

// parseSize parses a non-negative integer with an optional KiB/MiB/GiB
// suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if rest, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = strings.TrimSpace(rest), m
		}
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i < 0 || i > (1<<62)/mult {
		return 0, fmt.Errorf("want a non-negative whole number (optionally with KiB, MiB or GiB), got %q", s)
	}
	return i * mult, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// osEnv looks a variable up in the process environment.
func osEnv(name string) (string, bool) { return os.LookupEnv(name) }
