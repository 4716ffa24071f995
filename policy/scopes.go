package policy

import (
	"slices"
)

// Scopes returns every scope a rule of the policy names (scopes_any and
// scopes_all, of the rule and of its alternatives), sorted and without
// repeats: what a protected resource supports, for RFC 9728's
// scopes_supported.
func (p *Policy) Scopes() []string {
	var out []string
	for _, rt := range p.routes {
		if rt.rule == nil {
			continue
		}
		for _, q := range append([]requirement{rt.rule.base}, rt.rule.anyOf...) {
			out = append(out, q.scopesAny...)
			out = append(out, q.scopesAll...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
