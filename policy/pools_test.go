package policy_test

import (
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// poolsPolicy has rules that name the token's user pool. Without pools:
// or issuers:, bob of pool B would be admin of pool A: group names and
// usernames are per pool, and the verifier accepts both pools.
const poolsPolicy = `
rules:
  - name: admin-a
    route: /admin/
    groups_any: [admin]
    pools: [` + poolA + `]
  - name: bob-a
    route: /bob/
    pools: [` + poolA + `]
    claims:
      - {claim: username, equals: bob}
  - name: classic-issuer
    route: /classic/
    issuers: [` + issuerA + `]
  - name: either
    route: /either/
    any_of:
      - pools: [` + poolA + `]
      - {issuers: [` + issuerB + `], groups_any: [auditors]}
  - name: both-lists
    route: /both/
    pools: [` + poolA + `]
    issuers: [` + issuerB + `]
  - name: orders-a
    route: POST /orders
    pools: [` + poolA + `]
    scopes_all: [orders/write]
  - name: unpooled
    route: /any/
    groups_any: [admin]
`

// poolsConfig is poolsPolicy in Go.
func poolsConfig() policy.Config {
	a := []string{poolA}
	return policy.Config{Rules: []policy.Rule{
		{Name: "admin-a", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}, Pools: a}},
		{Name: "bob-a", Route: "/bob/", Requirement: policy.Requirement{Pools: a, Claims: []policy.Condition{{Claim: "username", Op: policy.OpEquals, Value: "bob"}}}},
		{Name: "classic-issuer", Route: "/classic/", Requirement: policy.Requirement{Issuers: []string{issuerA}}},
		{Name: "either", Route: "/either/", AnyOf: []policy.Requirement{{Pools: a}, {Issuers: []string{issuerB}, GroupsAny: []string{"auditors"}}}},
		{Name: "both-lists", Route: "/both/", Requirement: policy.Requirement{Pools: a, Issuers: []string{issuerB}}},
		{Name: "orders-a", Route: "POST /orders", Requirement: policy.Requirement{Pools: a, ScopesAll: []string{"orders/write"}}},
		{Name: "unpooled", Route: "/any/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
	}}
}

func TestDecidePools(t *testing.T) {
	ps := twoPools(t)
	bob := []cognitotest.TokenOption{cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin")}
	users := map[string]*claims.Token{
		"none":            nil,
		"bob-a":           ps.verify(t, ps.a.AccessToken(bob...)),
		"bob-a-new-iss":   ps.verify(t, ps.a.AccessToken(append(bob, cognitotest.WithIssuer(issuerANew))...)),
		"bob-a-id":        ps.verify(t, ps.a.IDToken(bob...)),
		"bob-b":           ps.verify(t, ps.b.AccessToken(bob...)),
		"bob-b-id":        ps.verify(t, ps.b.IDToken(bob...)),
		"bob-b-writer":    ps.verify(t, ps.b.AccessToken(append(bob, cognitotest.WithScopes("orders/write"))...)),
		"alice-a":         ps.verify(t, ps.a.AccessToken(cognitotest.WithUsername("alice"))),
		"carol-b-auditor": ps.verify(t, ps.b.AccessToken(cognitotest.WithUsername("carol"), cognitotest.WithGroups("auditors"))),
		// A replica region's token of pool A (Multi-Region Replication), as
		// the verifier returns it when the region is configured; and one of
		// an emulator whose issuer path only looks like pool A's id.
		"bob-a-replica":  {Use: claims.AccessToken, Issuer: "https://cognito-idp.us-west-2.amazonaws.com/" + poolA, Username: "bob", Groups: []string{"admin"}},
		"bob-a-emulator": {Use: claims.AccessToken, Issuer: "http://127.0.0.1:9229/" + poolA, Username: "bob", Groups: []string{"admin"}},
	}
	fromYAML, err := parse([]byte(poolsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	fromGo, err := policy.New(poolsConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []decideCase{
		{"admin of pool A", "GET", "/admin/x", "bob-a", allow("admin-a")},
		{"admin of pool A, newer issuer form", "GET", "/admin/x", "bob-a-new-iss", allow("admin-a")},
		{"admin of pool A, ID token", "GET", "/admin/x", "bob-a-id", allow("admin-a")},
		{"admin of pool A, a replica region's token", "GET", "/admin/x", "bob-a-replica", allow("admin-a")},
		{"an emulator issuer is no Cognito pool", "GET", "/admin/x", "bob-a-emulator", forbidden("admin-a", claims.ReasonClaimDenied)},
		{"admin of pool B is not admin of pool A", "GET", "/admin/x", "bob-b", forbidden("admin-a", claims.ReasonClaimDenied)},
		{"admin of pool B, ID token", "GET", "/admin/x", "bob-b-id", forbidden("admin-a", claims.ReasonClaimDenied)},
		{"no token", "GET", "/admin/x", "none", noToken("admin-a")},
		{"user of pool A, not admin", "GET", "/admin/x", "alice-a", forbidden("admin-a", claims.ReasonGroupDenied)},
		{"bob of pool A", "GET", "/bob/x", "bob-a", allow("bob-a")},
		{"bob of pool B is not bob of pool A", "GET", "/bob/x", "bob-b", forbidden("bob-a", claims.ReasonClaimDenied)},
		{"exact issuer", "GET", "/classic/x", "bob-a", allow("classic-issuer")},
		{"issuers are compared exactly", "GET", "/classic/x", "bob-a-new-iss", forbidden("classic-issuer", claims.ReasonClaimDenied)},
		{"other issuer", "GET", "/classic/x", "bob-b", forbidden("classic-issuer", claims.ReasonClaimDenied)},
		{"alternative: pool A", "GET", "/either/x", "alice-a", allow("either")},
		{"alternative: auditor of pool B", "GET", "/either/x", "carol-b-auditor", allow("either")},
		{"alternative: pool B without the group", "GET", "/either/x", "bob-b", forbidden("either", claims.ReasonClaimDenied)},
		{"pools and issuers: pool A", "GET", "/both/x", "alice-a", allow("both-lists")},
		{"pools and issuers: issuer B", "GET", "/both/x", "bob-b", allow("both-lists")},
		{"pools and issuers: pool A, newer form", "GET", "/both/x", "bob-a-new-iss", allow("both-lists")},
		{"pool is checked before the scope", "POST", "/orders", "bob-b-writer", forbidden("orders-a", claims.ReasonClaimDenied)},
		{"pool A without the scope", "POST", "/orders", "bob-a", scope("orders-a", "orders/write")},
		{"a rule without pools takes either", "GET", "/any/x", "bob-b", allow("unpooled")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.method, tc.target)
			tok, ok := users[tc.user]
			if !ok {
				t.Fatalf("no user %q", tc.user)
			}
			got := fromYAML.Decide(r, tok)
			checkDecision(t, got, tc.want, r)
			if g := fromGo.Decide(r, tok); !equalDecision(g, got) {
				t.Errorf("Go policy decided %v, YAML policy %v", g, got)
			}
			if ex := fromYAML.Explain(r, tok); !equalDecision(ex.Decision, got) {
				t.Errorf("Explain decided %v, Decide %v\n%s", ex.Decision, got, ex)
			}
		})
	}
}

func TestExplainPools(t *testing.T) {
	ps := twoPools(t)
	p, err := parse([]byte(poolsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	tok := ps.verify(t, ps.b.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin")))
	ex := p.Explain(request(t, "GET", "/admin/x"), tok)
	if !strings.Contains(ex.Token, "iss="+issuerB) {
		t.Errorf("Token = %q; want the issuer", ex.Token)
	}
	if len(ex.Matches) != 1 || len(ex.Matches[0].Checks) < 2 {
		t.Fatalf("explanation:\n%s", ex)
	}
	if c := ex.Matches[0].Checks[1]; c != (policy.Check{Name: "pools", Want: "[" + poolA + "]", Got: issuerB, OK: false}) {
		t.Errorf("check %+v", c)
	}
	s := ex.String()
	for _, want := range []string{
		"  FAIL   pools: want [" + poolA + "]; got " + issuerB,
		"  ok     groups_any: want [admin]; got [admin]",
		"decision deny 403 claim_denied rule=admin-a",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	both := p.Explain(request(t, "GET", "/both/x"), tok).String()
	if want := "  ok     issuers|pools: want [" + issuerB + " " + poolA + "]; got " + issuerB; !strings.Contains(both, want) {
		t.Errorf("String() lacks %q:\n%s", want, both)
	}
	alt := p.Explain(request(t, "GET", "/either/x"), tok).String()
	if want := "  FAIL   any_of[1].issuers: want [" + issuerB + "]; got"; strings.Contains(alt, want) {
		t.Errorf("issuer B should pass in:\n%s", alt)
	}
}
