package livecheck_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// A route that requires the live check refuses a user's token once the
// user is disabled at the pool, at the latest when the cached answer
// (CacheTTL) runs out. The fake pool answers GetUser as Cognito does.
func ExampleChecker() {
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	pool, err := fakepool.New(fakepool.Config{Now: clock})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	verifier, err := claims.New(claims.Config{
		Pools: []claims.Pool{{Issuer: pool.Issuer(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   clock,
	})
	if err != nil {
		panic(err)
	}
	defer verifier.Close()
	checker, err := livecheck.New(livecheck.Config{
		// In production: Pools: []livecheck.Pool{{UserPoolID: "eu-west-1_AbC123"}}.
		Pools:    []livecheck.Pool{{Issuer: pool.Issuer(), Endpoint: pool.APIURL(), AllowHTTP: true}},
		CacheTTL: 30 * time.Second,
		Now:      clock,
	})
	if err != nil {
		panic(err)
	}
	defer checker.Close()

	ctx := context.Background()
	raw := pool.AccessToken(fakepool.WithUsername("bob"))
	check := func(when string) {
		tok, err := verifier.Verify(ctx, raw)
		if err != nil {
			panic(err)
		}
		err = checker.Check(ctx, tok, raw)
		fmt.Printf("%s: verified, live check %s\n", when, claims.ReasonOf(err))
	}
	check("signed in")
	if err := pool.AdminDisableUser("bob"); err != nil {
		panic(err)
	}
	check("just disabled")
	now = now.Add(30 * time.Second)
	check("30 s later")
	// Output:
	// signed in: verified, live check ok
	// just disabled: verified, live check ok
	// 30 s later: verified, live check revoked
}
