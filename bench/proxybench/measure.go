package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

// measurement is one path at one connection count in one round.
type measurement struct {
	requests, wrong, reconnects int64
	rps                         float64
	p50, p99                    time.Duration
	// cpu is CPU seconds per 1,000 requests of each process group, by
	// label (proxy, auth, upstream, loadgen).
	cpu     map[string]float64
	hits    float64 // the gate's token cache hits and misses in the window
	misses  float64
	samples []string
}

func (m measurement) wrongNote() string {
	if len(m.samples) == 0 {
		return ""
	}
	return " (" + strings.Join(m.samples, "; ") + ")"
}

// measure drives s with conns connections and reads the CPU time of its
// processes, and the gate's cache counters, at the window's edges.
func measure(ctx context.Context, s *subject, conns int, warm, dur time.Duration) measurement {
	before := make([]int64, len(s.groups))
	after := make([]int64, len(s.groups))
	var m0, m1 []gateproc.Sample
	scrape := func() []gateproc.Sample {
		if s.gate == nil {
			return nil
		}
		x, _ := s.gate.Scrape(ctx)
		return x
	}
	o := drive(ctx, s.addr, s.w, conns, warm, dur,
		func() {
			for i, g := range s.groups {
				before[i] = g.ticks()
			}
			m0 = scrape()
		},
		func() {
			for i, g := range s.groups {
				after[i] = g.ticks()
			}
			m1 = scrape()
		})
	lat := gateproc.Summarise(o.latencies)
	m := measurement{requests: o.requests, wrong: o.wrong, reconnects: o.reconnect, p50: lat.P50, p99: lat.P99,
		rps: float64(o.requests) / o.elapsed.Seconds(), cpu: map[string]float64{}, samples: o.samples}
	for i, g := range s.groups {
		if o.requests > 0 {
			m.cpu[g.label] += float64(after[i]-before[i]) / clockTicks / float64(o.requests) * 1000
		}
	}
	count := func(ss []gateproc.Sample, result string) float64 {
		v, _ := gateproc.Value(ss, "cognito_gate_token_cache_requests_total", map[string]string{"result": result})
		return v
	}
	m.hits, m.misses = count(m1, "hit")-count(m0, "hit"), count(m1, "miss")-count(m0, "miss")
	return m
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sortedKey orders process labels as the report prints them.
var cpuLabels = []string{"proxy", "auth", "upstream", "loadgen"}

func fmtCPU(m map[string]float64) string {
	var parts []string
	total := 0.0
	for _, l := range cpuLabels {
		if v, ok := m[l]; ok {
			parts = append(parts, fmt.Sprintf("%s %.3f", l, v))
			total += v
		}
	}
	return fmt.Sprintf("%s = %.3f", strings.Join(parts, " + "), total)
}
