package jwks_test

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// refreshTimes starts n caches started together on one endpoint, lets them
// run for span, and returns, per cache, when its interval refreshes
// started.
func refreshTimes(t *testing.T, k testKeys, n int, cfg func(i int) jwks.Config, span time.Duration) (time.Time, [][]time.Time) {
	t.Helper()
	var mu sync.Mutex
	times := make([][]time.Time, n)
	f := newFakeJWKS(set(k.a, k.b))
	start := time.Now()
	for i := range n {
		c := cfg(i)
		c.Observer = jwks.ObserverFunc(func(e jwks.FetchEvent) {
			if e.Trigger == jwks.TriggerInterval {
				mu.Lock()
				times[i] = append(times[i], e.Start)
				mu.Unlock()
			}
		})
		newCache(t, f, c)
	}
	time.Sleep(span)
	synctest.Wait()
	mu.Lock()
	defer mu.Unlock()
	return start, times
}

// TestRefreshJitter: gates started together do not refresh together. Each
// background refresh runs within 10% of RefreshInterval either side of it,
// drawn afresh after every fetch.
func TestRefreshJitter(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		const n = 20
		interval := jwks.DefaultRefreshInterval
		start, times := refreshTimes(t, k, n, func(int) jwks.Config { return jwks.Config{} }, 3*interval)
		first := map[time.Time]bool{}
		for i, ts := range times {
			if len(ts) < 2 {
				t.Fatalf("cache %d refreshed %d times in 3 intervals, want at least 2", i, len(ts))
			}
			prev := start
			for _, at := range ts {
				if d := at.Sub(prev); d < interval*9/10 || d > interval*11/10 {
					t.Errorf("cache %d refreshed %s after the previous fetch, want within 10%% of %s", i, d, interval)
				}
				prev = at
			}
			first[ts[0]] = true
		}
		// 20 draws from a continuous range: equal instants would mean no
		// jitter at all.
		if len(first) < n {
			t.Errorf("%d caches started together first refreshed at %d distinct instants, want %d", n, len(first), n)
		}
	})
}

// TestRefreshJitterBounds: the extremes of the random source give the
// extremes of the spread, and the jitter never brings a refresh inside the
// cooldown.
func TestRefreshJitterBounds(t *testing.T) {
	k := newTestKeys(t)
	interval := jwks.DefaultRefreshInterval
	tests := []struct {
		name string
		r    float64
		cfg  jwks.Config
		want time.Duration
	}{
		{"lowest", 0, jwks.Config{}, interval - interval/10},
		{"middle", 0.5, jwks.Config{}, interval},
		{"highest", 0.999_999_999, jwks.Config{}, interval + interval/10},
		{"never inside the cooldown", 0, jwks.Config{RefreshInterval: time.Minute, Cooldown: time.Minute}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				want := cmpOr(tt.cfg.RefreshInterval, interval)
				start, times := refreshTimes(t, k, 2, func(int) jwks.Config {
					return jwks.WithRand(tt.cfg, func() float64 { return tt.r })
				}, 2*want+want/5)
				for i, ts := range times {
					if len(ts) < 2 {
						t.Fatalf("cache %d: refreshes at %v, want 2", i, ts)
					}
					if d := ts[0].Sub(start); d.Round(time.Millisecond) != tt.want.Round(time.Millisecond) {
						t.Errorf("cache %d: first refresh after %s, want %s", i, d, tt.want)
					}
					if d := ts[1].Sub(ts[0]); d.Round(time.Millisecond) != tt.want.Round(time.Millisecond) {
						t.Errorf("cache %d: second refresh %s after the first, want %s", i, d, tt.want)
					}
				}
			})
		})
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
