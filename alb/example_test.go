package alb_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// A verifier for the load balancers of one listener rule, tried against a
// fake load balancer: its data tokens verify, a token naming another load
// balancer or a kid that is not a UUID does not (and makes no request).
func ExampleVerifier() {
	lb, err := fakealb.New(fakealb.Config{})
	if err != nil {
		panic(err)
	}
	defer lb.Close()
	v, err := alb.New(alb.Config{
		Region:    lb.Region(), // "us-east-1"
		KeyURL:    lb.KeyURL(), // in production: empty, the region's endpoint
		AllowHTTP: true,        // the fake's endpoint is plain http on 127.0.0.1
		Issuer:    lb.Issuer(),
		Signers:   []string{lb.Signer()},
		ClientIDs: []string{lb.ClientID()},
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	ctx := context.Background()

	h := lb.Headers("", fakealb.WithUsername("bob"), fakealb.WithSubject("0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10"))
	tok, err := v.VerifyData(ctx, h.Get(alb.DataHeader))
	if err != nil {
		panic(err)
	}
	fmt.Println("user:", tok.Username, tok.Subject)
	fmt.Println("signer:", tok.Signer)
	fmt.Println("as a claims token:", tok.ClaimsToken().Use)

	_, err = v.VerifyData(ctx, lb.Data(fakealb.WithSigner("arn:aws:elasticloadbalancing:us-east-1:210987654321:loadbalancer/app/theirs/0123456789abcdef")))
	fmt.Println("another load balancer:", claims.ReasonOf(err))
	_, err = v.VerifyData(ctx, lb.Data(fakealb.WithDERSignature()))
	fmt.Println("DER signature:", claims.ReasonOf(err))
	_, err = v.VerifyData(ctx, lb.Data(fakealb.WithHeader("kid", "../../admin")))
	fmt.Println("kid ../../admin:", claims.ReasonOf(err))
	fmt.Println("key fetches:", lb.Fetches())
	// Output:
	// user: bob 0d9e1c6a-4b1f-4a43-9d6e-1f5e0c2b7a10
	// signer: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/gate-test/50dc6c495c0c9188
	// as a claims token: alb_data
	// another load balancer: wrong_signer
	// DER signature: bad_signature
	// kid ../../admin: malformed
	// key fetches: 1
}

// The three headers of a request a load balancer forwards: the data token
// (verified here), the access token (verified by package claims: it has
// the user's groups and scopes, and is what a policy judges) and the
// identity must name one user of one app client.
func ExampleVerifier_VerifyHeaders() {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	lb, err := fakealb.New(fakealb.Config{}) // the same issuer and app client as pool's
	if err != nil {
		panic(err)
	}
	defer lb.Close()
	access, err := claims.New(claims.Config{Pools: []claims.Pool{{
		UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
	}}})
	if err != nil {
		panic(err)
	}
	defer access.Close()
	v, err := alb.New(alb.Config{
		Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
		Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()},
	})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	judge := func(h http.Header) string {
		data, tok, err := v.VerifyHeaders(context.Background(), h, access)
		if err != nil {
			return string(claims.ReasonOf(err))
		}
		return fmt.Sprintf("%s (%s), groups %v", tok.Username, data.Email, tok.Groups)
	}
	bob := pool.AccessToken(fakepool.WithUsername("bob"), fakepool.WithGroups("admin"))
	fmt.Println("as sent:", judge(lb.Headers(bob)))

	spliced := lb.Headers(pool.AccessToken(fakepool.WithUsername("mallory")))
	spliced.Set(alb.AccessTokenHeader, bob)
	fmt.Println("mallory's data, bob's access token:", judge(spliced))
	fmt.Println("no headers:", judge(http.Header{}))
	// Output:
	// as sent: bob (bob@example.com), groups [admin]
	// mallory's data, bob's access token: identity_mismatch
	// no headers: missing_token
}
