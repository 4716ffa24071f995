// Command policy shows how a cognito-gate policy decides. It loads
// policy.yaml (embedded in the program; -policy reads another file), mints
// tokens for a few users with a fake Cognito user pool on 127.0.0.1, and
// prints the decision for each of a list of requests, or, with -explain,
// every step of it:
//
//	go run ./examples/policy
//	go run ./examples/policy -explain
//	go run ./examples/policy -policy my-policy.yaml
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/policy"
)

//go:embed policy.yaml
var examplePolicy []byte

func main() {
	file := flag.String("policy", "", "policy file to load instead of the embedded policy.yaml")
	explain := flag.Bool("explain", false, "print every step of each decision")
	flag.Parse()
	if err := run(os.Stdout, *file, *explain); err != nil {
		log.Fatal(err)
	}
}

// runnerClient is the app client of the job runner, a machine-to-machine
// client.
const runnerClient = "j0b5runner0client0id00000"

// users are the example's cast: name → token options.
var users = []struct {
	name string
	opts []fakepool.TokenOption
	id   bool // an ID token rather than an access token
	m2m  bool // a client-credentials token of runnerClient
}{
	{"anonymous", nil, false, false},
	{"alice", []fakepool.TokenOption{fakepool.WithSubject("a11ce000-0000-4000-8000-000000000001"), fakepool.WithScopes("orders/read")}, false, false},
	{"alice-id", []fakepool.TokenOption{fakepool.WithSubject("a11ce000-0000-4000-8000-000000000001"), fakepool.WithClaim("custom:tenant", "acme")}, true, false},
	{"bob", []fakepool.TokenOption{fakepool.WithSubject("b0b00000-0000-4000-8000-000000000002"), fakepool.WithGroups("admin")}, false, false},
	{"carol", []fakepool.TokenOption{fakepool.WithGroups("support", "staff"), fakepool.WithScopes("orders/write")}, false, false},
	// Claims of a pre-token-generation trigger: erin administers acme.
	{"erin", []fakepool.TokenOption{fakepool.WithClaim("tenant", map[string]any{"id": "acme", "plan": "team", "seats": 25, "admins": []string{"erin"}})}, false, false},
	// frank's trigger wrote the seats as text: "25" is not a number.
	{"frank", []fakepool.TokenOption{fakepool.WithClaim("tenant", map[string]any{"id": "acme", "plan": "team", "seats": "25", "admins": []string{"frank"}})}, false, false},
	{"runner", []fakepool.TokenOption{fakepool.WithScopes("jobs/run")}, false, true},
}

// requests are what the example asks the policy about.
var requests = []struct{ method, target, user string }{
	{"GET", "/healthz", "anonymous"},
	{"GET", "/docs/guide", "anonymous"},
	{"GET", "/docs/internal/runbook", "alice"},
	{"GET", "/docs/internal/runbook", "carol"},
	{"GET", "/me", "anonymous"},
	{"GET", "/me", "alice-id"},
	{"GET", "/admin/users", "alice"},
	{"DELETE", "/admin/users/7", "bob"},
	{"GET", "/docs/../admin/users", "anonymous"},
	{"GET", "/admin%2Fusers", "bob"},
	{"GET", "/orders/42", "alice"},
	{"GET", "/orders/42", "bob"},
	{"POST", "/orders", "alice"},
	{"POST", "/orders", "bob"},
	{"PUT", "/orders/42", "carol"},
	{"GET", "/users/a11ce000-0000-4000-8000-000000000001/files/notes.txt", "alice"},
	{"GET", "/users/b0b00000-0000-4000-8000-000000000002/files/notes.txt", "alice"},
	{"GET", "/users/b0b00000-0000-4000-8000-000000000002/files/notes.txt", "carol"},
	{"PUT", "/users/b0b00000-0000-4000-8000-000000000002/files/notes.txt", "carol"},
	{"GET", "/tenants/acme/reports/q3", "alice-id"},
	{"GET", "/tenants/globex/reports/q3", "alice-id"},
	{"GET", "/tenants/acme/billing/invoices", "erin"},
	{"GET", "/tenants/acme/billing/invoices", "frank"},
	{"GET", "/tenants/globex/billing/invoices", "erin"},
	{"POST", "/jobs/nightly", "runner"},
	{"POST", "/jobs/nightly", "alice"},
	{"GET", "http://internal.example.com/dashboard", "bob"},
	{"GET", "http://internal.example.com/dashboard", "carol"},
	{"GET", "/elsewhere", "bob"},
}

// run loads the policy (file, or the embedded one when file is empty) and
// writes the decisions to out.
func run(out io.Writer, file string, explain bool) error {
	var p *policy.Policy
	var err error
	if file != "" {
		p, err = policy.Load(file)
	} else {
		p, err = policy.Parse(examplePolicy, "policy.yaml")
	}
	if err != nil {
		return err
	}
	for _, w := range p.Warnings() {
		fmt.Fprintln(out, "WARNING:", w)
	}

	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID(), runnerClient}, TokenUse: claims.AnyToken,
	}}})
	if err != nil {
		return err
	}
	defer v.Close()
	ctx := context.Background()
	tokens := map[string]*claims.Token{}
	for _, u := range users {
		if u.opts == nil {
			tokens[u.name] = nil
			continue
		}
		opts := append([]fakepool.TokenOption{fakepool.WithUsername(u.name)}, u.opts...)
		raw := pool.AccessToken(opts...)
		switch {
		case u.id:
			raw = pool.IDToken(opts...)
		case u.m2m:
			raw = pool.ClientCredentialsToken(append(u.opts, fakepool.WithClientID(runnerClient))...)
		}
		if tokens[u.name], err = v.Verify(ctx, raw); err != nil {
			return fmt.Errorf("verifying %s's token: %w", u.name, err)
		}
	}

	for _, rq := range requests {
		r := httptest.NewRequest(rq.method, rq.target, nil)
		tok := tokens[rq.user]
		if explain {
			fmt.Fprintf(out, "# as %s\n%s\n", rq.user, p.Explain(r, tok))
			continue
		}
		fmt.Fprintf(out, "%-6s %-70s as %-9s → %s\n", rq.method, rq.target, rq.user, p.Decide(r, tok))
	}
	return nil
}
