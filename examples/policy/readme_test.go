package main

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/policy"
)

// Example_policyInGo is README.md's "A policy in Go" snippet: a policy built
// in Go, judged with tokens of a fake pool started outside a test.
func Example_policyInGo() {
	// README: begin
	pool, err := fakepool.New(fakepool.Config{}) // fixed, published keys: tests and demos only
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "public", Route: "/public/", Anonymous: true},
		{Name: "admin", Route: "/admin/", Requirement: policy.Requirement{
			Pools: []string{pool.PoolID()}, GroupsAny: []string{"admin"},
		}},
	}}) // the zero Default denies every other request
	if err != nil {
		log.Fatal(err)
	}
	tok, err := v.Verify(context.Background(), pool.AccessToken(fakepool.WithGroups("admin")))
	if err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{"/public/x", "/admin/users", "/elsewhere"} {
		d := p.Decide(httptest.NewRequest("GET", path, nil), tok)
		fmt.Println(path, d.Status, d.Reason, d.Rule)
	}
	// README: end
	// Output:
	// /public/x 200 ok public
	// /admin/users 200 ok admin
	// /elsewhere 403 no_rule default
}

// TestReadmePolicyInGo keeps README.md's snippet equal to Example_policyInGo.
func TestReadmePolicyInGo(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "A policy in Go")
	if !ok {
		t.Fatal(`README.md has no "A policy in Go" snippet`)
	}
	_, code, _ := strings.Cut(section, "```go\n")
	code, _, _ = strings.Cut(code, "```")
	src, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, example, _ := strings.Cut(string(src), "\t// README: begin\n")
	example, _, _ = strings.Cut(example, "\t// README: end\n")
	var b strings.Builder
	for _, l := range strings.SplitAfter(example, "\n") {
		b.WriteString(strings.TrimPrefix(l, "\t"))
	}
	if code != b.String() {
		t.Errorf("README.md's snippet:\n%s\nis not Example_policyInGo's:\n%s", code, b.String())
	}
}
