package assertion_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// benchToken is a Cognito access token of the usual shape: a few groups
// and scopes, and one copied claim.
func benchToken(b *testing.B) (string, *claims.Token) {
	raw := pool.AccessToken(cognitotest.WithGroups("admin", "staff", "orders"), cognitotest.WithScopes("orders/read", "orders/write", "openid"),
		cognitotest.WithClaim("custom:tenant", "acme"))
	return raw, verified(b, raw)
}

// BenchmarkSign: minting one assertion, what the gate adds to each
// request it forwards.
func BenchmarkSign(b *testing.B) {
	g := newGate(b, assertion.SignerConfig{Claims: []string{"custom:tenant"}})
	_, tok := benchToken(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.signer.Sign(tok, request); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignParallel: Sign from every P at once (one key set, one
// Signer).
func BenchmarkSignParallel(b *testing.B) {
	g := newGate(b, assertion.SignerConfig{Claims: []string{"custom:tenant"}})
	_, tok := benchToken(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.signer.Sign(tok, request); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerify: an upstream verifying one assertion (static key set;
// a fetched one is the same lookup once fetched).
func BenchmarkVerify(b *testing.B) {
	g := newGate(b, assertion.SignerConfig{Claims: []string{"custom:tenant"}})
	_, tok := benchToken(b)
	raw := g.sign(b, tok, request)
	v := g.verifier(b, nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterleaved: Sign and an upstream's Verify of the assertion
// against a cold Cognito verification (as BenchmarkCognitoVerifyCold),
// on a shared machine: blocks of 8 calls of each alternate, each block
// timed, and the medians per call are reported (sign-ns/op,
// verify-ns/op, cold-ns/op) with their ratios to the cold verification
// (sign-x-cold, verify-x-cold), so that all three see the same load.
func BenchmarkInterleaved(b *testing.B) {
	g := newGate(b, assertion.SignerConfig{Claims: []string{"custom:tenant"}})
	raw, tok := benchToken(b)
	minted := g.sign(b, tok, request)
	v := g.verifier(b, nil)
	cold := coldVerifier(b)
	ctx := context.Background()
	const block = 8
	var signs, verifies, colds []float64
	timed := func(samples *[]float64, f func() error) {
		start := time.Now()
		for range block {
			if err := f(); err != nil {
				b.Fatal(err)
			}
		}
		*samples = append(*samples, float64(time.Since(start))/block)
	}
	b.ReportAllocs()
	for b.Loop() {
		timed(&signs, func() error { _, err := g.signer.Sign(tok, request); return err })
		timed(&verifies, func() error { _, err := v.Verify(ctx, minted); return err })
		timed(&colds, func() error { _, err := cold.Verify(ctx, raw); return err })
	}
	s, a, c := median(signs), median(verifies), median(colds)
	b.ReportMetric(s, "sign-ns/op")
	b.ReportMetric(a, "verify-ns/op")
	b.ReportMetric(c, "cold-ns/op")
	b.ReportMetric(s/c, "sign-x-cold")
	b.ReportMetric(a/c, "verify-x-cold")
}

// median returns the median of xs (which it sorts).
func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// coldVerifier is a claims.Verifier of the fake pool without the
// verified-token cache.
func coldVerifier(b *testing.B) *claims.Verifier {
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Cache: claims.CacheConfig{Disabled: true},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	return v
}

// BenchmarkCognitoVerifyCold: for scale, a cold verification of the
// Cognito token the assertion is minted from (RS256, the verified-token
// cache off), which the gate does first for every request it then signs.
func BenchmarkCognitoVerifyCold(b *testing.B) {
	raw, _ := benchToken(b)
	v := coldVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
}
