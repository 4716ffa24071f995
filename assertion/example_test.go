package assertion_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// The gate mints an assertion for a request it allowed; the upstream
// verifies it with the gate's key set (fetched from where the gate
// serves it) behind the middleware, with the assertion as its token, and
// checks that it was minted for the request it came with. It runs
// offline: a fake user pool, and servers on 127.0.0.1.
func Example() {
	pool, err := cognitotest.Start(cognitotest.Config{PoolID: "us-east-1_Example1"})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	cognito, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		log.Fatal(err)
	}
	defer cognito.Close()

	// The gate: a key (a fleet loads it from a file: LoadKeyFile), its
	// key set served as the admin listener serves it, and the Signer.
	key, err := assertion.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := assertion.NewKeySet(assertion.KeySetConfig{}, key)
	if err != nil {
		log.Fatal(err)
	}
	admin := httptest.NewServer(keys)
	defer admin.Close()
	signer, err := assertion.NewSigner(assertion.SignerConfig{
		Issuer: "https://gate.example.com", Audience: "orders", Keys: keys, Claims: []string{"custom:tenant"},
	})
	if err != nil {
		log.Fatal(err)
	}

	// The upstream: the gate's assertion instead of a Cognito token.
	verifier, err := assertion.NewVerifier(assertion.VerifierConfig{
		Issuer: "https://gate.example.com", Audience: "orders",
		JWKSURL: admin.URL + "/.well-known/jwks.json", AllowHTTP: true, // 127.0.0.1 only
	})
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()
	mw, err := middleware.New(middleware.Config{
		Verifier:     verifier,
		TokenSources: []middleware.TokenSource{middleware.Header("X-Auth-Assertion")},
	})
	if err != nil {
		log.Fatal(err)
	}
	upstream := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := claims.FromContext(r.Context())
		if err := verifier.CheckRequest(r, tok); err != nil {
			http.Error(w, string(claims.ReasonOf(err)), http.StatusUnauthorized)
			return
		}
		tenant, _ := tok.Custom("tenant")
		fmt.Fprintln(w, tok.Username, tok.Groups, tenant, tok.Issuer)
	}))

	// The gate verified alice's token and its policy allowed GET
	// /orders/42: it forwards the request with the assertion.
	tok, err := cognito.Verify(context.Background(), pool.AccessToken(
		cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin"), cognitotest.WithClaim("custom:tenant", "acme")))
	if err != nil {
		log.Fatal(err)
	}
	allowed := httptest.NewRequest(http.MethodGet, "http://api.example.com/orders/42", nil)
	raw, err := signer.Sign(tok, assertion.RequestOf(allowed))
	if err != nil {
		log.Fatal(err)
	}
	send := func(method, path, header string) {
		r := httptest.NewRequest(method, "http://api.example.com"+path, nil)
		if header != "" {
			r.Header.Set("X-Auth-Assertion", header)
		}
		w := httptest.NewRecorder()
		upstream.ServeHTTP(w, r)
		fmt.Printf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	send("GET", "/orders/42", raw)
	send("DELETE", "/orders/42", raw) // the same assertion, another request
	send("GET", "/orders/42", "")     // a client that reached the upstream directly
	// Output:
	// GET /orders/42: 200 alice [admin] acme https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1
	// DELETE /orders/42: 401 identity_mismatch
	// GET /orders/42: 401 {"error":"unauthorized","reason":"missing_token"}
}
