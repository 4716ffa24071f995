package revocation

import (
	"context"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// benchEntries is the size of the list of the benchmarks (issue 15: the
// added cost of 100,000 entries must stay below 2% of a cold
// verification).
const benchEntries = 100_000

// benchList returns a list of benchEntries entries of every kind.
func benchList(b *testing.B) (*List, []Entry) {
	b.Helper()
	l, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	entries := bigEntries(benchEntries)
	l.snap.Store(build(entries))
	return l, entries
}

// BenchmarkLookup is one Revoked call on a list of 100,000 entries: a
// token no entry names (five map lookups, the cost every request pays),
// tokens that entries name, and an empty list.
func BenchmarkLookup(b *testing.B) {
	l, entries := benchList(b)
	empty, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	tests := []struct {
		name string
		l    *List
		tok  *claims.Token
		want bool
	}{
		{"miss", l, token(nil), false},
		{"hit-jti", l, token(func(t *claims.Token) { t.JTI = entries[5].Value }), true},
		{"hit-sub-watermark", l, token(func(t *claims.Token) { t.Subject = entries[12].Value }), true},
		{"empty-list", empty, token(nil), false},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			if got := tt.l.Revoked(tt.tok, t0); got != tt.want {
				b.Fatalf("Revoked = %v, want %v", got, tt.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				tt.l.Revoked(tt.tok, t0)
			}
		})
	}
}

// BenchmarkVerify is one verification without a deny list and with one
// of 100,000 entries that name none of the tokens: cold (no
// verified-token cache: parse, key, RS256 signature, claims; 256 tokens
// in turn) and cached (the same token again, a cache hit, which asks the
// deny list too). bench/'s RevocationInterleaved measures the cold pair
// alternately, for the ratio.
func BenchmarkVerify(b *testing.B) {
	now := time.Now().Truncate(time.Second)
	clock := func() time.Time { return now }
	pool, err := cognitotest.Start(cognitotest.Config{Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	toks := make([]string, 256)
	for i := range toks {
		toks[i] = pool.AccessToken(cognitotest.WithGroups("admins"), cognitotest.WithScopes("openid", "email"))
	}
	l, _ := benchList(b)
	for _, tt := range []struct {
		name  string
		cache claims.CacheConfig
		toks  []string
		deny  claims.Denylist
	}{
		{"cold/without-list", claims.CacheConfig{Disabled: true}, toks, nil},
		{"cold/with-100k-list", claims.CacheConfig{Disabled: true}, toks, l},
		{"cached/without-list", claims.CacheConfig{}, toks[:1], nil},
		{"cached/with-100k-list", claims.CacheConfig{}, toks[:1], l},
	} {
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
				ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
			Now: clock, Cache: tt.cache, Denylist: tt.deny,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Hydrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tt.toks[i%len(tt.toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		v.Close()
	}
}
