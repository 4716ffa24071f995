package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cognito-gate/cognito-gate/bench/internal/gateproc"
)

func main() {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	duration, warm time.Duration
	rounds         int
	conns          []int
	tokens         int
	churnEntries   int
	pools          int
	memTokens      int
	binary         string
	nginx, caddy   string
	oauth2Proxy    string
	only           string
	maxDuration    time.Duration
	keep           bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	var conns string
	fs := flag.NewFlagSet("proxybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 3*time.Second, "measured time of each path in each round, at each connection count")
	fs.DurationVar(&o.warm, "warm", 500*time.Millisecond, "untimed warm-up before each measurement (connections opened, caches filled)")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds: every path once per round, interleaved")
	fs.StringVar(&conns, "conns", "16,64", "connection counts, comma-separated")
	fs.IntVar(&o.tokens, "tokens", 10000, "distinct valid tokens cycled by the distinct-token paths")
	fs.IntVar(&o.churnEntries, "churn-entries", 2000, "token_cache.max_entries of the churn gate (fewer than --tokens)")
	fs.IntVar(&o.pools, "pools", 500, "pools of the large start-up measurement (0: skip)")
	fs.IntVar(&o.memTokens, "mem-tokens", 10000, "distinct tokens sent once each for the memory measurement (0: skip; at most --tokens)")
	fs.StringVar(&o.binary, "binary", "", "cognito-gate `binary` (default: go build it from the repository)")
	fs.StringVar(&o.nginx, "nginx", lookPath("nginx", "/usr/sbin/nginx"), "nginx binary (empty: leave nginx out)")
	fs.StringVar(&o.caddy, "caddy", lookPath("caddy"), "caddy binary (empty: leave Caddy out)")
	fs.StringVar(&o.oauth2Proxy, "oauth2-proxy", "", "oauth2-proxy binary (empty: leave it out; proxy.sh builds v7.15.6)")
	fs.StringVar(&o.only, "only", "", "comma-separated path names to measure (default: all)")
	fs.DurationVar(&o.maxDuration, "max-duration", 30*time.Minute, "abort the run after this long")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (configurations, logs)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, c := range strings.Split(conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return o, fmt.Errorf("--conns: %q is not a positive number", c)
		}
		o.conns = append(o.conns, n)
	}
	if o.rounds < 1 || o.tokens < 1 || o.duration <= 0 || o.memTokens > o.tokens {
		return o, errors.New("--rounds and --tokens must be at least 1, --duration positive, --mem-tokens at most --tokens")
	}
	return o, nil
}

// lookPath returns the first of names found, or "".
func lookPath(names ...string) string {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "proxybench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.maxDuration)
	defer cancel()
	wrong, err := bench(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "proxybench:", err)
		return 1
	}
	if wrong > 0 {
		fmt.Fprintf(stderr, "proxybench: %d wrong answers (see the wrong column)\n", wrong)
		return 1
	}
	return 0
}

// bench runs everything and prints the report; it returns the number of
// wrong answers.
func bench(ctx context.Context, o options, out, errw io.Writer) (int64, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(errw, "proxybench: "+format+"\n", args...) }
	rep := &report{o: o, loadBefore: gateproc.LoadAverage(), started: time.Now()}
	e, err := setup(ctx, o, logf)
	if err != nil {
		return 0, err
	}
	defer func() {
		e.close()
		if o.keep {
			logf("kept %s", e.dir)
		} else {
			os.RemoveAll(e.dir)
		}
	}()
	rep.notes = e.notes
	rep.tokenLen = len(e.toks.cached)
	subjects := e.subjects
	if o.only != "" {
		keep := strings.Split(o.only, ",")
		subjects = slices.DeleteFunc(slices.Clone(subjects), func(s *subject) bool { return !slices.Contains(keep, s.name) })
	}
	rep.subjects = subjects
	for r := range o.rounds {
		for _, c := range o.conns {
			for _, s := range subjects {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				m := measure(ctx, s, c, o.warm, o.duration)
				logf("round %d, %2d conns, %-14s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  wrong %d%s",
					r+1, c, s.name, m.rps, ms(m.p50), ms(m.p99), m.wrong, m.wrongNote())
				rep.add(s.name, c, m)
			}
		}
	}
	if o.pools > 0 {
		logf("start-up to /readyz with 1 and %d pools", o.pools)
		if rep.startup, err = measureStartup(ctx, e, []int{1, o.pools}, 3); err != nil {
			return rep.wrong(), err
		}
	}
	if o.memTokens > 0 {
		logf("memory after %d distinct tokens, cache on and off", o.memTokens)
		if rep.memory, err = measureMemory(ctx, e, o.memTokens); err != nil {
			return rep.wrong(), err
		}
	}
	rep.loadAfter = gateproc.LoadAverage()
	rep.print(out)
	return rep.wrong(), nil
}
