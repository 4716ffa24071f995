package middleware

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// LogSampling thins the log lines of denials (result "denied") under a
// flood, per reason: in each Tick, the first First denials of a reason are
// logged, then one in Thereafter. A denial left out of the log is still
// counted in cognito_gate_requests_total, and also in
// cognito_gate_log_denials_sampled_total{reason}, so that nothing is
// hidden: the lines of a flood of one reason never take the place of
// another reason's, whose own first First lines are logged in the same
// Tick. Other outcomes are always logged. A JSON line costs about 10 µs:
// under a flood of bad tokens, ~9% of the gate's CPU.
type LogSampling struct {
	// First is how many denials of each reason are logged in each Tick.
	First int
	// Thereafter: after First, one denial in Thereafter of that reason is
	// logged in the Tick; zero logs none.
	Thereafter int
	// Tick is the window; zero means one second.
	Tick time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// denialSampler decides, per reason, which denial lines are logged. It is
// safe for concurrent use; like zap's sampler, a window's start and its
// count are reset without a lock, so a few lines more or fewer may be
// logged at the turn of a window.
type denialSampler struct {
	first, thereafter uint64
	tick              int64
	now               func() time.Time
	slots             []sampleSlot // by reasonIndex; the last for any other reason
}

type sampleSlot struct {
	window atomic.Int64 // start of the window, Unix ns
	n      atomic.Uint64
	_      [48]byte // one slot a cache line
}

// newDenialSampler validates s and returns its sampler, nil for a nil s.
func newDenialSampler(s *LogSampling) (*denialSampler, error) {
	if s == nil {
		return nil, nil
	}
	switch {
	case s.First < 0:
		return nil, fmt.Errorf("middleware: config: DenialLogSampling.First is %d, want 0 or more", s.First)
	case s.Thereafter < 0:
		return nil, fmt.Errorf("middleware: config: DenialLogSampling.Thereafter is %d, want 0 or more", s.Thereafter)
	case s.Tick < 0:
		return nil, fmt.Errorf("middleware: config: DenialLogSampling.Tick is %v, want a positive duration or zero for one second", s.Tick)
	}
	d := &denialSampler{first: uint64(s.First), thereafter: uint64(s.Thereafter), tick: int64(s.Tick), now: s.Now,
		slots: make([]sampleSlot, len(reasonIndex)+1)}
	if d.tick == 0 {
		d.tick = int64(time.Second)
	}
	if d.now == nil {
		d.now = time.Now
	}
	start := d.now().UnixNano()
	for i := range d.slots {
		d.slots[i].window.Store(start)
	}
	return d, nil
}

// keep counts a denial of reason and reports whether its line is logged.
func (d *denialSampler) keep(reason claims.Reason) bool {
	i, ok := reasonIndex[reason]
	if !ok {
		i = len(d.slots) - 1
	}
	s := &d.slots[i]
	now := d.now().UnixNano()
	if w := s.window.Load(); now-w >= d.tick || now < w {
		if s.window.CompareAndSwap(w, now) {
			s.n.Store(0)
		}
	}
	n := s.n.Add(1)
	if n <= d.first {
		return true
	}
	return d.thereafter > 0 && (n-d.first)%d.thereafter == 0
}
