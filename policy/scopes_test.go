package policy_test

import (
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/policy"
)

// TestScopes: every scope the rules name, of rules and alternatives, once
// each and sorted; none for a policy without scope requirements.
func TestScopes(t *testing.T) {
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "read", Routes: []string{"GET /orders/", "GET /invoices/"}, Requirement: policy.Requirement{ScopesAny: []string{"orders/read", "orders/admin"}}},
		{Name: "write", Route: "POST /orders/", Requirement: policy.Requirement{ScopesAll: []string{"orders/write"}},
			AnyOf: []policy.Requirement{{ScopesAny: []string{"orders/admin"}}, {GroupsAny: []string{"ops"}}}},
		{Name: "public", Route: "/public/", Anonymous: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Scopes(), []string{"orders/admin", "orders/read", "orders/write"}; !slices.Equal(got, want) {
		t.Errorf("Scopes() = %q, want %q", got, want)
	}
	q, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "any", Route: "/"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Scopes(); len(got) != 0 {
		t.Errorf("Scopes() of a policy without scopes = %q", got)
	}
}
