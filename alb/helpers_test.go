package alb_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakealb"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// clock is the tests' injected clock.
type clock = fakeclock.Clock

func newClock() *clock { return fakeclock.New(t0) }

// countingTransport counts the requests a verifier sends, by URL, before
// passing them on.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	urls []string
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.urls = append(c.urls, r.URL.String())
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// count returns how many requests were sent.
func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.urls)
}

// sent returns the URLs requested, in order.
func (c *countingTransport) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.urls...)
}

// events collects the verifier's fetch events.
type events struct {
	mu  sync.Mutex
	all []jwks.FetchEvent
	ch  chan jwks.FetchEvent
}

func newEvents() *events { return &events{ch: make(chan jwks.FetchEvent, 1024)} }

func (e *events) ObserveFetch(ev jwks.FetchEvent) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
	e.ch <- ev
}

// next waits for the next fetch event (a background refresh).
func (e *events) next(t *testing.T) jwks.FetchEvent {
	t.Helper()
	select {
	case ev := <-e.ch:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no fetch event within 10 s")
		return jwks.FetchEvent{}
	}
}

// rig is a fake load balancer and a verifier configured for it, with an
// injected clock, a counting transport and a fetch observer.
type rig struct {
	lb     *fakealb.ALB
	v      *alb.Verifier
	clock  *clock
	tr     *countingTransport
	events *events
	cfg    alb.Config
}

// newRig starts a fake load balancer whose clock is the rig's and a
// verifier for it; change modifies the verifier's Config first.
func newRig(t *testing.T, change func(*alb.Config)) *rig {
	t.Helper()
	c := newClock()
	lb, err := fakealb.New(fakealb.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lb.Close)
	tr := &countingTransport{next: &http.Transport{}}
	ev := newEvents()
	cfg := alb.Config{
		Region:    lb.Region(),
		KeyURL:    lb.KeyURL(),
		AllowHTTP: true,
		Issuer:    lb.Issuer(),
		Signers:   []string{lb.Signer()},
		ClientIDs: []string{lb.ClientID()},
		Now:       c.Now,
		Keys:      jwks.Config{HTTPClient: &http.Client{Transport: tr}, Observer: ev},
	}
	if change != nil {
		change(&cfg)
	}
	v, err := alb.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return &rig{lb: lb, v: v, clock: c, tr: tr, events: ev, cfg: cfg}
}

// verify runs VerifyData with a background context.
func (r *rig) verify(raw string) (*alb.Token, error) {
	return r.v.VerifyData(context.Background(), raw)
}

// wantReason fails unless err has the reason (ReasonOK for nil).
func wantReason(t *testing.T, err error, want claims.Reason) {
	t.Helper()
	if got := claims.ReasonOf(err); got != want {
		t.Fatalf("reason %s (%v), want %s", got, err, want)
	}
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want one matching %v", err, target)
	}
}

// segments splits a compact token.
func segments(t testing.TB, raw string) [3]string {
	t.Helper()
	p := strings.Split(raw, ".")
	if len(p) != 3 {
		t.Fatalf("%d segments", len(p))
	}
	return [3]string{p[0], p[1], p[2]}
}
