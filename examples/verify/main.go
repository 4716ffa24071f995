// Command verify shows cognito-gate's verifier at work with no AWS account:
// it starts a fake Cognito user pool on 127.0.0.1, mints a few tokens and
// prints what the verifier says about each.
//
//	go run ./examples/verify
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer) error {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		return err
	}
	defer pool.Close()

	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(),
			JWKSURL:    pool.JWKSURL(),
			AllowHTTP:  true, // the fake pool serves its keys over plain http on 127.0.0.1
			ClientIDs:  []string{pool.ClientID()},
			TokenUse:   claims.AccessToken,
		}},
	})
	if err != nil {
		return err
	}
	defer v.Close()
	ctx := context.Background()
	if err := v.Hydrate(ctx); err != nil {
		return err
	}

	good := pool.AccessToken(fakepool.WithUsername("alice"), fakepool.WithGroups("admin"))
	parts := strings.Split(good, ".")
	forged := parts[0] + "." + strings.Split(pool.AccessToken(fakepool.WithGroups("admin", "root")), ".")[1] + "." + parts[2]
	cases := []struct{ name, token string }{
		{"access token of alice (admin)", good},
		{"the same token with its claims swapped", forged},
		{"expired access token", pool.AccessToken(fakepool.WithIssuedAt(time.Now().Add(-2 * time.Hour)))},
		{"ID token where access tokens are required", pool.IDToken()},
		{"token for another app client", pool.AccessToken(fakepool.WithClientID("someotherclient"))},
		{"token signed with an unpublished key", pool.AccessToken(fakepool.WithUnpublishedKey())},
		{"alg none", pool.AccessToken(fakepool.WithHeader("alg", "none"))},
		{"no token", ""},
	}
	fmt.Fprintf(w, "user pool %s, issuer %s\n\n", pool.PoolID(), pool.Issuer())
	for _, c := range cases {
		tok, err := v.Verify(ctx, c.token)
		r := claims.ReasonOf(err)
		if err != nil {
			fmt.Fprintf(w, "%-45s -> %d %s\n", c.name, r.Status(), r)
			continue
		}
		fmt.Fprintf(w, "%-45s -> %d ok: %s token of %s, groups %v\n", c.name, r.Status(), tok.Use, tok.Username, tok.Groups)
	}
	return nil
}
