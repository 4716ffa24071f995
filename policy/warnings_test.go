package policy_test

import (
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/policy"
)

// TestWarnings checks what Warnings reports for the program to log loudly:
// defaults that let unmatched requests through, and anonymous routes that
// match every path of a method or host, which open every request that no
// other rule matches, including routes the upstream adds later.
func TestWarnings(t *testing.T) {
	anon := func(routes ...string) policy.Rule {
		return policy.Rule{Name: "site", Routes: routes, Anonymous: true}
	}
	admin := policy.Rule{Name: "admin", Route: "GET /admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}}
	for _, tc := range []struct {
		name string
		cfg  policy.Config
		n    int      // how many warnings
		want []string // parts of the warnings
	}{
		{"deny and specific routes", policy.Config{Rules: []policy.Rule{admin, anon("GET /healthz", "GET /docs/")}}, 0, nil},
		{"default allow", policy.Config{Default: policy.DefaultAllow, Rules: []policy.Rule{admin}}, 1,
			[]string{"default: allow lets every request that no rule matches through, without a token"}},
		{"default authenticated", policy.Config{Default: policy.DefaultAuthenticated}, 1,
			[]string{"default: authenticated lets any valid token through"}},
		{"anonymous GET /", policy.Config{Rules: []policy.Rule{admin, anon("GET /")}}, 1,
			[]string{`rule "site": route "GET /" is anonymous and matches every path: every GET and HEAD request that no other rule matches needs no token`}},
		{"suggests the root only", policy.Config{Rules: []policy.Rule{anon("GET /")}}, 1, []string{`for the root page only, write "GET /{$}"`}},
		{"anonymous catch-all", policy.Config{Rules: []policy.Rule{anon("/")}}, 1,
			[]string{`route "/" is anonymous and matches every path: every request that no other rule matches needs no token`}},
		{"catch-all suggests the root only", policy.Config{Rules: []policy.Rule{anon("/")}}, 1, []string{`write "/{$}"`}},
		{"anonymous GET /{path...}", policy.Config{Rules: []policy.Rule{anon("GET /{path...}")}}, 1, []string{`route "GET /{path...}" is anonymous and matches every path`}},
		{"anonymous POST", policy.Config{Rules: []policy.Rule{anon("POST /")}}, 1, []string{"every POST request that no other rule matches"}},
		{"anonymous host", policy.Config{Rules: []policy.Rule{anon("api.example.com/")}}, 1,
			[]string{`every request to api.example.com that no other rule matches needs no token`, `write "api.example.com/{$}"`}},
		{"anonymous method and host", policy.Config{Rules: []policy.Rule{anon("GET api.example.com/{rest...}")}}, 1,
			[]string{`every GET and HEAD request to api.example.com`, `write "GET api.example.com/{$}"`}},
		{"one of several routes", policy.Config{Rules: []policy.Rule{anon("GET /healthz", "GET /")}}, 1, []string{`route "GET /"`}},
		{"default and route together", policy.Config{Default: policy.DefaultAllow, Rules: []policy.Rule{anon("GET /")}}, 2,
			[]string{"default: allow", `route "GET /"`}},
		{"the root only", policy.Config{Rules: []policy.Rule{anon("GET /{$}"), anon2("/{$}")}}, 0, nil},
		{"a subtree", policy.Config{Rules: []policy.Rule{anon("GET /static/")}}, 0, nil},
		// Routes without a literal segment open every path of their shape
		// (review finding R12).
		{"anonymous GET /{page}", policy.Config{Rules: []policy.Rule{admin, anon("GET /{page}")}}, 1, []string{`route "GET /{page}" is anonymous and names no path segment`}},
		{"anonymous /{a}/{b}/", policy.Config{Rules: []policy.Rule{anon("/{a}/{b}/")}}, 1, []string{`route "/{a}/{b}/" is anonymous and names no path segment`}},
		{"anonymous /{a}/{rest...}", policy.Config{Rules: []policy.Rule{anon("/{a}/{rest...}")}}, 1, []string{`names no path segment`}},
		{"anonymous with a literal", policy.Config{Rules: []policy.Rule{anon("GET /docs/{page}", "GET /{lang}/docs/")}}, 0, nil},
		// ${VAR} in a policy file is literal (review finding R13).
		{"an unsubstituted variable", policy.Config{Rules: []policy.Rule{{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"${ADMIN_GROUP}"}}}}}, 1,
			[]string{`rule "admin" holds "${": a policy file (and a Config) is read without substitution`}},
		// (In a condition value, "${X}" is already an error: {X} names no
		// path wildcard.)
		{"an unsubstituted variable in clients", policy.Config{Rules: []policy.Rule{{Name: "t", Route: "/t/", Requirement: policy.Requirement{Clients: []string{"${CLIENT_ID}"}}}}}, 1,
			[]string{`rule "t" holds "${"`}},
		{"a dollar and a brace apart", policy.Config{Rules: []policy.Rule{{Name: "t", Route: "/t/", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "custom:price", Op: policy.OpEquals, Value: "$5 {{x}}"}}}}}}, 0, nil},
		{"a wildcard, with a token", policy.Config{Rules: []policy.Rule{{Name: "any-token", Route: "GET /{page}"}}}, 0, nil},
		{"every path, with a token", policy.Config{Rules: []policy.Rule{{Name: "any-token", Route: "GET /"}}}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Warnings()
			if len(got) != tc.n {
				t.Fatalf("Warnings() = %q; want %d", got, tc.n)
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("Warnings() = %q; want them to contain %q", got, w)
				}
			}
		})
	}
}

// anon2 is a second anonymous rule, so that two can share a policy.
func anon2(route string) policy.Rule {
	return policy.Rule{Name: "site2", Route: route, Anonymous: true}
}

func TestWarningsFromYAML(t *testing.T) {
	p, err := parse([]byte("default: allow\nrules:\n  - name: site\n    route: GET /\n    anonymous: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(p.Warnings(), "\n")
	for _, want := range []string{"default: allow", `rule "site": route "GET /" is anonymous and matches every path`} {
		if !strings.Contains(w, want) {
			t.Errorf("Warnings() = %q; want %q", w, want)
		}
	}
}
