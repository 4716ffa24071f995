package policy_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/policy"
)

func TestLoadExample(t *testing.T) {
	p := loadExample(t)
	want := []string{"health", "docs", "docs-internal", "profile", "admin", "orders-read", "orders-write",
		"user-files-read", "user-files-write", "tenant-reports", "billing", "jobs", "internal"}
	if got := p.Rules(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Rules() = %v; want %v", got, want)
	}
	if p.Default() != policy.DefaultDeny {
		t.Errorf("Default() = %v; want deny", p.Default())
	}
	if w := p.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q; want none", w)
	}
}

// TestParseMatchesNew checks that a YAML policy and the same policy in Go
// decide alike.
func TestParseMatchesNew(t *testing.T) {
	f := newFixture(t)
	users := f.users(t)
	fromYAML := loadExample(t)
	fromGo, err := policy.New(exampleConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range exampleCases {
		r := request(t, tc.method, tc.target)
		tok := users[tc.user]
		if a, b := fromYAML.Decide(r, tok), fromGo.Decide(r, tok); !equalDecision(a, b) {
			t.Errorf("%s: YAML policy %v, Go policy %v", tc.name, a, b)
		}
	}
}

// exampleConfig is examples/policy/policy.yaml written in Go.
func exampleConfig() policy.Config {
	own := policy.Condition{Claim: "sub", Op: policy.OpEquals, Value: "{sub}"}
	return policy.Config{
		Default: policy.DefaultDeny,
		Rules: []policy.Rule{
			{Name: "health", Route: "GET /healthz", Anonymous: true},
			{Name: "docs", Routes: []string{"GET /docs/", "GET /openapi.json"}, Anonymous: true},
			{Name: "docs-internal", Route: "GET /docs/internal/", Requirement: policy.Requirement{GroupsAny: []string{"staff"}}},
			{Name: "profile", Route: "GET /me"},
			{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
			{
				Name:        "orders-read",
				Routes:      []string{"GET /orders", "GET /orders/{id}"},
				Requirement: policy.Requirement{TokenUse: claims.AccessToken, ScopesAny: []string{"orders/read", "orders/write"}},
			},
			{
				Name:        "orders-write",
				Routes:      []string{"POST /orders", "PUT /orders/{id}", "DELETE /orders/{id}"},
				Requirement: policy.Requirement{TokenUse: claims.AccessToken},
				AnyOf:       []policy.Requirement{{ScopesAll: []string{"orders/write"}}, {GroupsAny: []string{"admin"}}},
			},
			{
				Name:  "user-files-read",
				Route: "GET /users/{sub}/files/{path...}",
				AnyOf: []policy.Requirement{{Claims: []policy.Condition{own}}, {GroupsAny: []string{"support"}}},
			},
			{Name: "user-files-write", Route: "/users/{sub}/files/{path...}", Requirement: policy.Requirement{Claims: []policy.Condition{own}}},
			{
				Name:  "tenant-reports",
				Route: "GET /tenants/{tenant}/reports/",
				Requirement: policy.Requirement{TokenUse: claims.IDToken, Claims: []policy.Condition{
					{Claim: "custom:tenant", Op: policy.OpEquals, Value: "{tenant}"},
					{Claim: "email_verified", Op: policy.OpEquals, Value: true},
				}},
			},
			{
				Name:  "billing",
				Route: "/tenants/{tenant}/billing/",
				Requirement: policy.Requirement{TokenUse: claims.AccessToken, Claims: []policy.Condition{
					{Claim: "tenant.id", Op: policy.OpEquals, Value: "{tenant}"},
					{Claim: "tenant.plan", Op: policy.OpIn, Value: []string{"team", "enterprise"}},
					{Claim: "tenant.seats", Op: policy.OpGreaterOrEqual, Value: 5},
					{Claim: "tenant.admins", Op: policy.OpContains, Value: "{claim:username}"},
				}},
			},
			{
				Name:        "jobs",
				Route:       "POST /jobs/",
				Requirement: policy.Requirement{Clients: []string{"j0b5runner0client0id00000"}, TokenUse: claims.AccessToken, ScopesAll: []string{"jobs/run"}},
			},
			{Name: "internal", Route: "internal.example.com/", Requirement: policy.Requirement{GroupsAll: []string{"staff"}}},
		},
	}
}

// loadErrorCases have one row per kind of error: the policy (YAML, with
// tabs turned into two spaces), and where the first error must be.
var loadErrorCases = []struct {
	name  string
	yaml  string
	line  int
	field string
	err   error
	msg   string // a part of the message
}{
	// yaml.v3 reports the line where the broken construct starts.
	{"yaml syntax", "default: deny\nrules:\n  - name: a\n\troute: /x\n", 3, "", policy.ErrSyntax, "tab character"},
	{"empty file", "# nothing\n", 0, "", policy.ErrSyntax, "empty document"},
	{"two documents", "rules: []\n---\nrules: []\n", 2, "", policy.ErrSyntax, "second YAML document"},
	{"top level is a list", "- name: a\n", 1, "", policy.ErrSyntax, "want a mapping"},
	{"unknown top-level key", "default: deny\nrule:\n  - name: a\n", 2, "rule", policy.ErrSyntax, `unknown key "rule"`},
	{"unknown rule key", "rules:\n  - name: a\n    route: /a\n    group_any: [x]\n", 4, "rules[0].group_any", policy.ErrSyntax, `unknown key "group_any"; want one of name, route`},
	{"repeated key", "rules:\n  - name: a\n    route: /a\n    route: /b\n", 4, "rules[0].route", policy.ErrSyntax, "repeated (first on line 3)"},
	{"alias", "rules:\n  - &r\n    name: a\n    route: /a\n  - *r\n", 2, "rules[0]", policy.ErrSyntax, "anchors and aliases"},
	{"rules not a list", "rules:\n  name: a\n", 2, "rules", policy.ErrSyntax, "want a list, got a mapping"},
	{"anonymous not a bool", "rules:\n  - name: a\n    route: /a\n    anonymous: yes\n", 4, "rules[0].anonymous", policy.ErrSyntax, `want true or false, got the string "yes"`},
	{"groups not a list", "rules:\n  - name: a\n    route: /a\n    groups_any: admin\n", 4, "rules[0].groups_any", policy.ErrSyntax, "want a list"},
	{"null group", "rules:\n  - name: a\n    route: /a\n    groups_any:\n      - admin\n      - ~\n", 6, "rules[0].groups_any[1]", policy.ErrSyntax, "want a string, got null"},
	{"unknown default", "default: open\n", 1, "default", policy.ErrConfig, `unknown default "open"; want deny, authenticated or allow`},
	{"bad pattern", "rules:\n  - name: a\n    route: GET /{x\n", 3, "rules[0].route", policy.ErrConfig, `bad pattern "GET /{x"`},
	{"bad pattern in list", "rules:\n  - name: a\n    routes:\n      - /ok\n      - /a/{$}/b\n", 5, "rules[0].routes[1]", policy.ErrConfig, "{$} not at end"},
	{"conflicting patterns", "rules:\n  - name: a\n    route: /a/{x}\n  - name: b\n    route: /{y}/b\n", 5, "rules[1].route", policy.ErrConfig, `conflicts with "/a/{x}" of rules[0].route (rule "a")`},
	{"same pattern twice", "rules:\n  - name: a\n    route: GET /a\n  - name: b\n    route: GET /a\n", 5, "rules[1].route", policy.ErrConfig, "matches the same requests"},
	{"lower-case method", "rules:\n  - name: a\n    route: get /a\n", 3, "rules[0].route", policy.ErrConfig, "not upper-case"},
	{"CONNECT", "rules:\n  - name: a\n    route: CONNECT /a\n", 3, "rules[0].route", policy.ErrConfig, "CONNECT"},
	{"upper-case host", "rules:\n  - name: a\n    route: API.example.com/\n", 3, "rules[0].route", policy.ErrConfig, "host is not lower-case"},
	{"host with port", "rules:\n  - name: a\n    route: api.example.com:8443/\n", 3, "rules[0].route", policy.ErrConfig, "has a port"},
	{"host is a list", "rules:\n  - name: a\n    route: 'a.example.com,b.example.com/'\n", 3, "rules[0].route", policy.ErrConfig, "host has a comma"},
	{"host with an empty label", "rules:\n  - name: a\n    route: a..example.com/\n", 3, "rules[0].route", policy.ErrConfig, "empty label"},
	{"host with a numeric last label", "rules:\n  - name: a\n    route: example.123/\n", 3, "rules[0].route", policy.ErrConfig, "numeric label"},
	{"IPv6 host", "rules:\n  - name: a\n    route: '[::1]/'\n", 3, "rules[0].route", policy.ErrConfig, "IPv6"},
	{"unclean pattern", "rules:\n  - name: a\n    route: /a/../b\n", 3, "rules[0].route", policy.ErrConfig, "not clean"},
	{"pattern with encoded slash", "rules:\n  - name: a\n    route: /a%2Fb\n", 3, "rules[0].route", policy.ErrConfig, "encoded slash"},
	{"no route", "rules:\n  - name: a\n    anonymous: true\n", 2, "rules[0]", policy.ErrConfig, "no route"},
	{"empty route", "rules:\n  - name: a\n    route: ''\n", 3, "rules[0].route", policy.ErrConfig, "empty pattern"},
	{"route and routes", "rules:\n  - name: a\n    route: /a\n    routes: [/b]\n", 4, "rules[0].routes", policy.ErrConfig, "both route and routes"},
	{"empty routes", "rules:\n  - name: a\n    routes: []\n", 3, "rules[0].routes", policy.ErrConfig, "empty list"},
	{"no name", "rules:\n  - route: /a\n", 2, "rules[0].name", policy.ErrConfig, "every rule needs a name"},
	{"bad name", "rules:\n  - name: Admin Area\n    route: /a\n", 2, "rules[0].name", policy.ErrConfig, "want 1 to 64 lower-case letters"},
	{"reserved name", "rules:\n  - name: default\n    route: /a\n", 2, "rules[0].name", policy.ErrConfig, "reserved"},
	{"duplicate name", "rules:\n  - name: a\n    route: /a\n  - name: a\n    route: /b\n", 4, "rules[1].name", policy.ErrConfig, "already the name of rules[0]"},
	{"empty group list", "rules:\n  - name: a\n    route: /a\n    groups_any: []\n", 4, "rules[0].groups_any", policy.ErrConfig, "empty list; want at least one group name"},
	{"empty scope list", "rules:\n  - name: a\n    route: /a\n    scopes_all: []\n", 4, "rules[0].scopes_all", policy.ErrConfig, "empty list; want at least one scope"},
	{"group with a space", "rules:\n  - name: a\n    route: /a\n    groups_all:\n      - 'my group'\n", 5, "rules[0].groups_all[0]", policy.ErrConfig, "whitespace"},
	{"two scopes in one item", "rules:\n  - name: a\n    route: /a\n    scopes_any: [orders/read orders/write]\n", 4, "rules[0].scopes_any[0]", policy.ErrConfig, "has whitespace; scopes are separated by single spaces (RFC 6749 section 3.3)"},
	{"scope with a tab", "rules:\n  - name: a\n    route: /a\n    scopes_all:\n      - x\n      - \"orders/read\\torders/write\"\n", 6, "rules[0].scopes_all[1]", policy.ErrConfig, "has whitespace"},
	{"scope with a no-break space", "rules:\n  - name: a\n    route: /a\n    scopes_all: [\"orders/read\\u00a0orders/write\"]\n", 4, "rules[0].scopes_all[0]", policy.ErrConfig, "has whitespace"},
	{"scope with a line break", "rules:\n  - name: a\n    route: /a\n    scopes_any:\n      - |\n        orders/read\n", 5, "rules[0].scopes_any[0]", policy.ErrConfig, "has whitespace"},
	{"scope condition with a space", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: scope\n        contains: orders/read orders/write\n", 6, "rules[0].claims[0].contains", policy.ErrConfig, "has whitespace"},
	{"scope condition template with a space", "rules:\n  - name: a\n    route: /a/{x}\n    claims:\n      - claim: scope\n        contains: 'orders/{x} admin'\n", 6, "rules[0].claims[0].contains", policy.ErrConfig, "has whitespace"},
	{"scope condition with a quote", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: scope\n        contains: 'a\"b'\n", 6, "rules[0].claims[0].contains", policy.ErrConfig, "not a scope"},
	{"group condition with a space", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: cognito:groups\n        contains: 'my group'\n", 6, "rules[0].claims[0].contains", policy.ErrConfig, "whitespace"},
	{"scope with a quote", "rules:\n  - name: a\n    route: /a\n    scopes_any: ['a\"b']\n", 4, "rules[0].scopes_any[0]", policy.ErrConfig, "without spaces, quotes"},
	{"group twice", "rules:\n  - name: a\n    route: /a\n    groups_any: [x, x]\n", 4, "rules[0].groups_any[1]", policy.ErrConfig, "listed twice"},
	{"unknown token_use", "rules:\n  - name: a\n    route: /a\n    token_use: refresh\n", 4, "rules[0].token_use", policy.ErrConfig, `unknown token_use "refresh"; want access, id or any`},
	{"scopes of ID tokens", "rules:\n  - name: a\n    route: /a\n    token_use: id\n    scopes_any: [x]\n", 5, "rules[0].scopes_any", policy.ErrConfig, "ID tokens have no scopes"},
	{"anonymous with requirements", "rules:\n  - name: a\n    route: /a\n    anonymous: true\n    groups_any: [x]\n", 4, "rules[0].anonymous", policy.ErrConfig, "takes no requirements"},
	{"empty any_of", "rules:\n  - name: a\n    route: /a\n    any_of: []\n", 4, "rules[0].any_of", policy.ErrConfig, "want at least one alternative"},
	{"empty alternative", "rules:\n  - name: a\n    route: /a\n    any_of:\n      - {}\n      - groups_any: [x]\n", 5, "rules[0].any_of[0]", policy.ErrConfig, "empty alternative"},
	{"unknown alternative key", "rules:\n  - name: a\n    route: /a\n    any_of:\n      - anonymous: true\n", 5, "rules[0].any_of[0].anonymous", policy.ErrSyntax, "unknown key"},
	{"empty claims", "rules:\n  - name: a\n    route: /a\n    claims: []\n", 4, "rules[0].claims", policy.ErrConfig, "want at least one condition"},
	{"condition without claim", "rules:\n  - name: a\n    route: /a\n    claims:\n      - equals: x\n", 5, "rules[0].claims[0]", policy.ErrConfig, "no claim"},
	{"condition without operator", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: sub\n", 5, "rules[0].claims[0]", policy.ErrConfig, "no operator"},
	{"condition with two operators", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: sub\n        equals: x\n        contains: y\n", 7, "rules[0].claims[0].contains", policy.ErrConfig, "a second operator"},
	{"unknown operator", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: sub\n        matches: x\n", 6, "rules[0].claims[0].matches", policy.ErrSyntax, `unknown key "matches"`},
	{"empty value", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: sub\n        equals: ''\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, "empty value"},
	{"equals on a list claim", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: cognito:groups\n        equals: admin\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, "is a list; want contains"},
	{"undefined variable", "rules:\n  - name: a\n    route: /users/{sub}/\n    claims:\n      - claim: username\n        equals: '{user}'\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, `{user}: pattern "/users/{sub}/" defines no wildcard user; it defines sub`},
	{"variable missing from one route", "rules:\n  - name: a\n    routes: ['/a/{id}', /b]\n    claims:\n      - claim: custom:id\n        equals: '{id}'\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, `pattern "/b" defines no wildcard id (it has none)`},
	{"unmatched brace", "rules:\n  - name: a\n    route: /a/{id}\n    claims:\n      - claim: sub\n        starts_with: '{id'\n", 6, "rules[0].claims[0].starts_with", policy.ErrConfig, "unmatched '{'"},
	{"bad variable", "rules:\n  - name: a\n    route: /a/{id}\n    claims:\n      - claim: sub\n        equals: '{a b}'\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, "want a path wildcard name"},
	{"claim variable of a list", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: sub\n        equals: '{claim:scope}'\n", 6, "rules[0].claims[0].equals", policy.ErrConfig, "is a list"},
	{"bad pool id", "rules:\n  - name: a\n    route: /a\n    pools:\n      - eu-west-1_AbC123\n      - eu-west-1\n", 6, "rules[0].pools[1]", policy.ErrConfig, `user pool id "eu-west-1": want <region>_<id>`},
	{"issuer as pool id", "rules:\n  - name: a\n    route: /a\n    pools: ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123']\n", 4, "rules[0].pools[0]", policy.ErrConfig, "an issuer URL goes under issuers"},
	{"empty pools", "rules:\n  - name: a\n    route: /a\n    pools: []\n", 4, "rules[0].pools", policy.ErrConfig, "empty list; want at least one user pool id"},
	{"pool twice", "rules:\n  - name: a\n    route: /a\n    pools: [eu-west-1_A1, eu-west-1_A1]\n", 4, "rules[0].pools[1]", policy.ErrConfig, "listed twice"},
	{"pools not a list", "rules:\n  - name: a\n    route: /a\n    pools: eu-west-1_A1\n", 4, "rules[0].pools", policy.ErrSyntax, "want a list"},
	{"pool id as issuer", "rules:\n  - name: a\n    route: /a\n    issuers: [eu-west-1_AbC123]\n", 4, "rules[0].issuers[0]", policy.ErrConfig, "a user pool id goes under pools"},
	{"issuer with a trailing slash", "rules:\n  - name: a\n    route: /a\n    issuers: ['https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A1/']\n", 4, "rules[0].issuers[0]", policy.ErrConfig, "trailing slash"},
	{"issuer with a query", "rules:\n  - name: a\n    route: /a\n    issuers: ['https://idp.example.com/p?x=1']\n", 4, "rules[0].issuers[0]", policy.ErrConfig, "query"},
	{"issuer of another scheme", "rules:\n  - name: a\n    route: /a\n    issuers: ['ftp://idp.example.com/p']\n", 4, "rules[0].issuers[0]", policy.ErrConfig, "https"},
	{"issuer with a space", "rules:\n  - name: a\n    route: /a\n    issuers: ['https://idp.example.com/p q']\n", 4, "rules[0].issuers[0]", policy.ErrConfig, "whitespace"},
	{"empty issuers", "rules:\n  - name: a\n    route: /a\n    issuers: []\n", 4, "rules[0].issuers", policy.ErrConfig, "empty list; want at least one issuer"},
	{"empty pools in an alternative", "rules:\n  - name: a\n    route: /a\n    any_of:\n      - pools: []\n", 5, "rules[0].any_of[0].pools", policy.ErrConfig, "empty list"},
	{"anonymous with pools", "rules:\n  - name: a\n    route: /a\n    anonymous: true\n    pools: [eu-west-1_A1]\n", 4, "rules[0].anonymous", policy.ErrConfig, "takes no requirements"},
	{"bad claim name", "rules:\n  - name: a\n    route: /a\n    claims:\n      - claim: 'my claim'\n        equals: x\n", 5, "rules[0].claims[0].claim", policy.ErrConfig, "whitespace"},
	{"gt a quoted number", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, gt: '3'}\n", 5, "rules[0].claims[0].gt", policy.ErrConfig, "write 3 without quotes"},
	{"gt a hex number", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, gt: 0x10}\n", 5, "rules[0].claims[0].gt", policy.ErrConfig, "as JSON writes numbers"},
	{"gt infinity", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, gt: .inf}\n", 5, "rules[0].claims[0].gt", policy.ErrConfig, "as JSON writes numbers"},
	{"lte a list", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, lte: [1]}\n", 5, "rules[0].claims[0].lte", policy.ErrConfig, "one value, not a list"},
	{"equals null", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, equals: null}\n", 5, "rules[0].claims[0].equals", policy.ErrSyntax, "got null"},
	{"equals a mapping", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, equals: {a: 1}}\n", 5, "rules[0].claims[0].equals", policy.ErrSyntax, "got a mapping"},
	{"in a nested list", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, in: [1, [2]]}\n", 5, "rules[0].claims[0].in[1]", policy.ErrSyntax, "got a list or a mapping"},
	{"in one value", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, in: 1}\n", 5, "rules[0].claims[0].in", policy.ErrConfig, "a list of values"},
	{"in twice", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, in: [1, 1.0]}\n", 5, "rules[0].claims[0].in[1]", policy.ErrConfig, "listed twice"},
	{"exists yes", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: tier, exists: yes}\n", 5, "rules[0].claims[0].exists", policy.ErrSyntax, "want true or false"},
	{"sub equals a number", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: sub, equals: 42}\n", 5, "rules[0].claims[0].equals", policy.ErrConfig, "write \"42\" to compare text"},
	{"email_verified quoted", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: email_verified, equals: 'true'}\n", 5, "rules[0].claims[0].equals", policy.ErrConfig, "write true without quotes"},
	{"contains_any on a string claim", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: email, contains_any: [a]}\n", 5, "rules[0].claims[0].contains_any", policy.ErrConfig, "not a list"},
	{"dotted custom attribute", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: custom:org.unit, equals: x}\n", 5, "rules[0].claims[0].claim", policy.ErrConfig, "write [\"custom:org.unit\"]"},
	{"unquoted bracket path", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: [\"custom:org.unit\"], equals: x}\n", 5, "rules[0].claims[0].claim", policy.ErrSyntax, "quote it"},
	{"path into a string claim", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: username.x, equals: x}\n", 5, "rules[0].claims[0].claim", policy.ErrConfig, "username is a string"},
	{"bad index", "rules:\n  - name: a\n    route: /a\n    claims:\n      - {claim: 'a[01]', equals: x}\n", 5, "rules[0].claims[0].claim", policy.ErrConfig, "leading zero"},
	{"empty clients", "rules:\n  - name: a\n    route: /a\n    clients: []\n", 4, "rules[0].clients", policy.ErrConfig, "want at least one app client id"},
	{"client with a space", "rules:\n  - name: a\n    route: /a\n    clients:\n      - ok\n      - 'a b'\n", 6, "rules[0].clients[1]", policy.ErrConfig, "whitespace"},
	{"clients not a list", "rules:\n  - name: a\n    route: /a\n    clients: abc\n", 4, "rules[0].clients", policy.ErrSyntax, "want a list"},
	{"live_check not a bool", "rules:\n  - name: a\n    route: /a\n    live_check: \"yes\"\n", 4, "rules[0].live_check", policy.ErrSyntax, `want true or false, got the string "yes"`},
	{"live_check on an anonymous rule", "rules:\n  - name: a\n    route: /a\n    anonymous: true\n    live_check: true\n", 5, "rules[0].live_check", policy.ErrConfig, "an anonymous rule has no token to check"},
	{"live_check with token_use id", "rules:\n  - name: a\n    route: /a\n    token_use: id\n    live_check: true\n", 4, "rules[0].token_use", policy.ErrConfig, "GetUser takes access tokens only"},
	{"live_check with an ID-token alternative", "rules:\n  - name: a\n    route: /a\n    live_check: true\n    any_of:\n      - groups_any: [x]\n      - token_use: id\n", 7, "rules[0].any_of[1].token_use", policy.ErrConfig, "GetUser takes access tokens only"},
	{"live_check in an alternative", "rules:\n  - name: a\n    route: /a\n    any_of:\n      - live_check: true\n", 5, "rules[0].any_of[0].live_check", policy.ErrSyntax, "unknown key"},
	{"clients in an alternative", "rules:\n  - name: a\n    route: /a\n    any_of:\n      - clients: [x, x]\n", 5, "rules[0].any_of[0].clients[1]", policy.ErrConfig, "listed twice"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range loadErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tc.yaml), "gate.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded; want an error at line %d", tc.line)
			}
			if p != nil {
				t.Errorf("Parse returned a policy with its error")
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("error %q does not match %v", err, tc.err)
			}
			var le *policy.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %q is not a *LoadError", err)
			}
			if le.File != "gate.yaml" || le.Line != tc.line || le.Field != tc.field {
				t.Errorf("error at %s:%d field %q; want gate.yaml:%d field %q (%v)", le.File, le.Line, le.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(le.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", le.Msg, tc.msg)
			}
			prefix := "gate.yaml:"
			if tc.line == 0 {
				prefix = "gate.yaml: "
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestParseReportsEveryError(t *testing.T) {
	_, err := policy.Parse([]byte("rules:\n  - name: a\n    route: /a\n    groups_any: []\n  - name: b\n    route: /b\n    token_use: refresh\n"), "gate.yaml")
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	for _, want := range []string{"gate.yaml:4: rules[0].groups_any: empty list", "gate.yaml:7: rules[1].token_use: unknown token_use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   policy.Config
		field string
		msg   string
	}{
		{"unknown default", policy.Config{Default: 7}, "default", "unknown default Default(7)"},
		{"nil and empty lists differ", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", Requirement: policy.Requirement{GroupsAny: []string{}}}}}, "rules[0].groups_any", "empty list"},
		{"unknown op", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "sub", Op: "matches", Value: "x"}}}}}}, "rules[0].claims[0]", `unknown operator "matches"`},
		{"empty alternative", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", AnyOf: []policy.Requirement{{TokenUse: claims.AnyToken}}}}}, "rules[0].any_of[0]", "empty alternative"},
		{"undefined variable in an alternative", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a/{x}", AnyOf: []policy.Requirement{{Claims: []policy.Condition{{Claim: "sub", Op: policy.OpEquals, Value: "u-{y}"}}}}}}}, "rules[0].any_of[0].claims[0].equals", "defines no wildcard y"},
		{"too many variables", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "x", Op: policy.OpEquals, Value: "{a}{b}{c}{d}{e}{f}{g}{h}{i}"}}}}}}, "rules[0]", "at most 8"},
		{"reserved name", policy.Config{Rules: []policy.Rule{{Name: policy.RuleNonCanonical, Route: "/a"}}}, "rules[0].name", "reserved"},
		{"bad pool id", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", Requirement: policy.Requirement{Pools: []string{"AbC123"}}}}}, "rules[0].pools[0]", "user pool id"},
		{"empty pools", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", Requirement: policy.Requirement{Pools: []string{}}}}}, "rules[0].pools", "empty list"},
		{"bad issuer in an alternative", policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", AnyOf: []policy.Requirement{{Issuers: []string{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A"}}}}}}, "rules[0].any_of[0].issuers[0]", "issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.New(tc.cfg)
			if err == nil || p != nil {
				t.Fatalf("New = %v, %v; want an error", p, err)
			}
			if !errors.Is(err, policy.ErrConfig) {
				t.Errorf("error %q does not match ErrConfig", err)
			}
			var le *policy.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %q is not a *LoadError", err)
			}
			if le.File != "" || le.Line != 0 || le.Field != tc.field || !strings.Contains(le.Msg, tc.msg) {
				t.Errorf("error %+v; want field %q and a message with %q", le, tc.field, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "policy: "+tc.field) {
				t.Errorf("error %q does not start with %q", err, "policy: "+tc.field)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := policy.Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v; want fs.ErrNotExist", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", policy.MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := policy.Load(big)
	var le *policy.LoadError
	if !errors.Is(err, policy.ErrSyntax) || !errors.As(err, &le) || le.File != big {
		t.Errorf("Load(big) = %v; want a syntax error naming the file", err)
	}
}

func TestParseAcceptsJSON(t *testing.T) {
	p, err := policy.Parse([]byte(`{"default": "authenticated", "rules": [{"name": "health", "route": "GET /healthz", "anonymous": true}]}`), "gate.json")
	if err != nil {
		t.Fatal(err)
	}
	if p.Default() != policy.DefaultAuthenticated || len(p.Rules()) != 1 {
		t.Errorf("got default %v, rules %v", p.Default(), p.Rules())
	}
}

// TestRefusesGo121Mux checks that New fails, rather than build a policy
// that matches nothing, when ServeMux runs with its Go 1.21 behaviour. The
// setting is read at start-up, so the check runs in a child process.
func TestRefusesGo121Mux(t *testing.T) {
	if os.Getenv("POLICY_TEST_GO121") == "1" {
		if _, err := policy.New(policy.Config{}); !errors.Is(err, policy.ErrConfig) || !strings.Contains(err.Error(), "httpmuxgo121") {
			t.Fatalf("New with httpmuxgo121=1: %v; want an ErrConfig naming the setting", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRefusesGo121Mux$", "-test.count=1")
	cmd.Env = append(os.Environ(), "POLICY_TEST_GO121=1", "GODEBUG=httpmuxgo121=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// TestGroupNameLength checks that group names are limited to 128
// characters, as in Cognito, not 128 bytes.
func TestGroupNameLength(t *testing.T) {
	for _, tc := range []struct {
		name  string
		group string
		ok    bool
	}{
		{"128 ASCII characters", strings.Repeat("g", 128), true},
		{"129 ASCII characters", strings.Repeat("g", 129), false},
		{"128 three-byte characters", strings.Repeat("管", 128), true},
		{"129 three-byte characters", strings.Repeat("管", 129), false},
		{"no-break space", "a\u00a0b", false},
		{"line separator", "a\u2028b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "a", Route: "/a", Requirement: policy.Requirement{GroupsAny: []string{tc.group}}}}})
			if (err == nil) != tc.ok {
				t.Errorf("New with group %q: %v; want ok=%v", tc.group, err, tc.ok)
			}
			if err != nil && !errors.Is(err, policy.ErrConfig) {
				t.Errorf("error %v does not match ErrConfig", err)
			}
		})
	}
}

// gateDoc is a configuration file with an inline policy, as cognito-gate
// reads it.
const gateDoc = "listen: :8080\nbogus: [not, the, policy's, business]\npolicy:\n  default: deny\n  rules:\n    - name: admin\n      route: /admin/\n      groups_any: [admin]\n"

// TestParseWithSection checks a policy read from a section of a larger
// document: the document's lines, fields prefixed with the section, the
// rest of the document left to the caller.
func TestParseWithSection(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want string // the error, or "" for a policy
	}{
		{"ok", gateDoc, ""},
		{"config error", strings.Replace(gateDoc, "[admin]", "[]", 1), "gate.yaml:8: policy.rules[0].groups_any: empty list"},
		{"syntax error", gateDoc + "    - nme: x\n", `gate.yaml:9: policy.rules[1].nme: unknown key "nme"`},
		{"compile error without a field", strings.Replace(gateDoc, "    - name: admin\n      route: /admin/\n      groups_any: [admin]\n", "    - name: a\n      route: /a/{x}\n    - name: b\n      route: /{y}/a\n", 1), "gate.yaml:9: policy.rules[1].route: pattern"},
		{"unknown default", strings.Replace(gateDoc, "default: deny", "default: open", 1), `gate.yaml:4: policy.default: unknown default "open"`},
		{"not a mapping", "policy: [a]\n", "gate.yaml:1: policy: want a mapping with keys default, rules, got a list"},
		{"empty", "listen: x\npolicy:\n", "gate.yaml:2: policy: empty policy; want a mapping with default and rules"},
		{"missing", "listen: x\n", "gate.yaml: policy: missing; want a mapping with default and rules"},
		{"document not a mapping", "- policy\n", "gate.yaml:1: policy: missing"},
		{"second document", gateDoc + "---\na: 1\n", "gate.yaml:9: a second YAML document"},
		{"anchor", "policy: &p\n  rules: []\n", "gate.yaml:1: policy: anchors and aliases are not supported"},
		{"unset variable", strings.Replace(gateDoc, "[admin]", "[\"${ADMIN_GROUP}\"]", 1), "gate.yaml:8: policy.rules[0].groups_any[0]: environment variable ADMIN_GROUP is not set"},
	}
	env := func(string) (string, bool) { return "", false }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.ParseWith([]byte(tt.doc), "gate.yaml", policy.ParseOptions{Section: "policy", Env: env})
			if tt.want == "" {
				if err != nil || len(p.Rules()) != 1 {
					t.Fatalf("ParseWith = %v, %v", p, err)
				}
				return
			}
			if err == nil || p != nil {
				t.Fatalf("ParseWith = %v, %v; want an error with %q", p, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to start with %q", err, tt.want)
			}
			var le *policy.LoadError
			if !errors.As(err, &le) || !errors.Is(err, policy.ErrSyntax) && !errors.Is(err, policy.ErrConfig) {
				t.Errorf("error %v is not a *LoadError of ErrSyntax or ErrConfig", err)
			}
		})
	}
}

// TestParseWithEnv checks ${VAR} substitution: in values of every type,
// not in keys, and only when asked for.
func TestParseWithEnv(t *testing.T) {
	env := map[string]string{"GROUP": "ops", "PUBLIC": "true", "ROUTE": "/health"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	doc := "default: ${DEFAULT:-deny}\nrules:\n  - name: a\n    route: /a/\n    groups_any: [\"${GROUP}\"]\n  - name: h\n    route: GET ${ROUTE}\n    anonymous: ${PUBLIC}\n"
	p, err := policy.ParseWith([]byte(doc), "p.yaml", policy.ParseOptions{Env: lookup})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		target string
		allow  bool
	}{{"/health", true}, {"/a/x", false}} {
		if d := p.Decide(request(t, "GET", tc.target), nil); d.Allow != tc.allow {
			t.Errorf("%s: %v", tc.target, d)
		}
	}
	// Without Env (Parse, Load) the text stays as written: ${PUBLIC} is a
	// string, not a boolean.
	if _, err := policy.Parse([]byte(doc), "p.yaml"); err == nil || !strings.Contains(err.Error(), `p.yaml:1: default: unknown default "${DEFAULT:-deny}"`) ||
		!strings.Contains(err.Error(), `p.yaml:8: rules[1].anonymous: want true or false, got the string "${PUBLIC}"`) {
		t.Errorf("Parse without an environment: %v", err)
	}
}

// TestParseReportsSyntaxAndConfigErrors checks that a syntax error does
// not hide the configuration errors of the rest of the file, that the
// errors come in the order of their lines, and that a field that cannot be
// read is not also reported by New.
func TestParseReportsSyntaxAndConfigErrors(t *testing.T) {
	doc := "rules:\n  - name: a\n    route: GET admin\n  - name: b\n    route: /b\n    groups_any: admin\n  - name: c\n    route: /c\n    scopes_any: []\n    bogus: 1\n"
	want := []string{
		`gate.yaml:3: rules[0].route: bad pattern "GET admin"`,
		"gate.yaml:6: rules[1].groups_any: want a list",
		"gate.yaml:9: rules[2].scopes_any: empty list",
		`gate.yaml:10: rules[2].bogus: unknown key "bogus"`,
	}
	for range 20 {
		_, err := policy.Parse([]byte(doc), "gate.yaml")
		if err == nil {
			t.Fatal("Parse succeeded")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(want) {
			t.Fatalf("errors:\n%v\nwant %d", err, len(want))
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("error %d: %q, want %q…", i, lines[i], w)
			}
		}
	}
}
