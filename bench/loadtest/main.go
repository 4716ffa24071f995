package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command-line flags.
type options struct {
	requests    int
	concurrency int
	binary      string
	race        bool
	seed        uint64
	cooldown    time.Duration
	idle        time.Duration
	maxDuration time.Duration
	logLevel    string
	keep        bool
	gcWait      time.Duration
	tokenCache  bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.requests, "requests", 40000, "requests to send (through the gateway, and again to the upstream directly)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients")
	fs.StringVar(&o.binary, "binary", "", "cognito-gate `binary` to run (default: go build it)")
	fs.BoolVar(&o.race, "race", false, "build the gateway with -race (ignored with --binary)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the request schedule")
	fs.DurationVar(&o.cooldown, "cooldown", 200*time.Millisecond, "the gateway's jwks.cooldown")
	fs.DurationVar(&o.idle, "idle", 3*time.Second, "idle pause before measuring the gateway at rest")
	fs.DurationVar(&o.maxDuration, "max-duration", 10*time.Minute, "abort the run after this long")
	fs.StringVar(&o.logLevel, "log-level", "info", "the gateway's log.level (info logs every denial)")
	fs.DurationVar(&o.gcWait, "gc-wait", 130*time.Second, "after the run, wait up to this long for the gateway's next garbage collection to report its live heap (0: do not wait)")
	fs.BoolVar(&o.tokenCache, "token-cache", true, "the gateway's verified-token cache (false: token_cache.disabled)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configuration, gateway log)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.requests < 1000 || o.concurrency < 1 {
		return o, errors.New("--requests must be at least 1000 and --concurrency at least 1")
	}
	return o, nil
}

// snapshot is the gateway's state at one moment, from its metrics.
type snapshot struct {
	goroutines, heapInuse, heapAlloc, heapObjects, rss, cacheEntries, gcs float64
}

func snapshotOf(s []gateproc.Sample) snapshot {
	v := func(name string) float64 { x, _ := gateproc.Value(s, name, nil); return x }
	return snapshot{
		goroutines: v("go_goroutines"), heapInuse: v("go_memstats_heap_inuse_bytes"), heapAlloc: v("go_memstats_heap_alloc_bytes"),
		heapObjects: v("go_memstats_heap_objects"), rss: v("process_resident_memory_bytes"),
		cacheEntries: v("cognito_gate_token_cache_entries"), gcs: v("go_gc_duration_seconds_count"),
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.maxDuration)
	defer cancel()
	wrong, err := loadTest(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	if wrong > 0 {
		fmt.Fprintf(stderr, "loadtest: %d wrong decisions\n", wrong)
		return 1
	}
	return 0
}

// loadTest runs everything and returns the number of wrong decisions.
func loadTest(ctx context.Context, o options, out, errw io.Writer) (wrongTotal int64, err error) {
	logf := func(format string, args ...any) { fmt.Fprintf(errw, "loadtest: "+format+"\n", args...) }
	loadStart := gateproc.LoadAverage()
	dir, err := os.MkdirTemp("", "cognito-gate-loadtest")
	if err != nil {
		return 0, err
	}
	defer func() {
		if o.keep || wrongTotal > 0 || err != nil {
			logf("kept %s (configuration, gateway.log)", dir)
			return
		}
		os.RemoveAll(dir)
	}()

	bin := o.binary
	if bin == "" {
		logf("building cognito-gate (race %v)", o.race)
		if bin, err = gateproc.Build(ctx, dir, o.race); err != nil {
			return 0, err
		}
	}
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	up, err := startUpstream(true, pool.ClientID(), pool.Issuer())
	if err != nil {
		return 0, err
	}
	defer up.Close()
	direct, err := startUpstream(false, "", "")
	if err != nil {
		return 0, err
	}
	defer direct.Close()

	// The phases; their actions are filled in below, once the gateway runs.
	phases := []*phase{
		{name: "keys-unavailable", share: 0.025, unavailable: true},
		{name: "steady", share: 0.15},
		{name: "jwks-fault-1", share: 0.15},
		{name: "rotate", share: 0.15},
		{name: "new-key", share: 0.15, set: 1},
		{name: "jwks-fault-2", share: 0.15, set: 1},
		{name: "retire", share: 0.10, set: 1},
		{name: "post-retire", share: 0.125, set: 1, retired: true},
	}
	sched, cold := schedule(phases, o.requests, o.seed)
	mintStart := time.Now()
	d := &driver{sched: sched, seed: o.seed, conc: o.concurrency, results: make([]result, o.requests)}
	d.sets[0] = mintSet(pool, "A", cold[0])
	logf("minted %d tokens for the first key in %s", len(d.sets[0].cold)+56, time.Since(mintStart).Round(time.Millisecond))

	cfg, err := writeGatewayConfig(dir, pool, up.url, o.cooldown, o.logLevel, o.tokenCache)
	if err != nil {
		return 0, err
	}
	// The designed jwks_unavailable window: the gateway starts while the
	// key server fails, so it holds no keys.
	pool.SetFault(fakepool.Fault{Status: http.StatusInternalServerError})
	gw, err := gateproc.Start(ctx, bin, "serve", cfg, dir+"/gateway.log")
	if err != nil {
		return 0, err
	}
	stopped := false
	defer func() {
		if !stopped {
			gw.Stop()
		}
	}()
	transport := &http.Transport{MaxIdleConns: 4 * o.concurrency, MaxIdleConnsPerHost: 2 * o.concurrency, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	d.client = &http.Client{Transport: transport, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	idle := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(o.idle): // the measured process must be at rest
			return nil
		}
	}
	if err := idle(); err != nil {
		return 0, err
	}
	before, err := gw.Scrape(ctx)
	if err != nil {
		return 0, err
	}

	// Actions.
	var notes []string
	var probeWrong int64
	note := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		notes = append(notes, s)
		logf("%s", s)
	}
	phases[0].after = func(ctx context.Context) error {
		pool.ClearFault()
		took, err := gw.WaitReady(ctx, 30*time.Second)
		if err == nil {
			note("keys-unavailable: JWKS recovered; /readyz answered 200 after %s", took.Round(time.Millisecond))
		}
		return err
	}
	for _, ph := range []*phase{phases[2], phases[5]} {
		ph.before = func(context.Context) error {
			pool.SetFault(fakepool.Fault{Status: http.StatusInternalServerError})
			return nil
		}
		ph.after = func(context.Context) error { pool.ClearFault(); return nil }
	}
	phases[3].before = func(context.Context) error {
		newKid := pool.Rotate()
		t := time.Now()
		d.sets[1] = mintSet(pool, "B", cold[1])
		if d.sets[1].kid != newKid {
			return fmt.Errorf("tokens minted after Rotate have kid %q, want %q", d.sets[1].kid, newKid)
		}
		logf("rotated to a new key; minted %d tokens for it in %s (not timed)", len(d.sets[1].cold)+56, time.Since(t).Round(time.Millisecond))
		return nil
	}
	phases[3].during = func(ctx context.Context) error {
		probe := &d.sets[1].readers[0]
		n, took, err := d.probe(ctx, gw.Main, probe, http.StatusOK, http.StatusUnauthorized, false, 30*time.Second)
		if err != nil {
			probeWrong++
			return fmt.Errorf("rotation probe: %w", err)
		}
		note("rotate: a new-kid token was accepted at probe %d, %s after the first probe (the unknown kid makes the gateway fetch)",
			n, took.Round(time.Millisecond))
		return nil
	}
	phases[6].during = func(ctx context.Context) error {
		pool.Retire(d.sets[0].kid)
		probe := &d.sets[0].readers[0]
		n, took, err := d.probe(ctx, gw.Main, probe, http.StatusUnauthorized, http.StatusOK, true, 30*time.Second)
		if err != nil {
			probeWrong++
			return fmt.Errorf("retirement probe: %w", err)
		}
		note("retire: an old-kid token was rejected at probe %d, %s after the key was withdrawn (each probe preceded by a random-kid request)", n, took.Round(time.Millisecond))
		return nil
	}

	var wrongMu sync.Mutex
	var wrongSamples []string
	wrongLogger := func(target string) func(i int, ph *phase, r result) {
		return func(i int, ph *phase, r result) {
			wrongMu.Lock()
			defer wrongMu.Unlock()
			if len(wrongSamples) < 20 {
				wrongSamples = append(wrongSamples, fmt.Sprintf("%s request %d (%s, %s): %s", target, i, ph.name, sched[i].kind, r.wrong))
			}
		}
	}
	logWrong := wrongLogger("gateway")

	// Through the gateway.
	logf("%d requests, %d clients, through the gateway at %s", o.requests, o.concurrency, gw.Main)
	elapsed := make([]time.Duration, len(phases))
	for i, ph := range phases {
		if ph.before != nil {
			if err := ph.before(ctx); err != nil {
				return d.wrong.Load() + probeWrong, err
			}
		}
		if elapsed[i], err = d.runPhase(ctx, gw.Main, ph, true, logWrong); err != nil {
			return d.wrong.Load() + probeWrong, fmt.Errorf("phase %s: %w", ph.name, err)
		}
		if ph.after != nil {
			if err := ph.after(ctx); err != nil {
				return d.wrong.Load() + probeWrong, fmt.Errorf("phase %s: %w", ph.name, err)
			}
		}
		logf("phase %-16s %6d requests in %s", ph.name, ph.end-ph.start, elapsed[i].Round(time.Millisecond))
	}
	gatewayResults := slices.Clone(d.results)
	wrongGateway := d.wrong.Load() + probeWrong

	// At rest: close the clients' connections; the upstream closes the
	// gateway's idle ones after a second.
	transport.CloseIdleConnections()
	if err := idle(); err != nil {
		return wrongGateway, err
	}
	after, err := gw.Scrape(ctx)
	if err != nil {
		return wrongGateway, err
	}
	// Heap in use includes garbage until a collection runs; an idle Go
	// process is collected at the latest two minutes after its last
	// collection. Wait for one (bounded), to report the live heap.
	var afterGC []gateproc.Sample
	var gcWait time.Duration
	if o.gcWait > 0 {
		logf("waiting up to %s for the gateway's next garbage collection", o.gcWait)
		afterGC, gcWait, err = gw.AwaitGC(ctx, after, o.gcWait)
		if err != nil {
			logf("%v", err)
		}
	}

	// The same requests, to the upstream directly.
	logf("the same %d requests, %d clients, to the upstream directly", o.requests, o.concurrency)
	directElapsed := make([]time.Duration, len(phases))
	for i, ph := range phases {
		if directElapsed[i], err = d.runPhase(ctx, direct.url, ph, false, wrongLogger("direct")); err != nil {
			return wrongGateway, fmt.Errorf("direct run: %w", err)
		}
	}
	directResults := d.results
	transport.CloseIdleConnections()

	stopErr := gw.Stop()
	stopped = true
	leaks := scanLog(gw.LogPath, d.sets[:], pool)

	r := report{
		o: o, phases: phases, sched: sched, gateway: gatewayResults, direct: directResults,
		elapsed: elapsed, directElapsed: directElapsed, before: before, after: after, afterGC: afterGC, gcWait: gcWait,
		notes: notes, wrongSamples: wrongSamples, probeWrong: probeWrong,
		upstreamRequests: up.requests.Load(), upstreamMismatches: up.mismatches.Load(), poolFetches: pool.Fetches(),
		stopErr: stopErr, logLeaks: leaks, logPath: gw.LogPath, loadStart: loadStart,
	}
	r.print(out)
	total := wrongGateway + up.mismatches.Load() + int64(len(leaks))
	return total, nil
}

// scanLog looks for token and key material in the gateway's log (whole
// tokens, their signatures and payloads, and the pool's moduli) and for
// data races and panics.
func scanLog(path string, sets []*tokenSet, pool *fakepool.Pool) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return []string{"cannot read the log: " + err.Error()}
	}
	log := string(b)
	var found []string
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
		if strings.Contains(log, bad) {
			found = append(found, fmt.Sprintf("%q (see %s)", bad, path))
		}
	}
	check := func(what, s string) {
		if len(s) >= 16 && strings.Contains(log, s) {
			found = append(found, what)
		}
	}
	for _, s := range sets {
		if s == nil {
			continue
		}
		toks := append(append(slices.Clone(s.readers), s.admins...), s.expired...)
		toks = append(toks, s.cold[:min(len(s.cold), 64)]...)
		for _, t := range toks {
			parts := strings.Split(t.raw, ".")
			check("a token", t.raw)
			check("a payload", parts[1][:32])
			check("a signature", parts[2][:32])
		}
	}
	for _, s := range sets {
		if s == nil {
			continue
		}
		if k := pool.PublicKey(s.kid); k != nil {
			check("a modulus", base64.RawURLEncoding.EncodeToString(k.N.Bytes())[:32])
		}
	}
	return found
}

// report prints the figures.
type report struct {
	o                      options
	phases                 []*phase
	sched                  []entry
	gateway, direct        []result
	elapsed, directElapsed []time.Duration
	before, after, afterGC []gateproc.Sample
	gcWait                 time.Duration
	loadStart              string
	notes, wrongSamples    []string
	probeWrong             int64
	upstreamRequests       int64
	upstreamMismatches     int64
	poolFetches            int
	stopErr                error
	logLeaks               []string
	logPath                string
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	n := len(r.gateway)
	lat := func(rs []result, keep func(i int) bool) gateproc.Latencies {
		var ds []time.Duration
		for i, x := range rs {
			if keep(i) {
				ds = append(ds, x.latency)
			}
		}
		return gateproc.Summarise(ds)
	}
	all := func(int) bool { return true }
	wrong := 0
	fivexx := map[string]int{}
	for i, x := range r.gateway {
		if x.wrong != "" {
			wrong++
		}
		if x.status >= 500 {
			ph := r.phaseOf(i)
			designed := "outside the designed window"
			if ph.unavailable {
				designed = "designed window"
			}
			fivexx[fmt.Sprintf("%d %s (%s)", x.status, x.reason, designed)]++
		}
	}
	p("## cognito-gate load test")
	p("")
	p("command: go run ./internal/loadtest --requests %d --concurrency %d --seed %d --cooldown %s --token-cache=%t --log-level %s --race=%t",
		r.o.requests, r.o.concurrency, r.o.seed, r.o.cooldown, r.o.tokenCache, r.o.logLevel, r.o.race)
	p("machine: %s/%s, %d CPUs, %s; load tool, upstream and gateway share it; load average %s at the start, %s at the end",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), r.loadStart, gateproc.LoadAverage())
	p("")
	p("requests through the gateway: %d (+ probes); wrong decisions: %d (probes: %d); upstream identity/path mismatches: %d", n, wrong, r.probeWrong, r.upstreamMismatches)
	if len(fivexx) == 0 {
		p("5xx: none")
	} else {
		keys := make([]string, 0, len(fivexx))
		for k := range fivexx {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p("5xx: %d × %s", fivexx[k], k)
		}
	}
	for _, s := range r.wrongSamples {
		p("WRONG: %s", s)
	}
	p("")
	gl, dl := lat(r.gateway, all), lat(r.direct, all)
	gt, dt := sum(r.elapsed), sum(r.directElapsed)
	p("| target | requests | time | throughput | p50 | p99 | max |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	p("| gateway | %d | %.2f s | %.0f req/s | %s | %s | %s |", n, gt.Seconds(), float64(n)/gt.Seconds(), gateproc.Ms(gl.P50), gateproc.Ms(gl.P99), gateproc.Ms(gl.Max))
	p("| upstream directly | %d | %.2f s | %.0f req/s | %s | %s | %s |", n, dt.Seconds(), float64(n)/dt.Seconds(), gateproc.Ms(dl.P50), gateproc.Ms(dl.P99), gateproc.Ms(dl.Max))
	p("")
	p("| phase | requests | time | throughput | p50 | p99 | 5xx | wrong |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|")
	for i, ph := range r.phases {
		in := func(j int) bool { return j >= ph.start && j < ph.end }
		l := lat(r.gateway, in)
		f, wr := 0, 0
		for j := ph.start; j < ph.end; j++ {
			if r.gateway[j].status >= 500 {
				f++
			}
			if r.gateway[j].wrong != "" {
				wr++
			}
		}
		p("| %s | %d | %.2f s | %.0f req/s | %s | %s | %d | %d |", ph.name, ph.end-ph.start, r.elapsed[i].Seconds(),
			float64(ph.end-ph.start)/r.elapsed[i].Seconds(), gateproc.Ms(l.P50), gateproc.Ms(l.P99), f, wr)
	}
	p("")
	p("| kind | requests | expected | gateway p50 | gateway p99 | direct p50 | direct p99 |")
	p("|---|---:|---|---:|---:|---:|---:|")
	for k := range numKinds {
		of := func(j int) bool { return r.sched[j].kind == k }
		g, dd := lat(r.gateway, of), lat(r.direct, of)
		if g.N == 0 {
			continue
		}
		exp := fmt.Sprint(expectStatus(k, false))
		if k != kindAnonPublic && k != kindAnonProtected && k != kindGarbage {
			exp += " (503 while no keys)"
		}
		p("| %s | %d | %s | %s | %s | %s | %s |", k, g.N, exp, gateproc.Ms(g.P50), gateproc.Ms(g.P99), gateproc.Ms(dd.P50), gateproc.Ms(dd.P99))
	}
	p("")
	for _, s := range r.notes {
		p("- %s", s)
	}
	p("")
	b, a := snapshotOf(r.before), snapshotOf(r.after)
	p("gateway at rest, from its admin /metrics. before: after start-up and %s idle, before any request. after: last request answered, client connections closed, %s idle (the upstream closes the gateway's idle connections after 1 s).", r.o.idle, r.o.idle)
	if r.afterGC != nil {
		p("after GC: the first scrape after the gateway's next garbage collection (%s after the previous scrape; nothing forces it, the runtime collects an idle process every 2 minutes).", r.gcWait.Round(time.Second))
	}
	p("")
	if r.afterGC != nil {
		g := snapshotOf(r.afterGC)
		p("| | before | after | after GC |")
		p("|---|---:|---:|---:|")
		p("| go_goroutines | %.0f | %.0f | %.0f |", b.goroutines, a.goroutines, g.goroutines)
		p("| go_memstats_heap_inuse_bytes | %s | %s | %s |", gateproc.MiB(b.heapInuse), gateproc.MiB(a.heapInuse), gateproc.MiB(g.heapInuse))
		p("| go_memstats_heap_alloc_bytes | %s | %s | %s |", gateproc.MiB(b.heapAlloc), gateproc.MiB(a.heapAlloc), gateproc.MiB(g.heapAlloc))
		p("| go_memstats_heap_objects | %.0f | %.0f | %.0f |", b.heapObjects, a.heapObjects, g.heapObjects)
		p("| process_resident_memory_bytes | %s | %s | %s |", gateproc.MiB(b.rss), gateproc.MiB(a.rss), gateproc.MiB(g.rss))
		p("| cognito_gate_token_cache_entries | %.0f | %.0f | %.0f |", b.cacheEntries, a.cacheEntries, g.cacheEntries)
		p("| garbage collections so far | %.0f | %.0f | %.0f |", b.gcs, a.gcs, g.gcs)
	} else {
		p("| | before | after |")
		p("|---|---:|---:|")
		p("| go_goroutines | %.0f | %.0f |", b.goroutines, a.goroutines)
		p("| go_memstats_heap_inuse_bytes | %s | %s |", gateproc.MiB(b.heapInuse), gateproc.MiB(a.heapInuse))
		p("| go_memstats_heap_alloc_bytes | %s | %s |", gateproc.MiB(b.heapAlloc), gateproc.MiB(a.heapAlloc))
		p("| go_memstats_heap_objects | %.0f | %.0f |", b.heapObjects, a.heapObjects)
		p("| process_resident_memory_bytes | %s | %s |", gateproc.MiB(b.rss), gateproc.MiB(a.rss))
		p("| cognito_gate_token_cache_entries | %.0f | %.0f |", b.cacheEntries, a.cacheEntries)
		p("| garbage collections so far | %.0f | %.0f |", b.gcs, a.gcs)
	}
	p("")
	fb, fa := gateproc.ByLabel(r.before, "cognito_gate_jwks_fetches_total", "result"), gateproc.ByLabel(r.after, "cognito_gate_jwks_fetches_total", "result")
	var fetches []string
	for _, res := range sortedKeys(fa) {
		if fa[res] > 0 || fb[res] > 0 {
			fetches = append(fetches, fmt.Sprintf("%s %.0f → %.0f", res, fb[res], fa[res]))
		}
	}
	p("cognito_gate_jwks_fetches_total by result, before → after: %s (the pool's JWKS server saw %d requests in all, faulted ones included)", strings.Join(fetches, ", "), r.poolFetches)
	reqs := byLabelPair(r.after, "cognito_gate_requests_total", "result", "reason")
	p("cognito_gate_requests_total at the end (includes probes): %s", strings.Join(reqs, ", "))
	hits, _ := gateproc.Value(r.after, "cognito_gate_token_cache_requests_total", map[string]string{"result": "hit"})
	misses, _ := gateproc.Value(r.after, "cognito_gate_token_cache_requests_total", map[string]string{"result": "miss"})
	p("verified-token cache: %.0f hits, %.0f misses", hits, misses)
	p("upstream (checking) received %d requests", r.upstreamRequests)
	if len(r.logLeaks) == 0 {
		p("gateway log: no token, payload, signature or modulus; no data race or panic")
	} else {
		p("gateway log: FOUND %s", strings.Join(r.logLeaks, ", "))
	}
	if r.stopErr != nil {
		p("gateway stop: %v", r.stopErr)
	} else {
		p("gateway stopped on SIGTERM with exit status 0")
	}
}

func (r *report) phaseOf(i int) *phase {
	for _, ph := range r.phases {
		if i >= ph.start && i < ph.end {
			return ph
		}
	}
	return r.phases[len(r.phases)-1]
}

func sortedKeys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// byLabelPair lists the non-zero samples named name as "a/b value".
func byLabelPair(samples []gateproc.Sample, name, a, b string) []string {
	var out []string
	for _, s := range samples {
		if s.Name == name && s.Value > 0 {
			out = append(out, fmt.Sprintf("%s/%s %.0f", s.Labels[a], s.Labels[b], s.Value))
		}
	}
	sort.Strings(out)
	return out
}
