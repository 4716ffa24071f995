package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

// report collects the measurements of a run and prints them.
type report struct {
	o                     options
	started               time.Time
	loadBefore, loadAfter string
	notes                 []string
	tokenLen              int
	subjects              []*subject
	// runs[name][conns] are the rounds' measurements, in order.
	runs    map[string]map[int][]measurement
	startup []startupResult
	memory  *memoryResult
}

func (r *report) add(name string, conns int, m measurement) {
	if r.runs == nil {
		r.runs = map[string]map[int][]measurement{}
	}
	if r.runs[name] == nil {
		r.runs[name] = map[int][]measurement{}
	}
	r.runs[name][conns] = append(r.runs[name][conns], m)
}

func (r *report) wrong() int64 {
	var n int64
	for _, byConns := range r.runs {
		for _, runs := range byConns {
			for _, m := range runs {
				n += m.wrong
			}
		}
	}
	return n
}

// of returns f of each round of name at conns.
func (r *report) of(name string, conns int, f func(measurement) float64) []float64 {
	var out []float64
	for _, m := range r.runs[name][conns] {
		out = append(out, f(m))
	}
	return out
}

// ratio returns the median over rounds of a's req/s over b's in the same
// round, and the range; ok is false when either is missing.
func (r *report) ratio(a, b string, conns int) (med, lo, hi float64, ok bool) {
	ra, rb := r.runs[a][conns], r.runs[b][conns]
	if len(ra) == 0 || len(ra) != len(rb) {
		return 0, 0, 0, false
	}
	var xs []float64
	for i := range ra {
		if rb[i].rps > 0 {
			xs = append(xs, ra[i].rps/rb[i].rps)
		}
	}
	if len(xs) == 0 {
		return 0, 0, 0, false
	}
	return gateproc.Median(xs), slices.Min(xs), slices.Max(xs), true
}

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# proxybench: %d rounds of %s per path and connection count (after %s warm-up), paths interleaved", r.o.rounds, r.o.duration, r.o.warm)
	p("")
	p("%s/%s, %d CPUs, %s; load average %s at the start, %s at the end; run took %s",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), r.loadBefore, r.loadAfter, time.Since(r.started).Round(time.Second))
	p("every request carries a %d-byte token (Authorization: Bearer …) or, on the anonymous route, a padding header of the same length", r.tokenLen)
	for _, n := range r.notes {
		p("- %s", n)
	}
	for _, c := range r.o.conns {
		p("")
		p("## %d connections (medians over rounds)", c)
		p("")
		p("| path | req/s | p50 ms | p99 ms | CPU s per 1,000 requests | wrong | cache hits |")
		p("|---|---:|---:|---:|---|---:|---:|")
		for _, s := range r.subjects {
			runs := r.runs[s.name][c]
			if len(runs) == 0 {
				continue
			}
			cpu := map[string]float64{}
			for _, g := range s.groups {
				cpu[g.label] = gateproc.Median(r.of(s.name, c, func(m measurement) float64 { return m.cpu[g.label] }))
			}
			var wrong int64
			var hits, misses float64
			for _, m := range runs {
				wrong += m.wrong
				hits += m.hits
				misses += m.misses
			}
			hr := "—"
			if hits+misses > 0 {
				hr = fmt.Sprintf("%.1f%%", 100*hits/(hits+misses))
			}
			p("| %s | %.0f | %.2f | %.2f | %s | %d | %s |", s.name,
				gateproc.Median(r.of(s.name, c, func(m measurement) float64 { return m.rps })),
				gateproc.Median(r.of(s.name, c, func(m measurement) float64 { return ms(m.p50) })),
				gateproc.Median(r.of(s.name, c, func(m measurement) float64 { return ms(m.p99) })),
				fmtCPU(cpu), wrong, hr)
		}
	}
	p("")
	p("## Ratios of req/s (median of the per-round ratios, range in brackets) and targets of issue 18")
	p("")
	p("| ratio | target | %s |", joinConns(r.o.conns, " conns | "))
	p("|---|---|%s", repeat("---:|", len(r.o.conns)))
	ratios := []struct{ a, b, name, target string }{
		{"serve-cached", "bare", "serve cached token / bare ReverseProxy", "≥ 0.90"},
		{"serve-anon", "bare", "serve anonymous / bare ReverseProxy", "≥ 0.95"},
		{"serve-distinct", "bare", "serve distinct tokens, cache on / bare", "—"},
		{"serve-nocache", "bare", "serve distinct tokens, cache off / bare", "—"},
		{"serve-churn", "bare", "serve distinct tokens, churning cache / bare", "—"},
		{"serve-invalid", "bare", "serve invalid token (401) / bare", "—"},
		{"bare", "upstream", "bare ReverseProxy / upstream alone", "—"},
		{"nginx-fa", "nginx", "nginx + forward-auth (keepalive block) / nginx", "≥ 0.45"},
		{"nginx-fa-conn", "nginx", "nginx + forward-auth (connection per subrequest) / nginx", "—"},
		{"caddy-fa", "caddy", "Caddy + forward_auth / Caddy", "measured"},
		{"serve-cached", "oauth2-proxy", "serve cached token / oauth2-proxy, same token", "≥ 4"},
	}
	for _, x := range ratios {
		line := fmt.Sprintf("| %s | %s |", x.name, x.target)
		any := false
		for _, c := range r.o.conns {
			if med, lo, hi, ok := r.ratio(x.a, x.b, c); ok {
				line += fmt.Sprintf(" %.2f (%.2f–%.2f) |", med, lo, hi)
				any = true
			} else {
				line += " — |"
			}
		}
		if any {
			p("%s", line)
		}
	}
	p("")
	p("p99 (ms, median over rounds): %s", r.p99s())
	if len(r.startup) > 0 {
		p("")
		p("## Start-up: process start to the first 200 from /readyz (median of %d starts)", len(r.startup[0].took))
		p("")
		p("| pools | to /readyz | range | key set fetches per start | RSS at ready |")
		p("|---:|---:|---|---:|---:|")
		for _, s := range r.startup {
			p("| %d | %.0f ms | %.0f–%.0f ms | %.0f | %.1f MiB |", s.pools, gateproc.Median(s.took), slices.Min(s.took), slices.Max(s.took), s.fetches, s.rss/(1<<20))
		}
	}
	if m := r.memory; m != nil {
		p("")
		p("## Memory: %d distinct tokens of %d bytes sent once each to a fresh gate (16 connections; server.heap_floor 0, so that the heap in use is what the cache keeps, not up to 32 MiB of garbage)", m.tokens, r.tokenLen)
		p("")
		p("| token cache | GOGC | RSS before | RSS after | RSS growth per token | heap in use growth per token | cache entries |")
		p("|---|---|---:|---:|---:|---:|---:|")
		for _, x := range m.sides() {
			gogc := x.gogc
			if gogc == "" {
				gogc = "Go's default (100)"
			}
			p("| %s | %s | %.1f MiB | %.1f MiB | %.0f B | %.0f B | %.0f |", x.label, gogc, x.rssBefore/(1<<20), x.rssAfter/(1<<20),
				(x.rssAfter-x.rssBefore)/float64(m.tokens), (x.heapAfter-x.heapBefore)/float64(m.tokens), x.entries)
		}
		tok := float64(r.tokenLen)
		rss, heap := perToken(m.on, m.off, m.tokens)
		liveRSS, live := perToken(m.liveOn, m.liveOff, m.tokens)
		p("")
		p("per cached token, on minus off: at Go's default GOGC, RSS %.0f B (%.2f× the token) and heap in use %.0f B (%.2f×), garbage and the collector's headroom included; at GOGC=%s, which collects whenever the heap has grown by 1%%, RSS %.0f B (%.2f×) and heap in use %.0f B: **%.2f× the token** (target ≤ 2.5×, %s)",
			rss, rss/tok, heap, heap/tok, liveGOGC, liveRSS, liveRSS/tok, live, live/tok, verdict(live/tok <= 2.5))
	}
}

// verdict is "met" or "NOT MET".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT MET"
}

func (r *report) p99s() string {
	var out string
	for _, s := range r.subjects {
		out += s.name + " "
		for i, c := range r.o.conns {
			if i > 0 {
				out += "/"
			}
			out += fmt.Sprintf("%.2f", gateproc.Median(r.of(s.name, c, func(m measurement) float64 { return ms(m.p99) })))
		}
		out += "; "
	}
	return out
}

func joinConns(cs []int, sep string) string {
	out := ""
	for i, c := range cs {
		if i > 0 {
			out += sep
		}
		out += fmt.Sprint(c)
	}
	return out + " conns"
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
