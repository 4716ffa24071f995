package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// tokenSet holds the tokens of one signing key.
type tokenSet struct {
	kid     string
	readers []token // no groups: cached tokens, non-admin on the admin route
	admins  []token // groups admin and ops
	expired []token
	badSig  []string
	cold    []token // each used once
}

// mintSet mints a set with the pool's current access token key, using
// every CPU: signing is the expensive part of preparing a run, and is not
// timed.
func mintSet(pool *fakepool.Pool, label string, cold int) *tokenSet {
	s := &tokenSet{
		readers: make([]token, 32), admins: make([]token, 8), expired: make([]token, 16),
		cold: make([]token, cold),
	}
	mint := func(user, groups string, opts ...fakepool.TokenOption) token {
		opts = append([]fakepool.TokenOption{fakepool.WithUsername(user), fakepool.WithSubject("sub-" + user)}, opts...)
		if groups != "" {
			opts = append(opts, fakepool.WithGroups(strings.Split(groups, ",")...))
		}
		return token{raw: pool.AccessToken(opts...), user: user, groups: groups}
	}
	type job func()
	var jobs []job
	for i := range s.readers {
		jobs = append(jobs, func() { s.readers[i] = mint(fmt.Sprintf("reader-%s-%d", label, i), "") })
	}
	for i := range s.admins {
		jobs = append(jobs, func() { s.admins[i] = mint(fmt.Sprintf("admin-%s-%d", label, i), "admin,ops") })
	}
	for i := range s.expired {
		jobs = append(jobs, func() {
			s.expired[i] = mint(fmt.Sprintf("expired-%s-%d", label, i), "", fakepool.WithIssuedAt(time.Now().Add(-3*time.Hour)))
		})
	}
	for i := range s.cold {
		jobs = append(jobs, func() { s.cold[i] = mint(fmt.Sprintf("cold-%s-%d", label, i), "") })
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) {
					return
				}
				jobs[i]()
			}
		})
	}
	wg.Wait()
	for i := range 16 {
		s.badSig = append(s.badSig, withSignatureOf(s.readers[i].raw, s.readers[i+1].raw))
	}
	s.kid = kidOf(s.readers[0].raw)
	return s
}

// kidOf returns the kid in a token's header.
func kidOf(raw string) string {
	h, _, _ := strings.Cut(raw, ".")
	var hdr struct {
		Kid string `json:"kid"`
	}
	b, err := base64URL(h)
	if err != nil || json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.Kid
}

// entry is one scheduled request.
type entry struct {
	kind kind
	cold int // for kindCold: which cold token of its phase's set
}

// phase is a stretch of the run with its own conditions.
type phase struct {
	name        string
	share       float64 // of the requests
	set         int     // token set: 0 first key, 1 after the rotation
	unavailable bool    // the gateway holds no keys: tokens get 503
	retired     bool    // old-key tokens are in the mix

	// before runs with no traffic (not timed); during runs alongside the
	// phase's traffic, which does not end before it; after runs with no
	// traffic.
	before, during, after func(ctx context.Context) error

	start, end int // request indexes [start, end)
}

// schedule assigns a kind to each of n requests, phase by phase, and
// numbers the cold requests of each token set. It returns the schedule
// and the number of cold tokens each set needs.
func schedule(phases []*phase, n int, seed uint64) ([]entry, [2]int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]entry, n)
	var cold [2]int
	at := 0
	for i, ph := range phases {
		size := int(float64(n)*ph.share + 0.5)
		if i == len(phases)-1 || at+size > n {
			size = n - at
		}
		ph.start, ph.end = at, at+size
		mix := &baseMix
		if ph.retired {
			mix = &retiredMix
		}
		for j := ph.start; j < ph.end; j++ {
			k := mix.pick(r)
			out[j] = entry{kind: k}
			if k == kindCold {
				out[j].cold = cold[ph.set]
				cold[ph.set]++
			}
		}
		at += size
	}
	return out, cold
}

// result is what happened to one request.
type result struct {
	status  int
	latency time.Duration
	reason  string // the JSON body's reason, for 5xx
	wrong   string // why the answer is wrong, "" when right
}

// driver sends the scheduled requests.
type driver struct {
	client *http.Client
	sched  []entry
	sets   [2]*tokenSet
	seed   uint64
	conc   int

	results []result
	wrong   atomic.Int64
}

// request builds request i of phase ph against base, and returns it with
// the status the gateway must answer.
func (d *driver) request(ctx context.Context, base string, i int, ph *phase) (*http.Request, int) {
	e := d.sched[i]
	set := d.sets[ph.set]
	var tok *token
	bearer := ""
	switch e.kind {
	case kindCold:
		tok = &set.cold[e.cold]
	case kindCached, kindNonAdmin:
		tok = &set.readers[i%len(set.readers)]
	case kindAdmin:
		tok = &set.admins[i%len(set.admins)]
	case kindBadSignature:
		bearer = set.badSig[i%len(set.badSig)]
	case kindExpired:
		bearer = set.expired[i%len(set.expired)].raw
	case kindRandomKid:
		bearer = withKid(set.readers[i%len(set.readers)].raw, fmt.Sprintf("random-%d-%d", d.seed, i))
	case kindGarbage:
		bearer = garbage[i%len(garbage)]
	case kindRetired:
		bearer = d.sets[0].readers[i%len(d.sets[0].readers)].raw
	}
	if tok != nil {
		bearer = tok.raw
	}
	path := target(e.kind, i)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for _, h := range spoofed {
		req.Header.Set(h[0], h[1])
	}
	req.Header.Set(expectHeader, tok.expectHeader())
	req.Header.Set(pathHeader, path)
	return req, expectStatus(e.kind, ph.unavailable)
}

// do sends one request and judges the answer. checked says the answer
// comes from the gateway (else from the upstream directly, where every
// request gets 200).
func (d *driver) do(req *http.Request, want int, checked bool) result {
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		return result{latency: time.Since(start), wrong: "transport: " + err.Error()}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := result{status: resp.StatusCode, latency: time.Since(start)}
	if err != nil {
		r.wrong = "reading the body: " + err.Error()
		return r
	}
	if resp.StatusCode >= 500 {
		var b struct {
			Reason string `json:"reason"`
		}
		if json.Unmarshal(body, &b) == nil && b.Reason != "" {
			r.reason = b.Reason
		} else {
			r.reason = "(no reason)"
		}
	}
	if !checked {
		want = http.StatusOK
	}
	verdict := resp.Header.Get(checkHeader)
	switch {
	case resp.StatusCode != want:
		r.wrong = fmt.Sprintf("status %d, want %d", resp.StatusCode, want)
	case want == http.StatusOK && verdict != "ok":
		r.wrong = fmt.Sprintf("upstream check %q", verdict)
	case want != http.StatusOK && verdict != "":
		r.wrong = "a denied request reached the upstream"
	}
	return r
}

// runPhase sends the requests of ph to base with d.conc clients, runs the
// phase's during action alongside, and returns the traffic's duration.
func (d *driver) runPhase(ctx context.Context, base string, ph *phase, checked bool, logWrong func(i int, ph *phase, r result)) (time.Duration, error) {
	var next atomic.Int64
	next.Store(int64(ph.start))
	var actionErr error
	var action sync.WaitGroup
	start := time.Now()
	if ph.during != nil && checked {
		action.Go(func() { actionErr = ph.during(ctx) })
	}
	var wg sync.WaitGroup
	for range d.conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= ph.end {
					return
				}
				req, want := d.request(ctx, base, i, ph)
				r := d.do(req, want, checked)
				d.results[i] = r
				if r.wrong != "" {
					d.wrong.Add(1)
					logWrong(i, ph, r)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	action.Wait()
	if ctx.Err() != nil {
		return elapsed, ctx.Err()
	}
	return elapsed, actionErr
}

// probe sends a request with tok to the authenticated route until the
// gateway answers want, accepting interim meanwhile, for at most limit.
// With nudge, each probe is preceded by a request with a random kid (which
// must get 401): the gateway refreshes its keys on an unknown kid once the
// cooldown has passed, and otherwise only every refresh_interval, so a
// retired key is noticed only thanks to such requests. It returns the
// number of probes sent and the time until want.
func (d *driver) probe(ctx context.Context, base string, tok *token, want, interim int, nudge bool, limit time.Duration) (int, time.Duration, error) {
	start := time.Now()
	send := func(raw, expect string) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/probe", nil)
		req.Header.Set("Authorization", "Bearer "+raw)
		req.Header.Set(expectHeader, expect)
		req.Header.Set(pathHeader, "/api/probe")
		resp, err := d.client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if v := resp.Header.Get(checkHeader); resp.StatusCode == http.StatusOK && v != "ok" {
			return 0, fmt.Errorf("upstream check %q", v)
		}
		return resp.StatusCode, nil
	}
	for n := 1; ; n++ {
		if nudge {
			status, err := send(withKid(tok.raw, fmt.Sprintf("nudge-%d-%d", d.seed, n)), "-")
			if err != nil {
				return n, 0, err
			}
			if status != http.StatusUnauthorized {
				return n, 0, fmt.Errorf("random-kid request before probe %d: status %d, want 401", n, status)
			}
		}
		status, err := send(tok.raw, tok.expectHeader())
		if err != nil {
			return n, 0, fmt.Errorf("probe %d: %w", n, err)
		}
		switch status {
		case want:
			return n, time.Since(start), nil
		case interim:
		default:
			return n, 0, fmt.Errorf("probe %d: status %d, want %d or %d", n, status, want, interim)
		}
		if time.Since(start) > limit {
			return n, 0, fmt.Errorf("no status %d after %d probes in %s", want, n, limit)
		}
		select {
		case <-ctx.Done():
			return n, 0, ctx.Err()
		case <-time.After(20 * time.Millisecond): // the gateway refreshes on its own clock
		}
	}
}
