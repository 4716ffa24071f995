package heapfloor

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		name               string
		floor, live, roots uint64
		want               int
	}{
		{"no floor", 0, 4 * mib, mib, BasePercent},
		{"small heap reaches the floor", 32 * mib, 4 * mib, mib, 560},        // 4 + 5×5.6 = 32
		{"rounded up", 32 * mib, 7 * mib, 0, 358},                            // 7 + 7×3.58 ≥ 32
		{"twice live above the floor", 32 * mib, 20 * mib, mib, BasePercent}, // 20 + 21 > 32
		{"live at the floor", 32 * mib, 32 * mib, 0, BasePercent},
		{"live above the floor", 32 * mib, 100 * mib, 0, BasePercent},
		{"nearly empty heap: the scaled heap minimum reaches the floor", 32 * mib, 1024, 0, 800},
		{"large floor, capped", 1 << 34, mib, 0, MaxPercent},
		{"small floor: the heap minimum's percent", 8 * mib, mib, 0, 200},
		{"floor below the heap minimum", 2 * mib, mib, 0, BasePercent},
		{"nothing live yet (no collection)", 32 * mib, 0, mib, BasePercent},
	} {
		if got := Percent(c.floor, c.live, c.roots); got != c.want {
			t.Errorf("%s: Percent(%d, %d, %d) = %d, want %d", c.name, c.floor, c.live, c.roots, got, c.want)
		}
	}
}

// TestPercentGoal: the goal the percent gives (live + (live+roots) ×
// percent/100) is at least the floor unless capped, and never below what
// the base percent gives.
func TestPercentGoal(t *testing.T) {
	for _, floor := range []uint64{0, mib, 32 * mib, 1 << 34} {
		for _, live := range []uint64{0, 1, 4096, mib, 7 * mib, 31 * mib, 64 * mib} {
			for _, roots := range []uint64{0, 1, 64 << 10, 3 * mib} {
				p := Percent(floor, live, roots)
				goal := live + (live+roots)*uint64(p)/100
				base := live + (live+roots)*BasePercent/100
				if goal < base {
					t.Errorf("Percent(%d, %d, %d) = %d: goal %d below the base goal %d", floor, live, roots, p, goal, base)
				}
				// The runtime's heap minimum, scaled by the percent, is a
				// goal of its own: it may not pass the floor.
				minimum := uint64(runtimeHeapMinimum) * uint64(p) / 100
				if p > BasePercent && minimum > floor {
					t.Errorf("Percent(%d, %d, %d) = %d: the heap minimum %d passes the floor", floor, live, roots, p, minimum)
				}
				if capped := p == MaxPercent || minimum >= floor-floor/100; !capped && live > 0 && max(goal, minimum) < floor {
					t.Errorf("Percent(%d, %d, %d) = %d: goal %d below the floor", floor, live, roots, p, goal)
				}
			}
		}
	}
}

// gcPercent is the collector's percent now.
func gcPercent(t *testing.T) int64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// collect runs collections until the Tuner adjusts after one, and returns
// the percent it set. (A sentinel armed while a collection marks survives
// that collection, so one collection may pass without an adjustment.)
func collect(t *testing.T, tuned chan int) int {
	t.Helper()
	drain(tuned)
	for range 10 {
		runtime.GC()
		select {
		case p := <-tuned:
			return p
		case <-time.After(time.Second):
		}
	}
	t.Fatal("no adjustment after 10 collections")
	return 0
}

// drain empties tuned of earlier adjustments.
func drain(tuned chan int) {
	for {
		select {
		case <-tuned:
		default:
			return
		}
	}
}

var keep []byte

// TestTunerFollowsCollections runs a Tuner against the real collector: a
// small heap gets the percent that reaches the floor, a live heap of more
// than half the floor the base percent, a floor of 0 the base percent, and
// Stop leaves the base percent in place and adjusts nothing more.
func TestTunerFollowsCollections(t *testing.T) {
	tuned := make(chan int, 16)
	tn := start(64*mib, func(p int) { tuned <- p })
	defer tn.Stop()
	if p := collect(t, tuned); p <= BasePercent {
		t.Fatalf("small heap: percent %d, want above %d", p, BasePercent)
	}
	if got, want := gcPercent(t), int64(collect(t, tuned)); got != want {
		t.Errorf("collector's percent %d, want the Tuner's %d", got, want)
	}

	keep = make([]byte, 48*mib)
	if p := collect(t, tuned); p != BasePercent {
		t.Errorf("48 MiB live under a 64 MiB floor: percent %d, want %d", p, BasePercent)
	}
	keep = nil
	if p := collect(t, tuned); p <= BasePercent {
		t.Errorf("after the live heap is dropped: percent %d, want above %d", p, BasePercent)
	}

	tn.SetFloor(0)
	if got := gcPercent(t); got != BasePercent {
		t.Errorf("floor 0: collector's percent %d, want %d", got, BasePercent)
	}
	tn.SetFloor(64 * mib)
	if got := gcPercent(t); got <= BasePercent {
		t.Errorf("floor back at 64 MiB: collector's percent %d, want above %d", got, BasePercent)
	}

	tn.Stop()
	drain(tuned)
	if got := gcPercent(t); got != BasePercent {
		t.Errorf("after Stop: collector's percent %d, want %d", got, BasePercent)
	}
	runtime.GC()
	runtime.GC()
	select {
	case p := <-tuned:
		t.Errorf("an adjustment (%d) after Stop", p)
	case <-time.After(100 * time.Millisecond):
	}
}
