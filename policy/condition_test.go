package policy_test

import (
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// conditionRule is a rule with a single condition on route.
func conditionRule(name, route, claim string, op policy.Op, value any) policy.Rule {
	return policy.Rule{Name: name, Route: route, Requirement: policy.Requirement{
		Claims: []policy.Condition{{Claim: claim, Op: op, Value: value}},
	}}
}

func TestConditions(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		conditionRule("eq", "/eq", "custom:tenant", policy.OpEquals, "acme"),
		conditionRule("ne", "/ne", "custom:tenant", policy.OpNotEquals, "acme"),
		conditionRule("contains-string", "/contains-string", "email", policy.OpContains, "@example.com"),
		conditionRule("starts", "/starts", "username", policy.OpStartsWith, "al"),
		conditionRule("groups", "/groups", "cognito:groups", policy.OpContains, "admin"),
		conditionRule("scope", "/scope", "scope", policy.OpContains, "orders/read"),
		conditionRule("raw-array", "/raw-array", "teams", policy.OpContains, "blue"),
		conditionRule("raw-array-equals", "/raw-array-equals", "teams", policy.OpEquals, "blue"),
		conditionRule("raw-number", "/raw-number", "level", policy.OpEquals, 3),
		conditionRule("raw-number-text", "/raw-number-text", "level", policy.OpEquals, "3"),
		conditionRule("raw-bool", "/raw-bool", "email_verified", policy.OpEquals, true),
		conditionRule("raw-object", "/raw-object", "address", policy.OpEquals, "x"),
		conditionRule("raw-null", "/raw-null", "custom:null", policy.OpNotEquals, "x"),
		conditionRule("claim-ref", "/claim-ref", "custom:owner", policy.OpEquals, "{claim:sub}"),
		conditionRule("claim-ref-missing", "/claim-ref-missing", "sub", policy.OpEquals, "{claim:custom:none}"),
		conditionRule("template", "/t/{a}/{rest...}", "custom:path", policy.OpEquals, "{a}/{{{rest}}}"),
		conditionRule("empty-var", "/e/{rest...}", "custom:path", policy.OpEquals, "{rest}"),
		conditionRule("path-var-elements", "/teams/{team}/", "teams", policy.OpContains, "{team}"),
		conditionRule("client", "/client", "client_id", policy.OpEquals, cognitotest.DefaultClientID),
		conditionRule("token-use", "/token-use", "token_use", policy.OpEquals, "id"),
		conditionRule("cognito-username", "/cognito-username", "cognito:username", policy.OpEquals, "alice"),
		conditionRule("escaped-string", "/escaped", "custom:quote", policy.OpEquals, `a"b/é`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	alice := []cognitotest.TokenOption{cognitotest.WithUsername("alice"), cognitotest.WithSubject(subAlice)}
	access := func(opts ...cognitotest.TokenOption) *claims.Token { return f.access(t, append(alice, opts...)...) }
	id := func(opts ...cognitotest.TokenOption) *claims.Token { return f.id(t, append(alice, opts...)...) }
	for _, tc := range []struct {
		name string
		path string
		tok  *claims.Token
		want bool
	}{
		{"equals", "/eq", access(cognitotest.WithClaim("custom:tenant", "acme")), true},
		{"equals, other value", "/eq", access(cognitotest.WithClaim("custom:tenant", "acme2")), false},
		{"equals, missing", "/eq", access(), false},
		{"equals is case-sensitive", "/eq", access(cognitotest.WithClaim("custom:tenant", "ACME")), false},
		{"not_equals", "/ne", access(cognitotest.WithClaim("custom:tenant", "globex")), true},
		{"not_equals, same value", "/ne", access(cognitotest.WithClaim("custom:tenant", "acme")), false},
		{"not_equals, missing claim fails", "/ne", access(), false},
		{"not_equals, empty claim fails", "/ne", access(cognitotest.WithClaim("custom:tenant", "")), false},
		{"contains in a string", "/contains-string", id(), true},
		{"contains, claim missing (access tokens have no email)", "/contains-string", access(), false},
		{"starts_with", "/starts", access(), true},
		{"starts_with, other user", "/starts", f.access(t, cognitotest.WithUsername("bob")), false},
		{"groups contains", "/groups", access(cognitotest.WithGroups("users", "admin")), true},
		{"groups contains, not a member", "/groups", access(cognitotest.WithGroups("users")), false},
		{"groups contains, no groups", "/groups", access(), false},
		{"scope contains", "/scope", access(cognitotest.WithScopes("openid", "orders/read")), true},
		{"scope contains, ID token", "/scope", id(), false},
		{"raw array contains", "/raw-array", access(cognitotest.WithClaim("teams", []string{"red", "blue"})), true},
		{"raw array lacks", "/raw-array", access(cognitotest.WithClaim("teams", []string{"red"})), false},
		{"raw array with numbers", "/raw-array", access(cognitotest.WithClaim("teams", []any{1, "blue"})), true},
		{"raw array equals fails", "/raw-array-equals", access(cognitotest.WithClaim("teams", []string{"blue"})), false},
		{"raw string contains", "/raw-array", access(cognitotest.WithClaim("teams", "light-blue")), true},
		{"raw number", "/raw-number", access(cognitotest.WithClaim("level", 3)), true},
		// Values are typed: the number 3 and the string "3" are different
		// values (until values were typed, both matched both).
		{"raw number, string", "/raw-number", access(cognitotest.WithClaim("level", "3")), false},
		{"raw number, other", "/raw-number", access(cognitotest.WithClaim("level", 30)), false},
		{"raw string of digits", "/raw-number-text", access(cognitotest.WithClaim("level", "3")), true},
		{"raw string of digits, number", "/raw-number-text", access(cognitotest.WithClaim("level", 3)), false},
		{"raw bool", "/raw-bool", id(), true},
		{"raw bool false", "/raw-bool", id(cognitotest.WithClaim("email_verified", false)), false},
		{"email_verified as Cognito writes it for some federated users", "/raw-bool", id(cognitotest.WithClaim("email_verified", "true")), true},
		{"email_verified false as a string", "/raw-bool", id(cognitotest.WithClaim("email_verified", "false")), false},
		{"email_verified missing", "/raw-bool", id(cognitotest.WithoutClaim("email_verified")), false},
		{"raw object fails", "/raw-object", access(cognitotest.WithClaim("address", map[string]string{"x": "x"})), false},
		{"raw null fails not_equals", "/raw-null", access(cognitotest.WithClaim("custom:null", nil)), false},
		{"claim reference", "/claim-ref", access(cognitotest.WithClaim("custom:owner", subAlice)), true},
		{"claim reference, other", "/claim-ref", access(cognitotest.WithClaim("custom:owner", subBob)), false},
		{"claim reference to a missing claim", "/claim-ref-missing", access(), false},
		{"template of parts", "/t/docs/a/b", access(cognitotest.WithClaim("custom:path", "docs/{a/b}")), true},
		{"template of parts, other", "/t/docs/a/b", access(cognitotest.WithClaim("custom:path", "docs/{a}")), false},
		{"template of parts, longer claim", "/t/docs/a/b", access(cognitotest.WithClaim("custom:path", "docs/{a/b}/more")), false},
		{"template with an escaped wildcard", "/t/d%20s/x", access(cognitotest.WithClaim("custom:path", "d s/{x}")), true},
		// contains with a path wildcard tests array elements only: the
		// client chooses the needle (review finding R10).
		{"path wildcard, an element", "/teams/blue/", access(cognitotest.WithClaim("teams", []string{"red", "blue"})), true},
		{"path wildcard, part of an element", "/teams/blu/", access(cognitotest.WithClaim("teams", []string{"red", "blue"})), false},
		{"path wildcard, a string claim is never searched", "/teams/blu/", access(cognitotest.WithClaim("teams", "blue")), false},
		{"path wildcard, a string claim equal to it", "/teams/blue/", access(cognitotest.WithClaim("teams", "blue")), false},
		{"empty variable fails", "/e/", access(cognitotest.WithClaim("custom:path", "anything")), false},
		{"client_id", "/client", access(), true},
		{"client_id of an ID token (aud)", "/client", id(), true},
		{"token_use", "/token-use", id(), true},
		{"token_use, access", "/token-use", access(), false},
		{"cognito:username of an ID token", "/cognito-username", id(), true},
		{"cognito:username of an access token", "/cognito-username", access(), true},
		{"JSON escapes are decoded", "/escaped", access(cognitotest.WithClaim("custom:quote", `a"b/é`)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, "GET", tc.path)
			d := p.Decide(r, tc.tok)
			if d.Allow != tc.want {
				t.Errorf("Decide = %v; want allow=%v\n%s", d, tc.want, p.Explain(r, tc.tok))
			}
			if !d.Allow && d.Reason != claims.ReasonClaimDenied {
				t.Errorf("reason %s; want claim_denied", d.Reason)
			}
		})
	}
}

// TestRequirementOrder checks which failure is reported when several do.
func TestRequirementOrder(t *testing.T) {
	f := newFixture(t)
	p, err := policy.New(policy.Config{Rules: []policy.Rule{{
		Name:  "all",
		Route: "/all",
		Requirement: policy.Requirement{
			TokenUse:  claims.AccessToken,
			ScopesAny: []string{"a", "b"},
			ScopesAll: []string{"c", "d"},
			GroupsAny: []string{"g"},
			GroupsAll: []string{"h", "i"},
			Claims:    []policy.Condition{{Claim: "username", Op: policy.OpEquals, Value: "alice"}},
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		tok    *claims.Token
		reason claims.Reason
		scopes []string
	}{
		{"ID token", f.id(t), claims.ReasonWrongTokenUse, nil},
		{"no scope", f.access(t), claims.ReasonInsufficientScope, []string{"a", "b"}},
		{"some scopes", f.access(t, cognitotest.WithScopes("b", "d")), claims.ReasonInsufficientScope, []string{"c"}},
		{"no group", f.access(t, cognitotest.WithScopes("a", "c", "d")), claims.ReasonGroupDenied, nil},
		{"some groups", f.access(t, cognitotest.WithScopes("a", "c", "d"), cognitotest.WithGroups("g", "h")), claims.ReasonGroupDenied, nil},
		{"claim", f.access(t, cognitotest.WithScopes("a", "c", "d"), cognitotest.WithGroups("g", "h", "i"), cognitotest.WithUsername("bob")), claims.ReasonClaimDenied, nil},
		{"all", f.access(t, cognitotest.WithScopes("a", "c", "d"), cognitotest.WithGroups("g", "h", "i")), claims.ReasonOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, "GET", "/all")
			d := p.Decide(r, tc.tok)
			if d.Reason != tc.reason || len(d.Scopes) != len(tc.scopes) {
				t.Errorf("Decide = %v; want %s scopes %v", d, tc.reason, tc.scopes)
			}
			for i := range tc.scopes {
				if d.Scopes[i] != tc.scopes[i] {
					t.Errorf("scopes %v; want %v", d.Scopes, tc.scopes)
				}
			}
			ex := p.Explain(r, tc.tok)
			if n := len(ex.Matches[0].Checks); n != 7 { // token, token_use, 2 scopes, 2 groups, 1 claim
				t.Errorf("Explain recorded %d checks; want 7 (all, even after a failure)\n%s", n, ex)
			}
		})
	}
}
