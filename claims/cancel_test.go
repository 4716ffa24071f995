package claims_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// keyEndpoint is an in-memory key set endpoint (an http.RoundTripper)
// that works inside testing/synctest bubbles: it serves the pool's JWKS,
// fails, or blocks until the request is cancelled.
type keyEndpoint struct {
	mu   sync.Mutex
	mode string // "serve", "fail" or "block"
	jwks []byte
}

func (k *keyEndpoint) set(mode string) {
	k.mu.Lock()
	k.mode = mode
	k.mu.Unlock()
}

func (k *keyEndpoint) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	mode := k.mode
	k.mu.Unlock()
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
		Body: io.NopCloser(bytes.NewReader(k.jwks))}
	switch mode {
	case "block":
		<-r.Context().Done()
		return nil, r.Context().Err()
	case "fail":
		resp.StatusCode, resp.Body = http.StatusInternalServerError, http.NoBody
	}
	return resp, nil
}

// bubbleVerifier returns a verifier for pool whose keys come from ep, for
// use inside a synctest bubble (its clock is the bubble's).
func bubbleVerifier(t *testing.T, pool *cognitotest.Pool, ep *keyEndpoint, mutate func(*claims.Config)) *claims.Verifier {
	t.Helper()
	cfg := claims.Config{
		Pools: []claims.Pool{poolConfig(pool, claims.AccessToken)},
		JWKS:  jwks.Config{HTTPClient: &http.Client{Transport: ep}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := claims.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCancellationIsNotUnavailable guards finding 18: a request whose
// context ended while keys were fetched (a client that disconnected) was
// jwks_unavailable, a 503 that pages on-call, and so was a Check hook that
// returned context.Canceled. The caller's own end is now canceled; only a
// fetch that fails or times out on its own is jwks_unavailable; a hook's
// context error on a live request is claim_denied.
func TestCancellationIsNotUnavailable(t *testing.T) {
	// The pool signs tokens with the bubble's clock (time.Now is fake
	// inside a bubble); its own HTTP server is not used.
	pool := cognitotest.New(t, cognitotest.Config{Now: func() time.Time { return time.Now() }})
	tests := []struct {
		name     string
		endpoint string                              // the key endpoint's mode
		mutate   func(*claims.Config)                // nil: defaults
		ctx      func() (context.Context, func())    // the caller's context and what ends it (nil: never)
		cancelAt bool                                // cancel once Verify waits for the blocked fetch
		hydrate  bool                                // keys are loaded before Verify
		check    func(context.Context, func()) error // the Check hook, given the cancel function
		want     claims.Reason
		wantIs   []error
		wantNot  []error
	}{
		{name: "caller cancels while keys are fetched", endpoint: "block", cancelAt: true,
			ctx:  func() (context.Context, func()) { return context.WithCancel(context.Background()) },
			want: claims.ReasonCanceled, wantIs: []error{claims.ErrCanceled, context.Canceled}, wantNot: []error{claims.ErrJWKSUnavailable}},
		{name: "caller's deadline passes while keys are fetched", endpoint: "block",
			mutate: func(c *claims.Config) { c.JWKS.FetchTimeout = 10 * time.Second },
			ctx: func() (context.Context, func()) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				return ctx, cancel
			},
			want: claims.ReasonCanceled, wantIs: []error{claims.ErrCanceled, context.DeadlineExceeded}, wantNot: []error{claims.ErrJWKSUnavailable}},
		{name: "fetch times out on its own", endpoint: "block",
			want: claims.ReasonJWKSUnavailable, wantIs: []error{claims.ErrJWKSUnavailable, context.DeadlineExceeded}, wantNot: []error{claims.ErrCanceled}},
		{name: "key endpoint fails", endpoint: "fail",
			want: claims.ReasonJWKSUnavailable, wantIs: []error{claims.ErrJWKSUnavailable, jwks.ErrStatus}, wantNot: []error{claims.ErrCanceled}},
		{name: "check returns context.Canceled on a live request", endpoint: "serve", hydrate: true,
			check: func(context.Context, func()) error { return context.Canceled },
			want:  claims.ReasonClaimDenied, wantIs: []error{claims.ErrClaimDenied}, wantNot: []error{claims.ErrCanceled}},
		{name: "check returns context.DeadlineExceeded on a live request", endpoint: "serve", hydrate: true,
			check: func(context.Context, func()) error { return context.DeadlineExceeded },
			want:  claims.ReasonClaimDenied, wantIs: []error{claims.ErrClaimDenied}},
		{name: "check returns ErrCanceled on a live request", endpoint: "serve", hydrate: true,
			check: func(context.Context, func()) error { return claims.ErrCanceled },
			want:  claims.ReasonClaimDenied, wantIs: []error{claims.ErrClaimDenied}},
		{name: "check returns ctx.Err after the caller cancelled", endpoint: "serve", hydrate: true,
			ctx: func() (context.Context, func()) { return context.WithCancel(context.Background()) },
			check: func(ctx context.Context, cancel func()) error {
				cancel()
				return ctx.Err()
			},
			want: claims.ReasonCanceled, wantIs: []error{claims.ErrCanceled, context.Canceled}, wantNot: []error{claims.ErrClaimDenied}},
		{name: "check denies while the caller cancelled", endpoint: "serve", hydrate: true,
			ctx: func() (context.Context, func()) { return context.WithCancel(context.Background()) },
			check: func(ctx context.Context, cancel func()) error {
				cancel()
				return claims.ErrGroupDenied
			},
			want: claims.ReasonGroupDenied, wantIs: []error{claims.ErrGroupDenied}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// The endpoint misbehaves from the start: the verifier's
				// background loop fetches as soon as New returns.
				ep := &keyEndpoint{mode: tt.endpoint, jwks: pool.JWKS()}
				ctx, cancel := context.Background(), func() {}
				if tt.ctx != nil {
					ctx, cancel = tt.ctx()
				}
				defer cancel()
				v := bubbleVerifier(t, pool, ep, func(c *claims.Config) {
					if tt.mutate != nil {
						tt.mutate(c)
					}
					if tt.check != nil {
						c.Check = func(ctx context.Context, _ *claims.Token) error { return tt.check(ctx, cancel) }
					}
				})
				defer v.Close()
				if tt.hydrate {
					if err := v.Hydrate(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				raw := pool.AccessToken()

				var err error
				done := make(chan struct{})
				go func() {
					defer close(done)
					_, err = v.Verify(ctx, raw)
				}()
				if tt.cancelAt {
					synctest.Wait() // Verify waits for the blocked fetch
					cancel()
				}
				<-done

				if got := claims.ReasonOf(err); got != tt.want {
					t.Fatalf("ReasonOf(%v) = %s, want %s", err, got, tt.want)
				}
				checkNoStutter(t, err)
				if got := claims.ReasonOf(err).Status(); got == http.StatusServiceUnavailable && tt.want != claims.ReasonJWKSUnavailable {
					t.Errorf("status %d", got)
				}
				for _, e := range tt.wantIs {
					if !errors.Is(err, e) {
						t.Errorf("error %v does not match %v", err, e)
					}
				}
				for _, e := range tt.wantNot {
					if errors.Is(err, e) {
						t.Errorf("error %v matches %v", err, e)
					}
				}
			})
		})
	}
}

// TestCancelledRefreshKeepsCachedToken: a cached token whose key set is
// being refreshed when the caller gives up is answered canceled, and stays
// cached for the next caller.
func TestCancelledRefreshKeepsCachedToken(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{Now: func() time.Time { return time.Now() }})
	synctest.Test(t, func(t *testing.T) {
		ep := &keyEndpoint{mode: "serve", jwks: pool.JWKS()}
		v := bubbleVerifier(t, pool, ep, func(c *claims.Config) { c.JWKS.MaxStaleness = time.Hour; c.JWKS.RefreshInterval = 2 * time.Hour })
		defer v.Close()
		if err := v.Hydrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		raw := pool.AccessToken(cognitotest.WithLifetime(3 * time.Hour))
		if _, err := v.Verify(context.Background(), raw); err != nil {
			t.Fatal(err)
		}
		// The keys go stale; the refresh a request triggers blocks.
		ep.set("block")
		time.Sleep(time.Hour + time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		var err error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, err = v.Verify(ctx, raw)
		}()
		synctest.Wait()
		cancel()
		<-done
		if claims.ReasonOf(err) != claims.ReasonCanceled {
			t.Fatalf("Verify: %v, want canceled", err)
		}
		if st := v.CacheStats(); st.Entries != 1 {
			t.Errorf("stats = %+v, want the token still cached", st)
		}
	})
}
