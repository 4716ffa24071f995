package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
)

// FuzzAssertionForwardAuth feeds the forward-auth path of the assertion
// what a client can choose there — the method, URI and host the proxy
// copies from its request — and checks what the gate would answer: the
// rebuilt original request is either refused (a bad request) or signed,
// or refused by the signer (500); and every assertion signed is accepted
// by an upstream for exactly that request (the proxy sends the upstream
// the method, URI and Host it described) and refused for another path
// or method, whatever the bytes: the gate's view of the request and the
// upstream's binding never part.
func FuzzAssertionForwardAuth(f *testing.F) {
	f.Add("GET", "/admin/x?a=1", "api.example.com")
	f.Add("DELETE", "/a%2Fb/%7e?x#y", "API.Example.COM:8443")
	f.Add("GET", "/", "[::1]:80")
	f.Add("PATCH", "/caf%C3%A9/\u00e9", "xn--caf-dma.example")
	f.Add("GET", "/a;b/../c", "h")
	f.Add("GET", "/"+strings.Repeat("a", 3000), "h")
	f.Add("M\u00e9thode", "/x", "h")

	key, err := assertion.GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	ks, err := assertion.NewKeySet(assertion.KeySetConfig{}, key)
	if err != nil {
		f.Fatal(err)
	}
	signer, err := assertion.NewSigner(assertion.SignerConfig{Issuer: testAssertionIssuer, Audience: testAssertionAudience, Keys: ks, MaxBytes: 2048})
	if err != nil {
		f.Fatal(err)
	}
	v, err := assertion.NewVerifier(assertion.VerifierConfig{Issuer: testAssertionIssuer, Audience: testAssertionAudience, JWKS: ks.JWKS()})
	if err != nil {
		f.Fatal(err)
	}
	tok, err := claims.NewToken(claims.Token{Issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Fuzz1", Subject: "sub-1", Use: claims.AccessToken, ClientID: "c"}, []byte(`{"sub":"sub-1"}`))
	if err != nil {
		f.Fatal(err)
	}
	g := &gate{cfg: &gateConfig{assertion: &assertionSetup{header: defaultAssertionHeader}}, assert: &gateAssertion{header: defaultAssertionHeader, signer: signer, keys: ks}}
	fa := forwardAuthConfig{Mode: modeHeaders, MethodHeader: "X-Forwarded-Method", URIHeader: "X-Forwarded-Uri", HostHeader: "X-Forwarded-Host"}

	f.Fuzz(func(t *testing.T, method, uri, host string) {
		sub := httptest.NewRequest("GET", "/auth", nil)
		sub.Header["X-Forwarded-Method"] = []string{method}
		sub.Header["X-Forwarded-Uri"] = []string{uri}
		sub.Header["X-Forwarded-Host"] = []string{host}
		orig, err := originalRequest(sub, fa)
		if err != nil {
			return // refused before it is judged (see FuzzOriginalRequest)
		}
		raw, err := g.assertionFor(orig, tok)
		if err != nil {
			if !errors.Is(err, assertion.ErrSign) {
				t.Fatalf("Sign: %v does not match ErrSign", err)
			}
			return
		}
		// The request the upstream receives from the proxy.
		upstreamReq := func(method, target string) *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Method, r.Host = method, host
			if u, err := url.ParseRequestURI(target); err == nil {
				r.URL = u
			}
			return r
		}
		if _, err := v.VerifyRequest(upstreamReq(method, uri), raw); err != nil {
			t.Fatalf("the upstream refuses the assertion of %s %q (Host %q): %v", method, uri, host, err)
		}
		if _, err := v.VerifyRequest(upstreamReq(method, orig.URL.EscapedPath()+"x"), raw); err == nil {
			t.Fatalf("the assertion of %q is accepted for another path", uri)
		}
		if other := "X" + method; validHeaderName(other) {
			if _, err := v.VerifyRequest(upstreamReq(other, uri), raw); err == nil {
				t.Fatalf("the assertion of %s is accepted for %s", method, other)
			}
		}
	})
}
