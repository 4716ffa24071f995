package livecheck_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// gate is an answer that waits until it is opened, counting the requests
// that wait at once.
type gate struct {
	open          chan struct{}
	waiting, most atomic.Int64
	status        int
	body          func(r *http.Request) string
	closeOnce     sync.Once
	ignoreCtx     bool // wait for release only, as a server that holds on does
}

func newGate(body func(*http.Request) string) *gate {
	return &gate{open: make(chan struct{}), status: 200, body: body}
}

func (g *gate) serve(w http.ResponseWriter, r *http.Request) {
	n := g.waiting.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	done := r.Context().Done()
	if g.ignoreCtx {
		done = nil
	}
	select {
	case <-g.open:
	case <-done:
	}
	g.waiting.Add(-1)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(g.status)
	fmt.Fprint(w, g.body(r))
}

func (g *gate) release() { g.closeOnce.Do(func() { close(g.open) }) }

// theUser answers every request with the forged tokens' user.
func theUser(*http.Request) string { return userAnswer(user, sub) }

// gated returns a Checker whose calls wait for the gate g to open, and a
// token of its pool (jti) valid for an hour of the clock (a
// testing/synctest bubble's).
func gated(t *testing.T, g *gate, ev *events, jti string, edit func(*livecheck.Config)) (*api, *livecheck.Checker, string, *claims.Token) {
	t.Helper()
	a := &api{respond: g.serve}
	c := checkerFor(t, a, nil, ev, edit)
	raw, tok := forge(t, map[string]any{"jti": jti, "exp": time.Now().Add(time.Hour).Unix()})
	return a, c, raw, tok
}

// TestSingleFlight: concurrent checks of one token make one call, and
// every one of them gets its answer.
func TestSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(theUser)
		ev := &events{}
		a, c, raw, tok := gated(t, g, ev, "one", nil)
		const n = 50
		errs := make(chan error, n)
		for range n {
			go func() { errs <- c.Check(context.Background(), tok, raw) }()
		}
		synctest.Wait() // every check waits for the one call
		if got := c.Status().Calls; got != 1 {
			t.Errorf("Status().Calls = %d, want 1", got)
		}
		g.release()
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if a.calls() != 1 {
			t.Errorf("%d requests for %d concurrent checks of one token, want 1", a.calls(), n)
		}
		sources := map[livecheck.Source]int{}
		for _, e := range ev.all() {
			sources[e.Source]++
		}
		if sources[livecheck.SourceCall] != 1 || sources[livecheck.SourceShared] != n-1 {
			t.Errorf("sources %v, want 1 call and %d shared", sources, n-1)
		}
	})
}

// TestSingleFlightSharesFailures: the checks that share a failed call all
// get its failure, and the failure is not cached.
func TestSingleFlightSharesFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(func(*http.Request) string { return `{"__type":"InternalErrorException"}` })
		g.status = 500
		a := &api{respond: g.serve}
		c := checkerFor(t, a, nil, nil, nil)
		raw, tok := forge(t, map[string]any{"exp": time.Now().Add(time.Hour).Unix()})
		errs := make(chan error, 10)
		for range 10 {
			go func() { errs <- c.Check(context.Background(), tok, raw) }()
		}
		synctest.Wait()
		g.release()
		for range 10 {
			wantErr(t, "shared failure", <-errs, livecheck.ErrUnavailable)
		}
		if s := c.Status(); a.calls() != 1 || s.Entries != 0 {
			t.Errorf("%d requests, %d entries, want 1 and none", a.calls(), s.Entries)
		}
	})
}

// TestCallerGoingAwayLeavesTheCall: a check whose context ends returns
// canceled at once; the call goes on, and its answer is cached for the
// next check.
func TestCallerGoingAwayLeavesTheCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(theUser)
		ev := &events{}
		a, c, raw, tok := gated(t, g, ev, "one", nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.Check(ctx, tok, raw) }()
		synctest.Wait()
		cancel()
		wantErr(t, "canceled", <-done, context.Canceled)
		if e := ev.last(t); e.Result != livecheck.ResultCanceled {
			t.Errorf("result %s, want canceled", e.Result)
		}
		g.release()
		synctest.Wait()
		if err := c.Check(context.Background(), tok, raw); err != nil || ev.last(t).Source != livecheck.SourceCache || a.calls() != 1 {
			t.Errorf("after the call: %v, %+v, %d requests; want the cached answer", err, ev.last(t), a.calls())
		}
	})
}

// TestConcurrencyBound: at most MaxConcurrent calls at once; the others
// wait for a free one, and one that waits all of Timeout is busy.
func TestConcurrencyBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(theUser)
		a := &api{respond: g.serve}
		ev := &events{}
		c := checkerFor(t, a, nil, ev, func(cfg *livecheck.Config) { cfg.MaxConcurrent = 3; cfg.Burst = 100 })
		const n = 10
		errs := make(chan error, n)
		for i := range n {
			raw, tok := forge(t, map[string]any{"jti": fmt.Sprint(i), "exp": time.Now().Add(time.Hour).Unix()})
			go func() { errs <- c.Check(context.Background(), tok, raw) }()
		}
		synctest.Wait()
		if got := g.waiting.Load(); got != 3 {
			t.Errorf("%d calls under way, want 3", got)
		}
		if got := c.Status().Calls; got != n {
			t.Errorf("Status().Calls = %d, want %d (3 under way, 7 waiting)", got, n)
		}
		g.release()
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if g.most.Load() != 3 || a.calls() != n {
			t.Errorf("at most %d at once, %d requests; want 3 and %d", g.most.Load(), a.calls(), n)
		}

		// A call that holds on holds the only slot: the next waits
		// Timeout and is busy, the first times out.
		g2 := newGate(theUser)
		g2.ignoreCtx = true
		a2 := &api{respond: g2.serve}
		ev2 := &events{}
		c2 := checkerFor(t, a2, nil, ev2, func(cfg *livecheck.Config) { cfg.MaxConcurrent = 1; cfg.Timeout = time.Second })
		r1, t1 := forge(t, map[string]any{"jti": "one", "exp": time.Now().Add(time.Hour).Unix()})
		r2, t2 := forge(t, map[string]any{"jti": "two", "exp": time.Now().Add(time.Hour).Unix()})
		first := make(chan error)
		go func() { first <- c2.Check(context.Background(), t1, r1) }()
		synctest.Wait()
		start := time.Now()
		err := c2.Check(context.Background(), t2, r2)
		wantErr(t, "second", err, livecheck.ErrUnavailable)
		if e := ev2.last(t); e.Result != livecheck.ResultBusy || time.Since(start) != time.Second {
			t.Errorf("second: %s after %s, want busy after 1s", e.Result, time.Since(start))
		}
		synctest.Wait() // the first call's deadline has passed too
		g2.release()
		wantErr(t, "first", <-first, livecheck.ErrUnavailable)
		results := map[livecheck.Result]int{}
		for _, e := range ev2.all() {
			results[e.Result]++
		}
		if results[livecheck.ResultTimeout] != 1 || results[livecheck.ResultBusy] != 1 || a2.calls() != 1 {
			t.Errorf("results %v after %d requests, want one timeout and one busy after 1", results, a2.calls())
		}
	})
}

// TestRateLimit: at most Burst calls at once and Rate a second after
// that, per endpoint; checks over it make no call.
func TestRateLimit(t *testing.T) {
	a := newAPI(200, userAnswer(user, sub))
	clk := newClock()
	ev := &events{}
	c := checkerFor(t, a, clk.Now, ev, func(cfg *livecheck.Config) {
		cfg.Rate, cfg.Burst = 2, 3
		cfg.Pools = append(cfg.Pools, livecheck.Pool{UserPoolID: "us-east-1_Other"})
	})
	n := 0
	check := func(iss string) livecheck.Event {
		n++
		raw, tok := forge(t, map[string]any{"jti": fmt.Sprint(n), "iss": iss})
		c.Check(context.Background(), tok, raw)
		return ev.last(t)
	}
	steps := []struct {
		advance time.Duration
		iss     string
		want    livecheck.Result
	}{
		{0, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultRateLimited},
		{0, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other", livecheck.ResultAccepted}, // another endpoint, another bucket
		{250 * time.Millisecond, issuer, livecheck.ResultRateLimited},
		{250 * time.Millisecond, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultRateLimited},
		{10 * time.Second, issuer, livecheck.ResultAccepted}, // refilled to Burst, no more
		{0, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultAccepted},
		{0, issuer, livecheck.ResultRateLimited},
	}
	calls := 0
	for i, s := range steps {
		clk.Advance(s.advance)
		e := check(s.iss)
		if s.want == livecheck.ResultAccepted {
			calls++
		}
		if e.Result != s.want || a.calls() != calls {
			t.Errorf("step %d: %s after %d requests, want %s after %d", i, e.Result, a.calls(), s.want, calls)
		}
	}
	// Cached answers are not limited.
	raw, tok := forge(t, map[string]any{"jti": "1"})
	if err := c.Check(context.Background(), tok, raw); err != nil || ev.last(t).Source != livecheck.SourceCache {
		t.Errorf("a cached answer while limited: %v, %+v", err, ev.last(t))
	}
}

// TestCooldown: after a failed call the endpoint is not called for
// Cooldown, doubling with each failure in a row up to MaxBackoff; an
// answer ends the run.
func TestCooldown(t *testing.T) {
	a := newAPI(500, `{"__type":"InternalErrorException"}`)
	clk := newClock()
	ev := &events{}
	c := checkerFor(t, a, clk.Now, ev, func(cfg *livecheck.Config) { cfg.Cooldown, cfg.MaxBackoff = time.Second, 5*time.Second })
	n := 0
	check := func() livecheck.Result {
		n++
		raw, tok := forge(t, map[string]any{"jti": fmt.Sprint(n)})
		c.Check(context.Background(), tok, raw)
		return ev.last(t).Result
	}
	failed := livecheck.ResultUnavailable
	steps := []struct {
		advance time.Duration
		want    livecheck.Result
	}{
		{0, failed}, // cooldown 1s
		{999 * time.Millisecond, livecheck.ResultCooldown},
		{time.Millisecond, failed}, // 2s
		{1999 * time.Millisecond, livecheck.ResultCooldown},
		{time.Millisecond, failed}, // 4s
		{4 * time.Second, failed},  // 5s, the most
		{5 * time.Second, failed},  // 5s
		{4 * time.Second, livecheck.ResultCooldown},
	}
	calls := 0
	for i, s := range steps {
		clk.Advance(s.advance)
		got := check()
		if got == failed {
			calls++
		}
		if got != s.want || a.calls() != calls {
			t.Errorf("step %d: %s after %d requests, want %s after %d", i, got, a.calls(), s.want, calls)
		}
	}
	if st := c.Status().Endpoints[0]; st.Failures != 5 || !st.RetryAt.Equal(clk.Now().Add(time.Second)) {
		t.Errorf("status %+v", st)
	}
	// Cognito answers again: the run ends, and the next failure waits
	// Cooldown again.
	clk.Advance(time.Second)
	a.setRespond(newAPI(200, userAnswer(user, sub)).respond)
	if got := check(); got != livecheck.ResultAccepted {
		t.Fatalf("after the outage: %s", got)
	}
	a.setRespond(newAPI(400, `{"__type":"TooManyRequestsException"}`).respond)
	if got := check(); got != livecheck.ResultThrottled {
		t.Fatalf("throttled: %s", got)
	}
	clk.Advance(time.Second)
	if got := check(); got != livecheck.ResultThrottled {
		t.Errorf("a second after the first failure of a new run: %s, want a call", got)
	}
}

// TestFailOpenIsCountedNotCached: with FailOpen a token Cognito could not
// be asked about is accepted, reported, and asked about again once the
// endpoint can be called.
func TestFailOpenIsCountedNotCached(t *testing.T) {
	a := newAPI(503, "")
	clk := newClock()
	ev := &events{}
	c := checkerFor(t, a, clk.Now, ev, func(cfg *livecheck.Config) { cfg.FailOpen = true })
	raw, tok := forge(t, nil)
	for i, want := range []livecheck.Result{livecheck.ResultUnavailable, livecheck.ResultCooldown} {
		if err := c.Check(context.Background(), tok, raw); err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
		if e := ev.last(t); e.Result != want || !e.FailOpen {
			t.Errorf("check %d: %+v, want %s, failed open", i, e, want)
		}
	}
	if c.Status().Entries != 0 {
		t.Error("a fail-open acceptance was cached")
	}
	clk.Advance(time.Second)
	a.setRespond(newAPI(400, `{"__type":"NotAuthorizedException","message":"Access Token has been revoked"}`).respond)
	wantErr(t, "once Cognito answers", c.Check(context.Background(), tok, raw), livecheck.ErrRevoked)
	if a.calls() != 2 {
		t.Errorf("%d requests, want 2", a.calls())
	}
}

// TestClose: Close ends the calls under way; later checks are refused,
// in both modes.
func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate(theUser)
		ev := &events{}
		_, c, raw, tok := gated(t, g, ev, "one", func(cfg *livecheck.Config) { cfg.FailOpen = true })
		done := make(chan error)
		go func() { done <- c.Check(context.Background(), tok, raw) }()
		synctest.Wait()
		c.Close()
		wantErr(t, "under way", <-done, livecheck.ErrClosed)
		wantErr(t, "after Close", c.Check(context.Background(), tok, raw), livecheck.ErrClosed)
		c.Close()
		for _, e := range ev.all() {
			if e.Result != livecheck.ResultClosed || e.FailOpen {
				t.Errorf("event %+v, want closed, not failed open", e)
			}
		}
	})
}
