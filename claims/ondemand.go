package claims

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// keySource finds a key by kid for one issuer: a *jwks.Set (primary
// issuers) or an *onDemand (the others).
type keySource interface {
	Key(ctx context.Context, kid string) (*jwks.Key, error)
	// FreshKey is the key Key would return at once, nil when Key would
	// have to start, fetch or wait (see jwks.Set.FreshKey).
	FreshKey(kid string) *jwks.Key
}

var (
	_ keySource = (*jwks.Set)(nil)
	_ keySource = (*onDemand)(nil)
)

// OnDemandState is the state of an issuer whose key set is fetched on
// demand (see Pool).
type OnDemandState string

// On-demand states.
const (
	// OnDemandIdle: no token of the issuer has arrived yet (or none since
	// Close), nothing was fetched.
	OnDemandIdle OnDemandState = "idle"
	// OnDemandLive: a token of the issuer arrived; its key set is held (or
	// being fetched) and refreshed as a primary issuer's is.
	OnDemandLive OnDemandState = "live"
	// OnDemandAbsent: the key endpoint answered 403 or 404 before it ever
	// served keys: the pool does not issue tokens with this issuer. Its
	// tokens are ErrWrongIssuer without a fetch until RetryAt.
	OnDemandAbsent OnDemandState = "absent"
)

// OnDemandStatus is a point-in-time view of an issuer fetched on demand,
// for health pages and metrics. None of it makes a Verifier unready.
type OnDemandStatus struct {
	Issuer string
	URL    string
	State  OnDemandState
	// Absences counts the 403 and 404 answers in a row (zero once the
	// endpoint has served keys).
	Absences int
	// RetryAt is, while absent, when the next token of the issuer may
	// fetch again (zero otherwise).
	RetryAt time.Time
	// Keys is the key set's status while live, the zero Status otherwise.
	Keys jwks.Status
}

// onDemand is the key set of an issuer that is fetched when the first token
// naming it arrives: a key cache of its own, started then and closed when
// the endpoint says the issuer does not exist (403, 404), so that nothing
// polls an endpoint no token needs.
type onDemand struct {
	src jwks.Source
	cfg jwks.Config // the verifier's key cache settings, with the watched client

	// status is the HTTP status of the latest answer of the endpoint (0
	// for a request that got none), written by the client's transport.
	status atomic.Int32
	// live is the running cache's set; nil when idle, absent or closed.
	live atomic.Pointer[jwks.Set]

	mu       sync.Mutex // guards the fields below
	cache    *jwks.Cache
	absences int       // 403/404 answers in a row
	retryAt  time.Time // while absent: no fetch before it
	closed   bool
}

// newOnDemand returns the on-demand key set of src, fetched with cfg
// (whose timings have been validated) through a copy of client whose
// transport records each answer's status.
func newOnDemand(src jwks.Source, cfg jwks.Config, client *http.Client) *onDemand {
	o := &onDemand{src: src}
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	c := *client
	c.Transport = statusWatcher{next: next, status: &o.status}
	cfg.HTTPClient = &c
	o.cfg = cfg
	return o
}

// statusWatcher records the status of every answer it passes on.
type statusWatcher struct {
	next   http.RoundTripper
	status *atomic.Int32
}

func (w statusWatcher) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	if err != nil {
		w.status.Store(0)
		return nil, err
	}
	w.status.Store(int32(resp.StatusCode))
	return resp, nil
}

// Key returns the key kid of the issuer, starting its key cache when no
// token has needed it yet. While the cache runs, the lookup is the key
// cache's own: lock-free and allocation-free for a known kid.
func (o *onDemand) Key(ctx context.Context, kid string) (*jwks.Key, error) {
	s := o.live.Load()
	if s == nil {
		var err error
		if s, err = o.start(); err != nil {
			return nil, err
		}
	}
	k, err := s.Key(ctx, kid)
	if err != nil {
		return nil, o.failed(s, err)
	}
	return k, nil
}

// FreshKey returns the key of kid when the key cache runs and holds it in
// a set that is not stale, else nil.
func (o *onDemand) FreshKey(kid string) *jwks.Key {
	if s := o.live.Load(); s != nil {
		return s.FreshKey(kid)
	}
	return nil
}

// start starts the key cache, unless it runs already, the issuer is absent
// and its back-off has not passed, or the verifier is closed.
func (o *onDemand) start() (*jwks.Set, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
		return nil, errorf("%s: %w", o.src.Issuer, jwks.ErrClosed)
	case o.cache != nil:
		return o.cache.Set(o.src.Issuer), nil
	case o.absences > 0 && o.cfg.Now().Before(o.retryAt):
		return nil, o.absentError()
	}
	c, err := jwks.New(o.cfg, o.src)
	if err != nil {
		// compile made these checks: this is not expected.
		return nil, errorf("%s: starting its key cache: %v: %w", o.src.Issuer, err, ErrJWKSUnavailable)
	}
	o.cache = c
	s := c.Set(o.src.Issuer)
	o.live.Store(s)
	return s, nil
}

// failed returns the error of a failed lookup in s. When s never held keys
// and the endpoint's latest answer is 403 or 404, the issuer is absent: its
// cache is closed and the error is ErrWrongIssuer.
func (o *onDemand) failed(s *jwks.Set, err error) error {
	if !errors.Is(err, jwks.ErrUnavailable) && !errors.Is(err, jwks.ErrClosed) || o.isClosed() {
		return err
	}
	if st := o.status.Load(); st != http.StatusForbidden && st != http.StatusNotFound {
		return err
	}
	if stat := s.Status(); !stat.LastSuccess.IsZero() || stat.Keys > 0 {
		// Keys were served once: a missing endpoint now is an outage of a
		// real issuer, whose last good keys (or their staleness) decide.
		return err
	}
	o.mu.Lock()
	var stop *jwks.Cache
	if o.live.Load() == s {
		stop = o.cache
		o.cache = nil
		o.live.Store(nil)
		o.absences++
		o.retryAt = o.cfg.Now().Add(o.backoff())
	}
	e := o.absentError()
	o.mu.Unlock()
	if stop != nil {
		_ = stop.Close()
	}
	return e
}

// backoff is how long after the absences-th 403/404 answer in a row no
// token fetches again: Cooldown, doubling per answer, at most MaxBackoff
// (the key cache's defaults for zero values). o.mu must be held.
func (o *onDemand) backoff() time.Duration {
	d := cmp.Or(o.cfg.Cooldown, jwks.DefaultCooldown)
	limit := cmp.Or(o.cfg.MaxBackoff, jwks.DefaultMaxBackoff)
	for i := 1; i < o.absences && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// absentError is the error for a token of an absent issuer. o.mu must be
// held.
func (o *onDemand) absentError() error {
	return errorf("iss %q: its key set endpoint answered %d: the pool issues no such tokens (asked again after %s): %w",
		msg.Clip(o.src.Issuer, 128), o.status.Load(), o.retryAt.UTC().Format(time.RFC3339), ErrWrongIssuer)
}

// url is the key set's address.
func (o *onDemand) url() string {
	return cmp.Or(o.src.URL, o.src.Issuer+"/.well-known/jwks.json")
}

// Status reports the issuer's state.
func (o *onDemand) Status() OnDemandStatus {
	o.mu.Lock()
	st := OnDemandStatus{Issuer: o.src.Issuer, URL: o.url(), State: OnDemandIdle, Absences: o.absences}
	c := o.cache
	switch {
	case c != nil:
		st.State = OnDemandLive
	case o.absences > 0:
		st.State, st.RetryAt = OnDemandAbsent, o.retryAt
	}
	o.mu.Unlock()
	if c != nil {
		st.Keys = c.Set(o.src.Issuer).Status()
		if !st.Keys.LastSuccess.IsZero() {
			st.Absences = 0 // the endpoint serves keys now
		}
	}
	return st
}

// isClosed reports whether close has been called.
func (o *onDemand) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// close stops the key cache, if it runs, for good.
func (o *onDemand) close() {
	o.mu.Lock()
	c := o.cache
	o.cache, o.closed = nil, true
	o.live.Store(nil)
	o.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// onDemandClient returns the HTTP client of on-demand key sets:
// cfg.HTTPClient, or — when it is nil — a client like the one the key
// cache makes for itself (jwks.DefaultHTTPClient, whose response and
// overall timeouts follow FetchTimeout), which the verifier owns.
func onDemandClient(cfg jwks.Config) (client *http.Client, own bool) {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient, false
	}
	c := jwks.DefaultHTTPClient()
	timeout := cmp.Or(cfg.FetchTimeout, jwks.DefaultFetchTimeout)
	c.Timeout = timeout
	if t, ok := c.Transport.(*http.Transport); ok {
		t.ResponseHeaderTimeout = timeout
	}
	return c, true
}
