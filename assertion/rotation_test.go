package assertion_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/assertion"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// TestRotationWithTrafficFlowing: the gate rotates its key three times by
// the fleet procedure (publish the next key; once the upstream has
// fetched it, sign with it; withdraw the old key) while goroutines sign
// and verify without pause, through an upstream Verifier that fetches the
// gate's key set over HTTP and refreshes it every 10 s. Each goroutine
// also verifies again assertions it minted up to 25 s before (alive
// still), so that an old key withdrawn too early would show. Not one
// verification may fail. Run under -race, it is also the concurrency
// test of KeySet.Set against Signer.Sign and of the key fetches against
// Verify.
func TestRotationWithTrafficFlowing(t *testing.T) {
	g := newGate(t, assertion.SignerConfig{})
	ks := newKeyServer(t, g.keys)
	var fetchMu sync.Mutex
	var fetches []jwks.FetchEvent
	v := g.remote(t, ks, func(c *jwks.Config) {
		c.RefreshInterval = 10 * time.Second
		c.Observer = jwks.ObserverFunc(func(e jwks.FetchEvent) {
			fetchMu.Lock()
			fetches = append(fetches, e)
			fetchMu.Unlock()
		})
	})
	tok := cognitoToken(t)

	var ops, failures atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type minted struct {
				raw string
				at  time.Time
			}
			var recent []minted
			// check verifies the assertion minted at (or after) at. A
			// goroutine may be descheduled while the clock moves on: an
			// assertion that had lived its lifetime by the time the
			// verification returned may have expired, and nothing else
			// may fail.
			check := func(m minted) {
				_, err := v.Verify(context.Background(), m.raw)
				if err == nil || errors.Is(err, claims.ErrExpired) && g.clock.Now().Sub(m.at) >= assertion.DefaultLifetime {
					return
				}
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				at := g.clock.Now()
				raw, err := g.signer.Sign(tok, request)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				check(minted{raw, at})
				recent = append(recent, minted{raw, at})
				for len(recent) > 1 && g.clock.Now().Sub(recent[0].at) > 25*time.Second {
					recent = recent[1:]
				}
				check(recent[0])
				ops.Add(1)
			}
		}()
	}
	// progress lets the goroutines verify forty times more.
	progress := func() {
		target := ops.Load() + 40
		for ops.Load() < target && failures.Load() == 0 {
			runtime.Gosched()
		}
	}
	// tick moves the clock by d in 5 s steps, with traffic at each.
	tick := func(d time.Duration) {
		for ; d > 0; d -= 5 * time.Second {
			g.clock.Advance(5 * time.Second)
			progress()
		}
	}
	// fetchedSince waits until the upstream fetched the key set
	// successfully in a fetch that started after the clock read at (and
	// so after the change made then): step 1's wait.
	fetchedSince := func(at time.Time) {
		for {
			fetchMu.Lock()
			for _, e := range fetches {
				if e.Start.After(at) && e.Err == nil {
					fetchMu.Unlock()
					return
				}
			}
			fetchMu.Unlock()
			tick(5 * time.Second)
			if failures.Load() > 0 {
				return
			}
		}
	}

	progress()
	cur := g.key
	for round := 0; round < 3 && failures.Load() == 0; round++ {
		_, next := keyPair(t)
		// 1. Publish next; wait until the upstream has it.
		must(t, g.keys.Set(cur, next))
		published := g.clock.Now()
		fetchedSince(published)
		// 2. Sign with next; the old key stays published.
		must(t, g.keys.Set(next, cur))
		tick(10 * time.Second)
		// 3. Withdraw the old key from the list: published for Retain
		// still, while the goroutines verify its last assertions.
		must(t, g.keys.Set(next))
		tick(assertion.DefaultRetain)
		if g.keys.Signing() != next || len(g.keys.Keys()) != 1 {
			t.Errorf("round %d: %d keys published after Retain, want 1", round, len(g.keys.Keys()))
		}
		cur = next
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d failures in %d rounds of traffic; first: %v", n, ops.Load(), firstErr.Load())
	}
	fetchMu.Lock()
	defer fetchMu.Unlock()
	if len(fetches) < 6 {
		t.Errorf("%d fetches, want the upstream to have refreshed through the rotations", len(fetches))
	}
	t.Logf("%d sign/verify rounds, %d key set fetches", ops.Load(), len(fetches))
}
