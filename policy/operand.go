package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/cognito-gate/cognito-gate/claims"
)

// valueKind is the JSON type of a condition's value.
type valueKind uint8

const (
	vString valueKind = iota + 1
	vNumber
	vBool
)

// String returns "a string", "a number" or "a boolean".
func (k valueKind) String() string {
	switch k {
	case vString:
		return "a string"
	case vNumber:
		return "a number"
	case vBool:
		return "a boolean"
	}
	return "nothing"
}

// operand is one compiled value of a Condition.
type operand struct {
	kind valueKind
	tmpl template // vString
	num  decimal  // vNumber
	b    bool     // vBool
	text string   // as Explain shows it: "acme" quoted, 42, true
}

// maxNumberBytes bounds the text of a number in a policy.
const maxNumberBytes = 100

// compileOperand compiles v, one value of a condition: a string (a
// template, whose path variables are collected in vars), a number or a
// boolean. It returns a message for the LoadError, or "".
func compileOperand(v any, vars *[]string) (operand, string) {
	switch x := v.(type) {
	case string:
		t, msg := parseTemplate(x, vars)
		return operand{kind: vString, tmpl: t, text: strconv.Quote(x)}, msg
	case bool:
		return operand{kind: vBool, b: x, text: strconv.FormatBool(x)}, ""
	case json.Number:
		return numberOperand(string(x))
	case nil:
		return operand{}, "no value; want a string, a number or a boolean"
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return numberOperand(strconv.FormatInt(rv.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return numberOperand(strconv.FormatUint(rv.Uint(), 10))
	case reflect.Float32:
		return floatOperand(rv.Float(), 32)
	case reflect.Float64:
		return floatOperand(rv.Float(), 64)
	}
	return operand{}, fmt.Sprintf("a value of Go type %T; want a string, a number (an integer, a float or a json.Number) or a bool", v)
}

// floatOperand is the number f, written as the shortest decimal that
// reads back as f at the given bit size.
func floatOperand(f float64, bits int) (operand, string) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return operand{}, fmt.Sprintf("%v is not a number JSON can write; want a finite number", f)
	}
	return numberOperand(strconv.FormatFloat(f, 'g', -1, bits))
}

// numberOperand compiles the number s, written as JSON writes numbers.
func numberOperand(s string) (operand, string) {
	if len(s) > maxNumberBytes {
		return operand{}, fmt.Sprintf("number of more than %d characters", maxNumberBytes)
	}
	d, ok := parseDecimal([]byte(s))
	switch {
	case !ok:
		return operand{}, fmt.Sprintf("number %q is not written as JSON writes numbers: want decimal digits with an optional minus, fraction and exponent (42, -1.5, 6.02e23), without '+', '_', leading zeros, hex, octal, inf or nan", s)
	case d.adj > maxPolicyExponent || d.adj < -maxPolicyExponent:
		return operand{}, fmt.Sprintf("number %q: exponent out of range (at most %d)", s, maxPolicyExponent)
	}
	return operand{kind: vNumber, num: d, text: s}, ""
}

// listValues returns the elements of v, which must be a list (a slice
// other than []byte); ok is false otherwise.
func listValues(v any) (elems []any, ok bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case nil, string, []byte, json.Number:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// str returns the string value of o for tok and the path variables; ok is
// false when o is not a string or its template does not resolve.
func (o *operand) str(tok *claims.Token, vars []string) (string, bool) {
	if o.kind != vString {
		return "", false
	}
	return o.tmpl.resolve(tok, vars)
}

// isLiteral reports whether o's value is the same for every request.
func (o *operand) isLiteral() bool {
	return o.kind != vString || len(o.tmpl.parts) == 1 && o.tmpl.parts[0].slot < 0 && o.tmpl.parts[0].claim == nil
}

// same reports whether o and p are the same value, for duplicates in a
// list.
func (o *operand) same(p *operand) bool {
	switch {
	case o.kind != p.kind:
		return false
	case o.kind == vNumber:
		return cmpDecimal(&o.num, &p.num) == 0
	}
	return o.text == p.text
}
