package livecheck_test

import (
	"context"
	"slices"
	"testing"

	"github.com/cognito-gate/cognito-gate/livecheck"
)

// TestResults: Results yields each result once, in order, and stops when
// told; exactly the results of "Cognito could not be asked" fail open.
func TestResults(t *testing.T) {
	var got []livecheck.Result
	for i, r := range livecheck.Results {
		if i != len(got) || slices.Contains(got, r) {
			t.Fatalf("result %d %q out of order or repeated", i, r)
		}
		got = append(got, r)
	}
	if len(got) != 13 {
		t.Errorf("%d results: %q", len(got), got)
	}
	var open []livecheck.Result
	for _, r := range got {
		if r.FailsOpen() {
			open = append(open, r)
		}
	}
	want := []livecheck.Result{livecheck.ResultThrottled, livecheck.ResultUnavailable, livecheck.ResultTimeout, livecheck.ResultBusy, livecheck.ResultRateLimited, livecheck.ResultCooldown}
	if !slices.Equal(open, want) {
		t.Errorf("fail open for %q, want %q", open, want)
	}
	n := 0
	for range livecheck.Results {
		n++
		break
	}
	if n != 1 {
		t.Error("Results went on after break")
	}
}

// TestObserverFunc: a function as the Observer gets every check's event,
// its duration by the Checker's clock.
func TestObserverFunc(t *testing.T) {
	var got []livecheck.Event
	clk := newClock()
	c := checkerFor(t, newAPI(200, userAnswer(user, sub)), clk.Now, nil, func(cfg *livecheck.Config) {
		cfg.Observer = livecheck.ObserverFunc(func(e livecheck.Event) { got = append(got, e) })
	})
	raw, tok := forge(t, nil)
	for range 2 {
		if err := c.Check(context.Background(), tok, raw); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].Source != livecheck.SourceCall || got[1].Source != livecheck.SourceCache || !got[0].Start.Equal(t0) || got[0].Duration != 0 {
		t.Errorf("events %+v", got)
	}
}
