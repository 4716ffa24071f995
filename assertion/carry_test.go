package assertion_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/policy"
)

// copied are the claims the gate of these tests copies into assertions.
var copied = []string{"email", "email_verified", "custom:tenant", "cognito:roles", "cognito:preferred_role", "nested"}

// TestAssertionCarriesTheToken: what an upstream gets from the assertion
// is what the gate verified — every field the identity headers are made
// of (sub, username, groups, scopes, client id, token use, issuer) and
// the copied claims exactly as Cognito signed them — for access, ID and
// machine-to-machine tokens; only the times, jti, kid and alg are the
// assertion's own.
func TestAssertionCarriesTheToken(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{Claims: copied})
	v := g.verifier(t, nil)
	tests := []struct {
		name string
		raw  string
	}{
		{"access token", pool.AccessToken(cognitotest.WithGroups("admin", "staff"), cognitotest.WithScopes("orders/read", "openid"),
			cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("nested", map[string]any{"a": []any{1, "x\"y"}}))},
		{"access token without groups, empty scope", pool.AccessToken(cognitotest.WithScopes())},
		{"ID token", pool.IDToken(cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme"),
			cognitotest.WithClaim("cognito:roles", []string{"arn:aws:iam::123456789012:role/a"}),
			cognitotest.WithClaim("cognito:preferred_role", "arn:aws:iam::123456789012:role/a"))},
		{"ID token, email_verified a string", pool.IDToken(cognitotest.WithClaim("email_verified", "false"))},
		{"machine to machine", pool.ClientCredentialsToken(cognitotest.WithScopes("svc/read"))},
		{"username with quotes and control characters", pool.AccessToken(cognitotest.WithUsername("a\"b\\c\u0001d é"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := verified(t, tt.raw)
			out, err := v.Verify(context.Background(), g.sign(t, in, request))
			if err != nil {
				t.Fatal(err)
			}
			type identity struct {
				Use                                 claims.TokenUse
				Issuer, Subject, Username, ClientID string
				Groups, Scopes, Roles               []string
				PreferredRole, Email, OriginJTI     string
				EmailVerified                       bool
				AuthTime                            int64
				Machine                             bool
			}
			of := func(t *claims.Token) identity {
				return identity{t.Use, t.Issuer, t.Subject, t.Username, t.ClientID, t.Groups, t.Scopes, t.Roles,
					t.PreferredRole, t.Email, t.OriginJTI, t.EmailVerified, t.AuthTime.Unix(), t.IsMachine()}
			}
			if got, want := of(out), of(in); !reflect.DeepEqual(got, want) {
				t.Errorf("upstream token\n%+v\nwant the gate's\n%+v", got, want)
			}
			for _, name := range copied {
				got, gotOK := out.Claim(name)
				want, wantOK := in.Claim(name)
				if gotOK != wantOK || string(got) != string(want) {
					t.Errorf("Claim(%q) = %s, %v; the gate's %s, %v", name, got, gotOK, want, wantOK)
				}
			}
			if out.Algorithm != "ES256" || out.KeyID != g.key.ID() {
				t.Errorf("alg %q kid %q, want the assertion's", out.Algorithm, out.KeyID)
			}
			if want := start.Add(assertion.DefaultLifetime); !out.Expiry.Equal(want) || !out.IssuedAt.Equal(start) {
				t.Errorf("iat %v exp %v, want %v and %v", out.IssuedAt, out.Expiry, start, want)
			}
			if out.JTI == "" || out.JTI == in.JTI {
				t.Errorf("jti %q: want the assertion's own", out.JTI)
			}
		})
	}
}

// policyYAML is a policy with a rule of each kind that reads the token.
const policyYAML = `
default: deny
rules:
  - name: admin
    route: /admin/
    groups_any: [admin]
  - name: orders-read
    route: GET /orders/{id}
    token_use: access
    scopes_any: [orders/read]
  - name: own-files
    route: /users/{sub}/files/{path...}
    claims:
      - claim: sub
        equals: "{sub}"
  - name: tenant
    route: GET /tenants/{tenant}/reports/
    token_use: id
    claims:
      - claim: custom:tenant
        equals: "{tenant}"
      - claim: email_verified
        equals: true
  - name: pool
    route: GET /pool/
    pools: [` + cognitotest.DefaultRegion + `_` + cognitotest.DefaultPoolSuffix + `]
  - name: machines
    route: GET /m2m/
    clients: [` + cognitotest.DefaultClientID + `]
    token_use: access
`

// TestPolicyReappliedUpstream: an upstream that applies the gate's policy
// to the assertion's token decides every request as the gate decided it
// on the Cognito token.
func TestPolicyReappliedUpstream(t *testing.T) {
	p, err := policy.Parse([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g := newGate(t, assertion.SignerConfig{Claims: copied})
	v := g.verifier(t, nil)
	alice := verified(t, pool.AccessToken(cognitotest.WithGroups("admin"), cognitotest.WithScopes("orders/read")))
	tokens := map[string]*claims.Token{
		"admin access":      alice,
		"plain access":      verified(t, pool.AccessToken(cognitotest.WithUsername("bob"))),
		"id, tenant acme":   verified(t, pool.IDToken(cognitotest.WithClaim("custom:tenant", "acme"))),
		"id, not verified":  verified(t, pool.IDToken(cognitotest.WithClaim("custom:tenant", "acme"), cognitotest.WithClaim("email_verified", false))),
		"machine":           verified(t, pool.ClientCredentialsToken()),
		"access, no tenant": verified(t, pool.AccessToken(cognitotest.WithScopes())),
	}
	targets := []string{"GET /admin/x", "DELETE /admin/x", "GET /orders/1", "GET /users/" + alice.Subject + "/files/a",
		"PUT /users/someone/files/a", "GET /tenants/acme/reports/", "GET /tenants/other/reports/", "GET /pool/", "GET /m2m/", "GET /nothing"}
	allowed, denied := 0, 0
	for name, tok := range tokens {
		for _, target := range targets {
			var method, path string
			for i := range target {
				if target[i] == ' ' {
					method, path = target[:i], target[i+1:]
					break
				}
			}
			r := httptest.NewRequest(method, "http://api.example.com"+path, nil)
			up, err := v.VerifyRequest(r, g.sign(t, tok, assertion.RequestOf(r)))
			if err != nil {
				t.Fatalf("%s %s: %v", name, target, err)
			}
			want, got := p.Decide(r, tok), p.Decide(r, up)
			if got.Allow != want.Allow || got.Status != want.Status || got.Reason != want.Reason || got.Rule != want.Rule {
				t.Errorf("%s, %s: upstream %+v, gate %+v", name, target, got, want)
			}
			if want.Allow {
				allowed++
			} else {
				denied++
			}
		}
	}
	if allowed < len(tokens) || denied < len(tokens) {
		t.Errorf("%d allowed, %d denied: the table no longer tells the tokens apart", allowed, denied)
	}
}
