package policy_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"

	"github.com/cognito-gate/cognito-gate/policy"
)

func TestExplain(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	p := loadExample(t)

	r := request(t, "GET", "/users/"+subBob+"/files/../../"+subAlice+"/files/a%20b.txt")
	ex := p.Explain(r, users["alice"])
	cleaned := "/users/" + subAlice + "/files/a%20b.txt"
	if ex.Method != "GET" || ex.Host != "example.com" || ex.Path != r.URL.EscapedPath() || ex.Refused != "" || ex.Decision.Path != cleaned {
		t.Errorf("request %s %s %s refused %q, judged %s", ex.Method, ex.Host, ex.Path, ex.Refused, ex.Decision.Path)
	}
	if !strings.HasPrefix(ex.Token, "access token: sub="+subAlice+" username=alice") {
		t.Errorf("Token = %q", ex.Token)
	}
	if len(ex.Matches) != 1 {
		t.Fatalf("%d matches; want 1\n%s", len(ex.Matches), ex)
	}
	m := ex.Matches[0]
	if m.Rule != "user-files-read" || m.Pattern != "GET /users/{sub}/files/{path...}" || m.Path != cleaned || !m.Allow {
		t.Errorf("match %+v", m)
	}
	if len(m.Vars) != 2 || m.Vars[0] != (policy.Var{Name: "sub", Value: subAlice}) || m.Vars[1] != (policy.Var{Name: "path", Value: "a b.txt"}) {
		t.Errorf("vars %+v", m.Vars)
	}
	var checks []string
	for _, c := range m.Checks {
		checks = append(checks, c.Name+"="+map[bool]string{true: "ok", false: "fail"}[c.OK])
	}
	if got, want := strings.Join(checks, " "), "token=ok any_of[0].claims[0]=ok any_of[1].groups_any=fail"; got != want {
		t.Errorf("checks %s; want %s", got, want)
	}
	s := ex.String()
	for _, want := range []string{
		"request  GET example.com /users/" + subBob + "/files/../../",
		"cleaned  /users/" + subBob,
		"→ " + cleaned,
		`rule     user-files-read  pattern "GET /users/{sub}/files/{path...}"`,
		`path="a b.txt"`,
		`  ok     any_of[0].claims[0]: want sub equals "{sub}" → "` + subAlice + `"; got "` + subAlice + `"`,
		"  FAIL   any_of[1].groups_any: want [support]; got []",
		"decision allow 200 ok rule=user-files-read path=" + cleaned,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}

	refused := p.Explain(request(t, "GET", "/docs/..%2Fadmin"), nil)
	if refused.Refused == "" || len(refused.Matches) != 0 || !strings.Contains(refused.String(), "refused  path has an encoded slash (%2F)") {
		t.Errorf("refused request explained as:\n%s", refused)
	}

	def := p.Explain(request(t, "GET", "/nowhere"), users["bob"]).String()
	if !strings.Contains(def, "rule     default  path /nowhere") || !strings.Contains(def, "FAIL   default: want deny; got present") {
		t.Errorf("default explained as:\n%s", def)
	}
}

func TestExplainTrailingSlashTwin(t *testing.T) {
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "site", Route: "/", Anonymous: true},
		{Name: "orders-write", Route: "POST /orders", Requirement: policy.Requirement{ScopesAll: []string{"orders/write"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ex := p.Explain(request(t, "POST", "/orders/"), nil)
	if len(ex.Matches) != 2 || ex.Matches[0].Rule != "site" || !ex.Matches[0].Allow ||
		ex.Matches[1].Rule != "orders-write" || ex.Matches[1].Path != "/orders" || ex.Matches[1].Allow {
		t.Errorf("matches %+v", ex.Matches)
	}
	if s := ex.String(); !strings.Contains(s, "also     orders-write  pattern \"POST /orders\"  path /orders") {
		t.Errorf("String():\n%s", s)
	}
}

// TestExplainConditions checks that Explain shows each condition as the
// policy states it (the claim path in canonical form, typed values) and
// the value it saw: strings quoted, JSON compacted, what is not printable
// escaped, at most 100 bytes, and a note when the type cannot match.
func TestExplainConditions(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r/{t}", Requirement: policy.Requirement{Claims: []policy.Condition{
		{Claim: `["tenant"]["id"]`, Op: policy.OpEquals, Value: "{t}"},
		{Claim: "tenant.tier", Op: policy.OpGreaterOrEqual, Value: 2},
		{Claim: "tenant.tier", Op: policy.OpIn, Value: []any{1, "2", true}},
		{Claim: `["custom:org.unit"]`, Op: policy.OpExists, Value: true},
		{Claim: "tenant.regions", Op: policy.OpContainsAny, Value: []string{"eu-{t}", "us"}},
		{Claim: "long", Op: policy.OpStartsWith, Value: "x"},
		{Claim: "odd", Op: policy.OpEquals, Value: "x"},
		{Claim: "tenant", Op: policy.OpEquals, Value: "x"},
		{Claim: "tenant.regions", Op: policy.OpEquals, Value: "x"},
		{Claim: "empty", Op: policy.OpNotEquals, Value: "x"},
		{Claim: "sub", Op: policy.OpEquals, Value: "{claim:missing}"},
		{Claim: "cognito:groups", Op: policy.OpContainsAll, Value: []string{"a", "b"}},
		{Claim: "email_verified", Op: policy.OpEquals, Value: true},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tok := f.access(t,
		cognitotest.WithClaim("tenant", json.RawMessage(`{ "id" : "acme", "tier": "2", "regions": [ "eu-acme" ] }`)),
		cognitotest.WithClaim("long", strings.Repeat("é", 80)),
		cognitotest.WithClaim("odd", json.RawMessage(`["a\u2028b", "line`+"\u2028"+`sep"]`)),
		cognitotest.WithClaim("empty", ""),
		cognitotest.WithGroups("a"),
	)
	ex := p.Explain(request(t, "GET", "/r/acme"), tok)
	want := []struct {
		ok        bool
		want, got string
	}{
		{true, `tenant.id equals "{t}" → "acme"`, `"acme"`},
		{false, "tenant.tier gte 2", `"2" (a string; the condition's value is a number, and values are never converted)`},
		{true, `tenant.tier in [1, "2", true]`, `"2"`},
		{false, `["custom:org.unit"] exists true`, "missing"},
		{true, `tenant.regions contains_any ["eu-{t}", "us"] → ["eu-acme", "us"]`, `["eu-acme"]`},
		{false, `long starts_with "x"`, `"` + strings.Repeat("é", 49) + "…"},
		{false, `odd equals "x"`, `["a\u2028b","line\u2028sep"] (an array; equals compares a single value)`},
		{false, `tenant equals "x"`, `{"id":"acme","tier":"2","regions":["eu-acme"]} (an object; conditions compare strings, numbers and booleans)`},
		{false, `tenant.regions equals "x"`, `["eu-acme"] (an array; equals compares a single value)`},
		{false, `empty not_equals "x"`, `"" (no value)`},
		{false, `sub equals "{claim:missing}" (no value)`, `"` + tok.Subject + `"`},
		{false, `cognito:groups contains_all ["a", "b"]`, "[a]"},
		{false, "email_verified equals true", "missing"},
	}
	checks := ex.Matches[0].Checks[1:]
	if len(checks) != len(want) {
		t.Fatalf("%d checks; want %d\n%s", len(checks), len(want), ex)
	}
	for i, w := range want {
		c := checks[i]
		if c.Name != "claims["+strconv.Itoa(i)+"]" || c.OK != w.ok || c.Want != w.want || c.Got != w.got {
			t.Errorf("check %d: %s ok=%v want %s got %s\nwant  %v want %s got %s", i, c.Name, c.OK, c.Want, c.Got, w.ok, w.want, w.got)
		}
		if len(c.Got) > 200 || strings.ContainsAny(c.Got, "\n\u2028") {
			t.Errorf("check %d: got %q is not one short line", i, c.Got)
		}
	}
	for _, line := range strings.Split(ex.String(), "\n") {
		if strings.Contains(line, "claims[") && !strings.HasPrefix(line, "  ") {
			t.Errorf("line %q", line)
		}
	}
	// The paths Explain shows read back as the same paths.
	for _, c := range p.Explain(request(t, "GET", "/r/acme"), tok).Matches[0].Checks[1:] {
		path, _, _ := strings.Cut(c.Want, " ")
		if p, err := policy.ParseClaimPath(path); err != nil || p.String() != path {
			t.Errorf("path %q of %q does not read back: %v", path, c.Want, err)
		}
	}
}
