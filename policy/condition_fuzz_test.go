package policy

import (
	"bytes"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/internal/jsonstrict"
)

// FuzzConditionEval evaluates conditions on any JSON a token could carry
// (what jsonstrict accepts, as claims.Verifier does), reached by any claim
// path, and checks that evaluation never panics and keeps its promises:
// exists and its negation disagree; nothing but exists: false holds for a
// value that is missing or empty; equals and not_equals never both hold;
// a number is exactly one of less, equal or greater; a value of another
// type than the condition's fails it; and equals, in and contains agree
// with an oracle that decodes the JSON with encoding/json and compares
// numbers with math/big.
func FuzzConditionEval(f *testing.F) {
	for _, s := range [][3]string{
		{`{"v":1}`, "x.v", `1`},
		{`{"v":"1"}`, "x.v", `1`},
		{`{"v":[1,"1",true,[1],{"a":1}]}`, "x.v", `"1"`},
		{`[{"a":1e400},{"a":-0}]`, "x[1].a", `0`},
		{`{"a.b":{"c":"\u0074"}}`, `x["a.b"].c`, `"t"`},
		{`9007199254740993`, "x", `9007199254740992`},
		{`"NaN"`, "x", `0`},
		{`null`, "x", `null`},
		{`{"v":true}`, "x.v", `[true, "true", 1]`},
		{`["a","b","c"]`, "x", `["c","a"]`},
	} {
		f.Add([]byte(s[0]), s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, data []byte, pathText, operandJSON string) {
		if !jsonstrict.Valid(data) || len(data) > 1<<14 || strings.ContainsAny(operandJSON, "{}") {
			return
		}
		path, err := ParseClaimPath(pathText)
		if err != nil {
			return
		}
		var operand any
		dec := json.NewDecoder(strings.NewReader(operandJSON))
		dec.UseNumber()
		if dec.Decode(&operand) != nil || dec.More() {
			return
		}
		value, found := walk(bytes.TrimSpace(data), path.segs[1:])
		results := make(map[Op]bool)
		for _, op := range ops {
			v := operand
			if op == OpExists {
				v = true
			}
			var errs errorList
			var vars []string
			c, ok := compileCondition(&Condition{Claim: "raw", Op: op, Value: v}, "c", &vars, map[string]string{}, &errs)
			if !ok || len(errs) > 0 {
				continue
			}
			results[op] = c.evalRaw(value, found, nil, nil)
			if op == OpExists {
				c.args[0].b = false
				if absent := c.evalRaw(value, found, nil, nil); absent == results[op] {
					t.Fatalf("exists true and false both %v on %s", absent, value)
				}
			}
		}
		has := found && hasValue(value)
		for op, r := range results {
			if r && !has && op != OpExists {
				t.Fatalf("%s %s holds on %s, which has no value", op, operandJSON, value)
			}
		}
		if results[OpEquals] && results[OpNotEquals] {
			t.Fatalf("equals and not_equals %s both hold on %s", operandJSON, value)
		}
		if n, isNumber := operand.(json.Number); isNumber && has && value[0] != '"' && value[0] != '[' && value[0] != '{' && value[0] != 't' && value[0] != 'f' {
			lt, eq, gt := results[OpLess], results[OpEquals], results[OpGreater]
			if count(lt, eq, gt) != 1 || results[OpLessOrEqual] != (lt || eq) || results[OpGreaterOrEqual] != (gt || eq) {
				t.Fatalf("%s against %s: lt %v eq %v gt %v lte %v gte %v", value, n, lt, eq, gt, results[OpLessOrEqual], results[OpGreaterOrEqual])
			}
		}
		if has && value[0] == '"' {
			if _, isString := operand.(string); !isString {
				for op, r := range results {
					if r && op != OpExists && op != OpIn {
						t.Fatalf("%s %s holds on the string %s", op, operandJSON, value)
					}
				}
			}
		}
		// The oracle.
		var decoded any
		d := json.NewDecoder(bytes.NewReader(value))
		d.UseNumber()
		if !found || d.Decode(&decoded) != nil || !oracleReads(value) {
			return
		}
		if r, ok := results[OpEquals]; ok && r != (has && oracleEqual(decoded, operand)) {
			t.Fatalf("equals %s on %s: %v; the oracle says otherwise", operandJSON, value, r)
		}
		if r, ok := results[OpIn]; ok {
			want := false
			for _, e := range operand.([]any) {
				want = want || has && oracleEqual(decoded, e)
			}
			if r != want {
				t.Fatalf("in %s on %s: %v; the oracle says %v", operandJSON, value, r, want)
			}
		}
		if r, ok := results[OpContains]; ok {
			want := false
			switch x := decoded.(type) {
			case []any:
				for _, e := range x {
					want = want || oracleEqual(e, operand)
				}
			case string:
				s, isString := operand.(string)
				want = isString && x != "" && strings.Contains(x, s)
			}
			if r != want {
				t.Fatalf("contains %s on %s: %v; the oracle says %v", operandJSON, value, r, want)
			}
		}
	})
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// oracleReads reports whether every number in the JSON value v has an
// exponent math/big expands cheaply.
func oracleReads(v []byte) bool {
	for i := 0; i < len(v); i++ {
		if v[i] == 'e' || v[i] == 'E' {
			j := i + 1
			if j < len(v) && (v[j] == '+' || v[j] == '-') {
				j++
			}
			k := j
			for k < len(v) && '0' <= v[k] && v[k] <= '9' {
				k++
			}
			if k-j > 3 {
				return false
			}
		}
	}
	return true
}

// oracleEqual is typed equality of decoded JSON values: strings and
// booleans by ==, numbers by value with math/big, nothing else equal.
func oracleEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y && x != ""
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		rx, okx := new(big.Rat).SetString(string(x))
		ry, oky := new(big.Rat).SetString(string(y))
		return okx && oky && rx.Cmp(ry) == 0
	}
	return false
}
