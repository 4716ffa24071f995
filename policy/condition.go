package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// maxListValues bounds the values of in, contains_any and contains_all,
// which bounds the work of one condition on one token.
const maxListValues = 64

// opShape says what value an operator takes.
type opShape uint8

const (
	oneValue  opShape = iota // one string, number or boolean
	listValue                // a list of them
	flagValue                // true or false (exists)
)

// opSpec says what an operator takes and does.
type opSpec struct {
	shape opShape
	kinds []valueKind // the kinds of value it takes
	// arrays: on an array claim the operator tests its elements; every
	// other operator tests a single value, and never holds for an array.
	arrays bool
}

var (
	anyScalar  = []valueKind{vString, vNumber, vBool}
	onlyString = []valueKind{vString}
	onlyNumber = []valueKind{vNumber}
)

// opSpecs describes each operator in ops.
var opSpecs = map[Op]opSpec{
	OpEquals:         {shape: oneValue, kinds: anyScalar},
	OpNotEquals:      {shape: oneValue, kinds: anyScalar},
	OpIn:             {shape: listValue, kinds: anyScalar},
	OpExists:         {shape: flagValue},
	OpGreater:        {shape: oneValue, kinds: onlyNumber},
	OpGreaterOrEqual: {shape: oneValue, kinds: onlyNumber},
	OpLess:           {shape: oneValue, kinds: onlyNumber},
	OpLessOrEqual:    {shape: oneValue, kinds: onlyNumber},
	OpContains:       {shape: oneValue, kinds: anyScalar, arrays: true},
	OpContainsAny:    {shape: listValue, kinds: anyScalar, arrays: true},
	OpContainsAll:    {shape: listValue, kinds: anyScalar, arrays: true},
	OpStartsWith:     {shape: oneValue, kinds: onlyString},
}

// opList is the operators as error messages list them.
var opList = func() string {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}()

// condition is a compiled Condition.
type condition struct {
	claim claimRef
	op    Op
	spec  opSpec
	args  []operand // one for oneValue and flagValue operators
	text  string    // `tenant.id equals "{tenant}"`, for Explain
	// clientNeedle: the value of a contains holds a path variable, which
	// the client chooses: it is compared with array elements only, never
	// looked for inside a string claim (see checkNeedle).
	clientNeedle bool
}

// compileCondition validates and compiles cond, the condition at field f.
// It returns false when the operator is unknown (the condition is then
// left out).
func compileCondition(cond *Condition, f string, vars *[]string, varFields map[string]string, errs *errorList) (condition, bool) {
	path, err := ParseClaimPath(cond.Claim)
	if err != nil {
		errs.add(f+".claim", fmt.Sprintf("claim path %q: %s", msg.Clip(cond.Claim, maxQuotedPath), err.(*ClaimPathError).Reason))
	} else if why := checkNesting(path); why != "" {
		errs.add(f+".claim", why)
	}
	c := condition{claim: newClaimRef(path), op: cond.Op}
	spec, known := opSpecs[cond.Op]
	if !known {
		if cond.Op == "" {
			errs.add(f, "no operator; want one of "+opList)
		} else {
			errs.add(f, fmt.Sprintf("unknown operator %q; want one of %s", cond.Op, opList))
		}
		return c, false
	}
	c.spec = spec
	f += "." + string(cond.Op)
	n := len(*vars)
	opOK := true
	if why := c.checkOp(); why != "" {
		errs.add(f, why)
		opOK = false
	}
	switch spec.shape {
	case flagValue:
		b, ok := cond.Value.(bool)
		if !ok {
			errs.add(f, fmt.Sprintf("%s takes true (the claim has a value) or false (it has none); got %s", cond.Op, describeValue(cond.Value)))
		}
		c.args = []operand{{kind: vBool, b: b, text: strconv.FormatBool(b)}}
	case oneValue:
		if _, isList := listValues(cond.Value); isList {
			errs.add(f, fmt.Sprintf("%s takes one value, not a list%s", cond.Op, listHint(cond.Op)))
			break
		}
		o, why := compileOperand(cond.Value, vars)
		if why == "" && opOK {
			why = c.checkOperand(&o)
		}
		if why == "" && o.kind == vString {
			why = c.checkNeedle(&o, *vars)
		}
		if why != "" {
			errs.add(f, why)
		}
		c.args = []operand{o}
	case listValue:
		elems, isList := listValues(cond.Value)
		switch {
		case !isList:
			errs.add(f, fmt.Sprintf("%s takes a list of values; got %s", cond.Op, describeValue(cond.Value)))
		case len(elems) == 0:
			errs.add(f, "empty list; want at least one value")
		case len(elems) > maxListValues:
			errs.add(f, fmt.Sprintf("%d values; at most %d", len(elems), maxListValues))
			elems = elems[:maxListValues]
		}
		for k, e := range elems {
			ef := f + "[" + strconv.Itoa(k) + "]"
			if _, nested := listValues(e); nested {
				errs.add(ef, "a list in a list; want a string, a number or a boolean")
				c.args = append(c.args, operand{}) // keeps c.args[k] the k'th value
				continue
			}
			o, why := compileOperand(e, vars)
			if why == "" && opOK {
				why = c.checkOperand(&o)
			}
			if why == "" {
				if j := slices.IndexFunc(c.args, func(p operand) bool { return o.same(&p) }); j >= 0 {
					why = fmt.Sprintf("%s is listed twice (also [%d])", o.text, j)
				}
			}
			if why != "" {
				errs.add(ef, why)
			}
			c.args = append(c.args, o)
		}
	}
	for _, v := range (*vars)[n:] {
		varFields[v] = f
	}
	c.text = c.claim.path.String() + " " + string(cond.Op) + " " + c.valueText()
	return c, true
}

// describeValue describes a value given to a condition, for an error.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "no value"
	case string:
		return "the string " + strconv.Quote(msg.Clip(x, maxQuotedPath))
	case bool:
		return strconv.FormatBool(x)
	}
	if _, isList := listValues(v); isList {
		return "a list"
	}
	if o, why := compileOperand(v, new([]string)); why == "" && o.kind == vNumber {
		return "the number " + o.text
	}
	return fmt.Sprintf("a value of Go type %T", v)
}

// listHint says which operator takes a list in place of op.
func listHint(op Op) string {
	switch op {
	case OpEquals:
		return "; to allow any of several values use in"
	case OpContains:
		return "; for several values use contains_any or contains_all"
	}
	return ""
}

// checkOp returns why the operator can never hold for the claim, given
// what is known of its type, whatever the value; or "".
func (c *condition) checkOp() string {
	if c.op == OpExists {
		return ""
	}
	name := c.claim.path.String()
	switch ty := c.claim.typ(); ty {
	case typeUnknown:
	case typeList:
		if !c.spec.arrays {
			return fmt.Sprintf("%s is a list; want contains, contains_any or contains_all", name)
		}
	default:
		if c.spec.arrays && c.op != OpContains || c.op == OpContains && ty != typeString {
			return fmt.Sprintf("%s is %s, not a list; %s tests the elements of lists", name, ty, c.op)
		}
	}
	return ""
}

// checkOperand returns why the value o can never satisfy the condition,
// given its operator and what is known of the claim's type; or "". Values
// are never converted: a number never equals a string, so a condition
// that could only hold by converting is refused here rather than left to
// deny every request.
func (c *condition) checkOperand(o *operand) string {
	name := c.claim.path.String()
	if !slices.Contains(c.spec.kinds, o.kind) {
		want := "numbers"
		if c.spec.kinds[0] == vString {
			want = "strings"
		}
		return fmt.Sprintf("%s compares %s; got %s (values are never converted%s)", c.op, want, o.describe(), o.rewrite(c.spec.kinds[0]))
	}
	switch ty := c.claim.typ(); ty {
	case typeUnknown:
	case typeList:
		if o.kind != vString {
			return fmt.Sprintf("%s is a list of strings, so %s is never one of its elements (values are never converted%s)", name, o.describe(), o.rewrite(vString))
		}
		return checkListValue(c.claim.kind, &o.tmpl)
	default:
		if want := ty.valueKind(); o.kind != want {
			why := fmt.Sprintf("%s is %s (claims.Verifier checks it), so %s never matches it (values are never converted%s)", name, ty, o.describe(), o.rewrite(want))
			if ty == typeBool && o.rewrite(vBool) != "" {
				why += fmt.Sprintf("; tokens that carry %s as the string %s, as Cognito writes it for some federated users, match %s too", name, o.text, strings.Trim(o.text, `"`))
			}
			return why
		}
	}
	return ""
}

// checkNeedle returns why the string value o of starts_with or contains
// must not hold a path variable (vars are the rule's, by slot), or "".
// The client chooses the path: with "/tenants/{t}/" and custom:tenant
// starts_with "{t}", a user of tenant "acme" would reach /tenants/a/,
// /tenants/ac/ and every other prefix; contains would open every
// substring. Whole values are compared with equals or in. On a claim that
// may be an array, contains with such a value is kept for its elements
// (element equality) and never holds on a string (c.clientNeedle).
func (c *condition) checkNeedle(o *operand, vars []string) string {
	v := o.tmpl.pathVar(vars)
	if v == "" || (c.op != OpStartsWith && c.op != OpContains) {
		return ""
	}
	name := c.claim.path.String()
	switch {
	case c.op == OpStartsWith:
		return fmt.Sprintf("{%s} is a path wildcard, which the client chooses: %s starts_with would hold for every prefix of the claim the client writes in the path; compare the whole value with equals", v, name)
	case c.claim.typ() == typeString:
		return fmt.Sprintf("{%s} is a path wildcard, which the client chooses: %s is a string, and contains would hold for every part of it the client writes in the path; compare the whole value with equals", v, name)
	}
	c.clientNeedle = true
	return ""
}

// describe names o for an error: `the string "3"`, "the number 3", "the
// boolean true".
func (o *operand) describe() string {
	switch o.kind {
	case vString:
		return "the string " + o.text
	case vNumber:
		return "the number " + o.text
	}
	return "the boolean " + o.text
}

// rewrite suggests o written as a value of kind want, when that is o's
// text without or with quotes ("; write 3", `; write "3"`), or "".
func (o *operand) rewrite(want valueKind) string {
	switch {
	case o.kind == vString && o.isLiteral() && want != vString:
		unquoted, err := strconv.Unquote(o.text)
		if err != nil {
			return ""
		}
		if p, why := compileOperand(jsonLiteral(unquoted), new([]string)); why == "" && p.kind == want {
			return ": write " + unquoted + " without quotes"
		}
	case o.kind != vString && want == vString:
		return ": write " + strconv.Quote(o.text) + " to compare text"
	}
	return ""
}

// jsonLiteral reads s as a JSON number or boolean, or returns nil.
func jsonLiteral(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if _, ok := parseDecimal([]byte(s)); ok {
		return json.Number(s)
	}
	return nil
}

// valueKind is the kind of value that a claim of type t has.
func (t claimType) valueKind() valueKind {
	switch t {
	case typeString, typeList:
		return vString
	case typeBool:
		return vBool
	case typeNumber:
		return vNumber
	}
	return 0
}

// String returns the type for error messages: "a string", "a list of
// strings", "a boolean", "a number" or "any JSON value".
func (t claimType) String() string {
	switch t {
	case typeString:
		return "a string"
	case typeList:
		return "a list of strings"
	case typeBool:
		return "a boolean"
	case typeNumber:
		return "a number"
	}
	return "any JSON value"
}

// valueText returns the condition's value as the policy states it.
func (c *condition) valueText() string {
	if c.spec.shape != listValue {
		if len(c.args) == 0 {
			return ""
		}
		return c.args[0].text
	}
	texts := make([]string, len(c.args))
	for i := range c.args {
		texts[i] = c.args[i].text
	}
	return "[" + strings.Join(texts, ", ") + "]"
}
