package policy_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// The policy judges a request with the token the middleware verified, or
// nil when the request carried none.
func Example() {
	// A fake user pool, and a verifier for its access tokens.
	pool, err := cognitotest.Start(cognitotest.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "health", Route: "GET /healthz", Anonymous: true},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "orders-write", Route: "POST /orders", Requirement: policy.Requirement{ScopesAll: []string{"orders/write"}}},
		{Name: "own-files", Route: "/users/{sub}/files/{path...}", Requirement: policy.Requirement{
			Claims: []policy.Condition{{Claim: "sub", Op: policy.OpEquals, Value: "{sub}"}},
		}},
	}})
	if err != nil {
		panic(err)
	}

	verify := func(raw string) *claims.Token {
		tok, err := v.Verify(context.Background(), raw)
		if err != nil {
			panic(err)
		}
		return tok
	}
	alice := verify(pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithSubject("a11ce"), cognitotest.WithScopes("orders/read")))
	admin := verify(pool.AccessToken(cognitotest.WithUsername("bob"), cognitotest.WithGroups("admin")))

	for _, c := range []struct {
		method, target string
		tok            *claims.Token
	}{
		{"GET", "/healthz", nil},
		{"GET", "/admin/users", nil},
		{"GET", "/admin/users", alice},
		{"GET", "/docs/../admin/users", admin},
		{"POST", "/orders", alice},
		{"GET", "/users/a11ce/files/notes.txt", alice},
		{"GET", "/users/b0b/files/notes.txt", alice},
		{"GET", "/admin%2Fusers", admin},
		{"GET", "/elsewhere", alice},
	} {
		d := p.Decide(httptest.NewRequest(c.method, c.target, nil), c.tok)
		fmt.Println(c.method, c.target, "→", d)
	}
	// Output:
	// GET /healthz → allow 200 ok rule=health path=/healthz
	// GET /admin/users → deny 401 missing_token rule=admin path=/admin/users
	// GET /admin/users → deny 403 group_denied rule=admin path=/admin/users
	// GET /docs/../admin/users → allow 200 ok rule=admin path=/admin/users
	// POST /orders → deny 403 insufficient_scope rule=orders-write path=/orders scopes=orders/write
	// GET /users/a11ce/files/notes.txt → allow 200 ok rule=own-files path=/users/a11ce/files/notes.txt
	// GET /users/b0b/files/notes.txt → deny 403 claim_denied rule=own-files path=/users/b0b/files/notes.txt
	// GET /admin%2Fusers → deny 400 non_canonical_path rule=non_canonical path=/admin%2Fusers
	// GET /elsewhere → deny 403 no_rule rule=default path=/elsewhere
}

// Errors name the file, the line and the field, and say what was expected.
func ExampleParse() {
	_, err := policy.Parse([]byte(`
rules:
  - name: admin
    route: /admin/
    groups_any: []
  - name: own-files
    route: /users/{sub}/files/
    claims:
      - claim: sub
        equals: "{user}"
`), "gate.yaml")
	fmt.Println(err)
	// Output:
	// gate.yaml:5: rules[0].groups_any: empty list; want at least one group name
	// gate.yaml:10: rules[1].claims[0].equals: {user}: pattern "/users/{sub}/files/" defines no wildcard user; it defines sub
}

// Claim paths reach into the JSON objects and arrays that
// pre-token-generation triggers put into tokens; a name with a dot is
// written in brackets.
func ExampleParseClaimPath() {
	pool, v, stop := startPool()
	defer stop()
	tok, err := v.Verify(context.Background(), pool.AccessToken(
		cognitotest.WithClaim("tenant", map[string]any{"id": "acme", "regions": []string{"eu", "us"}}),
		cognitotest.WithClaim("custom:org.unit", "sales"),
	))
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"tenant.id", "tenant.regions[1]", `["custom:org.unit"]`, `tenant["id"]`, "tenant.plan", "custom:org.unit"} {
		p, err := policy.ParseClaimPath(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		raw, found := p.Lookup(tok)
		fmt.Printf("%s → %s %v\n", p, raw, found)
	}
	// Output:
	// tenant.id → "acme" true
	// tenant.regions[1] → "us" true
	// ["custom:org.unit"] → "sales" true
	// tenant.id → "acme" true
	// tenant.plan →  false
	// policy: bad claim path "custom:org.unit" at byte 0: a custom: or dev: user attribute is a string whose name may contain dots; write ["custom:org.unit"] for the attribute named "custom:org.unit", or ["custom:org"].unit to reach into an object a trigger put under custom:org
}

// Conditions compare typed values: the number 1, the string "1" and true
// are three values, and nothing is converted to match.
func ExampleCondition() {
	pool, v, stop := startPool()
	defer stop()
	p, err := policy.Parse([]byte(`
rules:
  - name: pro
    route: /pro/
    claims:
      - {claim: tenant.tier, gte: 2}
      - {claim: tenant.plan, in: [team, enterprise]}
`), "policy.yaml")
	if err != nil {
		panic(err)
	}
	for _, tier := range []any{3, "3", true, 1} {
		tok, err := v.Verify(context.Background(), pool.AccessToken(cognitotest.WithClaim("tenant", map[string]any{"tier": tier, "plan": "team"})))
		if err != nil {
			panic(err)
		}
		d := p.Decide(httptest.NewRequest("GET", "/pro/x", nil), tok)
		fmt.Printf("tier %#v: %d %s\n", tier, d.Status, d.Reason)
	}
	// Output:
	// tier 3: 200 ok
	// tier "3": 403 claim_denied
	// tier true: 403 claim_denied
	// tier 1: 403 claim_denied
}

// startPool starts a fake user pool and a verifier for its access tokens,
// as Example does, and returns them with a function that stops both.
func startPool() (*cognitotest.Pool, *claims.Verifier, func()) {
	pool, err := cognitotest.Start(cognitotest.Config{})
	if err != nil {
		panic(err)
	}
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		panic(err)
	}
	return pool, v, func() { v.Close(); pool.Close() }
}
