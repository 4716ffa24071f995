package claims_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// A Verifier for one user pool, checked against a fake pool on 127.0.0.1.
// Against a real pool, set UserPoolID and ClientIDs and leave JWKSURL and
// AllowHTTP out.
func ExampleVerifier_Verify() {
	pool, err := cognitotest.Start(cognitotest.Config{PoolID: "us-east-1_Example1"})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(),
			JWKSURL:    pool.JWKSURL(), // the fake pool serves its keys locally
			AllowHTTP:  true,
			ClientIDs:  []string{pool.ClientID()},
			TokenUse:   claims.AccessToken,
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if err := v.Hydrate(ctx); err != nil {
		log.Fatal(err)
	}

	tok, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithUsername("alice"), cognitotest.WithGroups("admin")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Use, tok.Username, tok.Groups, tok.Issuer)

	_, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuedAt(time.Now().Add(-2*time.Hour))))
	fmt.Println(claims.ReasonOf(err), claims.ReasonOf(err).Status())

	_, err = v.Verify(ctx, pool.IDToken())
	fmt.Println(claims.ReasonOf(err))
	// Output:
	// access alice [admin] https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1
	// expired 401
	// wrong_token_use
}

// ReasonOf turns any verification error into the fixed vocabulary used by
// metrics, logs and responses.
func ExampleReasonOf() {
	err := fmt.Errorf("upstream: %w", claims.ErrExpired)
	fmt.Println(claims.ReasonOf(err), claims.ReasonOf(err).Status())
	fmt.Println(claims.ReasonOf(&claims.ScopeError{AnyOf: []string{"orders/write"}}).Status())
	// Output:
	// expired 401
	// 403
}
