package bench

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time that the calling thread has used
// (CLOCK_THREAD_CPUTIME_ID: the scheduler's own account, to the
// nanosecond; getrusage's RUSAGE_THREAD advances only with the timer
// tick).
func threadCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// cpuBlock runs calls [from, from+n) and returns the thread CPU time per
// call. The caller has locked its goroutine to the thread.
func cpuBlock(b *testing.B, call func(int) error, from, n int) time.Duration {
	t0 := threadCPU(b)
	for i := from; i < from+n; i++ {
		if err := call(i); err != nil {
			b.Fatal(err)
		}
	}
	return (threadCPU(b) - t0) / time.Duration(n)
}

// BenchmarkInterleavedCPU is BenchmarkInterleaved's cold rows (the two
// cold cognito-gate verifiers and golang-jwt, the fastest peer) timed in
// CPU time of the thread instead of wall-clock time: on a machine whose
// load average is several times its core count, a block of calls that the
// kernel preempts costs more wall-clock time but not more CPU time. Blocks
// are of 8 calls, as long as the one in which BenchmarkInterleavedParallel
// times a cold verifier on two goroutines. It reports floor-cpu-ns/op, subject-cpu-ns/op (the
// medians per call) and x-floor-cpu, their ratio; ns/op is one iteration.
// The time the CPU spends elsewhere for the thread (cache misses after
// another process ran, a slower clock) still counts.
func BenchmarkInterleavedCPU(b *testing.B) {
	const block = 8
	f := getFixture(b)
	f.fullPools()
	fl := f.newFloor()
	floorCall := func(i int) error { return fl.verify(f.tokens[i%len(f.tokens)]) }
	for _, s := range f.subjects(b) {
		switch s.name {
		case "cognito-gate", "cognito-gate-nocache", "golang-jwt":
		default:
			continue
		}
		toks := f.tokensFor(s)
		call := func(i int) error { return s.verify(toks[i%len(toks)]) }
		b.Run(s.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			if err := call(0); err != nil {
				b.Fatal(err)
			}
			var floorTimes, subjTimes []time.Duration
			n := 0
			for b.Loop() {
				floorTimes = append(floorTimes, cpuBlock(b, floorCall, n*block, block))
				subjTimes = append(subjTimes, cpuBlock(b, call, n*block, block))
				n++
			}
			fm, sm := medianDuration(floorTimes), medianDuration(subjTimes)
			b.ReportMetric(float64(sm.Nanoseconds()), "subject-cpu-ns/op")
			b.ReportMetric(float64(fm.Nanoseconds()), "floor-cpu-ns/op")
			b.ReportMetric(float64(sm)/float64(fm), "x-floor-cpu")
		})
	}
}
