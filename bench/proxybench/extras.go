package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

// startupResult is the start-up of the gate with a number of pools.
type startupResult struct {
	pools   int
	took    []float64 // ms from process start to /readyz 200, per start
	fetches float64   // key set requests per start
	rss     float64   // bytes, at ready, last start
}

// measureStartup starts `cognito-gate serve` with each number of pools,
// times times, and measures process start to the first 200 from /readyz.
// Every pool has its own id, issuer and key set URL on the issuer server,
// which serves the fake pool's keys under any pool id.
func measureStartup(ctx context.Context, e *env, counts []int, times int) ([]startupResult, error) {
	var out []startupResult
	for _, n := range counts {
		res := startupResult{pools: n}
		pools := make([]poolSpec, n)
		for i := range pools {
			id := fmt.Sprintf("us-east-1_Start%05d", i)
			pools[i] = poolSpec{id: id, jwksURL: e.issuer.jwksURL(id), clientID: e.pool.ClientID()}
		}
		name := fmt.Sprintf("startup-%d", n)
		cfg, err := writeGateConfig(e.dir, name, gateSpec{upstream: e.upstream, pools: pools})
		if err != nil {
			return nil, err
		}
		for range times {
			f0 := e.issuer.fetches.Load()
			g, err := gateproc.Start(ctx, e.bin, "serve", cfg, e.dir+"/"+name+".log")
			if err != nil {
				return nil, err
			}
			if _, err := g.WaitReady(ctx, 60*time.Second); err != nil {
				g.Stop()
				return nil, fmt.Errorf("%d pools: %w", n, err)
			}
			res.took = append(res.took, float64(time.Since(g.Started))/float64(time.Millisecond))
			res.rss = rssOf(g.Pid())
			res.fetches = float64(e.issuer.fetches.Load() - f0)
			if err := g.Stop(); err != nil {
				return nil, fmt.Errorf("%d pools: stop: %w", n, err)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// memorySide is one gate of the memory measurement.
type memorySide struct {
	label                 string
	cacheOff              bool
	gogc                  string // GOGC of the gate's environment; "" for Go's default (100)
	rssBefore, rssAfter   float64
	heapBefore, heapAfter float64
	entries               float64
	gcPercent             float64 // go_gc_gogc_percent at the end
}

// liveGOGC is the GOGC of the gates that measure what the cache keeps:
// the collector runs whenever the heap has grown by 1%, so that the heap
// in use at the end is what is live (fragmentation included) and not, as
// at Go's default 100, anything up to as much again of garbage, depending
// on when the last collection ran.
const liveGOGC = "1"

// memoryResult compares gates with their token cache on and off, each at
// Go's default GOGC and at liveGOGC.
type memoryResult struct {
	tokens int
	// on, off run at Go's default; liveOn, liveOff at liveGOGC.
	on, off, liveOn, liveOff memorySide
}

// sides lists the result's gates in the order they run.
func (m *memoryResult) sides() []*memorySide {
	return []*memorySide{&m.on, &m.off, &m.liveOn, &m.liveOff}
}

// perToken is what the cache on costs per token over the cache off: in
// RSS and in heap in use.
func perToken(on, off memorySide, tokens int) (rss, heap float64) {
	n := float64(tokens)
	return ((on.rssAfter - on.rssBefore) - (off.rssAfter - off.rssBefore)) / n,
		((on.heapAfter - on.heapBefore) - (off.heapAfter - off.heapBefore)) / n
}

// measureMemory starts four fresh gates, cache on and off at Go's default
// GOGC and at liveGOGC, warms each with the repeated token, and sends each
// of the first n distinct tokens once; it reads RSS (/proc) and heap in
// use (/metrics) before and after.
func measureMemory(ctx context.Context, e *env, n int) (*memoryResult, error) {
	res := &memoryResult{tokens: n,
		on: memorySide{label: "on (default size)"}, off: memorySide{label: "off", cacheOff: true},
		liveOn:  memorySide{label: "on (default size)", gogc: liveGOGC},
		liveOff: memorySide{label: "off", cacheOff: true, gogc: liveGOGC},
	}
	pool := poolSpec{id: benchPoolID, issuer: e.pool.Issuer(), jwksURL: e.issuer.jwksURL(benchPoolID), clientID: e.pool.ClientID()}
	for i, side := range res.sides() {
		var env []string
		if side.gogc != "" {
			env = []string{"GOGC=" + side.gogc}
		}
		g, err := e.startGate(ctx, "serve", "memory-"+strconv.Itoa(i), gateSpec{upstream: e.upstream, pools: []poolSpec{pool}, cacheOff: side.cacheOff, noHeapFloor: true}, env...)
		if err != nil {
			return nil, err
		}
		addr := hostport(g.Main)
		cred := credLine(e.toks.cached)
		// The warm-up: connections, the first verification, the pools of
		// the runtime and of net/http.
		if o := sendAll(ctx, addr, newWorkload(addr, apiPath, []string{e.toks.cached, e.toks.cached}, cred, http.StatusOK), 16, 2000); o.wrong > 0 {
			return nil, fmt.Errorf("memory warm-up: %d wrong answers: %v", o.wrong, o.samples)
		}
		read := func() (rss, heap, entries, gcPercent float64, err error) {
			s, err := g.Scrape(ctx)
			if err != nil {
				return 0, 0, 0, 0, err
			}
			heap, _ = gateproc.Value(s, "go_memstats_heap_inuse_bytes", nil)
			entries, _ = gateproc.Value(s, "cognito_gate_token_cache_entries", nil)
			gcPercent, _ = gateproc.Value(s, "go_gc_gogc_percent", nil)
			return rssOf(g.Pid()), heap, entries, gcPercent, nil
		}
		if side.rssBefore, side.heapBefore, _, _, err = read(); err != nil {
			return nil, err
		}
		if o := sendAll(ctx, addr, newWorkload(addr, apiPath, e.toks.distinct[:n], cred, http.StatusOK), 16, n); o.wrong > 0 {
			return nil, fmt.Errorf("memory run: %d wrong answers: %v", o.wrong, o.samples)
		}
		if side.rssAfter, side.heapAfter, side.entries, side.gcPercent, err = read(); err != nil {
			return nil, err
		}
		if err := g.Stop(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// sendAll sends the first count requests of w's cycle (each of w.reqs once
// when count is len(w.reqs)) over conns connections, checking each.
func sendAll(ctx context.Context, addr string, w workload, conns, count int) outcome {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.limit = int64(count)
	return drive(ctx, addr, w, conns, 0, time.Hour, func() {}, func() {})
}

// rssOf returns the resident set size of pid in bytes, from
// /proc/<pid>/status (VmRSS), or 0.
func rssOf(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb * 1024
			}
		}
	}
	return 0
}
