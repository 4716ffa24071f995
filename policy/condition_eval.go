package policy

import (
	"bytes"
	"slices"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// eval reports whether the condition holds for tok. A claim that is
// missing, null or empty ("", [], {}) has no value: only exists: false
// holds for it. A value of another type than the condition's fails it:
// nothing is converted.
func (c *condition) eval(tok *claims.Token, vars []string) bool {
	if l, ok := c.claim.list(tok); ok {
		return c.evalList(l, tok, vars)
	}
	switch c.claim.kind {
	case claimRaw:
		raw, found := c.claim.path.Lookup(tok)
		return c.evalRaw(raw, found, tok, vars)
	case claimEmailVerified:
		// claims.Verifier read it as a boolean (or "true"/"false").
		_, found := tok.Claim("email_verified")
		if c.op == OpExists {
			return found == c.args[0].b
		}
		return found && c.evalBool(tok.EmailVerified)
	}
	s, ok := c.claim.str(tok)
	if c.op == OpExists {
		return ok == c.args[0].b
	}
	return ok && c.evalString(s, tok, vars)
}

// evalRaw judges the JSON value raw (found: present).
func (c *condition) evalRaw(raw []byte, found bool, tok *claims.Token, vars []string) bool {
	has := found && hasValue(raw)
	if c.op == OpExists {
		return has == c.args[0].b
	}
	if !has {
		return false
	}
	switch raw[0] {
	case '"':
		switch c.op {
		case OpEquals, OpNotEquals, OpIn:
			return c.evalRawString(raw, tok, vars)
		}
		s, err := jsonstrict.String(raw)
		return err == nil && c.evalString(s, tok, vars)
	case 't', 'f':
		return c.evalBool(raw[0] == 't')
	case '[':
		return c.spec.arrays && c.evalArray(raw, tok, vars)
	case '{':
		return false
	}
	d, ok := parseDecimal(raw)
	return ok && c.evalNumber(&d)
}

// hasValue reports whether the JSON value raw is a value: not null, "",
// [] or {}.
func hasValue(raw []byte) bool {
	switch {
	case len(raw) == 0, string(raw) == "null", string(raw) == `""`:
		return false
	case raw[0] == '[' || raw[0] == '{':
		return len(bytes.TrimLeft(raw[1:len(raw)-1], " \t\r\n")) > 0
	}
	return true
}

// evalString judges the non-empty string s.
func (c *condition) evalString(s string, tok *claims.Token, vars []string) bool {
	switch c.op {
	case OpIn:
		for i := range c.args {
			if v, ok := c.args[i].str(tok, vars); ok && s == v {
				return true
			}
		}
		return false
	case OpEquals, OpNotEquals, OpContains, OpStartsWith:
	default:
		return false
	}
	v, ok := c.args[0].str(tok, vars)
	if !ok {
		return false
	}
	switch c.op {
	case OpEquals:
		return s == v
	case OpNotEquals:
		return s != v
	case OpContains:
		// A needle the client chose is for array elements only
		// (checkNeedle).
		return !c.clientNeedle && strings.Contains(s, v)
	}
	return strings.HasPrefix(s, v)
}

// evalRawString judges the non-empty JSON string raw with equals,
// not_equals or in, without decoding it into a new string.
func (c *condition) evalRawString(raw []byte, tok *claims.Token, vars []string) bool {
	if c.op == OpIn {
		for i := range c.args {
			if v, ok := c.args[i].str(tok, vars); ok {
				if eq, valid := rawStringEquals(raw, v); eq && valid {
					return true
				}
			}
		}
		return false
	}
	v, ok := c.args[0].str(tok, vars)
	if !ok {
		return false
	}
	eq, valid := rawStringEquals(raw, v)
	return valid && eq == (c.op == OpEquals)
}

// evalNumber judges the number d.
func (c *condition) evalNumber(d *decimal) bool {
	if c.op == OpIn {
		for i := range c.args {
			if c.args[i].kind == vNumber && cmpDecimal(d, &c.args[i].num) == 0 {
				return true
			}
		}
		return false
	}
	o := &c.args[0]
	if o.kind != vNumber || c.spec.arrays {
		return false
	}
	r := cmpDecimal(d, &o.num)
	switch c.op {
	case OpEquals:
		return r == 0
	case OpNotEquals:
		return r != 0
	case OpGreater:
		return r > 0
	case OpGreaterOrEqual:
		return r >= 0
	case OpLess:
		return r < 0
	case OpLessOrEqual:
		return r <= 0
	}
	return false
}

// evalBool judges the boolean b.
func (c *condition) evalBool(b bool) bool {
	switch c.op {
	case OpIn:
		for i := range c.args {
			if c.args[i].kind == vBool && c.args[i].b == b {
				return true
			}
		}
		return false
	case OpEquals:
		return c.args[0].kind == vBool && c.args[0].b == b
	case OpNotEquals:
		return c.args[0].kind == vBool && c.args[0].b != b
	}
	return false
}

// evalArray judges the JSON array raw with contains, contains_any or
// contains_all: its elements are compared with the values, each with the
// values of its own type; an array or object element equals nothing.
func (c *condition) evalArray(raw []byte, tok *claims.Token, vars []string) bool {
	var vals [maxListValues]string
	var usable uint64 // values that resolved
	for i := range c.args {
		if c.args[i].kind != vString {
			usable |= 1 << i
		} else if v, ok := c.args[i].str(tok, vars); ok {
			vals[i], usable = v, usable|1<<i
		}
	}
	all := ^uint64(0) >> (64 - len(c.args))
	if c.op == OpContainsAll && usable != all {
		return false
	}
	var found uint64
	_ = jsonstrict.ArrayEach(raw, func(e []byte, k jsonstrict.Kind) error {
		for i := range c.args {
			bit := uint64(1) << i
			if found&bit == 0 && usable&bit != 0 && c.args[i].matches(e, k, vals[i]) {
				found |= bit
				if c.op != OpContainsAll {
					return errFound
				}
			}
		}
		if found == all {
			return errFound
		}
		return nil
	})
	if c.op == OpContainsAll {
		return found == all
	}
	return found != 0
}

// matches reports whether the array element e, of kind k, is o, whose
// string value (when o is a string) is v.
func (o *operand) matches(e []byte, k jsonstrict.Kind, v string) bool {
	switch o.kind {
	case vString:
		eq, valid := rawStringEquals(e, v)
		return k == jsonstrict.StringKind && eq && valid
	case vNumber:
		if k != jsonstrict.Number {
			return false
		}
		d, ok := parseDecimal(e)
		return ok && cmpDecimal(&d, &o.num) == 0
	case vBool:
		return k == jsonstrict.True && o.b || k == jsonstrict.False && !o.b
	}
	return false
}

// rawStringEquals reports whether the JSON string e decodes to s, and
// whether e is a valid JSON string at all, without allocating for short
// or unescaped strings.
func rawStringEquals(e []byte, s string) (equal, valid bool) {
	if len(e) < 2 || e[0] != '"' || e[len(e)-1] != '"' {
		return false, false
	}
	if body := e[1 : len(e)-1]; bytes.IndexByte(body, '\\') < 0 && bytes.IndexByte(body, '"') < 0 {
		return string(body) == s, true
	}
	var buf [128]byte
	d, err := jsonstrict.AppendString(buf[:0], e)
	return err == nil && string(d) == s, err == nil
}

// evalList judges one of the verifier's list claims (cognito:groups,
// scope, cognito:roles).
func (c *condition) evalList(l []string, tok *claims.Token, vars []string) bool {
	switch c.op {
	case OpExists:
		return (len(l) > 0) == c.args[0].b
	case OpContains, OpContainsAny:
		for i := range c.args {
			if v, ok := c.args[i].str(tok, vars); ok && slices.Contains(l, v) {
				return true
			}
		}
		return false
	case OpContainsAll:
		for i := range c.args {
			if v, ok := c.args[i].str(tok, vars); !ok || !slices.Contains(l, v) {
				return false
			}
		}
		return true
	}
	return false
}
