package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/revocation"
)

// revocationEntries is the size of the deny list of issue 15's target:
// with 100,000 entries, the cost a deny list adds to a cold verification
// stays below 2% of it.
const revocationEntries = 100_000

// newDenyList returns a revocation.List loaded from a file of
// revocationEntries entries of every kind (36-byte values, a quarter of
// the user and client entries with a watermark), none of which names a
// fixture token: the cost every request pays is that of the lookups that
// find nothing.
func newDenyList(tb testing.TB, f *fixture) *revocation.List {
	tb.Helper()
	kinds := []revocation.Kind{revocation.JTI, revocation.OriginJTI, revocation.Subject, revocation.Username, revocation.ClientID}
	var b strings.Builder
	for i := range revocationEntries {
		k := kinds[i%len(kinds)]
		e := revocation.Entry{Kind: k, Value: fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, i%len(kinds), i*7919), Expires: f.now.Add(time.Hour)}
		if k != revocation.JTI && k != revocation.OriginJTI && i%4 == 0 {
			e.IssuedBefore = f.now.Add(-time.Hour)
		}
		b.WriteString(e.String() + "\n")
	}
	path := filepath.Join(tb.TempDir(), "revoked.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	l, err := revocation.New(revocation.Options{Now: f.fixedNow})
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.Load(path); err != nil {
		tb.Fatal(err)
	}
	if st := l.Status(); st.Entries != revocationEntries {
		tb.Fatalf("deny list holds %d entries, want %d", st.Entries, revocationEntries)
	}
	return l
}

// BenchmarkRevocationInterleaved alternates one cold verification (cache
// disabled) by a Verifier without a deny list with one by the same
// configuration with the 100,000-entry list, over the cold token pool.
// It reports without-ns/op and with-ns/op (median times per call),
// x-without (their ratio: the target is below 1.02) and added-ns/op (the
// difference of the medians).
func BenchmarkRevocationInterleaved(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	list := newDenyList(b, f)
	newVerifier := func(deny claims.Denylist) func(int) error {
		v, err := claims.New(claims.Config{
			Pools: []claims.Pool{{UserPoolID: f.pool.PoolID(), JWKSURL: f.pool.JWKSURL(), AllowHTTP: true,
				ClientIDs: []string{clientID}, TokenUse: claims.AccessToken}},
			Leeway: leeway, Now: f.fixedNow, Cache: claims.CacheConfig{Disabled: true}, Denylist: deny,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { v.Close() })
		if err := v.Hydrate(ctx); err != nil {
			b.Fatal(err)
		}
		return func(i int) error {
			_, err := v.Verify(ctx, f.tokens[i%len(f.tokens)])
			return err
		}
	}
	without, with := newVerifier(nil), newVerifier(list)
	if err := with(0); err != nil {
		b.Fatal(err)
	}
	var ws, ds []time.Duration
	n := 0
	for b.Loop() {
		// Which goes first alternates, so that neither always follows
		// the other's cache footprint.
		if n%2 == 0 {
			ws = append(ws, timeBlock(b, without, n, 1))
			ds = append(ds, timeBlock(b, with, n, 1))
		} else {
			ds = append(ds, timeBlock(b, with, n, 1))
			ws = append(ws, timeBlock(b, without, n, 1))
		}
		n++
	}
	wm, dm := medianDuration(ws), medianDuration(ds)
	b.ReportMetric(float64(wm.Nanoseconds()), "without-ns/op")
	b.ReportMetric(float64(dm.Nanoseconds()), "with-ns/op")
	b.ReportMetric(float64(dm)/float64(wm), "x-without")
	b.ReportMetric(float64((dm - wm).Nanoseconds()), "added-ns/op")
}
