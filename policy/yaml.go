package policy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/yamlstrict"
)

// MaxFileSize is the largest policy file Parse and Load accept (and the
// largest document ParseWith reads a section of).
const MaxFileSize = 1 << 20

// Load reads the policy file at path; see Parse. Errors reading the file
// wrap the os package's error (test with errors.Is(err, fs.ErrNotExist)).
// A policy file is read as written: ${VAR} is not substituted, so that one
// file means one policy wherever it is loaded.
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
//	    clients: [6q7g…]              # the token's app client (client_id, or aud)
//	    groups_any: [admin]           # groups_all, scopes_any, scopes_all: lists
//	    token_use: access             # or id, any
//	    claims:                       # conditions: a claim path plus one operator
//	      - {claim: custom:tenant, equals: acme}
//	      - {claim: tenant.tier, gte: 2}        # a number: 2, not "2"
//	      - {claim: '["custom:org.unit"]', in: [sales, ops]}
//	    any_of:                       # alternatives: pools, issuers, clients, groups_*, scopes_*, token_use, claims
//	      - {scopes_all: [orders/write]}
//	  - name: health
//	    route: GET /healthz
//	    anonymous: true
//
// The file holds exactly one YAML document. Unknown and repeated keys,
// anchors and aliases, and values of the wrong type are errors
// (ErrSyntax), as is everything New rejects (ErrConfig). Each error is a
// *LoadError with the file, line and field, and all of them are reported,
// joined, in the order of their lines (a field that cannot be read is not
// also judged by New). Values are read as written (no ${VAR} substitution; see
// ParseWith). Parse never panics, whatever data holds (a panic of the YAML
// parser is reported as an ErrSyntax).
func Parse(data []byte, filename string) (*Policy, error) {
	return ParseWith(data, filename, ParseOptions{})
}

// ParseOptions change how ParseWith reads a policy. The zero value reads a
// policy file as Parse does.
type ParseOptions struct {
	// Section, when not empty, is the top-level key of a larger YAML
	// document whose value is the policy, such as "policy" in
	// cognito-gate's configuration file. Only that value is read: the
	// rest of the document is the caller's to check. Errors carry the
	// document's own lines, and fields prefixed with Section and a dot
	// ("policy.rules[0].route"); a missing or empty section is an
	// ErrSyntax at Section.
	Section string
	// Env, when not nil, substitutes ${VAR} and ${VAR:-default} in every
	// value (never in keys): by VAR's value when Env reports it set and
	// not empty, else by default; a variable without either is an
	// ErrSyntax naming it. A substituted value is then read as its field
	// wants it ("anonymous: ${PUBLIC:-false}" is a boolean). When nil,
	// values are read as written.
	Env func(name string) (value string, ok bool)
}

// ParseWith is Parse with options: a policy that is one section of a
// larger document, with values from the environment. It is otherwise the
// same as Parse.
func ParseWith(data []byte, filename string, opts ParseOptions) (*Policy, error) {
	if len(data) > MaxFileSize {
		return nil, &LoadError{File: filename, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize), Err: ErrSyntax}
	}
	d := &decoder{Decoder: yamlstrict.NewDecoder(filename, opts.Env), base: opts.Section, data: data}
	cfg, ok := d.document(data)
	errs := d.loadErrors()
	if !ok {
		return nil, errs.errMore(d.Dropped())
	}
	// Compile what was read, so that one load reports every problem; but
	// not a field the decoder could not read, whose zero value would only
	// repeat the problem.
	p, cerrs := compile(cfg)
	for _, e := range cerrs {
		field := d.field(e.Field)
		if e.Field != "" && d.Reported(field) {
			continue
		}
		e.File, e.Line, e.Field = filename, d.line(field), field
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *LoadError) int { return cmp.Compare(lineKey(a.Line), lineKey(b.Line)) })
		return nil, errs.errMore(d.Dropped())
	}
	return p, nil
}

// lineKey orders lines, 0 (none) last.
func lineKey(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// decoder turns a YAML document into a Config; yamlstrict checks the
// document's form, the decoder the policy's own rules.
type decoder struct {
	*yamlstrict.Decoder
	base        string // the section's key, or "" for a whole file
	sectionLine int    // the line of the section's key
	data        []byte // the document, for scalarTypes
	types       map[string]scalarType
	typesRead   bool
}

// scalarType returns the YAML type of the scalar at field, and false when
// field is no scalar (a list or a mapping).
func (d *decoder) scalarType(field string) (scalarType, bool) {
	if !d.typesRead {
		d.types, d.typesRead = scalarTypes(d.data, d.base), true
	}
	t, ok := d.types[field]
	return t, ok
}

// field is the document's path of a policy field.
func (d *decoder) field(f string) string {
	switch {
	case d.base == "":
		return f
	case f == "":
		return d.base
	}
	return d.base + "." + f
}

// line is the line of field, or of the section when it has none.
func (d *decoder) line(field string) int {
	if l := d.Line(field); l > 0 {
		return l
	}
	return d.sectionLine
}

// loadErrors returns the decoder's problems as LoadErrors: those of the
// document's form are ErrSyntax, the policy's own carry their sentinel.
func (d *decoder) loadErrors() errorList {
	var l errorList
	for _, e := range d.Errors() {
		le := &LoadError{File: e.File, Line: e.Line, Field: e.Field, Msg: e.Msg, Err: e.Err}
		if le.Err == nil {
			le.Err = ErrSyntax
		}
		if le.Line == 0 {
			le.Line = d.sectionLine
		}
		l = append(l, le)
	}
	return l
}

// document parses data and decodes the policy in it; ok is false when
// there is no policy to compile.
func (d *decoder) document(data []byte) (cfg Config, ok bool) {
	root, ok := d.Parse(data)
	if !ok {
		return Config{}, false
	}
	if d.base != "" {
		if root == nil || !root.IsMapping() {
			d.Fail(root, d.base, nil, "missing; want a mapping with default and rules")
			return Config{}, false
		}
		root, d.sectionLine = root.Lookup(d.base)
		if root == nil {
			d.Fail(nil, d.base, nil, "missing; want a mapping with default and rules")
			return Config{}, false
		}
	}
	if root == nil || root.IsNull() {
		what := "empty document"
		if d.base != "" {
			what = "empty " + d.base
		}
		d.Fail(nil, d.base, nil, "%s; want a mapping with default and rules", what)
		return Config{}, false
	}
	if !root.IsMapping() {
		d.root(root) // reports it
		return Config{}, false
	}
	return d.root(root), true
}

// root decodes the policy mapping.
func (d *decoder) root(root *yamlstrict.Node) Config {
	var cfg Config
	d.Mapping(root, d.base, []string{"default", "rules"}, func(key string, v *yamlstrict.Node, field string) {
		switch key {
		case "default":
			if s, ok := d.String(v, field); ok {
				def, known := parseDefault(s)
				if !known {
					d.Fail(v, field, ErrConfig, "unknown default %q; want deny, authenticated or allow", s)
				}
				cfg.Default = def
			}
		case "rules":
			d.Sequence(v, field, func(i int, item *yamlstrict.Node, field string) {
				cfg.Rules = append(cfg.Rules, d.rule(item, field))
			})
		}
	})
	return cfg
}

var (
	ruleKeys        = []string{"name", "route", "routes", "anonymous", "pools", "issuers", "clients", "groups_any", "groups_all", "scopes_any", "scopes_all", "token_use", "claims", "any_of", "live_check"}
	requirementKeys = []string{"pools", "issuers", "clients", "groups_any", "groups_all", "scopes_any", "scopes_all", "token_use", "claims"}
	conditionKeys   = func() []string {
		keys := []string{"claim"}
		for _, op := range ops {
			keys = append(keys, string(op))
		}
		return keys
	}()
)

func (d *decoder) rule(n *yamlstrict.Node, field string) Rule {
	var r Rule
	d.Mapping(n, field, ruleKeys, func(key string, v *yamlstrict.Node, field string) {
		switch key {
		case "name":
			r.Name, _ = d.String(v, field)
		case "route":
			var ok bool
			if r.Route, ok = d.String(v, field); ok && r.Route == "" {
				d.Fail(v, field, ErrConfig, "empty pattern; want e.g. GET /orders")
			}
		case "routes":
			r.Routes = d.Strings(v, field)
		case "anonymous":
			r.Anonymous, _ = d.Bool(v, field)
		case "live_check":
			r.LiveCheck, _ = d.Bool(v, field)
		case "any_of":
			r.AnyOf = []Requirement{}
			d.Sequence(v, field, func(i int, item *yamlstrict.Node, field string) {
				var q Requirement
				d.Mapping(item, field, requirementKeys, func(key string, v *yamlstrict.Node, field string) {
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
func (d *decoder) requirement(q *Requirement, key string, v *yamlstrict.Node, field string) {
	switch key {
	case "pools":
		q.Pools = d.Strings(v, field)
	case "issuers":
		q.Issuers = d.Strings(v, field)
	case "clients":
		q.Clients = d.Strings(v, field)
	case "groups_any":
		q.GroupsAny = d.Strings(v, field)
	case "groups_all":
		q.GroupsAll = d.Strings(v, field)
	case "scopes_any":
		q.ScopesAny = d.Strings(v, field)
	case "scopes_all":
		q.ScopesAll = d.Strings(v, field)
	case "token_use":
		s, ok := d.String(v, field)
		if q.TokenUse = claims.TokenUse(s); ok && s == "" {
			d.Fail(v, field, ErrConfig, "empty token_use; want access, id or any")
		}
	case "claims":
		q.Claims = []Condition{}
		d.Sequence(v, field, func(i int, item *yamlstrict.Node, field string) {
			q.Claims = append(q.Claims, d.condition(item, field))
		})
	}
}

func (d *decoder) condition(n *yamlstrict.Node, field string) Condition {
	var c Condition
	hasOp, hasClaim := false, false
	d.Mapping(n, field, conditionKeys, func(key string, v *yamlstrict.Node, field string) {
		if key == "claim" {
			hasClaim = true
			if _, scalar := d.scalarType(field); !scalar && !v.IsMapping() {
				d.Fail(v, field, nil, `want a claim path, got a list; a path that starts with '[' is a list in YAML, so quote it: claim: '["custom:org.unit"]'`)
				return
			}
			c.Claim, _ = d.String(v, field)
			return
		}
		if hasOp {
			d.Fail(v, field, ErrConfig, "a second operator (%s and %s); want exactly one of %s", c.Op, key, opList)
			return
		}
		hasOp, c.Op = true, Op(key)
		c.Value = d.value(c.Op, v, field)
	})
	if n.IsMapping() && !hasClaim {
		d.Fail(n, field, ErrConfig, "no claim; want claim: <path> and one of %s", opList)
	}
	return c
}

// value reads the value of operator op at field: true or false for
// exists; otherwise a scalar, or a list of scalars, typed as YAML types
// them (see scalar).
func (d *decoder) value(op Op, v *yamlstrict.Node, field string) any {
	if op == OpExists {
		b, _ := d.Bool(v, field)
		return b
	}
	if v.IsMapping() {
		d.Fail(v, field, nil, "want a string, a number, a boolean or a list of them, got a mapping")
		return nil
	}
	if _, scalar := d.scalarType(field); scalar {
		return d.scalar(op, v, field)
	}
	list := []any{}
	d.Sequence(v, field, func(_ int, item *yamlstrict.Node, field string) {
		list = append(list, d.scalar(op, item, field))
	})
	return list
}

// scalar reads the scalar v at field, for operator op: a YAML integer or
// float is a number (as written: a json.Number), a boolean a bool, and
// everything else (quoted, or plain text YAML does not read as a number
// or boolean, or a date) a string. A ${VAR} substitution, which is text
// to YAML, is read as a number for gt, gte, lt and lte, and as a string
// otherwise.
func (d *decoder) scalar(op Op, v *yamlstrict.Node, field string) any {
	t, ok := d.scalarType(field)
	switch {
	case !ok && d.types == nil:
		d.Fail(v, field, nil, "internal error: the YAML parser did not read the document a second time")
		return nil
	case !ok:
		d.Fail(v, field, nil, "want a string, a number or a boolean, got a list or a mapping")
		return nil
	}
	switch t.tag {
	case "!!int", "!!float":
		s, _ := d.String(v, field)
		return json.Number(s)
	case "!!bool":
		b, _ := d.Bool(v, field)
		return b
	case "!!null":
		d.Fail(v, field, nil, "want a string, a number or a boolean, got null")
		return nil
	}
	s, ok := d.String(v, field)
	if substituted := ok && s != t.text; substituted {
		switch op {
		case OpGreater, OpGreaterOrEqual, OpLess, OpLessOrEqual:
			return json.Number(s)
		}
	}
	return s
}
