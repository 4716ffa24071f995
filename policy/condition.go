package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
	"github.com/cognito-gate/cognito-gate/internal/msg"
)

// maxListValues bounds the values of in, contains_any and contains_all,
// which bounds the work of one condition on one token.
const maxListValues = 64

// maxSeen bounds how much of a claim's value Explain shows.
const maxSeen = 100

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
		return strings.Contains(s, v)
	}
	return strings.HasPrefix(s, v)
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
		return k == jsonstrict.StringKind && rawStringEquals(e, v)
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

// rawStringEquals reports whether the JSON string e decodes to s, without
// allocating for short or unescaped strings.
func rawStringEquals(e []byte, s string) bool {
	if len(e) < 2 {
		return false
	}
	if body := e[1 : len(e)-1]; bytes.IndexByte(body, '\\') < 0 {
		return string(body) == s
	}
	var buf [128]byte
	d, err := jsonstrict.AppendString(buf[:0], e)
	return err == nil && string(d) == s
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

// want returns what the condition asks for, for Explain: its text and,
// when its values name path variables or claims, what they came to.
func (c *condition) want(tok *claims.Token, vars []string) string {
	var resolved []string
	literal := true
	for i := range c.args {
		o := &c.args[i]
		if o.isLiteral() {
			resolved = append(resolved, o.text)
			continue
		}
		literal = false
		if v, ok := o.str(tok, vars); ok {
			resolved = append(resolved, strconv.Quote(v))
		} else {
			resolved = append(resolved, "(no value)")
		}
	}
	if literal {
		return c.text
	}
	if c.spec.shape == listValue {
		return c.text + " → [" + strings.Join(resolved, ", ") + "]"
	}
	if resolved[0] == "(no value)" {
		return c.text + " (no value)"
	}
	return c.text + " → " + resolved[0]
}

// seen returns the claim's value as the condition saw it, for Explain:
// strings quoted, other JSON values compacted, at most maxSeen bytes, with
// a note when its type is not one the condition compares.
func (c *condition) seen(tok *claims.Token) string {
	if l, ok := c.claim.list(tok); ok {
		if len(l) == 0 {
			return "missing"
		}
		return msg.Clip(list(l), maxSeen)
	}
	if c.claim.kind != claimRaw && c.claim.kind != claimEmailVerified {
		if s, ok := c.claim.str(tok); ok {
			return strconv.Quote(msg.Clip(s, maxSeen))
		}
		return "missing"
	}
	raw, found := c.claim.path.Lookup(tok)
	if !found {
		return "missing"
	}
	return displayJSON(raw) + c.typeNote(raw)
}

// typeNote explains, for Explain, why the JSON value raw cannot satisfy
// the condition whatever it is compared with: it has no value, or its
// type is not one the condition compares. It is "" otherwise.
func (c *condition) typeNote(raw []byte) string {
	if c.op == OpExists || c.claim.kind == claimEmailVerified {
		return ""
	}
	if !hasValue(raw) {
		return " (no value)"
	}
	var kind valueKind
	what := ""
	switch raw[0] {
	case '"':
		kind, what = vString, "a string"
	case 't', 'f':
		kind, what = vBool, "a boolean"
	case '[':
		if c.spec.arrays {
			return ""
		}
		return " (an array; " + string(c.op) + " compares a single value)"
	case '{':
		return " (an object; conditions compare strings, numbers and booleans)"
	default:
		kind, what = vNumber, "a number"
	}
	if kind == vString && c.op == OpContains {
		return ""
	}
	for i := range c.args {
		if c.args[i].kind == kind {
			return ""
		}
	}
	return " (" + what + "; the condition's value is " + c.args[0].kind.String() + ", and values are never converted)"
}

// displayJSON returns the JSON value raw on one line for people: without
// insignificant whitespace, with characters that are not printable
// escaped, at most maxSeen bytes.
func displayJSON(raw []byte) string {
	var b strings.Builder
	inString := false
	for i := 0; i < len(raw) && b.Len() <= maxSeen; {
		ch := raw[i]
		switch {
		case !inString && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'):
			i++
		case ch == '"':
			inString = !inString
			b.WriteByte(ch)
			i++
		case inString && ch == '\\' && i+1 < len(raw):
			b.Write(raw[i : i+2])
			i += 2
		default:
			r, n := utf8.DecodeRune(raw[i:])
			if r != ' ' && !unicode.IsPrint(r) {
				writeUEscape(&b, r)
			} else {
				b.Write(raw[i : i+n])
			}
			i += n
		}
	}
	return msg.Clip(b.String(), maxSeen)
}
