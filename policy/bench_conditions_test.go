package policy_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// BenchmarkDecideOrdinary measures Decide on the rules most policies are
// made of (any valid token, a group, the caller's own sub, a string claim
// equal to a literal), one rule per request, so that a change to claim
// conditions can be seen not to slow them down.
func BenchmarkDecideOrdinary(b *testing.B) {
	f := newFixture(b)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "any", Route: "GET /any"},
		{Name: "group", Route: "GET /group", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "own", Route: "GET /users/{sub}/", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "sub", Op: policy.OpEquals, Value: "{sub}"}}}},
		{Name: "tenant", Route: "GET /tenant", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "custom:tenant", Op: policy.OpEquals, Value: "acme"}}}},
		{Name: "group-claim", Route: "GET /group-claim", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "cognito:groups", Op: policy.OpContains, Value: "admin"}}}},
		{Name: "array", Route: "GET /array", Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: "teams", Op: policy.OpContains, Value: "blue"}}}},
	}})
	if err != nil {
		b.Fatal(err)
	}
	tok := f.access(b, cognitotest.WithSubject(subAlice), cognitotest.WithGroups("users", "admin"),
		cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("teams", []string{"red", "green", "blue"}))
	for _, bc := range []struct{ name, target string }{
		{"any_token", "/any"},
		{"group", "/group"},
		{"own_sub", "/users/" + subAlice + "/"},
		{"string_claim", "/tenant"},
		{"group_condition", "/group-claim"},
		{"array_claim", "/array"},
	} {
		r := request(b, "GET", bc.target)
		if d := p.Decide(r, tok); !d.Allow {
			b.Fatalf("%s: %v", bc.name, d)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Decide(r, tok)
			}
		})
	}
}
