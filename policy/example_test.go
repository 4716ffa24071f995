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
