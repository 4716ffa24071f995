package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// A static key set: the keys are given, not fetched, so the cache needs no
// network and is ready at once. Here the document comes from a fake pool;
// in an air-gapped deployment it is the pool's
// https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json,
// saved beforehand.
func ExampleSource_keys() {
	pool, err := cognitotest.Start(cognitotest.Config{PoolID: "us-east-1_Example1"})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	c, err := jwks.New(jwks.Config{}, jwks.Source{Issuer: pool.Issuer(), Keys: pool.JWKS()})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("ready:", c.Ready(), "keys:", c.Set(pool.Issuer()).Status().Keys)

	ctx := context.Background()
	key, err := c.Key(ctx, pool.Issuer(), pool.KeyIDs()[0])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(key.Alg, key.Bits)

	_, err = c.Key(ctx, pool.Issuer(), "not-in-the-set")
	fmt.Println(errors.Is(err, jwks.ErrKeyNotFound), pool.Fetches())
	// Output:
	// ready: true keys: 2
	// RS256 2048
	// true 0
}
