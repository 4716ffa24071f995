package assertion_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// FuzzVerify: whatever reaches an upstream in the assertion header, Verify
// answers without panicking, with a reason of the fixed list, and accepts
// nothing but an assertion the gate signed (mutations cannot make a
// signature), whose identity is then the gate's.
func FuzzVerify(f *testing.F) {
	g := newGate(f, assertion.SignerConfig{Claims: []string{"custom:tenant"}})
	tok := cognitoToken(f, cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme"))
	genuine := []string{g.sign(f, tok, request), g.sign(f, tok, assertion.Request{Method: "POST", Host: "h", Path: "/"})}
	for _, s := range genuine {
		f.Add(s)
		f.Add(s[:strings.LastIndexByte(s, '.')] + ".")
		f.Add(strings.Replace(s, ".", "..", 1))
	}
	f.Add("")
	f.Add("a.b.c")
	f.Add(pool.AccessToken())
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6IngiLCJ0eXAiOiJjb2duaXRvLWdhdGUtYXNzZXJ0aW9uK2p3dCJ9.e30.AAAA")
	v, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKS: g.keys.JWKS(), Now: g.clock.Now})
	if err != nil {
		f.Fatal(err)
	}
	reasons := claims.Reasons()
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := v.Verify(context.Background(), raw)
		if r := claims.ReasonOf(err); !slices.Contains(reasons, r) || r == claims.ReasonInternal {
			t.Fatalf("reason %q for %v", r, err)
		}
		if err != nil {
			return
		}
		if !slices.Contains(genuine, raw) {
			t.Fatalf("accepted an assertion the gate never signed: %q", raw)
		}
		if got.Subject != tok.Subject || !slices.Equal(got.Groups, tok.Groups) {
			t.Fatalf("identity %+v, want the gate's", got)
		}
	})
}

// FuzzJWKS: a key set document, fetched or configured, is read without
// panicking, and a Verifier is made of it only when every entry is an EC
// P-256 public key for ES256 signatures.
func FuzzJWKS(f *testing.F) {
	g := newGate(f, assertion.SignerConfig{})
	jwk := string(g.key.JWK())
	for _, s := range []string{
		string(g.keys.JWKS()),
		`{"keys":[` + jwk + `,` + jwk + `]}`,
		`{"keys":[]}`, `{"keys":{}}`, `{}`, `[]`, ``, `{"keys":[{"kty":"EC"}]}`,
		string(pool.JWKS()),
		`{"keys":[` + strings.Replace(jwk, `"crv":"P-256"`, `"crv":"P-384"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(jwk, `"kty":"EC"`, `"kty":"EC","d":"AAAA"`, 1) + `]}`,
	} {
		f.Add([]byte(s))
	}
	raw := g.sign(f, cognitoToken(f), request)
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: gateIssuer, Audience: audience, JWKS: doc, Now: g.clock.Now})
		if err != nil {
			return
		}
		defer v.Close()
		// A usable set verifies the genuine assertion, or finds no key for
		// its kid, or a key under it that did not sign it: nothing else.
		_, err = v.Verify(context.Background(), raw)
		if r := claims.ReasonOf(err); r != claims.ReasonOK && r != claims.ReasonUnknownKID && r != claims.ReasonBadSignature {
			t.Fatalf("reason %s (%v) from a key set NewVerifier accepted", r, err)
		}
	})
}
