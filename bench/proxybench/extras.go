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
	rssBefore, rssAfter   float64
	heapBefore, heapAfter float64
	entries               float64
}

// memoryResult compares a gate with its token cache on and one with it off.
type memoryResult struct {
	tokens  int
	on, off memorySide
}

// measureMemory starts two fresh gates, cache on and off, warms each with
// the repeated token, and sends each of the first n distinct tokens once;
// it reads RSS (/proc) and heap in use (/metrics) before and after.
func measureMemory(ctx context.Context, e *env, n int) (*memoryResult, error) {
	res := &memoryResult{tokens: n}
	pool := poolSpec{id: benchPoolID, issuer: e.pool.Issuer(), jwksURL: e.issuer.jwksURL(benchPoolID), clientID: e.pool.ClientID()}
	for _, side := range []*memorySide{{label: "on (default size)"}, {label: "off"}} {
		off := side.label == "off"
		g, err := e.startGate(ctx, "serve", "memory-"+strconv.FormatBool(!off), gateSpec{upstream: e.upstream, pools: []poolSpec{pool}, cacheOff: off, noHeapFloor: true})
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
		read := func() (rss, heap, entries float64, err error) {
			s, err := g.Scrape(ctx)
			if err != nil {
				return 0, 0, 0, err
			}
			heap, _ = gateproc.Value(s, "go_memstats_heap_inuse_bytes", nil)
			entries, _ = gateproc.Value(s, "cognito_gate_token_cache_entries", nil)
			return rssOf(g.Pid()), heap, entries, nil
		}
		if side.rssBefore, side.heapBefore, _, err = read(); err != nil {
			return nil, err
		}
		if o := sendAll(ctx, addr, newWorkload(addr, apiPath, e.toks.distinct[:n], cred, http.StatusOK), 16, n); o.wrong > 0 {
			return nil, fmt.Errorf("memory run: %d wrong answers: %v", o.wrong, o.samples)
		}
		if side.rssAfter, side.heapAfter, side.entries, err = read(); err != nil {
			return nil, err
		}
		if err := g.Stop(); err != nil {
			return nil, err
		}
		if off {
			res.off = *side
		} else {
			res.on = *side
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
