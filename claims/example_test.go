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

// A Verifier with the pool's key set given rather than fetched: no
// network, ready at once, never refreshed. The document is what
// https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json
// serves; here a fake pool provides it (and mints the tokens).
func ExampleVerifier_Verify_staticKeys() {
	pool, err := cognitotest.Start(cognitotest.Config{PoolID: "us-east-1_Example1"})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(),
			Keys:       pool.JWKS(),
			ClientIDs:  []string{pool.ClientID()},
			TokenUse:   claims.AccessToken,
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	fmt.Println("ready:", v.Ready())

	ctx := context.Background()
	tok, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithUsername("alice")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Username, tok.Issuer)

	_, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithUnpublishedKey()))
	fmt.Println(claims.ReasonOf(err), "after", pool.Fetches(), "key set fetches")
	// Output:
	// ready: true
	// alice https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1
	// unknown_kid after 0 key set fetches
}
