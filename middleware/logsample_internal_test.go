package middleware

import (
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// TestDenialSampler: the first First denials of a reason in a tick are
// kept, then one in Thereafter; each reason and each tick counts on its
// own. The clock is injected.
func TestDenialSampler(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	type step struct {
		at     time.Duration // after t0
		reason claims.Reason
		n      int    // denials at that instant
		want   string // one of k (kept) or . (left out) per denial
	}
	tests := []struct {
		name  string
		cfg   LogSampling
		steps []step
	}{
		{"first 2, then 1 in 3", LogSampling{First: 2, Thereafter: 3},
			[]step{{0, claims.ReasonMalformed, 9, "kk..k..k."}}},
		{"first 0, thereafter 0: nothing", LogSampling{},
			[]step{{0, claims.ReasonMalformed, 3, "..."}}},
		{"thereafter 0: the first only", LogSampling{First: 1},
			[]step{{0, claims.ReasonExpired, 3, "k.."}}},
		{"reasons count apart", LogSampling{First: 1},
			[]step{{0, claims.ReasonMalformed, 3, "k.."}, {0, claims.ReasonBadSignature, 2, "k."}}},
		{"a new tick starts over", LogSampling{First: 1, Tick: time.Second},
			[]step{{0, claims.ReasonMalformed, 2, "k."}, {999 * time.Millisecond, claims.ReasonMalformed, 1, "."},
				{time.Second, claims.ReasonMalformed, 2, "k."}}},
		{"zero tick means one second", LogSampling{First: 1},
			[]step{{0, claims.ReasonMalformed, 1, "k"}, {500 * time.Millisecond, claims.ReasonMalformed, 1, "."},
				{1500 * time.Millisecond, claims.ReasonMalformed, 1, "k"}}},
		{"a clock that goes back starts over", LogSampling{First: 1},
			[]step{{time.Minute, claims.ReasonMalformed, 2, "k."}, {0, claims.ReasonMalformed, 1, "k"}}},
		{"a reason outside the list has its own count", LogSampling{First: 1},
			[]step{{0, claims.Reason("not_a_reason"), 2, "k."}, {0, claims.ReasonMalformed, 1, "k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			cfg := tt.cfg
			cfg.Now = func() time.Time { return now }
			d, err := newDenialSampler(&cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range tt.steps {
				now = t0.Add(st.at)
				got := ""
				for range st.n {
					if d.keep(st.reason) {
						got += "k"
					} else {
						got += "."
					}
				}
				if got != st.want {
					t.Errorf("at +%v, %d denials of %s: %q, want %q", st.at, st.n, st.reason, got, st.want)
				}
			}
		})
	}
}

func TestDenialSamplerConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  *LogSampling
		ok   bool
	}{
		{"nil: no sampling", nil, true},
		{"zero", &LogSampling{}, true},
		{"negative First", &LogSampling{First: -1}, false},
		{"negative Thereafter", &LogSampling{Thereafter: -1}, false},
		{"negative Tick", &LogSampling{Tick: -time.Second}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := newDenialSampler(tt.cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("newDenialSampler(%+v) error %v, want ok %v", tt.cfg, err, tt.ok)
			}
			if tt.cfg == nil && d != nil {
				t.Error("a nil LogSampling gave a sampler")
			}
		})
	}
}
