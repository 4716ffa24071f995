package jwks_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

// inFlight is a key set endpoint that answers after a delay and records
// the most requests it had in flight at once.
type inFlight struct {
	f       *fakeJWKS
	mu      sync.Mutex
	now     int
	highest int
}

func (e *inFlight) RoundTrip(r *http.Request) (*http.Response, error) {
	e.mu.Lock()
	e.now++
	e.highest = max(e.highest, e.now)
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.now--
		e.mu.Unlock()
	}()
	return e.f.RoundTrip(r)
}

// TestMaxConcurrentFetches: a cache of many issuers fetches at most
// MaxConcurrentFetches key sets at once (at start-up, where every set
// starts together), and every set still loads; the wait for a slot does
// not count against FetchTimeout.
func TestMaxConcurrentFetches(t *testing.T) {
	k := newTestKeys(t)
	for _, tt := range []struct{ limit, want int }{{4, 4}, {0, jwks.DefaultMaxConcurrentFetches}} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := &inFlight{f: newFakeJWKS(set(k.a))}
				e.f.SetDelay(time.Second, false) // 40 sets, 4 at a time: 10 s in all, 1 s each
				var sources []jwks.Source
				for i := range 40 {
					sources = append(sources, jwks.Source{Issuer: fmt.Sprintf("https://issuer.test/pool%d", i)})
				}
				c, err := jwks.New(jwks.Config{HTTPClient: &http.Client{Transport: e}, MaxConcurrentFetches: tt.limit, FetchTimeout: 2 * time.Second}, sources...)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if err := c.Hydrate(bg); err != nil {
					t.Fatalf("Hydrate: %v", err)
				}
				if e.highest != tt.want {
					t.Errorf("%d fetches in flight at most, want %d", e.highest, tt.want)
				}
				if got := e.f.Fetches(); got != 40 {
					t.Errorf("%d fetches, want 40 (one per set)", got)
				}
			})
		})
	}
	if err := jwks.Validate(jwks.Config{MaxConcurrentFetches: -1}, jwks.Source{Issuer: issuer}); err == nil {
		t.Error("a negative MaxConcurrentFetches is accepted")
	}
}
