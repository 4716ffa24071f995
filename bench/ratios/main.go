// Command ratios reads `go test -bench` output (several rounds of the bench
// module's benchmarks, from one run of run.sh) and prints the ratios that
// issue 6 sets targets for, with whether each target is met.
//
// Two estimates are printed for each ratio. "plain" compares the ns/op of
// two benchmarks of the same round and takes the median over the rounds.
// "interleaved" is the median over the rounds of BenchmarkInterleaved's
// x-floor, where the floor and the subject alternate call by call and the
// per-call medians leave out preempted calls; on a shared, noisy machine it
// is the steadier one, and the targets are judged on it.
//
// Usage: go run ./ratios < results.txt
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

// results holds, per benchmark name (without "Benchmark") and unit, the
// values of every round in order.
type results map[string]map[string][]float64

func parse(r io.Reader) (results, error) {
	out := make(results)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if out[name] == nil {
			out[name] = make(map[string][]float64)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f[0], err)
			}
			out[name][f[i+1]] = append(out[name][f[i+1]], v)
		}
	}
	return out, sc.Err()
}

type report struct {
	res  results
	w    io.Writer
	fail int
}

// get returns the median of name's unit, noting a missing benchmark.
func (r *report) get(name, unit string) float64 {
	vs := r.res[name][unit]
	if len(vs) == 0 {
		fmt.Fprintf(r.w, "  (missing: %s %s)\n", name, unit)
		r.fail++
		return 0
	}
	return gateproc.Median(vs)
}

// paired returns the median over the rounds of f(at), where at(name)
// is the ns/op of name in the round.
func (r *report) paired(f func(at func(string) float64) float64, names ...string) float64 {
	n := -1
	for _, name := range names {
		vs := r.res[name]["ns/op"]
		if len(vs) == 0 {
			fmt.Fprintf(r.w, "  (missing: %s)\n", name)
			r.fail++
			return 0
		}
		if n < 0 || len(vs) < n {
			n = len(vs)
		}
	}
	var xs []float64
	for k := range n {
		xs = append(xs, f(func(name string) float64 { return r.res[name]["ns/op"][k] }))
	}
	return gateproc.Median(xs)
}

func (r *report) ratio(a, b string) float64 {
	return r.paired(func(at func(string) float64) float64 { return at(a) / at(b) }, a, b)
}

func (r *report) target(ok bool, format string, args ...any) {
	mark := "met"
	if !ok {
		mark = "NOT MET"
		r.fail++
	}
	fmt.Fprintf(r.w, "  %-8s "+format+"\n", append([]any{mark}, args...)...)
}

func main() {
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := &report{res: res, w: os.Stdout}
	floor := r.get("Verify/floor", "ns/op")
	ifloor := r.get("Interleaved/cognito-gate", "floor-ns/op")
	fmt.Fprintf(r.w, "The floor: %.1f µs/op (plain mean), %.1f µs per call (interleaved median).\n", floor/1e3, ifloor/1e3)
	fmt.Fprintln(r.w, "Ratios are medians over the rounds of this one run; targets are judged on the interleaved figure.")

	fmt.Fprintln(r.w, "\nCold verification (keys cached, token not), × floor:")
	fmt.Fprintf(r.w, "  %-22s %11s %7s %10s\n", "", "interleaved", "plain", "allocs/op")
	var peers []string
	for name := range res {
		if p, ok := strings.CutPrefix(name, "Verify/"); ok && !strings.HasPrefix(p, "cognito-gate") && p != "floor" {
			peers = append(peers, p)
		}
	}
	slices.Sort(peers)
	for _, n := range append([]string{"cognito-gate", "cognito-gate-nocache"}, peers...) {
		fmt.Fprintf(r.w, "  %-22s %10.3f× %6.3f× %10.0f\n", n, r.get("Interleaved/"+n, "x-floor"),
			r.ratio("Verify/"+n, "Verify/floor"), r.get("Verify/"+n, "allocs/op"))
	}
	fmt.Fprintf(r.w, "  %-22s %10s  %6s  %10.0f\n", "floor", "1", "1", r.get("Verify/floor", "allocs/op"))
	cold := max(r.get("Interleaved/cognito-gate", "x-floor"), r.get("Interleaved/cognito-gate-nocache", "x-floor"))
	r.target(cold <= 1.05, "cold ≤ 1.05× floor: %.3f× (the slower of cache-miss and no-cache)", cold)
	r.target(cold <= 0.60, "cold ≤ 0.60× floor (issue 18): %.3f× (the slower of cache-miss and no-cache)", cold)
	fastest, fastestX := "", 0.0
	for _, p := range peers {
		if x := r.get("Interleaved/"+p, "x-floor"); fastest == "" || x < fastestX {
			fastest, fastestX = p, x
		}
	}
	if fastest != "" {
		r.target(cold < fastestX, "faster than every peer: fastest peer %s at %.3f× floor", fastest, fastestX)
		coldAllocs := max(r.get("Verify/cognito-gate", "allocs/op"), r.get("Verify/cognito-gate-nocache", "allocs/op"))
		minPeerAllocs := -1.0
		for _, p := range peers {
			if a := r.get("Verify/"+p, "allocs/op"); minPeerAllocs < 0 || a < minPeerAllocs {
				minPeerAllocs = a
			}
		}
		r.target(coldAllocs <= r.get("Verify/"+fastest, "allocs/op"), "allocs ≤ fastest peer's: %.0f vs %.0f (fewest of any peer: %.0f)",
			coldAllocs, r.get("Verify/"+fastest, "allocs/op"), minPeerAllocs)
	}

	fmt.Fprintln(r.w, "\nVerified-token cache (the same token again):")
	ci := r.get("Interleaved/cognito-gate-cached", "x-floor")
	cp := r.ratio("VerifyCached/cognito-gate", "Verify/floor")
	r.target(ci <= 1.0/30, "≤ 1/30 floor: 1/%.0f interleaved (%.0f ns), 1/%.0f plain (%.0f ns)",
		1/ci, r.get("Interleaved/cognito-gate-cached", "subject-ns/op"), 1/cp, r.get("VerifyCached/cognito-gate", "ns/op"))
	r.target(r.get("VerifyCached/cognito-gate", "allocs/op") <= 3, "≤ 3 allocs/op: %.0f", r.get("VerifyCached/cognito-gate", "allocs/op"))

	fmt.Fprintln(r.w, "\nnet/http middleware, cost added over the no-auth handler, × floor:")
	noauth := r.get("Interleaved/http-noauth", "x-floor")
	mw := r.get("Interleaved/http-cognito-gate", "x-floor") - noauth
	mwc := r.get("Interleaved/http-cognito-gate-cached", "x-floor") - noauth
	added := func(name string) float64 {
		return r.paired(func(at func(string) float64) float64 {
			return (at(name) - at("HTTP/noauth")) / at("Verify/floor")
		}, name, "HTTP/noauth", "Verify/floor")
	}
	r.target(mw <= 1.10, "cold token ≤ 1.10× floor: %.3f× interleaved, %.3f× plain", mw, added("HTTP/cognito-gate"))
	r.target(mwc <= 1.0/60, "cached token ≤ 1/60 floor: 1/%.0f interleaved (%.0f ns), 1/%.0f plain",
		1/mwc, r.get("Interleaved/http-cognito-gate-cached", "subject-ns/op")-r.get("Interleaved/http-noauth", "subject-ns/op"), 1/added("HTTP/cognito-gate-cached"))
	// The middleware's own allocations: the request's, less the no-auth
	// handler's and the cached Verify's (the caller's copy of the token).
	own := r.get("HTTP/cognito-gate-cached", "allocs/op") - r.get("HTTP/noauth", "allocs/op") - r.get("VerifyCached/cognito-gate", "allocs/op")
	r.target(own <= 4, "cached token ≤ 4 allocs/op of the middleware's own (besides Verify's %.0f): %.0f",
		r.get("VerifyCached/cognito-gate", "allocs/op"), own)
	if _, ok := res["HTTP/auth0"]; ok {
		fmt.Fprintf(r.w, "  (auth0's middleware adds %.3f× floor, plain)\n", added("HTTP/auth0"))
	}

	fmt.Fprintln(r.w, "\nParallel speed-up from 1 to 2 goroutines (time per call on 1 ÷ on 2):")
	fmt.Fprintf(r.w, "  %-22s %11s %7s\n", "", "interleaved", "plain")
	plainSpeedup := func(n string) float64 { return r.ratio("VerifyParallel/"+n, "VerifyParallel/"+n+"-2") }
	fmt.Fprintf(r.w, "  %-22s %10.2f× %6.2f×\n", "floor", r.get("InterleavedParallel/cognito-gate-2", "floor-speedup"), plainSpeedup("floor"))
	for _, n := range []string{"cognito-gate", "cognito-gate-nocache", "cognito-gate-cached"} {
		fmt.Fprintf(r.w, "  %-22s %10.2f× %6.2f×\n", n, r.get("InterleavedParallel/"+n+"-2", "subject-speedup"), plainSpeedup(n))
	}
	for _, n := range []string{"cognito-gate", "cognito-gate-nocache"} {
		rel := r.get("InterleavedParallel/"+n+"-2", "x-floor-speedup")
		r.target(rel >= 0.9, "%s speed-up within 10%% of the floor's: %.3f of it", n, rel)
	}
	if fs := r.get("InterleavedParallel/cognito-gate-2", "floor-speedup"); fs < 1.5 {
		fmt.Fprintf(r.w, "  note: the floor itself only sped up %.2f×: the second core was busy with other work\n", fs)
	}
	if r.fail > 0 {
		fmt.Fprintf(r.w, "\n%d target(s) not met or figure(s) missing\n", r.fail)
	}
}
