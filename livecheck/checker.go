package livecheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Checker asks Cognito whether it still accepts access tokens (see the
// package documentation). Create one with New; it is safe for concurrent
// use. Close stops the calls under way.
type Checker struct {
	cfg    *compiled
	base   context.Context // ends with Close; every call's context derives from it
	cancel context.CancelFunc
	sem    chan struct{} // one element per call under way (MaxConcurrent)
	calls  sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	cache   *cache
	flights map[key]*flight // the calls under way, by token
}

// flight is one GetUser call that every concurrent check of its token
// waits for.
type flight struct {
	done chan struct{} // closed when ans is set
	ans  answer
}

// New validates cfg and returns a Checker, or the joined *ConfigErrors of
// every problem (each matches ErrConfig). It makes no request.
func New(cfg Config) (*Checker, error) {
	cc, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	return &Checker{
		cfg:     cc,
		base:    base,
		cancel:  cancel,
		sem:     make(chan struct{}, cc.maxConcurrent),
		cache:   newCache(cc.maxEntries),
		flights: make(map[key]*flight),
	}, nil
}

// Check reports whether Cognito still accepts tok, whose compact form is
// raw: nil when it does, else an error (see the package documentation for
// what each means and errors.go for the sentinels). tok must be a token
// that verified (claims.Verifier.Verify) and raw the string that was
// verified: Check trusts tok's issuer to choose the endpoint and its
// username and sub to judge the answer, and refuses a raw whose claims
// are not tok's (ErrIdentityMismatch).
//
// The answer comes from the cache, from a call already under way for the
// same token, or from a call of GetUser that Check starts and waits for
// until ctx ends (the call goes on for the others, bounded by
// Config.Timeout, and its answer is cached). Every Check is reported to
// Config.Observer.
func (c *Checker) Check(ctx context.Context, tok *claims.Token, raw string) error {
	now := c.cfg.now()
	ev := Event{Start: now, Source: SourceLocal}
	ans := c.check(ctx, tok, raw, now, &ev)
	ev.Result, ev.Err = ans.result, ans.err
	err := ans.err
	if err != nil && c.cfg.failOpen && ans.result.FailsOpen() {
		ev.FailOpen, err = true, nil
	}
	if o := c.cfg.observer; o != nil {
		ev.Duration = c.cfg.now().Sub(now)
		o.ObserveCheck(ev)
	}
	return err
}

// check is Check without the failure mode and the observer; it fills in
// ev's Issuer, Endpoint and Source.
func (c *Checker) check(ctx context.Context, tok *claims.Token, raw string, now time.Time, ev *Event) answer {
	refuse := func(format string, a ...any) answer { return answer{ResultRefused, errorf(format, a...)} }
	if tok == nil {
		return refuse("%w: no token to check", claims.ErrMissingToken)
	}
	ev.Issuer = tok.Issuer
	ep := c.cfg.endpoints[tok.Issuer]
	switch {
	case ep == nil:
		// Before anything else: a token of a pool that is not
		// configured never makes a request.
		return refuse("%w: issuer %s is no live-checked pool's", claims.ErrWrongIssuer, quote(tok.Issuer))
	case tok.Use != claims.AccessToken:
		return refuse("%w: GetUser takes access tokens only, not token_use %s", claims.ErrWrongTokenUse, quote(string(tok.Use)))
	case !tok.HasScope(adminScope):
		return refuse("%w: GetUser needs the scope %s", &claims.ScopeError{AnyOf: []string{adminScope}}, adminScope)
	case !now.Before(tok.Expiry):
		return refuse("%w: exp %s has passed", claims.ErrExpired, tok.Expiry.UTC().Format(time.RFC3339))
	case !carries(raw, tok):
		return answer{ResultMismatch, errorf("%w: the raw token is not the verified one", ErrIdentityMismatch)}
	case ctx.Err() != nil:
		return canceled(ctx)
	}
	ev.Endpoint = ep.url

	k := key(sha256.Sum256([]byte(raw)))
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return answer{ResultClosed, ErrClosed}
	}
	if e, ok := c.cache.get(k, now); ok {
		c.mu.Unlock()
		ev.Source = SourceCache
		if e.err != nil {
			return answer{ResultRevoked, e.err}
		}
		return answer{ResultAccepted, nil}
	}
	f, shared := c.flights[k]
	switch {
	case shared:
		ev.Source = SourceShared
	case ep.coolingDown(now):
		retry := ep.retryAt
		c.mu.Unlock()
		return answer{ResultCooldown, errorf("%w: %s failed; not asked again before %s", ErrUnavailable, ep.url, retry.UTC().Format(time.RFC3339Nano))}
	case !ep.take(now, c.cfg.rate, c.cfg.burst):
		c.mu.Unlock()
		return answer{ResultRateLimited, errorf("%w: over %v calls a second to %s", ErrUnavailable, c.cfg.rate, ep.url)}
	default:
		f = &flight{done: make(chan struct{})}
		c.flights[k] = f
		c.calls.Add(1)
		go c.run(k, f, ep, raw, identity{tok.Username, tok.Subject}, tok.Expiry)
		ev.Source = SourceCall
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.ans
	case <-ctx.Done():
		return canceled(ctx)
	}
}

// canceled is the answer for a caller whose ctx ended.
func canceled(ctx context.Context) answer {
	return answer{ResultCanceled, errorf("%w: %w", claims.ErrCanceled, ctx.Err())}
}

// run makes the call of flight f, for the token of key k that expires at
// exp, caches its answer and hands it to the waiting checks.
func (c *Checker) run(k key, f *flight, ep *endpoint, raw string, want identity, exp time.Time) {
	defer c.calls.Done()
	ctx, cancel := context.WithTimeout(c.base, c.cfg.timeout)
	defer cancel()
	ans := c.call(ctx, ep.url, raw, want)
	now := c.cfg.now()
	c.mu.Lock()
	delete(c.flights, k)
	switch ans.result {
	case ResultAccepted:
		c.cache.put(k, nil, minTime(now.Add(c.cfg.cacheTTL), exp), now)
	case ResultRevoked:
		c.cache.put(k, ans.err, exp, now)
	}
	ep.record(ans.result, now, c.cfg.cooldown, c.cfg.maxBackoff)
	c.mu.Unlock()
	f.ans = ans
	close(f.done)
}

// call waits for a free call (MaxConcurrent) and calls GetUser, both
// within ctx.
func (c *Checker) call(ctx context.Context, url, raw string, want identity) answer {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		if c.base.Err() != nil {
			return answer{ResultClosed, ErrClosed}
		}
		return answer{ResultBusy, errorf("%w: %d calls under way for %s", ErrUnavailable, c.cfg.maxConcurrent, c.cfg.timeout)}
	}
	defer func() { <-c.sem }()
	return c.getUser(ctx, url, raw, want)
}

// Close ends the calls under way (their checks get ErrClosed) and waits
// for them; later checks get ErrClosed too. Close may be called more than
// once.
func (c *Checker) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.calls.Wait()
	if c.cfg.ownClient {
		c.cfg.client.CloseIdleConnections()
	}
}

// Status is a snapshot of a Checker, for health pages and tests.
type Status struct {
	// Entries is the number of answers cached (some may have run out).
	Entries int
	// Calls is the number of GetUser calls under way or waiting for a
	// free call.
	Calls int
	// Endpoints lists every endpoint, by URL.
	Endpoints []EndpointStatus
}

// EndpointStatus is the state of one GetUser endpoint.
type EndpointStatus struct {
	URL string
	// Failures counts the calls in a row that failed; RetryAt is when
	// the endpoint is called again (zero: no cooldown).
	Failures int
	RetryAt  time.Time
}

// Status returns a snapshot of the Checker.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Status{Entries: c.cache.len(), Calls: len(c.flights)}
	for _, ep := range c.cfg.endpoints {
		if !slices.ContainsFunc(s.Endpoints, func(e EndpointStatus) bool { return e.URL == ep.url }) {
			s.Endpoints = append(s.Endpoints, EndpointStatus{URL: ep.url, Failures: ep.failures, RetryAt: ep.retryAt})
		}
	}
	slices.SortFunc(s.Endpoints, func(a, b EndpointStatus) int { return strings.Compare(a.URL, b.URL) })
	return s
}

// carries reports whether raw is a compact JWS whose claims are tok's: the
// token that was verified, not another one.
func carries(raw string, tok *claims.Token) bool {
	first, last := strings.IndexByte(raw, '.'), strings.LastIndexByte(raw, '.')
	if first < 0 || first == last {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(raw[first+1 : last])
	return err == nil && bytes.Equal(payload, tok.Payload())
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
