package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// otherClient is a second app client of the clients fixture's pool.
const otherClient = "2nd0gatetest0client0id1234"

// clientsFixture is a fake pool and a verifier that accepts the tokens
// of two of its app clients, access, ID and machine-to-machine.
type clientsFixture struct {
	pool *cognitotest.Pool
	v    *claims.Verifier
}

func newClientsFixture(t *testing.T) *clientsFixture {
	t.Helper()
	pool, err := cognitotest.Start(cognitotest.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
			ClientIDs: []string{pool.ClientID(), otherClient}, TokenUse: claims.AnyToken,
		}},
		Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return &clientsFixture{pool: pool, v: v}
}

func (f *clientsFixture) verify(t *testing.T, raw string) *claims.Token {
	t.Helper()
	tok, err := f.v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return tok
}

// TestDecideClients checks clients: the token's app client (client_id of
// access tokens, machine-to-machine ones included; aud of ID tokens) must
// be listed, or the rule denies with claim_denied (403).
func TestDecideClients(t *testing.T) {
	f := newClientsFixture(t)
	mine := f.pool.ClientID()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "mine", Route: "/mine", Requirement: policy.Requirement{Clients: []string{mine}}},
		{Name: "m2m", Route: "POST /jobs", Requirement: policy.Requirement{
			Clients: []string{otherClient}, TokenUse: claims.AccessToken, ScopesAll: []string{"jobs/run"},
		}},
		{Name: "either", Route: "/either", AnyOf: []policy.Requirement{
			{Clients: []string{otherClient}},
			{GroupsAny: []string{"admin"}},
		}},
		{Name: "pool-first", Route: "/pool-first", Requirement: policy.Requirement{
			Pools: []string{"eu-west-1_Other1"}, Clients: []string{otherClient},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	m2m := func(client string, scopes ...string) *claims.Token {
		return f.verify(t, f.pool.ClientCredentialsToken(cognitotest.WithClientID(client), cognitotest.WithScopes(scopes...)))
	}
	for _, tc := range []struct {
		name, method, path string
		tok                *claims.Token
		reason             claims.Reason
	}{
		{"access token of the client", "GET", "/mine", f.verify(t, f.pool.AccessToken()), claims.ReasonOK},
		{"ID token of the client (aud)", "GET", "/mine", f.verify(t, f.pool.IDToken()), claims.ReasonOK},
		{"M2M token of the client", "GET", "/mine", m2m(mine, "jobs/run"), claims.ReasonOK},
		{"access token of another client", "GET", "/mine", f.verify(t, f.pool.AccessToken(cognitotest.WithClientID(otherClient))), claims.ReasonClaimDenied},
		{"ID token of another client", "GET", "/mine", f.verify(t, f.pool.IDToken(cognitotest.WithClientID(otherClient))), claims.ReasonClaimDenied},
		{"M2M token of another client", "GET", "/mine", m2m(otherClient, "jobs/run"), claims.ReasonClaimDenied},
		{"no token", "GET", "/mine", nil, claims.ReasonMissingToken},
		{"M2M job runner", "POST", "/jobs", m2m(otherClient, "jobs/run"), claims.ReasonOK},
		{"M2M job runner without the scope", "POST", "/jobs", m2m(otherClient, "jobs/read"), claims.ReasonInsufficientScope},
		// The client is checked before token_use and scopes: a token of
		// another client learns nothing about them.
		{"M2M token of the wrong client", "POST", "/jobs", m2m(mine, "jobs/read"), claims.ReasonClaimDenied},
		{"ID token of the wrong client", "POST", "/jobs", f.verify(t, f.pool.IDToken()), claims.ReasonClaimDenied},
		{"ID token of the right client", "POST", "/jobs", f.verify(t, f.pool.IDToken(cognitotest.WithClientID(otherClient))), claims.ReasonWrongTokenUse},
		{"alternative: the client", "GET", "/either", m2m(otherClient), claims.ReasonOK},
		{"alternative: the group", "GET", "/either", f.verify(t, f.pool.AccessToken(cognitotest.WithGroups("admin"))), claims.ReasonOK},
		{"neither alternative", "GET", "/either", f.verify(t, f.pool.AccessToken()), claims.ReasonClaimDenied},
		{"pool before client", "GET", "/pool-first", m2m(otherClient), claims.ReasonClaimDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(t, tc.method, tc.path)
			d := p.Decide(r, tc.tok)
			if d.Reason != tc.reason || d.Status != tc.reason.Status() {
				t.Errorf("Decide = %v; want %s\n%s", d, tc.reason, p.Explain(r, tc.tok))
			}
		})
	}

	ex := p.Explain(request(t, "POST", "/jobs"), m2m(mine, "jobs/read"))
	var names []string
	for _, c := range ex.Matches[0].Checks {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, " "), "token clients token_use scopes_all"; got != want {
		t.Errorf("checks %s; want %s", got, want)
	}
	if s := ex.String(); !strings.Contains(s, "FAIL   clients: want ["+otherClient+"]; got "+mine) {
		t.Errorf("Explain:\n%s", s)
	}
	ex = p.Explain(request(t, "GET", "/pool-first"), m2m(otherClient))
	if c := ex.Matches[0].Checks; len(c) != 3 || c[1].Name != "pools" || c[2].Name != "clients" || !c[2].OK {
		t.Errorf("pool-first checks %+v; want token, pools, clients (ok)", c)
	}
}

func TestClientsErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		clients    []string
		field, msg string
	}{
		{"empty list", []string{}, "rules[0].clients", "empty list; want at least one app client id"},
		{"empty id", []string{""}, "rules[0].clients[0]", "want 1 to 128 characters"},
		{"long id", []string{strings.Repeat("a", 129)}, "rules[0].clients[0]", "want 1 to 128 characters"},
		{"whitespace", []string{"abc def"}, "rules[0].clients[0]", "whitespace"},
		{"padded", []string{"abc "}, "rules[0].clients[0]", "whitespace"},
		{"control character", []string{"abc\x00"}, "rules[0].clients[0]", "control character"},
		{"twice", []string{"abc", "abc"}, "rules[0].clients[1]", "listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r", Requirement: policy.Requirement{Clients: tc.clients}}}})
			le := firstLoadError(t, err, policy.ErrConfig)
			if le.Field != tc.field || !strings.Contains(le.Msg, tc.msg) {
				t.Errorf("error %v; want field %s and %q", err, tc.field, tc.msg)
			}
		})
	}
	_, err := policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r", Anonymous: true, Requirement: policy.Requirement{Clients: []string{"a"}}}}})
	if le := firstLoadError(t, err, policy.ErrConfig); le.Field != "rules[0].anonymous" {
		t.Errorf("anonymous with clients: %v", err)
	}
	_, err = policy.New(policy.Config{Rules: []policy.Rule{{Name: "r", Route: "/r", AnyOf: []policy.Requirement{{Clients: []string{"a"}}, {}}}}})
	if le := firstLoadError(t, err, policy.ErrConfig); le.Field != "rules[0].any_of[1]" {
		t.Errorf("an empty alternative beside clients: %v", err)
	}
}
