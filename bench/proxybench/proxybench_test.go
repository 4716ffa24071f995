package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
)

func TestMain(m *testing.M) {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestParseStatTicks(t *testing.T) {
	tests := []struct {
		name, stat string
		want       int64
		bad        bool
	}{
		{"plain", "42 (caddy) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0 1 2 3", 325, false},
		{"name with spaces and parentheses", "7 (a) b (c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 2 3", 3, false},
		{"no name", "7 R 1", 0, true},
		{"short", "7 (x) R 1 2 3", 0, true},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u 2 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatTicks(tt.stat)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("parseStatTicks = %d, %v; want %d, error %v", got, err, tt.want, tt.bad)
			}
		})
	}
	if got := parentOf("42 (nginx: worker) S 41 42"); got != 41 {
		t.Errorf("parentOf = %d, want 41", got)
	}
}

// TestSmoke starts every path of the benchmark (oauth2-proxy only when
// PROXYBENCH_OAUTH2_PROXY names its binary), checks that each answers as
// the benchmark expects — the upstream's body with the token's identity
// for a valid token, 401 for the invalid one — measures each briefly, and
// checks that the harness counts wrong answers.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the gate, nginx and Caddy")
	}
	o := options{
		nginx: proctest.Tool(t, "nginx", "apt-get install nginx", "/usr/sbin"),
		caddy: proctest.Tool(t, "caddy", "apt-get install caddy"), oauth2Proxy: os.Getenv("PROXYBENCH_OAUTH2_PROXY"),
		tokens: 20, churnEntries: 5,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := setup(ctx, o, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		e.close()
		if !t.Failed() {
			os.RemoveAll(e.dir)
		} else {
			t.Logf("configurations and logs kept in %s", e.dir)
		}
	}()
	want := 13 // upstream, bare, 6 of serve, 3 of nginx, 2 of Caddy
	if o.oauth2Proxy != "" {
		want++
	}
	if len(e.subjects) != want {
		t.Fatalf("%d paths, want %d", len(e.subjects), want)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, s := range e.subjects {
		t.Run(s.name, func(t *testing.T) {
			// One request as the benchmark sends it, judged in full.
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(s.w.reqs[0])))
			if err != nil {
				t.Fatal(err)
			}
			req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", s.addr
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != s.w.want {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, s.w.want, body)
			}
			if s.w.want == http.StatusOK {
				if string(body) != upstreamBody {
					t.Errorf("body %q, want the upstream's", body)
				}
				sub := resp.Header.Get(subHeader)
				wantSub := "-"
				if s.gate != nil || s.name == "oauth2-proxy" {
					wantSub = "sub-bench-c000000"
					if strings.Contains(s.name, "distinct") || s.name == "serve-nocache" || s.name == "serve-churn" {
						wantSub = "sub-bench-d000000"
					}
					if s.name == "serve-anon" {
						wantSub = "-"
					}
				}
				if sub != wantSub {
					t.Errorf("the upstream saw the identity %q, want %q", sub, wantSub)
				}
			}
			m := measure(ctx, s, 2, 50*time.Millisecond, 150*time.Millisecond)
			if m.requests == 0 || m.wrong != 0 || m.rps <= 0 || m.p99 < m.p50 || m.p50 <= 0 {
				t.Errorf("measured %d requests, %d wrong, %.0f req/s, p50 %v p99 %v: %v", m.requests, m.wrong, m.rps, m.p50, m.p99, m.samples)
			}
			for _, g := range s.groups {
				if v, ok := m.cpu[g.label]; !ok || v < 0 {
					t.Errorf("CPU of %s: %v, %v", g.label, v, ok)
				}
			}
		})
	}
	// The harness cannot benchmark errors silently: a wrong status counts.
	serve := e.subjects[3] // serve-cached
	if serve.name != "serve-cached" {
		t.Fatalf("subject 3 is %s", serve.name)
	}
	bad := *serve
	bad.w = newWorkload(serve.addr, apiPath, []string{e.toks.invalid}, credLine(e.toks.cached), http.StatusOK)
	if m := measure(ctx, &bad, 2, 0, 100*time.Millisecond); m.requests == 0 || m.wrong < m.requests {
		t.Errorf("an invalid token expected to pass: %d requests, %d counted wrong", m.requests, m.wrong)
	}
	bad.w.want = http.StatusUnauthorized
	bad.w.reqs = serve.w.reqs
	if m := measure(ctx, &bad, 2, 0, 100*time.Millisecond); m.requests == 0 || m.wrong < m.requests {
		t.Errorf("a valid token expected to be refused: %d requests, %d counted wrong", m.requests, m.wrong)
	}
	st, err := measureStartup(ctx, e, []int{1, 3}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[1].fetches != 3 || st[0].took[0] <= 0 {
		t.Errorf("start-up: %+v", st)
	}
	mem, err := measureMemory(ctx, e, 10)
	if err != nil {
		t.Fatal(err)
	}
	if mem.on.entries < 10 || mem.off.entries != 0 || mem.on.rssAfter <= 0 || mem.liveOn.entries < 10 || mem.liveOff.entries != 0 {
		t.Errorf("memory: %+v", mem)
	}
	// The live gates run at GOGC=1, the others at Go's default.
	if mem.liveOn.gcPercent != 1 || mem.liveOff.gcPercent != 1 || mem.on.gcPercent != 100 || mem.off.gcPercent != 100 {
		t.Errorf("go_gc_gogc_percent: on %v, off %v, live on %v, live off %v; want 100, 100, 1, 1",
			mem.on.gcPercent, mem.off.gcPercent, mem.liveOn.gcPercent, mem.liveOff.gcPercent)
	}
}
