package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxRecorded bounds the errors one Decoder keeps; Dropped counts the
// rest. A hostile file of a million unknown keys costs a counter, not a
// million errors.
const maxRecorded = 1000

// Decoder reads one YAML document and records its problems.
type Decoder struct {
	file    string
	env     func(string) (string, bool)
	lines   map[string]int // field path → line
	errs    []*Error
	dropped int
	bad     []string // fields the decoder could not read (Reported)
}

// NewDecoder returns a Decoder for the document named file (in errors).
// env looks variables up for ${VAR} substitution (os.LookupEnv, say); nil
// turns substitution off.
func NewDecoder(file string, env func(name string) (string, bool)) *Decoder {
	return &Decoder{file: file, env: env, lines: make(map[string]int)}
}

// Node is one value of a parsed document: a scalar, a mapping or a
// sequence.
type Node struct{ y *yaml.Node }

func wrap(y *yaml.Node) *Node { return &Node{y: y} }

// Line returns the 1-based line where n starts.
func (n *Node) Line() int { return n.y.Line }

// IsMapping reports whether n is a mapping.
func (n *Node) IsMapping() bool { return n.y.Kind == yaml.MappingNode }

// Lookup returns the value of key in the mapping n (its first occurrence)
// and the line of the key, or nil when n is not a mapping or lacks key.
// It checks nothing: the caller that owns n reports its problems.
func (n *Node) Lookup(key string) (*Node, int) {
	if n.y.Kind != yaml.MappingNode {
		return nil, 0
	}
	c := n.y.Content
	for i := 0; i+1 < len(c); i += 2 {
		if c[i].Kind == yaml.ScalarNode && c[i].ShortTag() == "!!str" && c[i].Value == key {
			return wrap(c[i+1]), c[i].Line
		}
	}
	return nil, 0
}

// Parse parses data as exactly one YAML document and returns its root.
// ok is false when data is not such a document (a syntax error, a panic of
// the parser, a second document), which is then recorded. An empty
// document (nothing, comments, or a null) gives a nil root and ok true:
// the caller says what it wanted.
func (d *Decoder) Parse(data []byte) (root *Node, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		d.syntax(err)
		return nil, false
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntax(err)
		return nil, false
	default:
		d.Fail(wrap(&next), "", nil, "a second YAML document; want exactly one")
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, true
	}
	r := doc.Content[0]
	if r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" && r.Anchor == "" {
		return nil, true
	}
	missingValuesAtKeys(r)
	return wrap(r), true
}

// missingValuesAtKeys gives every mapping value that is not written at
// all (an empty, untagged null: "a:" or a "? key" with no ":") its key's
// line and column, so that a problem of that value is reported where the
// key is. The parser places such a value at the next token, which may be
// lines later or, after a last "? key" without a line break, past the
// end of the file.
func missingValuesAtKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Value == "" && v.Tag == "!!null" && v.Style == 0 && v.Anchor == "" {
				v.Line, v.Column = k.Line, k.Column
			}
		}
	}
	for _, c := range n.Content {
		missingValuesAtKeys(c)
	}
}

// decodeNode reads the next document into n. It turns a panic of the YAML
// parser, which is not ours, into an error rather than let a file crash
// the program.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax records an error of the YAML parser, with its line when it says
// one.
func (d *Decoder) syntax(err error) {
	msg := err.Error()
	e := &Error{File: d.file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	d.record(e, "")
}

// Fail records a problem of the value n (nil: no line) at field. class is
// the caller's classification (Error.Err), nil for a problem of the
// document's shape; the decoder's own problems have none.
func (d *Decoder) Fail(n *Node, field string, class error, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.y.Line
	}
	d.record(&Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Err: class}, field)
}

// record keeps e and remembers that field (if not "-") could not be read.
func (d *Decoder) record(e *Error, field string) {
	if field != "-" {
		d.bad = append(d.bad, field)
	}
	if len(d.errs) >= maxRecorded {
		d.dropped++
		return
	}
	d.errs = append(d.errs, e)
}

// Errors returns the problems recorded, in the order found (which is the
// document's order for the decoder's own).
func (d *Decoder) Errors() []*Error { return d.errs }

// Dropped returns how many problems were found but not kept, beyond the
// first 1000.
func (d *Decoder) Dropped() int { return d.dropped }

// File returns the document's name.
func (d *Decoder) File() string { return d.file }

// Line returns the line of field, or of the closest enclosing field that
// has one ("pools[0]" for an absent "pools[0].region"), or 0. A mapping's
// key is the line of its field, a sequence item's first line that of its
// index.
func (d *Decoder) Line(field string) int {
	for {
		if l, ok := d.lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i <= 0 {
			return 0
		}
		field = field[:i]
	}
}

// Reported reports whether a problem was recorded for field, for a field
// inside it, or for a field that contains it: whether a later check of
// field would be looking at a value the decoder could not read (or did not
// read whole). Problems of keys that are not strings do not count.
func (d *Decoder) Reported(field string) bool {
	for _, b := range d.bad {
		if within(field, b) || within(b, field) {
			return true
		}
	}
	return false
}

// within reports whether field is path or inside it.
func within(field, path string) bool {
	if path == "" || field == path {
		return true
	}
	return strings.HasPrefix(field, path) && (field[len(path)] == '.' || field[len(path)] == '[')
}

// IsNull reports whether n is a plain null ("~", "null" or nothing, with no
// anchor).
func (n *Node) IsNull() bool { return isNull(n) && n.y.Anchor == "" }
