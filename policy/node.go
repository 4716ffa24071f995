package policy

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// ParseNode reads a policy from a YAML node that is part of a larger
// document, such as the policy section of cognito-gate's configuration
// file. Errors carry filename and the node's own line numbers, with fields
// prefixed by "policy.". It is otherwise the same as Parse.
func ParseNode(n *yaml.Node, filename string) (p *Policy, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, &LoadError{File: filename, Msg: fmt.Sprintf("YAML parser failed: %v", r), Err: ErrSyntax}
		}
	}()
	if n == nil {
		return nil, &LoadError{File: filename, Field: "policy", Msg: "empty policy; want a mapping with default and rules", Err: ErrSyntax}
	}
	d := &decoder{file: filename, lines: make(map[string]int)}
	cfg := d.root(n)
	if len(d.errs) == 0 {
		var errs errorList
		p, errs = compile(cfg)
		for _, e := range errs {
			e.File, e.Line = filename, d.line(e.Field)
		}
		d.errs = errs
	}
	if len(d.errs) > 0 {
		for _, e := range d.errs {
			if e.Field == "" {
				e.Field = "policy"
			} else {
				e.Field = "policy." + e.Field
			}
			if e.Line == 0 {
				e.Line = n.Line
			}
		}
		return nil, d.errs.err()
	}
	return p, nil
}
