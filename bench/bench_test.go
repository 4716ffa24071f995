package bench

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
)

// The benchmarks share the fixture: one fake pool, a fixed clock, keys
// fetched before the timer starts. "Cold" benchmarks cycle through
// poolSize distinct tokens, so no verified-token cache can answer; the
// cached ones repeat one token. Every verifier here is covered by a
// correctness guard in guard_test.go.

// BenchmarkVerify is one token verification: the floor, cognito-gate (with
// a verified-token cache that misses, and with none) and the peers.
func BenchmarkVerify(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	for _, s := range f.subjects(b) {
		toks := f.tokensFor(s)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := s.verify(toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkVerifyCached is cognito-gate verifying the same token again,
// answered by the verified-token cache.
func BenchmarkVerifyCached(b *testing.B) {
	f := getFixture(b)
	s := verifierSubject("cognito-gate", f.newVerifier(b, claims.CacheConfig{}))
	tok := f.tokens[0]
	warm(b, s, tok)
	b.Run(s.name, func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerifyParallel runs the floor and cognito-gate from every
// goroutine at once; run with -cpu 1,2 to see the speed-up.
func BenchmarkVerifyParallel(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	cached := verifierSubject("cognito-gate-cached", f.newVerifier(b, claims.CacheConfig{}))
	warm(b, cached, f.tokens[0])
	subjects := []subject{
		{name: "floor", verify: f.newFloor().verify},
		verifierSubject("cognito-gate", f.newVerifier(b, claims.CacheConfig{MaxEntries: coldCacheEntries})),
		verifierSubject("cognito-gate-nocache", f.newVerifier(b, claims.CacheConfig{Disabled: true})),
	}
	for _, s := range subjects {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var goroutines atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				// Each goroutine walks the pool from its own offset.
				i := int(goroutines.Add(1)) * 997
				for pb.Next() {
					if err := s.verify(f.tokens[i%len(f.tokens)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
	b.Run(cached.name, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := cached.verify(f.tokens[0]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkHTTP is one request through a handler: no authentication at
// all, cognito-gate's net/http middleware (cold and cached token) and
// auth0's middleware. Requests are built before the timer starts.
func BenchmarkHTTP(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	reqs := func(toks []string) []*http.Request {
		out := make([]*http.Request, len(toks))
		for i, tok := range toks {
			out[i] = newRequest(tok)
		}
		return out
	}
	plain, aud := reqs(f.tokens), reqs(f.audTokens)
	run := func(name string, h http.Handler, rs []*http.Request) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discard{h: make(http.Header)}
			i := 0
			for b.Loop() {
				if err := serve(h, w, rs[i%len(rs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	for _, s := range f.httpSubjects(b, claims.CacheConfig{MaxEntries: coldCacheEntries}) {
		rs := plain
		if s.aud {
			rs = aud
		}
		run(s.name, s.handler, rs)
	}
	for _, s := range f.httpSubjects(b, claims.CacheConfig{}) {
		if s.name == "cognito-gate" {
			if err := serve(s.handler, &discard{h: make(http.Header)}, plain[0]); err != nil {
				b.Fatal(err)
			}
			run("cognito-gate-cached", s.handler, plain[:1])
		}
	}
}
