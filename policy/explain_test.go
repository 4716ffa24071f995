package policy_test

import (
	"strings"
	"testing"

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
