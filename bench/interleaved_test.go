package bench

import (
	"math"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// The interleaved benchmarks answer the questions of issue 6 — how does a
// verifier compare with the floor — on a shared, noisy machine. The plain
// benchmarks run each verifier for a second, seconds apart from the floor,
// and their ns/op is a mean that a burst of load from elsewhere inflates.
// Here the floor and the subject alternate on every iteration, each block
// of calls is timed on its own, and the figures are medians of the blocks,
// which leave out the blocks that the machine preempted.

// measured is one subject of an interleaved benchmark: call runs its i-th
// call, block is how many calls one timed block holds (more for the fast,
// cached paths, so that the clock reads do not count).
type measured struct {
	name  string
	block int
	call  func(i int) error
}

// interleavedSubjects returns the cold verifiers (cognito-gate and the
// peers), the middleware, and the cached paths.
func (f *fixture) interleavedSubjects(b *testing.B) []measured {
	var out []measured
	for _, s := range f.subjects(b) {
		if s.name == "floor" {
			continue
		}
		toks := f.tokensFor(s)
		out = append(out, measured{s.name, 1, func(i int) error { return s.verify(toks[i%len(toks)]) }})
	}
	w := &discard{h: make(http.Header)}
	reqs := make([]*http.Request, len(f.tokens))
	for i, tok := range f.tokens {
		reqs[i] = newRequest(tok)
	}
	for _, s := range f.httpSubjects(b, claims.CacheConfig{MaxEntries: coldCacheEntries}) {
		switch s.name {
		case "noauth":
			out = append(out, measured{"http-noauth", 256, func(i int) error { return serve(s.handler, w, reqs[i%len(reqs)]) }})
		case "cognito-gate":
			out = append(out, measured{"http-cognito-gate", 1, func(i int) error { return serve(s.handler, w, reqs[i%len(reqs)]) }})
		}
	}
	for _, s := range f.httpSubjects(b, claims.CacheConfig{}) {
		if s.name == "cognito-gate" {
			out = append(out, measured{"http-cognito-gate-cached", 32, func(int) error { return serve(s.handler, w, reqs[0]) }})
		}
	}
	cached := verifierSubject("cognito-gate-cached", f.newVerifier(b, claims.CacheConfig{}))
	out = append(out, measured{cached.name, 256, func(int) error { return cached.verify(f.tokens[0]) }})
	return out
}

// timeBlock runs calls [from, from+n) of m and returns the time per call.
func timeBlock(b *testing.B, call func(int) error, from, n int) time.Duration {
	t0 := time.Now()
	for i := from; i < from+n; i++ {
		if err := call(i); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(t0) / time.Duration(n)
}

// sameDuration returns how many calls of call take as long as n calls of
// floorCall: n times the ratio of their median times over 15 alternated
// single calls, at least 1.
func sameDuration(b *testing.B, floorCall, call func(int) error, n int) int {
	var tf, ts []time.Duration
	for i := range 15 {
		tf = append(tf, timeBlock(b, floorCall, i, 1))
		ts = append(ts, timeBlock(b, call, i, 1))
	}
	return max(1, int(math.Round(float64(n)*float64(medianDuration(tf))/float64(medianDuration(ts)))))
}

// medianDuration returns the median of ds, which it sorts.
func medianDuration(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// BenchmarkInterleaved alternates one floor verification with one block
// of the subject's calls. It reports floor-ns/op and subject-ns/op, the
// median times per call, and x-floor, their ratio; ns/op is one iteration.
func BenchmarkInterleaved(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	fl := f.newFloor()
	floorCall := func(i int) error { return fl.verify(f.tokens[i%len(f.tokens)]) }
	for _, m := range f.interleavedSubjects(b) {
		b.Run(m.name, func(b *testing.B) {
			if err := m.call(0); err != nil {
				b.Fatal(err)
			}
			var floorTimes, subjTimes []time.Duration
			n := 0
			for b.Loop() {
				floorTimes = append(floorTimes, timeBlock(b, floorCall, n, 1))
				subjTimes = append(subjTimes, timeBlock(b, m.call, n*m.block, m.block))
				n++
			}
			fm, sm := medianDuration(floorTimes), medianDuration(subjTimes)
			b.ReportMetric(float64(sm.Nanoseconds()), "subject-ns/op")
			b.ReportMetric(float64(fm.Nanoseconds()), "floor-ns/op")
			b.ReportMetric(float64(sm)/float64(fm), "x-floor")
		})
	}
}

// BenchmarkInterleavedParallel measures the speed-up of running on two
// goroutines at once, for the floor and a subject alternately: each
// iteration times a block on one goroutine and a block on two (twice the
// calls, wall-clock time), for the floor and then for the subject. It
// reports floor-speedup and subject-speedup (median time per call on one
// goroutine ÷ on two) and x-floor-speedup, their ratio. Run it with -cpu 2.
//
// Starting and waiting for the two goroutines costs the same few
// microseconds whatever they run, so a cold subject's block is made as
// long in time as the floor's (sameDuration), not as long in calls: with
// equal counts, a subject twice as fast as the floor would spend twice the
// share of its parallel block on that overhead and show a lower speed-up
// for being faster.
func BenchmarkInterleavedParallel(b *testing.B) {
	f := getFixture(b)
	f.fullPools()
	fl := f.newFloor()
	floorCall := func(i int) error { return fl.verify(f.tokens[i%len(f.tokens)]) }
	cached := verifierSubject("cognito-gate-cached", f.newVerifier(b, claims.CacheConfig{}))
	cold := verifierSubject("cognito-gate", f.newVerifier(b, claims.CacheConfig{MaxEntries: coldCacheEntries}))
	nocache := verifierSubject("cognito-gate-nocache", f.newVerifier(b, claims.CacheConfig{Disabled: true}))
	subjects := []measured{
		{cold.name, 4, func(i int) error { return cold.verify(f.tokens[i%len(f.tokens)]) }},
		{nocache.name, 4, func(i int) error { return nocache.verify(f.tokens[i%len(f.tokens)]) }},
		{cached.name, 4096, func(int) error { return cached.verify(f.tokens[0]) }},
	}
	// parallelBlock runs two blocks of n calls at once and returns the
	// wall-clock time per call.
	parallelBlock := func(b *testing.B, call func(int) error, from, n int) time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for g := range 2 {
			wg.Go(func() {
				for i := from + g*n; i < from+(g+1)*n; i++ {
					if err := call(i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(t0) / time.Duration(2*n)
	}
	for _, m := range subjects {
		b.Run(m.name, func(b *testing.B) {
			if err := m.call(0); err != nil {
				b.Fatal(err)
			}
			if m.name != cached.name {
				m.block = sameDuration(b, floorCall, m.call, 4)
			}
			var fs, fp, ss, sp []time.Duration
			n := 0
			for b.Loop() {
				// The floor's block is as long as a cold subject's.
				fs = append(fs, timeBlock(b, floorCall, n*8, 4))
				fp = append(fp, parallelBlock(b, floorCall, n*8, 4))
				ss = append(ss, timeBlock(b, m.call, n*3*m.block, m.block))
				sp = append(sp, parallelBlock(b, m.call, n*3*m.block+m.block, m.block))
				n++
			}
			floorSpeedup := float64(medianDuration(fs)) / float64(medianDuration(fp))
			subjSpeedup := float64(medianDuration(ss)) / float64(medianDuration(sp))
			b.ReportMetric(floorSpeedup, "floor-speedup")
			b.ReportMetric(subjSpeedup, "subject-speedup")
			b.ReportMetric(subjSpeedup/floorSpeedup, "x-floor-speedup")
			b.ReportMetric(float64(m.block), "subject-calls/block")
		})
	}
}
