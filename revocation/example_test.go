package revocation_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// A deny list file given to a Verifier: a user signed out everywhere, and
// the tokens of that sign-in stop at once, though Cognito would still
// sign them valid for up to a day. The binary reloads the file on SIGHUP
// (Reload) and when it changes (Watch).
func ExampleList() {
	pool, err := cognitotest.Start(cognitotest.Config{PoolID: "us-east-1_Example1"})
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	dir, err := os.MkdirTemp("", "revocation-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "revoked.jsonl")
	if err := os.WriteFile(file, []byte("# nothing revoked yet\n"), 0o600); err != nil {
		log.Fatal(err)
	}

	list, err := revocation.New(revocation.Options{Issuers: []string{pool.Issuer()}})
	if err != nil {
		log.Fatal(err)
	}
	if err := list.Load(file); err != nil {
		log.Fatal(err) // at start-up, a broken file stops the gate
	}
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
			ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
		}},
		Denylist: list,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()
	if err := v.Hydrate(ctx); err != nil {
		log.Fatal(err)
	}

	sub := "7d1e5b8a-0c52-4a8e-9d3f-1f4f2b9c6e01"
	raw := pool.AccessToken(cognitotest.WithSubject(sub))
	_, err = v.Verify(ctx, raw)
	fmt.Println("before the sign-out:", claims.ReasonOf(err))

	// The user signs out everywhere: one line, written by whatever ran
	// AdminUserGlobalSignOut.
	now := time.Now().Add(time.Second) // whole seconds: up to now included
	entry := revocation.Entry{Kind: revocation.Subject, Value: sub, IssuedBefore: now.Truncate(time.Second), Expires: revocation.ExpiresFor(now)}
	if err := os.WriteFile(file, []byte(entry.String()+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	if err := list.Reload(); err != nil {
		log.Fatal(err)
	}
	_, err = v.Verify(ctx, raw)
	fmt.Println("after:", claims.ReasonOf(err), claims.ReasonOf(err).Status())
	// Output:
	// before the sign-out: ok
	// after: revoked 401
}
