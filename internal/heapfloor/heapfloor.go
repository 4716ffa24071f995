package heapfloor

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// BasePercent is the GC percent a Tuner uses when the floor does not call
// for more: Go's default.
const BasePercent = 100

// MaxPercent bounds the percent a Tuner sets, so that a nearly empty heap
// does not make the next collection wait for a growth of thousands of
// times what is live.
const MaxPercent = 5000

// Wanted reports whether the environment leaves the collector's percent
// to a Tuner: false when GOGC is set (to a number or "off").
func Wanted() bool {
	_, set := os.LookupEnv("GOGC")
	return !set
}

// The runtime/metrics samples of what the collector's goal counts.
const (
	metricLive    = "/gc/heap/live:bytes"
	metricStacks  = "/gc/scan/stack:bytes"
	metricGlobals = "/gc/scan/globals:bytes"
)

// Tuner sets the collector's percent after each collection from a floor
// (see the package doc). Its methods are safe for concurrent use.
type Tuner struct {
	mu      sync.Mutex
	floor   uint64
	stopped bool
	percent int // the percent last set
	samples []metrics.Sample
	// tuned, when set, is called after each adjustment with the percent
	// set (tests).
	tuned func(percent int)
}

// Start returns a Tuner keeping the heap goal at floor bytes or above,
// already applied to the last collection's figures. A floor of 0 keeps
// the base percent.
func Start(floor uint64) *Tuner {
	return start(floor, nil)
}

func start(floor uint64, tuned func(int)) *Tuner {
	t := &Tuner{floor: floor, percent: -1, tuned: tuned, samples: []metrics.Sample{
		{Name: metricLive}, {Name: metricStacks}, {Name: metricGlobals},
	}}
	t.mu.Lock()
	t.tuneLocked()
	t.mu.Unlock()
	t.arm()
	return t
}

// SetFloor changes the floor, applied at once to the last collection's
// figures.
func (t *Tuner) SetFloor(floor uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.floor = floor
	t.tuneLocked()
}

// Stop restores the base percent; the Tuner does nothing more.
func (t *Tuner) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	debug.SetGCPercent(BasePercent)
}

// sentinel is an object whose only reference is dropped at once, so that
// its cleanup runs after the next collection. It is larger than the tiny
// allocator's 16 bytes, which could keep it alive beside other objects.
type sentinel struct{ _ [64]byte }

// arm schedules a tuning after the next collection, which schedules the
// one after it, until Stop.
func (t *Tuner) arm() {
	runtime.AddCleanup(new(sentinel), func(t *Tuner) { t.afterCollection() }, t)
}

// afterCollection runs on the runtime's cleanup goroutine after a
// collection.
func (t *Tuner) afterCollection() {
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	t.tuneLocked()
	t.mu.Unlock()
	t.arm()
}

// tuneLocked sets the percent for the last collection's figures.
func (t *Tuner) tuneLocked() {
	metrics.Read(t.samples)
	var v [3]uint64
	for i, s := range t.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	p := Percent(t.floor, v[0], v[1]+v[2])
	if p != t.percent {
		debug.SetGCPercent(p)
		t.percent = p
	}
	if t.tuned != nil {
		t.tuned(p)
	}
}

// runtimeHeapMinimum is the runtime's smallest heap goal at GOGC=100 (its
// defaultHeapMinimum), which it scales by the percent: at a percent p no
// collection runs below 4 MiB × p/100.
const runtimeHeapMinimum = 4 << 20

// Percent is the GC percent that puts the next collection's goal at floor
// bytes when live bytes of heap (and roots bytes of stacks and globals,
// which the collector's goal counts as well: goal = live + (live + roots)
// × percent / 100) were found live, never below BasePercent nor above
// MaxPercent, nor above the percent at which the runtime's scaled heap
// minimum alone would pass the floor. With nothing live yet (no
// collection so far) it is BasePercent.
func Percent(floor, live, roots uint64) int {
	if floor <= live || live == 0 {
		return BasePercent
	}
	// Rounded up, so that the goal is at least the floor.
	p := ((floor-live)*100 + live + roots - 1) / (live + roots)
	p = min(p, MaxPercent, floor*100/runtimeHeapMinimum)
	return int(max(p, BasePercent))
}
