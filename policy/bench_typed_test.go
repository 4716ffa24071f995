package policy_test

import (
	"encoding/json"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// BenchmarkDecideTyped measures Decide with the conditions of
// pre-token-generation claims: paths into objects, numbers, lists, and
// app clients.
func BenchmarkDecideTyped(b *testing.B) {
	f := newFixture(b)
	cond := func(name, route, claim string, op policy.Op, v any) policy.Rule {
		return policy.Rule{Name: name, Route: route, Requirement: policy.Requirement{Claims: []policy.Condition{{Claim: claim, Op: op, Value: v}}}}
	}
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "clients", Route: "GET /clients", Requirement: policy.Requirement{Clients: []string{"other", f.pool.ClientID()}}},
		cond("nested", "GET /nested/{t}", "tenant.id", policy.OpEquals, "{t}"),
		cond("number", "GET /number", "tenant.tier", policy.OpGreaterOrEqual, 2),
		cond("big-number", "GET /big", "tenant.quota", policy.OpLess, json.Number("123456789012345678901234567890")),
		cond("bool", "GET /bool", "tenant.active", policy.OpEquals, true),
		cond("in", "GET /in", "tenant.plan", policy.OpIn, []string{"free", "team", "enterprise"}),
		cond("any", "GET /any", "tenant.regions", policy.OpContainsAny, []string{"ap", "eu"}),
		cond("all", "GET /all", "tenant.regions", policy.OpContainsAll, []any{"us", "eu", 7}),
		cond("exists", "GET /exists", `["custom:org.unit"]`, policy.OpExists, true),
		cond("wrong-type", "GET /wrong", "tenant.tier", policy.OpEquals, "3"),
	}})
	if err != nil {
		b.Fatal(err)
	}
	tok := f.access(b, cognitotest.WithClaim("tenant", json.RawMessage(`{"id":"acme","tier":3,"quota":1e20,"active":true,"plan":"team","regions":["us","eu",7]}`)),
		cognitotest.WithClaim("custom:org.unit", "sales"))
	for _, bc := range []struct {
		name, target string
		allow        bool
	}{
		{"clients", "/clients", true},
		{"nested_equals", "/nested/acme", true},
		{"number_gte", "/number", true},
		{"big_number_lt", "/big", true},
		{"bool", "/bool", true},
		{"in", "/in", true},
		{"contains_any", "/any", true},
		{"contains_all", "/all", true},
		{"exists", "/exists", true},
		{"deny_wrong_type", "/wrong", false},
	} {
		r := request(b, "GET", bc.target)
		if d := p.Decide(r, tok); d.Allow != bc.allow {
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
