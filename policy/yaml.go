package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cognito-gate/cognito-gate/claims"
)

// MaxFileSize is the largest policy file Parse and Load accept.
const MaxFileSize = 1 << 20

// Load reads the policy file at path; see Parse. Errors reading the file
// wrap the os package's error (test with errors.Is(err, fs.ErrNotExist)).
func Load(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(data, path)
}

// Parse reads a policy from YAML (or JSON, which is YAML too); filename is
// only used in errors. The document mirrors Config:
//
//	default: deny                     # or authenticated, allow
//	rules:
//	  - name: admin                   # Rule.Name
//	    route: /admin/                # or routes: [GET /a, POST /b]
//	    pools: [eu-west-1_AbC123]     # the token's user pool; or issuers: [https://…]
//	    groups_any: [admin]           # groups_all, scopes_any, scopes_all: lists
//	    token_use: access             # or id, any
//	    claims:                       # conditions: claim plus one operator
//	      - {claim: custom:tenant, equals: acme}
//	    any_of:                       # alternatives: pools, issuers, groups_*, scopes_*, token_use, claims
//	      - {scopes_all: [orders/write]}
//	  - name: health
//	    route: GET /healthz
//	    anonymous: true
//
// Unknown and repeated keys, anchors and aliases, and values of the wrong
// type are errors (ErrSyntax), as is everything New rejects (ErrConfig).
// Each error is a *LoadError with the file, line and field, and all of
// them are reported, joined. Parse never panics, whatever data holds (a
// panic of the YAML parser is reported as an ErrSyntax).
func Parse(data []byte, filename string) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, &LoadError{File: filename, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize), Err: ErrSyntax}
	}
	d := &decoder{file: filename, lines: make(map[string]int)}
	cfg := d.decode(data)
	if len(d.errs) > 0 {
		return nil, d.errs.err()
	}
	p, errs := compile(cfg)
	for _, e := range errs {
		e.File, e.Line = filename, d.line(e.Field)
	}
	if len(errs) > 0 {
		return nil, errs.err()
	}
	return p, nil
}

// decoder turns a YAML document into a Config, remembering the line of
// every field it sets.
type decoder struct {
	file  string
	lines map[string]int // field path → line
	errs  errorList
}

func (d *decoder) fail(n *yaml.Node, field string, sentinel error, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &LoadError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

// line returns the line of field, or of its closest parent that has one.
func (d *decoder) line(field string) int {
	for field != "" {
		if l, ok := d.lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax records an error of the YAML parser.
func (d *decoder) syntax(err error) {
	msg := err.Error()
	e := &LoadError{File: d.file, Msg: strings.TrimPrefix(msg, "yaml: "), Err: ErrSyntax}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	d.errs = append(d.errs, e)
}

func (d *decoder) decode(data []byte) Config {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.fail(nil, "", ErrSyntax, "empty document; want a mapping with default and rules")
		} else {
			d.syntax(err)
		}
		return cfg
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		d.syntax(err)
		return cfg
	default:
		d.fail(&next, "", ErrSyntax, "a second YAML document; want exactly one")
		return cfg
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		d.fail(&doc, "", ErrSyntax, "empty document; want a mapping with default and rules")
		return cfg
	}
	return d.root(doc.Content[0])
}

// decodeNode reads the next document into n. It turns a panic of the YAML
// parser, which is not ours, into an error rather than let a policy file
// crash the program. (Only the parser runs under recover, so that the
// fuzz tests still see a panic of this package.)
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// root decodes the policy mapping.
func (d *decoder) root(root *yaml.Node) Config {
	var cfg Config
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		d.fail(nil, "", ErrSyntax, "empty document; want a mapping with default and rules")
		return cfg
	}
	if !d.plain(root, "") {
		return cfg
	}
	if root.Kind != yaml.MappingNode {
		d.fail(root, "", ErrSyntax, "want a mapping with default and rules, got %s", kind(root))
		return cfg
	}
	d.mapping(root, "", []string{"default", "rules"}, func(key string, v *yaml.Node, field string) {
		switch key {
		case "default":
			if s, ok := d.str(v, field); ok {
				def, known := parseDefault(s)
				if !known {
					d.fail(v, field, ErrConfig, "unknown default %q; want deny, authenticated or allow", s)
				}
				cfg.Default = def
			}
		case "rules":
			d.sequence(v, field, func(i int, item *yaml.Node, field string) {
				cfg.Rules = append(cfg.Rules, d.rule(item, field))
			})
		}
	})
	return cfg
}

var (
	ruleKeys        = []string{"name", "route", "routes", "anonymous", "pools", "issuers", "groups_any", "groups_all", "scopes_any", "scopes_all", "token_use", "claims", "any_of"}
	requirementKeys = []string{"pools", "issuers", "groups_any", "groups_all", "scopes_any", "scopes_all", "token_use", "claims"}
	conditionKeys   = []string{"claim", "equals", "not_equals", "contains", "starts_with"}
)

func (d *decoder) rule(n *yaml.Node, field string) Rule {
	var r Rule
	d.mapping(n, field, ruleKeys, func(key string, v *yaml.Node, field string) {
		switch key {
		case "name":
			r.Name, _ = d.str(v, field)
		case "route":
			var ok bool
			if r.Route, ok = d.str(v, field); ok && r.Route == "" {
				d.fail(v, field, ErrConfig, "empty pattern; want e.g. GET /orders")
			}
		case "routes":
			r.Routes = d.strings(v, field)
		case "anonymous":
			r.Anonymous = d.boolean(v, field)
		case "any_of":
			r.AnyOf = []Requirement{}
			d.sequence(v, field, func(i int, item *yaml.Node, field string) {
				var q Requirement
				d.mapping(item, field, requirementKeys, func(key string, v *yaml.Node, field string) {
					d.requirement(&q, key, v, field)
				})
				r.AnyOf = append(r.AnyOf, q)
			})
		default:
			d.requirement(&r.Requirement, key, v, field)
		}
	})
	return r
}

// requirement sets the field key of q.
func (d *decoder) requirement(q *Requirement, key string, v *yaml.Node, field string) {
	switch key {
	case "pools":
		q.Pools = d.strings(v, field)
	case "issuers":
		q.Issuers = d.strings(v, field)
	case "groups_any":
		q.GroupsAny = d.strings(v, field)
	case "groups_all":
		q.GroupsAll = d.strings(v, field)
	case "scopes_any":
		q.ScopesAny = d.strings(v, field)
	case "scopes_all":
		q.ScopesAll = d.strings(v, field)
	case "token_use":
		s, ok := d.str(v, field)
		if q.TokenUse = claims.TokenUse(s); ok && s == "" {
			d.fail(v, field, ErrConfig, "empty token_use; want access, id or any")
		}
	case "claims":
		q.Claims = []Condition{}
		d.sequence(v, field, func(i int, item *yaml.Node, field string) {
			q.Claims = append(q.Claims, d.condition(item, field))
		})
	}
}

func (d *decoder) condition(n *yaml.Node, field string) Condition {
	var c Condition
	var opNode *yaml.Node
	hasClaim := false
	d.mapping(n, field, conditionKeys, func(key string, v *yaml.Node, field string) {
		if key == "claim" {
			c.Claim, _ = d.str(v, field)
			hasClaim = true
			return
		}
		if opNode != nil {
			d.fail(v, field, ErrConfig, "a second operator (%s and %s); want exactly one of equals, not_equals, contains, starts_with", c.Op, key)
			return
		}
		opNode, c.Op = v, Op(key)
		c.Value, _ = d.str(v, field)
	})
	if n.Kind == yaml.MappingNode && !hasClaim {
		d.fail(n, field, ErrConfig, "no claim; want claim: <name> and one of equals, not_equals, contains, starts_with")
	}
	return c
}

// plain rejects anchors and aliases, which would let a small file expand
// into a large policy and make line numbers ambiguous.
func (d *decoder) plain(n *yaml.Node, field string) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		d.fail(n, field, ErrSyntax, "anchors and aliases are not supported; write the value out")
		return false
	}
	return true
}

// mapping walks the mapping n, rejecting unknown and repeated keys, and
// calls fn with each key's value and field path.
func (d *decoder) mapping(n *yaml.Node, field string, keys []string, fn func(key string, v *yaml.Node, field string)) {
	if !d.plain(n, field) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, ErrSyntax, "want a mapping with keys %s, got %s", strings.Join(keys, ", "), kind(n))
		return
	}
	if field != "" {
		d.lines[field] = n.Line
	}
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.plain(k, field) {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			d.fail(k, field, ErrSyntax, "key %s: want one of %s", quoteNode(k), strings.Join(keys, ", "))
			continue
		}
		f := k.Value
		if field != "" {
			f = field + "." + k.Value
		}
		if !slices.Contains(keys, k.Value) {
			d.fail(k, f, ErrSyntax, "unknown key %q; want one of %s", k.Value, strings.Join(keys, ", "))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.fail(k, f, ErrSyntax, "key %q repeated (first on line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[f] = k.Line
		if d.plain(v, f) {
			fn(k.Value, v, f)
		}
	}
}

// sequence walks the sequence n and calls fn with each item and its field
// path.
func (d *decoder) sequence(n *yaml.Node, field string, fn func(i int, item *yaml.Node, field string)) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, ErrSyntax, "want a list, got %s", kind(n))
		return
	}
	for i, item := range n.Content {
		f := field + "[" + strconv.Itoa(i) + "]"
		d.lines[f] = item.Line
		if d.plain(item, f) {
			fn(i, item, f)
		}
	}
}

// strings reads a list of strings; an empty list gives an empty, non-nil
// slice, which New rejects.
func (d *decoder) strings(n *yaml.Node, field string) []string {
	out := []string{}
	d.sequence(n, field, func(i int, item *yaml.Node, field string) {
		s, _ := d.str(item, field)
		out = append(out, s)
	})
	return out
}

// str reads a scalar as its text: strings, and numbers, booleans and dates
// as written (a group may be called 2024). Null, binary and custom tags are
// errors.
func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		switch n.ShortTag() {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			return n.Value, true
		}
	}
	d.fail(n, field, ErrSyntax, "want a string, got %s", kind(n))
	return "", false
}

// boolean reads true or false.
func (d *decoder) boolean(n *yaml.Node, field string) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		switch strings.ToLower(n.Value) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	d.fail(n, field, ErrSyntax, "want true or false, got %s", kind(n))
	return false
}

// kind describes a node for an error message.
func kind(n *yaml.Node) string {
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
			return "the string " + quoteNode(n)
		default:
			return strings.TrimPrefix(n.ShortTag(), "!!") + " " + quoteNode(n)
		}
	}
	return "nothing"
}

// quoteNode quotes a scalar's text, shortened.
func quoteNode(n *yaml.Node) string {
	s := n.Value
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}
