package alb_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// memTransport answers key requests from a fake load balancer's keys in
// memory (no network: it runs inside testing/synctest bubbles), counting
// them; with hold set, each request waits until hold is closed or its
// context ends.
type memTransport struct {
	lb    *fakealb.ALB
	hold  chan struct{}
	calls atomic.Int32
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	m.calls.Add(1)
	if m.hold != nil {
		select {
		case <-m.hold:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	status, body := http.StatusNotFound, []byte("no such key")
	if kid := path.Base(r.URL.Path); m.lb.PublicKey(kid) != nil {
		status, body = http.StatusOK, m.lb.PEM(kid)
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// newFakeLB starts a fake load balancer on the fixed clock t0, outside
// any bubble (its listener is real), closed when the test ends.
func newFakeLB(t *testing.T) *fakealb.ALB {
	t.Helper()
	lb, err := fakealb.New(fakealb.Config{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	return lb
}

// memVerifier returns a verifier for lb whose key requests go to m. Its
// clock is time.Now: inside a bubble, the bubble's (tokens minted at t0
// are still valid there, years later than the bubble's start).
func memVerifier(t *testing.T, lb *fakealb.ALB, m *memTransport, obs jwks.Observer) *alb.Verifier {
	t.Helper()
	v, err := alb.New(alb.Config{
		Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
		Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()},
		Keys: jwks.Config{HTTPClient: &http.Client{Transport: m}, Observer: obs},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSingleFlight: N concurrent verifications of a kid the cache does not
// hold make one fetch, which all of them wait for.
func TestSingleFlight(t *testing.T) {
	lb := newFakeLB(t)
	tok := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})}
		v := memVerifier(t, lb, m, nil)
		defer v.Close()
		const n = 64
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { _, errs[i] = v.VerifyData(context.Background(), tok) })
		}
		synctest.Wait() // every verification is waiting, the fetch is held
		if got := m.calls.Load(); got != 1 {
			t.Errorf("%d fetches for %d concurrent verifications of one new kid, want 1", got, n)
		}
		close(m.hold)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("verification %d: %v", i, err)
			}
		}
		if got := m.calls.Load(); got != 1 {
			t.Errorf("%d fetches in all, want 1", got)
		}
	})
}

// TestSingleFlightIsPerKid: two new kids at once make two fetches.
func TestSingleFlightIsPerKid(t *testing.T) {
	lb := newFakeLB(t)
	first := lb.Data()
	lb.Rotate()
	second := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})}
		v := memVerifier(t, lb, m, nil)
		defer v.Close()
		var wg sync.WaitGroup
		for _, tok := range []string{first, second, first, second} {
			wg.Go(func() {
				if _, err := v.VerifyData(context.Background(), tok); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		if got := m.calls.Load(); got != 2 {
			t.Errorf("%d fetches for two new kids, want 2", got)
		}
		close(m.hold)
		wg.Wait()
	})
}

// TestCallerGivingUp: a caller whose context ends while it waits for a key
// is canceled (never jwks_unavailable); the fetch goes on for the others.
func TestCallerGivingUp(t *testing.T) {
	lb := newFakeLB(t)
	tok := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})}
		v := memVerifier(t, lb, m, nil)
		defer v.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var gaveUp, waited error
		var wg sync.WaitGroup
		wg.Go(func() { _, gaveUp = v.VerifyData(ctx, tok) })
		wg.Go(func() { _, waited = v.VerifyData(context.Background(), tok) })
		synctest.Wait()
		cancel()
		synctest.Wait()
		wantReason(t, gaveUp, claims.ReasonCanceled)
		wantErr(t, gaveUp, context.Canceled)
		close(m.hold)
		wg.Wait()
		if waited != nil {
			t.Errorf("the caller that waited: %v", waited)
		}
		if got := m.calls.Load(); got != 1 {
			t.Errorf("%d fetches, want 1", got)
		}
	})
}

// TestDeadlineWhileWaiting: a caller's own deadline ending while the key
// is fetched is canceled too.
func TestDeadlineWhileWaiting(t *testing.T) {
	lb := newFakeLB(t)
	tok := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})}
		v := memVerifier(t, lb, m, nil)
		defer v.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := v.VerifyData(ctx, tok)
		wantReason(t, err, claims.ReasonCanceled)
		close(m.hold)
	})
}

// TestFetchTimeout: a key endpoint that never answers costs FetchTimeout
// (in the bubble's time), then the token is jwks_unavailable, not
// canceled, and the fetch is reported as a timeout.
func TestFetchTimeout(t *testing.T) {
	lb := newFakeLB(t)
	tok := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})} // never released
		var result string
		obs := jwks.ObserverFunc(func(e jwks.FetchEvent) { result = e.Result() })
		v := memVerifier(t, lb, m, obs)
		defer v.Close()
		start := time.Now()
		_, err := v.VerifyData(context.Background(), tok)
		wantReason(t, err, claims.ReasonJWKSUnavailable)
		if took := time.Since(start); took != jwks.DefaultFetchTimeout {
			t.Errorf("gave up after %s, want %s", took, jwks.DefaultFetchTimeout)
		}
		if result != "timeout" {
			t.Errorf("fetch result %q, want timeout", result)
		}
	})
}

// TestCloseCancelsFetches: Close ends the fetches in flight at once, and
// their waiters are unavailable.
func TestCloseCancelsFetches(t *testing.T) {
	lb := newFakeLB(t)
	tok := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})} // never released
		v := memVerifier(t, lb, m, nil)
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = v.VerifyData(context.Background(), tok)
		}()
		synctest.Wait()
		start := time.Now()
		if cerr := v.Close(); cerr != nil {
			t.Fatal(cerr)
		}
		<-done
		if took := time.Since(start); took != 0 {
			t.Errorf("Close took %s of the bubble's time", took)
		}
		wantReason(t, err, claims.ReasonJWKSUnavailable)
	})
}

// TestMissInFlightIsKept: the bound on kids without a key never forgets
// one whose fetch is in flight, so that a later caller for it still joins
// that fetch rather than starting another.
func TestMissInFlightIsKept(t *testing.T) {
	lb := newFakeLB(t)
	a := lb.Data()
	lb.Rotate()
	b := lb.Data()
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{lb: lb, hold: make(chan struct{})}
		v, err := alb.New(alb.Config{
			Region: lb.Region(), KeyURL: lb.KeyURL(), AllowHTTP: true, Issuer: lb.Issuer(),
			Signers: []string{lb.Signer()}, ClientIDs: []string{lb.ClientID()},
			MaxKeys: 1, Keys: jwks.Config{HTTPClient: &http.Client{Transport: m}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		var wg sync.WaitGroup
		verify := func(tok string) {
			wg.Go(func() {
				if _, err := v.VerifyData(context.Background(), tok); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
		}
		verify(a) // a's fetch is in flight
		verify(b) // so is b's: two kids without a key, one more than MaxKeys
		verify(a) // joins a's fetch
		if got := m.calls.Load(); got != 2 {
			t.Errorf("%d fetches, want 2 (one per kid)", got)
		}
		close(m.hold)
		wg.Wait()
	})
}
