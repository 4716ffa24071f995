package policy_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// typedValues are the claim values every typed condition is tried on, as
// the token's JSON writes them; "missing" leaves the claim out.
var typedValues = []string{
	"missing", `null`, `""`, `[]`, `{}`, `[ ]`,
	`"1"`, `1`, `1.0`, `1e0`, `10`, `-1`, `-0`, `0`, `0.5`,
	`true`, `false`, `"true"`, `"false"`,
	`"abc"`, `"ABC"`, `"a\u0062c"`, `"NaN"`, `"Infinity"`, `"1e3"`,
	`[1]`, `["1"]`, `[true]`, `[[1]]`, `[{"a":1}]`, `[1,"1",true]`, `["abc","x"]`,
	`{"a":1}`,
	`9007199254740993`, `9007199254740992`, `1e400`, `-1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`,
	`123456789012345678901234567890`, `123456789012345678901234567891`,
}

// typedCases says, for each condition, on which of typedValues it holds;
// it fails on every other one. Together they try every operator on every
// JSON type.
var typedCases = []struct {
	name  string
	op    policy.Op
	value any
	holds []string
}{
	{"equals number", policy.OpEquals, 1, []string{`1`, `1.0`, `1e0`}},
	{"equals number (json.Number)", policy.OpEquals, json.Number("1.00"), []string{`1`, `1.0`, `1e0`}},
	{"equals number (float)", policy.OpEquals, 0.5, []string{`0.5`}},
	{"equals zero", policy.OpEquals, 0, []string{`-0`, `0`}},
	{"equals number in other notations", policy.OpEquals, 1000, []string{`1e3`, `1000`, `1E+3`, `10000e-1`}},
	{"equals string of digits", policy.OpEquals, "1", []string{`"1"`}},
	{"equals true", policy.OpEquals, true, []string{`true`}},
	{"equals false", policy.OpEquals, false, []string{`false`}},
	{"equals string true", policy.OpEquals, "true", []string{`"true"`}},
	{"equals string", policy.OpEquals, "abc", []string{`"abc"`, `"a\u0062c"`}},
	{"equals NaN, a string", policy.OpEquals, "NaN", []string{`"NaN"`}},
	{"equals a large integer exactly", policy.OpEquals, json.Number("9007199254740993"), []string{`9007199254740993`}},
	{"equals a larger integer exactly", policy.OpEquals, json.Number("123456789012345678901234567890"), []string{`123456789012345678901234567890`}},
	{"equals a huge number", policy.OpEquals, json.Number("1e400"), []string{`1e400`}},
	{"not_equals number", policy.OpNotEquals, 1, []string{`10`, `-1`, `-0`, `0`, `0.5`, `9007199254740993`, `9007199254740992`, `1e400`, `-1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`, `123456789012345678901234567890`, `123456789012345678901234567891`}},
	{"not_equals string", policy.OpNotEquals, "1", []string{`"true"`, `"false"`, `"abc"`, `"ABC"`, `"a\u0062c"`, `"NaN"`, `"Infinity"`, `"1e3"`}},
	{"not_equals true", policy.OpNotEquals, true, []string{`false`}},
	{"in mixed", policy.OpIn, []any{1, "abc", false}, []string{`1`, `1.0`, `1e0`, `false`, `"abc"`, `"a\u0062c"`}},
	{"in string and number", policy.OpIn, []any{"1", json.Number("1")}, []string{`"1"`, `1`, `1.0`, `1e0`}},
	{"in strings", policy.OpIn, []string{"ABC", "x"}, []string{`"ABC"`}},
	{"in numbers", policy.OpIn, []int{-1, 10}, []string{`10`, `-1`}},
	{"exists", policy.OpExists, true, []string{
		`"1"`, `1`, `1.0`, `1e0`, `10`, `-1`, `-0`, `0`, `0.5`, `true`, `false`, `"true"`, `"false"`,
		`"abc"`, `"ABC"`, `"a\u0062c"`, `"NaN"`, `"Infinity"`, `"1e3"`,
		`[1]`, `["1"]`, `[true]`, `[[1]]`, `[{"a":1}]`, `[1,"1",true]`, `["abc","x"]`, `{"a":1}`,
		`9007199254740993`, `9007199254740992`, `1e400`, `-1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`,
		`123456789012345678901234567890`, `123456789012345678901234567891`,
	}},
	{"exists false", policy.OpExists, false, []string{"missing", `null`, `""`, `[]`, `{}`, `[ ]`}},
	{"gt", policy.OpGreater, 1, []string{`10`, `9007199254740993`, `9007199254740992`, `1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`, `123456789012345678901234567890`, `123456789012345678901234567891`}},
	{"gte", policy.OpGreaterOrEqual, 1, []string{`1`, `1.0`, `1e0`, `10`, `9007199254740993`, `9007199254740992`, `1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`, `123456789012345678901234567890`, `123456789012345678901234567891`}},
	{"lt", policy.OpLess, 1, []string{`-1`, `-0`, `0`, `0.5`, `-1e400`}},
	{"lte", policy.OpLessOrEqual, 1, []string{`1`, `1.0`, `1e0`, `-1`, `-0`, `0`, `0.5`, `-1e400`}},
	{"gt a large integer, exactly", policy.OpGreater, json.Number("9007199254740992"), []string{`9007199254740993`, `1e400`, `123456789012345678901234567890`, `123456789012345678901234567891`}},
	{"lt a larger integer, exactly", policy.OpLess, json.Number("123456789012345678901234567891"), []string{
		`1`, `1.0`, `1e0`, `10`, `-1`, `-0`, `0`, `0.5`, `9007199254740993`, `9007199254740992`, `-1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`, `123456789012345678901234567890`}},
	{"gte a fraction", policy.OpGreaterOrEqual, 0.5, []string{`1`, `1.0`, `1e0`, `10`, `0.5`, `9007199254740993`, `9007199254740992`, `1e400`, `1e3`, `1000`, `1E+3`, `10000e-1`, `123456789012345678901234567890`, `123456789012345678901234567891`}},
	{"lt a negative number", policy.OpLess, -1, []string{`-1e400`}},
	{"contains number", policy.OpContains, 1, []string{`[1]`, `[1,"1",true]`}},
	{"contains string", policy.OpContains, "1", []string{`"1"`, `"1e3"`, `["1"]`, `[1,"1",true]`}},
	{"contains true", policy.OpContains, true, []string{`[true]`, `[1,"1",true]`}},
	{"contains a substring", policy.OpContains, "b", []string{`"abc"`, `"a\u0062c"`}},
	{"contains an element", policy.OpContains, "abc", []string{`"abc"`, `"a\u0062c"`, `["abc","x"]`}},
	{"contains_any", policy.OpContainsAny, []any{1, "x"}, []string{`[1]`, `[1,"1",true]`, `["abc","x"]`}},
	{"contains_all", policy.OpContainsAll, []any{1, "1", true}, []string{`[1,"1",true]`}},
	{"contains_all strings", policy.OpContainsAll, []string{"x", "abc"}, []string{`["abc","x"]`}},
	{"starts_with", policy.OpStartsWith, "a", []string{`"abc"`, `"a\u0062c"`}},
	{"starts_with digits", policy.OpStartsWith, "1", []string{`"1"`, `"1e3"`}},
}

// TestTypedConditions tries every operator of typedCases on every value
// of typedValues, at the top level of the claims and inside an object,
// through the real verifier: each condition holds exactly where it says.
// A value of another type never matches: 1, "1" and true are three
// values.
func TestTypedConditions(t *testing.T) {
	f := newFixture(t)
	top := make(map[string]*claims.Token)
	nested := make(map[string]*claims.Token)
	for _, v := range typedValues {
		if v == "missing" {
			top[v] = f.access(t)
			nested[v] = f.access(t, cognitotest.WithClaim("t", json.RawMessage(`{"other":1}`)))
			continue
		}
		top[v] = f.access(t, cognitotest.WithClaim("v", json.RawMessage(v)))
		nested[v] = f.access(t, cognitotest.WithClaim("t", json.RawMessage(`{"x":{"v":`+v+`}}`)))
	}
	for _, tc := range typedCases {
		for _, at := range []struct {
			claim  string
			tokens map[string]*claims.Token
		}{{"v", top}, {"t.x.v", nested}, {`["t"]["x"].v`, nested}} {
			p, err := policy.New(policy.Config{Rules: []policy.Rule{
				conditionRule("r", "/r", at.claim, tc.op, tc.value),
			}})
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			r := request(t, "GET", "/r")
			for _, v := range typedValues {
				d := p.Decide(r, at.tokens[v])
				if want := slices.Contains(tc.holds, v); d.Allow != want {
					t.Errorf("%s: %s %s %v on %s: allow %v; want %v\n%s", tc.name, at.claim, tc.op, tc.value, v, d.Allow, want, p.Explain(r, at.tokens[v]))
				} else if !want && d.Reason != claims.ReasonClaimDenied {
					t.Errorf("%s on %s: reason %s; want claim_denied", tc.name, v, d.Reason)
				}
			}
		}
	}
}

// TestTypedConditionsFromYAML checks that YAML types values as written:
// 1 is a number, "1" a string, true a boolean, and that it says the same
// as the Go form.
func TestTypedConditionsFromYAML(t *testing.T) {
	f := newFixture(t)
	tokens := map[string]*claims.Token{
		`1`:      f.access(t, cognitotest.WithClaim("v", 1)),
		`"1"`:    f.access(t, cognitotest.WithClaim("v", "1")),
		`true`:   f.access(t, cognitotest.WithClaim("v", true)),
		`"true"`: f.access(t, cognitotest.WithClaim("v", "true")),
		`1.5`:    f.access(t, cognitotest.WithClaim("v", 1.5)),
		`date`:   f.access(t, cognitotest.WithClaim("v", "2026-11-22")),
		`huge`:   f.access(t, cognitotest.WithClaim("v", json.RawMessage("123456789012345678901234567890"))),
		`[1]`:    f.access(t, cognitotest.WithClaim("v", []int{1})),
		`["1"]`:  f.access(t, cognitotest.WithClaim("v", []string{"1"})),
		`yes`:    f.access(t, cognitotest.WithClaim("v", "yes")),
	}
	for _, tc := range []struct {
		cond  string
		holds []string
	}{
		{"equals: 1", []string{`1`}},
		{"equals: 1.0", []string{`1`}},
		{`equals: "1"`, []string{`"1"`}},
		{"equals: '1'", []string{`"1"`}},
		{"equals: !!str 1", []string{`"1"`}},
		{"equals: true", []string{`true`}},
		{"equals: True", []string{`true`}},
		{`equals: "true"`, []string{`"true"`}},
		{"equals: yes", []string{`yes`}}, // YAML 1.2: a string, not a boolean
		{"equals: 1.5", []string{`1.5`}},
		{"equals: 2026-11-22", []string{`date`}}, // a date is text
		{"equals: 123456789012345678901234567890", []string{`huge`}},
		{"gt: 123456789012345678901234567889", []string{`huge`}},
		{"gte: 1", []string{`1`, `1.5`, `huge`}},
		{"in: [1, 'true']", []string{`1`, `"true"`}},
		{"in: [\"1\", true]", []string{`"1"`, `true`}},
		{"contains: 1", []string{`[1]`}},
		{`contains: "1"`, []string{`"1"`, `["1"]`, `date`}}, // a substring of "2026-11-22"
		{"contains_any: [1, x]", []string{`[1]`}},
		{"exists: false", nil},
	} {
		doc := "rules:\n  - name: r\n    route: /r\n    claims:\n      - {claim: v, " + tc.cond + "}\n"
		p, err := parse([]byte(doc))
		if err != nil {
			t.Errorf("%s: %v", tc.cond, err)
			continue
		}
		r := request(t, "GET", "/r")
		for name, tok := range tokens {
			if got, want := p.Decide(r, tok).Allow, slices.Contains(tc.holds, name); got != want {
				t.Errorf("%s on %s: allow %v; want %v\n%s", tc.cond, name, got, want, p.Explain(r, tok))
			}
		}
	}
}

// TestTypedClaimsOfTheVerifier covers the claims read from the token's
// typed fields, whose types New knows.
func TestTypedClaimsOfTheVerifier(t *testing.T) {
	f := newFixture(t)
	access := f.access(t, cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin", "users"), cognitotest.WithScopes("orders/read", "orders/write"))
	id := f.id(t, cognitotest.WithUsername("alice"))
	idStringVerified := f.id(t, cognitotest.WithClaim("email_verified", "true"))
	noGroups := f.access(t)
	for _, tc := range []struct {
		claim string
		op    policy.Op
		value any
		tok   *claims.Token
		want  bool
	}{
		{"username", policy.OpIn, []string{"bob", "alice"}, access, true},
		{"username", policy.OpIn, []string{"bob"}, access, false},
		{"username", policy.OpExists, true, access, true},
		{"email", policy.OpExists, true, access, false}, // access tokens have no email
		{"email", policy.OpExists, false, access, true},
		{"email", policy.OpExists, true, id, true},
		{"client_id", policy.OpEquals, cognitotest.DefaultClientID, id, true}, // aud, for ID tokens
		{"cognito:groups", policy.OpContainsAny, []string{"x", "users"}, access, true},
		{"cognito:groups", policy.OpContainsAll, []string{"admin", "users"}, access, true},
		{"cognito:groups", policy.OpContainsAll, []string{"admin", "staff"}, access, false},
		{"cognito:groups", policy.OpExists, true, access, true},
		{"cognito:groups", policy.OpExists, false, noGroups, true},
		{"cognito:groups", policy.OpContains, "admin", noGroups, false},
		{"scope", policy.OpContainsAll, []string{"orders/read", "orders/write"}, access, true},
		{"scope", policy.OpContainsAny, []string{"orders/delete"}, access, false},
		{"scope", policy.OpContains, "orders/read", id, false},
		{"email_verified", policy.OpEquals, true, id, true},
		{"email_verified", policy.OpNotEquals, false, id, true},
		{"email_verified", policy.OpEquals, true, idStringVerified, true},
		{"email_verified", policy.OpIn, []bool{true}, idStringVerified, true},
		{"email_verified", policy.OpExists, true, id, true},
		{"email_verified", policy.OpExists, false, access, true},
		{"email_verified", policy.OpEquals, false, access, false}, // absent is not false
		{"exp", policy.OpGreater, 0, access, true},
		{"version", policy.OpEquals, 2, access, true},
		{"auth_time", policy.OpLess, json.Number("1e10"), access, true},
	} {
		p, err := policy.New(policy.Config{Rules: []policy.Rule{conditionRule("r", "/r", tc.claim, tc.op, tc.value)}})
		if err != nil {
			t.Errorf("%s %s %v: %v", tc.claim, tc.op, tc.value, err)
			continue
		}
		r := request(t, "GET", "/r")
		if got := p.Decide(r, tc.tok).Allow; got != tc.want {
			t.Errorf("%s %s %v: allow %v; want %v\n%s", tc.claim, tc.op, tc.value, got, tc.want, p.Explain(r, tc.tok))
		}
	}
}

// TestClaimReferences checks {claim:PATH} in values: the path reaches
// into objects, and only a string is ever used as text.
func TestClaimReferences(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		conditionRule("owner", "/owner", "doc.owner", policy.OpEquals, "{claim:sub}"),
		conditionRule("tenant", "/tenant/{t}", "custom:tenant", policy.OpEquals, "{claim:org.tenant}-{t}"),
		conditionRule("bracket", "/bracket", "x", policy.OpIn, []string{`{claim:["custom:org.unit"]}`, "none"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		tok  *claims.Token
		want bool
	}{
		{"/owner", f.access(t, cognitotest.WithSubject(subAlice), cognitotest.WithClaim("doc", map[string]string{"owner": subAlice})), true},
		{"/owner", f.access(t, cognitotest.WithSubject(subAlice), cognitotest.WithClaim("doc", map[string]string{"owner": subBob})), false},
		{"/tenant/eu", f.access(t, cognitotest.WithClaim("custom:tenant", "acme-eu"), cognitotest.WithClaim("org", map[string]any{"tenant": "acme"})), true},
		// A number is never turned into text to fill a template.
		{"/tenant/eu", f.access(t, cognitotest.WithClaim("custom:tenant", "7-eu"), cognitotest.WithClaim("org", map[string]any{"tenant": 7})), false},
		{"/tenant/eu", f.access(t, cognitotest.WithClaim("custom:tenant", "true-eu"), cognitotest.WithClaim("org", map[string]any{"tenant": true})), false},
		{"/tenant/eu", f.access(t, cognitotest.WithClaim("custom:tenant", "-eu")), false},
		{"/bracket", f.access(t, cognitotest.WithClaim("x", "sales"), cognitotest.WithClaim("custom:org.unit", "sales")), true},
		{"/bracket", f.access(t, cognitotest.WithClaim("x", "none")), true},
		{"/bracket", f.access(t, cognitotest.WithClaim("x", "sales")), false},
	} {
		r := request(t, "GET", tc.path)
		if got := p.Decide(r, tc.tok).Allow; got != tc.want {
			t.Errorf("%s: allow %v; want %v\n%s", tc.path, got, tc.want, p.Explain(r, tc.tok))
		}
	}
}

// TestConditionErrors checks that conditions their types can never
// satisfy, and values that are not values, are errors of New naming the
// field.
func TestConditionErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cond       policy.Condition
		field, msg string
	}{
		{"bad path", policy.Condition{Claim: "a b", Op: policy.OpEquals, Value: "x"}, "claims[0].claim", "whitespace"},
		{"dotted custom attribute", policy.Condition{Claim: "custom:org.unit", Op: policy.OpEquals, Value: "x"}, "claims[0].claim", `["custom:org.unit"]`},
		{"into a string claim", policy.Condition{Claim: "sub.x", Op: policy.OpEquals, Value: "x"}, "claims[0].claim", "sub is a string"},
		{"into a list claim", policy.Condition{Claim: "cognito:groups[0]", Op: policy.OpEquals, Value: "x"}, "claims[0].claim", "list of strings"},
		{"into a number claim", policy.Condition{Claim: "exp.x", Op: policy.OpExists, Value: true}, "claims[0].claim", "exp is a number"},
		{"no operator", policy.Condition{Claim: "x", Value: "x"}, "claims[0]", "no operator"},
		{"unknown operator", policy.Condition{Claim: "x", Op: "matches", Value: "x"}, "claims[0]", `unknown operator "matches"`},
		{"gt a string", policy.Condition{Claim: "x", Op: policy.OpGreater, Value: "3"}, "claims[0].gt", "write 3 without quotes"},
		{"gt a bool", policy.Condition{Claim: "x", Op: policy.OpGreater, Value: true}, "claims[0].gt", "gt compares numbers"},
		{"lte a list", policy.Condition{Claim: "x", Op: policy.OpLessOrEqual, Value: []int{1}}, "claims[0].lte", "one value, not a list"},
		{"starts_with a number", policy.Condition{Claim: "x", Op: policy.OpStartsWith, Value: 3}, "claims[0].starts_with", `write "3" to compare text`},
		{"equals a list", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: []string{"a"}}, "claims[0].equals", "use in"},
		{"contains a list", policy.Condition{Claim: "x", Op: policy.OpContains, Value: []string{"a"}}, "claims[0].contains", "contains_any or contains_all"},
		{"in one value", policy.Condition{Claim: "x", Op: policy.OpIn, Value: "a"}, "claims[0].in", "a list of values"},
		{"in nothing", policy.Condition{Claim: "x", Op: policy.OpIn, Value: []any{}}, "claims[0].in", "empty list"},
		{"in too many", policy.Condition{Claim: "x", Op: policy.OpIn, Value: make([]int, 65)}, "claims[0].in", "at most 64"},
		{"in twice", policy.Condition{Claim: "x", Op: policy.OpIn, Value: []any{1, "1", json.Number("1.0")}}, "claims[0].in[2]", "listed twice (also [0])"},
		{"twice after a list in the list", policy.Condition{Claim: "x", Op: policy.OpIn, Value: []any{[]int{1}, 2, 2}}, "claims[0].in[2]", "listed twice (also [1])"},
		{"in a list of lists", policy.Condition{Claim: "x", Op: policy.OpContainsAny, Value: []any{[]int{1}}}, "claims[0].contains_any[0]", "a list in a list"},
		{"exists a string", policy.Condition{Claim: "x", Op: policy.OpExists, Value: "true"}, "claims[0].exists", "takes true"},
		{"exists nothing", policy.Condition{Claim: "x", Op: policy.OpExists}, "claims[0].exists", "no value"},
		{"nil value", policy.Condition{Claim: "x", Op: policy.OpEquals}, "claims[0].equals", "no value"},
		{"a map value", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: map[string]int{}}, "claims[0].equals", "Go type map[string]int"},
		{"bytes", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: []byte("x")}, "claims[0].equals", "Go type []uint8"},
		{"NaN", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: nan()}, "claims[0].equals", "finite"},
		{"bad json.Number", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: json.Number("0x10")}, "claims[0].equals", "as JSON writes numbers"},
		{"leading zero", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: json.Number("007")}, "claims[0].equals", "leading zeros"},
		{"huge exponent", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: json.Number("1e9999999")}, "claims[0].equals", "exponent out of range"},
		{"long number", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: json.Number(strings.Repeat("9", 101))}, "claims[0].equals", "more than 100"},
		{"sub equals a number", policy.Condition{Claim: "sub", Op: policy.OpEquals, Value: 42}, "claims[0].equals", "sub is a string"},
		{"sub gt", policy.Condition{Claim: "sub", Op: policy.OpGreater, Value: 42}, "claims[0].gt", "sub is a string"},
		{"sub contains_any", policy.Condition{Claim: "sub", Op: policy.OpContainsAny, Value: []string{"a"}}, "claims[0].contains_any", "not a list"},
		{"email in numbers", policy.Condition{Claim: "email", Op: policy.OpIn, Value: []any{"a@b", 1}}, "claims[0].in[1]", "never matches"},
		{"groups equals", policy.Condition{Claim: "cognito:groups", Op: policy.OpEquals, Value: "admin"}, "claims[0].equals", "is a list"},
		{"groups in", policy.Condition{Claim: "cognito:groups", Op: policy.OpIn, Value: []string{"admin"}}, "claims[0].in", "is a list"},
		{"groups contains a number", policy.Condition{Claim: "cognito:groups", Op: policy.OpContains, Value: 1}, "claims[0].contains", `write "1"`},
		{"scope contains_all bad scope", policy.Condition{Claim: "scope", Op: policy.OpContainsAll, Value: []string{"a", "b c"}}, "claims[0].contains_all[1]", "whitespace"},
		{"email_verified a string", policy.Condition{Claim: "email_verified", Op: policy.OpEquals, Value: "true"}, "claims[0].equals", "write true without quotes"},
		{"email_verified contains", policy.Condition{Claim: "email_verified", Op: policy.OpContains, Value: true}, "claims[0].contains", "not a list"},
		{"auth_time a string", policy.Condition{Claim: "auth_time", Op: policy.OpEquals, Value: "1"}, "claims[0].equals", "auth_time is a number"},
		{"reference to a list", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: "{claim:scope}"}, "claims[0].equals", "scope is a list of strings"},
		{"reference to a boolean", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: "{claim:email_verified}"}, "claims[0].equals", "is a boolean"},
		{"reference to a bad path", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: "{claim:a..b}"}, "claims[0].equals", "empty name"},
		{"reference into a string", policy.Condition{Claim: "x", Op: policy.OpEquals, Value: "{claim:sub.x}"}, "claims[0].equals", "sub is a string"},
		{"template in a list", policy.Condition{Claim: "x", Op: policy.OpIn, Value: []string{"{"}}, "claims[0].in[0]", "unmatched '{'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r", Requirement: policy.Requirement{Claims: []policy.Condition{tc.cond}}}}})
			firstLoadError(t, err, policy.ErrConfig)
			want := "rules[0]." + tc.field
			if !slices.ContainsFunc(loadErrors(err), func(le *policy.LoadError) bool { return le.Field == want && strings.Contains(le.Msg, tc.msg) }) {
				t.Errorf("error %v; want field %s and %q", err, want, tc.msg)
			}
		})
	}
}

// TestPathWildcardNeedle guards review finding R10: a path wildcard, which
// the client chooses, is never the needle of a prefix or substring test
// (with "/tenants/{t}/" and custom:tenant starts_with "{t}", tenant acme
// would open /tenants/a/); contains on a claim that may be an array keeps
// it for element equality (TestConditions, "path wildcard" rows).
func TestPathWildcardNeedle(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cond       policy.Condition
		field, msg string // "" for no error
	}{
		{"starts_with a path wildcard", policy.Condition{Claim: "custom:tenant", Op: policy.OpStartsWith, Value: "{id}"}, "claims[0].starts_with", "{id} is a path wildcard"},
		{"starts_with a path wildcard in a template", policy.Condition{Claim: "custom:tenant", Op: policy.OpStartsWith, Value: "t-{id}/"}, "claims[0].starts_with", "every prefix"},
		{"contains a path wildcard, a string claim", policy.Condition{Claim: "email", Op: policy.OpContains, Value: "@{id}"}, "claims[0].contains", "email is a string"},
		{"contains a path wildcard, a list claim", policy.Condition{Claim: "cognito:groups", Op: policy.OpContains, Value: "{id}"}, "", ""},
		{"contains a path wildcard, an unknown claim", policy.Condition{Claim: "custom:teams", Op: policy.OpContains, Value: "{id}"}, "", ""},
		{"starts_with a literal", policy.Condition{Claim: "custom:tenant", Op: policy.OpStartsWith, Value: "t-"}, "", ""},
		{"starts_with a claim reference", policy.Condition{Claim: "custom:path", Op: policy.OpStartsWith, Value: "{claim:custom:tenant}/"}, "", ""},
		{"equals a path wildcard", policy.Condition{Claim: "custom:tenant", Op: policy.OpEquals, Value: "{id}"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/t/{id}/", Requirement: policy.Requirement{Claims: []policy.Condition{tc.cond}}}}})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			firstLoadError(t, err, policy.ErrConfig)
			want := "rules[0]." + tc.field
			if !slices.ContainsFunc(loadErrors(err), func(le *policy.LoadError) bool { return le.Field == want && strings.Contains(le.Msg, tc.msg) }) {
				t.Errorf("error %v; want field %s and %q", err, want, tc.msg)
			}
		})
	}
}

// firstLoadError returns the first *LoadError of err, which must match
// sentinel.
func firstLoadError(t *testing.T, err error, sentinel error) *policy.LoadError {
	t.Helper()
	var le *policy.LoadError
	if !errors.Is(err, sentinel) || !errors.As(err, &le) {
		t.Fatalf("error %v; want a *LoadError matching %v", err, sentinel)
	}
	return le
}

func nan() float64 { return math.NaN() }

// loadErrors returns the *LoadErrors err is or joins.
func loadErrors(err error) []*policy.LoadError {
	if le, ok := err.(*policy.LoadError); ok {
		return []*policy.LoadError{le}
	}
	var out []*policy.LoadError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, loadErrors(e)...)
		}
	}
	return out
}

// TestTypedValuesInASection checks typed values in a policy that is one
// section of a larger document, with ${VAR} substitution: a substituted
// value is a string, except where the operator compares numbers.
func TestTypedValuesInASection(t *testing.T) {
	f := newFixture(t)
	doc := []byte(`listen: 127.0.0.1:8080
policy:
  rules:
    - name: r
      route: /r
      clients: ["${CLIENT}"]
      claims:
        - claim: tier
          gte: ${MIN_TIER}
        - claim: tenant
          equals: ${TENANT}
        - {claim: flag, equals: true}
        - {claim: n, in: [1, "${ONE}"]}
`)
	env := map[string]string{"CLIENT": f.pool.ClientID(), "MIN_TIER": "2", "TENANT": "42", "ONE": "1"}
	p, err := policy.ParseWith(doc, "gate.yaml", policy.ParseOptions{Section: "policy", Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	r := request(t, "GET", "/r")
	base := []cognitotest.TokenOption{cognitotest.WithClaim("tier", 3), cognitotest.WithClaim("tenant", "42"), cognitotest.WithClaim("flag", true), cognitotest.WithClaim("n", "1")}
	for _, tc := range []struct {
		name string
		opts []cognitotest.TokenOption
		want bool
	}{
		{"all hold", nil, true},
		{"tier is a string", []cognitotest.TokenOption{cognitotest.WithClaim("tier", "3")}, false},
		{"tier too low", []cognitotest.TokenOption{cognitotest.WithClaim("tier", 1)}, false},
		{"tenant is a number", []cognitotest.TokenOption{cognitotest.WithClaim("tenant", 42)}, false},
		{"n is the number", []cognitotest.TokenOption{cognitotest.WithClaim("n", 1)}, true},
		{"flag is a string", []cognitotest.TokenOption{cognitotest.WithClaim("flag", "true")}, false},
	} {
		tok := f.access(t, append(slices.Clone(base), tc.opts...)...)
		if got := p.Decide(r, tok).Allow; got != tc.want {
			t.Errorf("%s: allow %v; want %v\n%s", tc.name, got, tc.want, p.Explain(r, tok))
		}
	}
	env["MIN_TIER"] = "two"
	_, err = policy.ParseWith(doc, "gate.yaml", policy.ParseOptions{Section: "policy", Env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if le := firstLoadError(t, err, policy.ErrConfig); le.Line != 9 || le.Field != "policy.rules[0].claims[0].gte" {
		t.Errorf("a substituted value that is not a number: %v", err)
	}
}
