package policy_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// signRaw signs an access token of the fixture's pool whose claims are
// the usual ones and then extra (JSON members, written as given), and
// returns it unverified.
func (f *fixture) signRaw(t *testing.T, extra string) string {
	t.Helper()
	kid := f.access(t).KeyID
	payload := `{"sub":"` + subAlice + `","iss":"` + f.pool.Issuer() + `","token_use":"access","client_id":"` + f.pool.ClientID() +
		`","scope":"a","exp":` + strconv.FormatInt(t0.Unix()+3600, 10) + `,"iat":` + strconv.FormatInt(t0.Unix(), 10)
	if extra != "" {
		payload += "," + extra
	}
	return f.pool.SignRaw([]byte(`{"kid":"`+kid+`","alg":"RS256"}`), []byte(payload+"}"), "")
}

// TestAttackTypeConfusion: whoever writes the token's claims (a trigger
// fed with user input, a user allowed to write an attribute) may choose
// their types. A value of another type than the condition's never
// matches, for positive and negative operators alike.
func TestAttackTypeConfusion(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name  string
		cond  policy.Condition
		claim string // the JSON of claim v
	}{
		{"string for a role list", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: "admin"}, `["admin"]`},
		{"object for a role", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: "admin"}, `{"admin":true}`},
		{"true for a role", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: "admin"}, `true`},
		{"string for a level", policy.Condition{Claim: "v", Op: policy.OpGreaterOrEqual, Value: 10}, `"100"`},
		{"array for a level", policy.Condition{Claim: "v", Op: policy.OpGreaterOrEqual, Value: 10}, `[100]`},
		{"true for a level", policy.Condition{Claim: "v", Op: policy.OpGreaterOrEqual, Value: 1}, `true`},
		{"string true for a flag", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: true}, `"true"`},
		{"1 for a flag", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: true}, `1`},
		{"string 1 for a flag", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: true}, `"1"`},
		{"string 1 for the number 1", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: 1}, `"1"`},
		{"true for the number 1", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: 1}, `true`},
		{"number for the string 1", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: "1"}, `1`},
		{"array for not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: "evil"}, `["evil"]`},
		{"number for not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: "evil"}, `5`},
		{"null for not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: "evil"}, `null`},
		{"empty string for not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: "evil"}, `""`},
		{"object for not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: "evil"}, `{}`},
		{"string for a number not_equals", policy.Condition{Claim: "v", Op: policy.OpNotEquals, Value: 0}, `"0"`},
		{"nested array element", policy.Condition{Claim: "v", Op: policy.OpContains, Value: "admin"}, `[["admin"]]`},
		{"object element", policy.Condition{Claim: "v", Op: policy.OpContains, Value: "admin"}, `[{"admin":"admin"}]`},
		{"string element for a number", policy.Condition{Claim: "v", Op: policy.OpContains, Value: 7}, `["7"]`},
		{"number element for a string", policy.Condition{Claim: "v", Op: policy.OpContainsAll, Value: []string{"7"}}, `[7]`},
		{"true element for a string", policy.Condition{Claim: "v", Op: policy.OpContainsAny, Value: []string{"true"}}, `[true]`},
		{"array for in", policy.Condition{Claim: "v", Op: policy.OpIn, Value: []string{"a", "b"}}, `["a"]`},
		{"NaN string for a number", policy.Condition{Claim: "v", Op: policy.OpGreater, Value: 0}, `"NaN"`},
		{"Infinity string for a number", policy.Condition{Claim: "v", Op: policy.OpGreater, Value: 0}, `"Infinity"`},
		{"-Infinity string for a number", policy.Condition{Claim: "v", Op: policy.OpLess, Value: 0}, `"-Infinity"`},
		{"exponent string for a number", policy.Condition{Claim: "v", Op: policy.OpGreater, Value: 0}, `"1e400"`},
		{"hex string for a number", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: 16}, `"0x10"`},
		{"padded number string", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: 16}, `" 16"`},
		{"number for starts_with", policy.Condition{Claim: "v", Op: policy.OpStartsWith, Value: "1"}, `12`},
		{"array for starts_with", policy.Condition{Claim: "v", Op: policy.OpStartsWith, Value: "a"}, `["abc"]`},
		{"a number for a string template", policy.Condition{Claim: "v", Op: policy.OpEquals, Value: "{claim:sub}"}, `1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r", Requirement: policy.Requirement{Claims: []policy.Condition{tc.cond}}}}})
			if err != nil {
				t.Fatal(err)
			}
			tok := f.access(t, cognitotest.WithClaim("v", json.RawMessage(tc.claim)))
			r := request(t, "GET", "/r")
			if d := p.Decide(r, tok); d.Allow || d.Reason != claims.ReasonClaimDenied {
				t.Errorf("%s %s %v on %s: %v; want claim_denied\n%s", tc.cond.Claim, tc.cond.Op, tc.cond.Value, tc.claim, d, p.Explain(r, tok))
			}
		})
	}
}

// TestAttackHugeNumbers: numbers are compared exactly, whatever their size
// or exponent, with no rounding to a float64 that would make neighbours
// equal, and without work that grows with the exponent.
func TestAttackHugeNumbers(t *testing.T) {
	f := newFixture(t)
	digits := "9" + strings.Repeat("0", 4000)
	for _, tc := range []struct {
		claim string
		op    policy.Op
		value any
		want  bool
	}{
		{`9007199254740993`, policy.OpEquals, json.Number("9007199254740992"), false}, // equal as float64s
		{`9007199254740993`, policy.OpGreater, json.Number("9007199254740992"), true},
		{`18446744073709551617`, policy.OpGreater, uint64(1<<64 - 1), true},
		{`-9223372036854775809`, policy.OpLess, int64(-1 << 63), true},
		{`0.1`, policy.OpEquals, 0.1, true}, // the float64 0.1 is written 0.1
		{`0.30000000000000004`, policy.OpEquals, json.Number("0.3"), false},
		{`1e999999999999`, policy.OpGreater, json.Number("1e1000"), true},
		{`1e99999999999999999999999`, policy.OpGreater, 5, true}, // the exponent saturates: still larger
		{`1e99999999999999999999999`, policy.OpLess, 5, false},
		{`-1e99999999999999999999999`, policy.OpLess, json.Number("-1e1000"), true},
		{`1e-99999999999999999999999`, policy.OpGreater, 0, true}, // tiny, but not zero
		{`1e-99999999999999999999999`, policy.OpLess, json.Number("1e-1000"), true},
		{`-1e-99999999999999999999999`, policy.OpLess, 0, true},
		{`0e99999999999999999999999`, policy.OpEquals, 0, true},
		{digits, policy.OpGreater, json.Number("8e4000"), true},
		{digits, policy.OpEquals, json.Number("9e4000"), true},
		{digits + "1", policy.OpEquals, json.Number("9e4001"), false},
		{"0." + strings.Repeat("0", 3000) + "1", policy.OpGreater, 0, true},
		{"0." + strings.Repeat("0", 3000) + "1", policy.OpEquals, json.Number("1e-3001"), true},
	} {
		p, err := policy.New(policy.Config{Rules: []policy.Rule{conditionRule("r", "/r", "v", tc.op, tc.value)}})
		if err != nil {
			t.Fatal(err)
		}
		tok := f.access(t, cognitotest.WithClaim("v", json.RawMessage(tc.claim)))
		r := request(t, "GET", "/r")
		if got := p.Decide(r, tok).Allow; got != tc.want {
			t.Errorf("%s %s %v: allow %v; want %v", msgClip(tc.claim), tc.op, tc.value, got, tc.want)
		}
	}
}

func msgClip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestAttackDeepPaths: a path reaches as deep as it says and no deeper;
// tokens nested beyond the verifier's limit never reach the policy.
func TestAttackDeepPaths(t *testing.T) {
	f := newFixture(t)
	nest := func(depth int, leaf string) string {
		return strings.Repeat(`{"a":`, depth) + leaf + strings.Repeat("}", depth)
	}
	path := "d" + strings.Repeat(".a", policy.MaxClaimPathSegments-1)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{conditionRule("r", "/r", path, policy.OpEquals, "deep")}})
	if err != nil {
		t.Fatal(err)
	}
	r := request(t, "GET", "/r")
	for _, tc := range []struct {
		depth int
		want  bool
	}{{policy.MaxClaimPathSegments - 1, true}, {policy.MaxClaimPathSegments - 2, false}, {policy.MaxClaimPathSegments, false}, {62, false}} {
		tok := f.access(t, cognitotest.WithClaim("d", json.RawMessage(nest(tc.depth, `"deep"`))))
		if got := p.Decide(r, tok).Allow; got != tc.want {
			t.Errorf("depth %d: allow %v; want %v", tc.depth, got, tc.want)
		}
	}
	// 64 levels (the claims object is the first) is the verifier's limit.
	_, err = f.v.Verify(context.Background(), f.signRaw(t, `"d":`+nest(64, `"deep"`)))
	if !errors.Is(err, claims.ErrMalformed) {
		t.Errorf("a token nested 65 deep: %v; want malformed", err)
	}
	if _, err := policy.ParseClaimPath(path + ".a"); !errors.Is(err, policy.ErrBadClaimPath) {
		t.Errorf("a path of %d segments: %v; want ErrBadClaimPath", policy.MaxClaimPathSegments+1, err)
	}
}

// TestAttackNames: names are matched exactly after JSON unescaping; a dot
// in a name and a dot between names never mean the same; member names
// repeated under escapes never reach the policy.
func TestAttackNames(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		conditionRule("nested", "/nested", "a.b", policy.OpEquals, "nested"),
		conditionRule("dotted", "/dotted", `["a.b"]`, policy.OpEquals, "dotted"),
		conditionRule("tier", "/tier", "t.tier", policy.OpEquals, "gold"),
		conditionRule("attr", "/attr", `["custom:org.unit"]`, policy.OpEquals, "sales"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	both := f.verify(t, f.signRaw(t, `"a.b":"dotted","a":{"b":"nested"}`))
	for _, tc := range []struct {
		path  string
		tok   *claims.Token
		allow bool
	}{
		{"/nested", both, true},
		{"/dotted", both, true},
		{"/nested", f.verify(t, f.signRaw(t, `"a.b":"nested"`)), false},
		{"/dotted", f.verify(t, f.signRaw(t, `"a":{"b":"dotted"}`)), false},
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"\u0074ier":"gold"}`)), true},   // an escaped name is its decoded self
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"Tier":"gold"}`)), false},       // case
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"tіer":"gold"}`)), false},       // Cyrillic і
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"tier\u0000":"gold"}`)), false}, // a NUL after the name
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"tier ":"gold"}`)), false},
		{"/tier", f.verify(t, f.signRaw(t, `"t":{"tier":"gold\u0000"}`)), false},
		{"/tier", f.verify(t, f.signRaw(t, `"t":"{\"tier\":\"gold\"}"`)), false}, // JSON in a string is a string
		{"/attr", f.verify(t, f.signRaw(t, `"custom:org.unit":"sales"`)), true},
		{"/attr", f.verify(t, f.signRaw(t, `"custom:org":{"unit":"sales"}`)), false},
	} {
		r := request(t, "GET", tc.path)
		if got := p.Decide(r, tc.tok).Allow; got != tc.allow {
			t.Errorf("%s on %s: allow %v; want %v", tc.path, tc.tok.Payload(), got, tc.allow)
		}
	}
	for _, dup := range []string{`"t":{"tier":"x","tier":"gold"}`, `"t":{"tier":"x","\u0074ier":"gold"}`} {
		if _, err := f.v.Verify(context.Background(), f.signRaw(t, dup)); !errors.Is(err, claims.ErrMalformed) {
			t.Errorf("a repeated member %s: %v; want malformed (the policy relies on it)", dup, err)
		}
	}
}

// TestAttackListBounds: list values are bounded, and a long array claim
// is read once.
func TestAttackListBounds(t *testing.T) {
	f := newFixture(t)
	values := make([]string, 64)
	elems := make([]string, 0, 1000)
	for i := range values {
		values[i] = "v" + strconv.Itoa(i)
	}
	for i := range 1000 {
		elems = append(elems, "v"+strconv.Itoa(999-i))
	}
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		conditionRule("all", "/all", "v", policy.OpContainsAll, values),
		conditionRule("any", "/any", "v", policy.OpContainsAny, append(values[:63:63], "absent")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	tok := f.access(t, cognitotest.WithClaim("v", elems))
	for _, path := range []string{"/all", "/any"} {
		if d := p.Decide(request(t, "GET", path), tok); !d.Allow {
			t.Errorf("%s: %v", path, d)
		}
	}
	short := f.access(t, cognitotest.WithClaim("v", elems[:999]))
	if d := p.Decide(request(t, "GET", "/all"), short); d.Allow {
		t.Errorf("contains_all without v0: %v", d)
	}
}
