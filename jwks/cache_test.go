package jwks_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cognito-gate/cognito-gate/jwks"
)

const issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"

// testKeys holds three RSA keys as JWKs, a and b published first, c later.
type testKeys struct {
	a, b, c          map[string]any
	kidA, kidB, kidC string
	pubA             *rsa.PublicKey
}

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	p := keyPool(t)
	kc := p.Rotate()
	kids := p.KeyIDs()
	return testKeys{
		a: jwk(kids[0], p.PublicKey(kids[0]), nil), b: jwk(kids[1], p.PublicKey(kids[1]), nil), c: jwk(kc, p.PublicKey(kc), nil),
		kidA: kids[0], kidB: kids[1], kidC: kc, pubA: p.PublicKey(kids[0]),
	}
}

// newCache builds a cache for issuer on the fake endpoint.
func newCache(t *testing.T, f *fakeJWKS, cfg jwks.Config) *jwks.Cache {
	t.Helper()
	cfg.HTTPClient = f.Client()
	c, err := jwks.New(cfg, jwks.Source{Issuer: issuer})
	if err != nil {
		t.Fatalf("jwks.New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestUnknownKIDRefreshAndCooldown(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a, k.b))
		c := newCache(t, f, jwks.Config{})
		if err := c.Hydrate(bg); err != nil {
			t.Fatalf("Hydrate: %v", err)
		}
		if got := f.Fetches(); got != 1 {
			t.Fatalf("fetches after Hydrate = %d, want 1", got)
		}
		if key, err := c.Key(bg, issuer, k.kidA); err != nil || key.ID != k.kidA {
			t.Fatalf("Key(a) = %v, %v", key, err)
		}

		// A new kid inside the cooldown fails fast, without a fetch.
		f.Set(http.StatusOK, set(k.a, k.b, k.c))
		if _, err := c.Key(bg, issuer, k.kidC); !errors.Is(err, jwks.ErrKeyNotFound) {
			t.Fatalf("Key(c) in cooldown: %v, want ErrKeyNotFound", err)
		}
		if got := f.Fetches(); got != 1 {
			t.Fatalf("fetches = %d, want 1 (cooldown)", got)
		}

		// After the cooldown the miss refreshes once and finds it.
		time.Sleep(jwks.DefaultCooldown)
		if key, err := c.Key(bg, issuer, k.kidC); err != nil || key.ID != k.kidC {
			t.Fatalf("Key(c) after cooldown = %v, %v", key, err)
		}
		if got := f.Fetches(); got != 2 {
			t.Fatalf("fetches = %d, want 2", got)
		}

		// A kid that is nowhere costs one fetch after the cooldown, then none.
		time.Sleep(jwks.DefaultCooldown)
		for i := range 3 {
			if _, err := c.Key(bg, issuer, fmt.Sprint("nowhere", i)); !errors.Is(err, jwks.ErrKeyNotFound) {
				t.Fatalf("Key(nowhere): %v", err)
			}
		}
		if got := f.Fetches(); got != 3 {
			t.Fatalf("fetches = %d, want 3", got)
		}
	})
}

func TestFloodOfRandomKIDs(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a, k.b))
		c := newCache(t, f, jwks.Config{})
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		// 100,000 tokens with made-up kids over 100 s of (fake) time.
		const n, span = 100_000, 100 * time.Second
		start := time.Now()
		for i := range n {
			if _, err := c.Key(bg, issuer, fmt.Sprintf("random-%d", i)); !errors.Is(err, jwks.ErrKeyNotFound) {
				t.Fatalf("lookup %d: %v", i, err)
			}
			if i%1000 == 999 {
				time.Sleep(span / (n / 1000))
			}
		}
		elapsed := time.Since(start)
		maxFetches := 1 + int(elapsed/jwks.DefaultCooldown) + 1
		got := f.Fetches()
		t.Logf("%d lookups of unknown kids over %s: %d fetches (limit %d)", n, elapsed, got, maxFetches)
		if got > maxFetches {
			t.Errorf("fetches = %d, want at most %d (one per cooldown)", got, maxFetches)
		}
		// The real key still verifies throughout.
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Errorf("Key(a): %v", err)
		}
	})
}

func TestConcurrentMissesShareOneFetch(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a, k.b))
		c := newCache(t, f, jwks.Config{})
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		time.Sleep(jwks.DefaultCooldown)
		f.Set(http.StatusOK, set(k.b, k.c))
		f.SetDelay(time.Second, false)

		var wg sync.WaitGroup
		errs := make([]error, 50)
		for i := range errs {
			wg.Go(func() { _, errs[i] = c.Key(bg, issuer, k.kidC) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v (fetches %d, status %+v)", i, err, f.Fetches(), c.Set(issuer).Status())
			}
		}
		if got := f.Fetches(); got != 2 {
			t.Errorf("fetches = %d, want 2 (one shared by 50 callers)", got)
		}
		// The retired key a is gone with the new set.
		if _, err := c.Key(bg, issuer, k.kidA); !errors.Is(err, jwks.ErrKeyNotFound) {
			t.Errorf("Key(a) after rotation: %v, want ErrKeyNotFound", err)
		}
	})
}

func TestCallerGivingUpDoesNotCancelSharedFetch(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a))
		f.SetDelay(2*time.Second, false)
		c := newCache(t, f, jwks.Config{})
		ctx, cancel := context.WithTimeout(bg, time.Second)
		defer cancel()
		if _, err := c.Key(ctx, issuer, k.kidA); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Key with short deadline: %v", err)
		}
		time.Sleep(2 * time.Second)
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Fatalf("Key after the fetch finished: %v", err)
		}
		if got := f.Fetches(); got != 1 {
			t.Errorf("fetches = %d, want 1", got)
		}
	})
}

func TestBackgroundRefresh(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a, k.b))
		var events []jwks.FetchEvent
		var mu sync.Mutex
		// No jitter (see TestRefreshJitter): the refresh is due exactly
		// RefreshInterval after the first fetch.
		c := newCache(t, f, jwks.WithRand(jwks.Config{Observer: jwks.ObserverFunc(func(e jwks.FetchEvent) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		})}, func() float64 { return 0.5 }))
		// The background loop fetches at once, without Hydrate.
		synctest.Wait()
		if !c.Ready() {
			t.Fatal("not ready after the first background fetch")
		}
		f.Set(http.StatusOK, set(k.b, k.c))
		time.Sleep(jwks.DefaultRefreshInterval - time.Second)
		synctest.Wait()
		if got := f.Fetches(); got != 1 {
			t.Fatalf("fetches before the interval = %d, want 1", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := f.Fetches(); got != 2 {
			t.Fatalf("fetches after the interval = %d, want 2", got)
		}
		if _, err := c.Key(bg, issuer, k.kidC); err != nil {
			t.Fatalf("Key(c) after refresh: %v", err)
		}
		if got := f.Fetches(); got != 2 {
			t.Fatalf("Key(c) fetched again: %d", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(events) != 2 {
			t.Fatalf("events = %d, want 2", len(events))
		}
		e := events[1]
		if e.Trigger != jwks.TriggerInterval || e.Result() != "ok" || e.Keys != 2 ||
			strings.Join(e.Added, ",") != k.kidC || strings.Join(e.Removed, ",") != k.kidA {
			t.Errorf("event = %+v", e)
		}
		if events[0].Trigger != jwks.TriggerInitial || len(events[0].Added) != 2 {
			t.Errorf("first event = %+v", events[0])
		}
	})
}

func TestStaleKeysServedDuringOutage(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a, k.b))
		var mu sync.Mutex
		var failedAt []time.Time
		// No jitter: the first refresh fails exactly RefreshInterval after
		// the load.
		cfg := jwks.WithRand(jwks.Config{MaxStaleness: 3 * time.Hour, Observer: jwks.ObserverFunc(func(e jwks.FetchEvent) {
			if e.Err != nil {
				mu.Lock()
				failedAt = append(failedAt, e.Start)
				mu.Unlock()
			}
		})}, func() float64 { return 0.5 })
		c := newCache(t, f, cfg)
		if err := c.Hydrate(bg); err != nil {
			t.Fatal(err)
		}
		loaded := time.Now()
		f.Set(http.StatusInternalServerError, []byte("oops"))

		// Past the refresh interval the background refresh fails; the last
		// good keys keep verifying.
		time.Sleep(jwks.DefaultRefreshInterval + 15*time.Minute)
		synctest.Wait()
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Fatalf("Key(a) during outage: %v", err)
		}
		st := c.Set(issuer).Status()
		if !st.Usable || !errors.Is(st.LastError, jwks.ErrStatus) || st.Failures == 0 {
			t.Fatalf("status during outage = %+v", st)
		}

		// Retries back off: 10 s, 20 s, 40 s, ... up to 5 min.
		mu.Lock()
		var gaps []time.Duration
		for i := 1; i < len(failedAt); i++ {
			gaps = append(gaps, failedAt[i].Sub(failedAt[i-1]))
		}
		mu.Unlock()
		want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 5 * time.Minute}
		for i, w := range want {
			if i >= len(gaps) || gaps[i] != w {
				t.Fatalf("retry gaps = %v, want to start with %v", gaps, want)
			}
		}

		// Past MaxStaleness the keys are no longer trusted: 503, not 401.
		time.Sleep(time.Until(loaded.Add(3*time.Hour + time.Second)))
		if _, err := c.Key(bg, issuer, k.kidA); !errors.Is(err, jwks.ErrUnavailable) || !errors.Is(err, jwks.ErrStatus) {
			t.Fatalf("Key(a) past max staleness: %v, want ErrUnavailable wrapping ErrStatus", err)
		}

		// The endpoint comes back: the next retry recovers on its own.
		f.Set(http.StatusOK, set(k.a, k.b))
		time.Sleep(jwks.DefaultMaxBackoff)
		synctest.Wait()
		if _, err := c.Key(bg, issuer, k.kidA); err != nil {
			t.Fatalf("Key(a) after recovery: %v", err)
		}
		st = c.Set(issuer).Status()
		if st.Failures != 0 || st.LastError != nil || st.Fetches["ok"] != 2 || st.Fetches["status"] < 6 || len(st.Fetches) != 2 {
			t.Errorf("status after recovery = %+v", st)
		}
	})
}

func TestColdStartWithEndpointDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS([]byte("bad gateway"))
		f.Set(http.StatusBadGateway, []byte("bad gateway"))
		c := newCache(t, f, jwks.Config{})
		err := c.Hydrate(bg)
		if !errors.Is(err, jwks.ErrUnavailable) || !errors.Is(err, jwks.ErrStatus) || !strings.Contains(err.Error(), "502") {
			t.Fatalf("Hydrate: %v, want ErrUnavailable with status 502", err)
		}
		if c.Ready() {
			t.Fatal("Ready with no keys")
		}
		n := f.Fetches()
		// Inside the backoff, requests fail fast without fetching.
		for range 100 {
			if _, err := c.Key(bg, issuer, "any"); !errors.Is(err, jwks.ErrUnavailable) {
				t.Fatalf("Key: %v, want ErrUnavailable", err)
			}
		}
		if got := f.Fetches(); got != n {
			t.Errorf("fetches = %d, want %d", got, n)
		}
	})
}

func TestFetchFailures(t *testing.T) {
	k := newTestKeys(t)
	huge := []byte(`{"keys":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`)
	tests := []struct {
		name       string
		status     int
		body       []byte
		hang       bool
		want       error
		wantResult string
	}{
		{name: "500", status: 500, body: []byte("x"), want: jwks.ErrStatus, wantResult: "status"},
		{name: "404", status: 404, body: []byte("not found"), want: jwks.ErrStatus, wantResult: "status"},
		{name: "429", status: 429, want: jwks.ErrStatus, wantResult: "status"},
		{name: "over 1 MiB", status: 200, body: huge, want: jwks.ErrTooLarge, wantResult: "too_large"},
		{name: "not json", status: 200, body: []byte("<html>hello</html>"), want: jwks.ErrMalformed, wantResult: "malformed"},
		{name: "empty keys", status: 200, body: set(), want: jwks.ErrNoUsableKeys, wantResult: "no_usable_keys"},
		{name: "only bad keys", status: 200, body: set(jwk("x", k.pubA, map[string]any{"kty": "EC"})), want: jwks.ErrNoUsableKeys, wantResult: "no_usable_keys"},
		{name: "hangs past the timeout", hang: true, want: context.DeadlineExceeded, wantResult: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFakeJWKS(nil)
				f.Set(tt.status, tt.body)
				f.SetDelay(0, tt.hang)
				var got jwks.FetchEvent
				c := newCache(t, f, jwks.Config{Observer: jwks.ObserverFunc(func(e jwks.FetchEvent) { got = e })})
				start := time.Now()
				err := c.Hydrate(bg)
				if !errors.Is(err, jwks.ErrUnavailable) || !errors.Is(err, tt.want) {
					t.Fatalf("Hydrate: %v, want ErrUnavailable and %v", err, tt.want)
				}
				if tt.status != 0 && tt.status != 200 && !strings.Contains(err.Error(), fmt.Sprint(tt.status)) {
					t.Errorf("error %q does not name status %d", err, tt.status)
				}
				if tt.hang && time.Since(start) != jwks.DefaultFetchTimeout {
					t.Errorf("hanging fetch took %s, want %s", time.Since(start), jwks.DefaultFetchTimeout)
				}
				synctest.Wait()
				if got.Result() != tt.wantResult {
					t.Errorf("event result = %q, want %q", got.Result(), tt.wantResult)
				}
			})
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	k := newTestKeys(t)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(set(k.a)) }))
	defer good.Close()
	redirect := httptest.NewServer(http.RedirectHandler(good.URL, http.StatusFound))
	defer redirect.Close()
	c, err := jwks.New(jwks.Config{}, jwks.Source{Issuer: issuer, URL: redirect.URL, AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hydrate(bg); !errors.Is(err, jwks.ErrStatus) || !strings.Contains(err.Error(), "302") {
		t.Fatalf("Hydrate through a redirect: %v, want ErrStatus 302", err)
	}
}

func TestUnknownIssuerNeverFetches(t *testing.T) {
	k := newTestKeys(t)
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a))
		c := newCache(t, f, jwks.Config{})
		synctest.Wait()
		n := f.Fetches()
		for _, iss := range []string{"https://evil.example/", issuer + "/", "http://169.254.169.254/latest", ""} {
			if _, err := c.Key(bg, iss, k.kidA); !errors.Is(err, jwks.ErrUnknownIssuer) {
				t.Errorf("Key(%q): %v, want ErrUnknownIssuer", iss, err)
			}
			if c.Set(iss) != nil {
				t.Errorf("Set(%q) is not nil", iss)
			}
		}
		if got := f.Fetches(); got != n {
			t.Errorf("fetches = %d, want %d", got, n)
		}
	})
}

func TestCloseStopsEverything(t *testing.T) {
	k := newTestKeys(t)
	// synctest.Test fails if any goroutine started in the bubble is still
	// blocked when the function returns, so leaked loops or fetches fail it.
	synctest.Test(t, func(t *testing.T) {
		f := newFakeJWKS(set(k.a))
		f.SetDelay(0, true) // a fetch is in flight when Close runs
		cfg := jwks.Config{HTTPClient: f.Client()}
		c, err := jwks.New(cfg, jwks.Source{Issuer: issuer}, jwks.Source{Issuer: issuer + "2"})
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := c.Key(bg, issuer, k.kidA); !errors.Is(err, jwks.ErrClosed) && !errors.Is(err, jwks.ErrUnavailable) {
			t.Fatalf("Key after Close: %v", err)
		}
	})
}

// at is where a ConfigError says a problem is.
type at struct {
	source     int
	field, key string
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     jwks.Config
		sources []jwks.Source
		want    []at   // every problem, in order
		wantErr string // a fragment of the text
	}{
		{name: "no sources", want: []at{{-1, "", ""}}, wantErr: "jwks: config: no sources"},
		{name: "empty issuer", sources: []jwks.Source{{}}, want: []at{{0, "Issuer", "issuer"}}, wantErr: "source 0: Issuer: empty"},
		{name: "http issuer", sources: []jwks.Source{{Issuer: "http://127.0.0.1:1/pool"}}, want: []at{{0, "AllowHTTP", "allow_http"}},
			wantErr: `source 0: AllowHTTP: issuer "http://127.0.0.1:1/pool" is plain http; set AllowHTTP for local development only`},
		{name: "issuer with trailing slash", sources: []jwks.Source{{Issuer: issuer + "/"}}, want: []at{{0, "Issuer", "issuer"}}, wantErr: "trailing slash"},
		{name: "issuer with query", sources: []jwks.Source{{Issuer: issuer + "?x=1"}}, want: []at{{0, "Issuer", "issuer"}}, wantErr: "query"},
		{name: "issuer with empty fragment", sources: []jwks.Source{{Issuer: issuer + "#"}}, want: []at{{0, "Issuer", "issuer"}}, wantErr: "fragment"},
		{name: "issuer not a url", sources: []jwks.Source{{Issuer: "https://[::1"}}, want: []at{{0, "Issuer", "issuer"}}, wantErr: "is not a URL"},
		{name: "http url", sources: []jwks.Source{{Issuer: issuer, URL: "http://127.0.0.1:1/jwks.json"}}, want: []at{{0, "AllowHTTP", "allow_http"}},
			wantErr: `URL "http://127.0.0.1:1/jwks.json" is plain http`},
		{name: "file url", sources: []jwks.Source{{Issuer: issuer, URL: "file:///etc/passwd"}}, want: []at{{0, "URL", "jwks_url"}}, wantErr: "scheme must be https"},
		{name: "url without host", sources: []jwks.Source{{Issuer: issuer, URL: "https:///jwks.json"}}, want: []at{{0, "URL", "jwks_url"}}, wantErr: "no host"},
		{name: "credentials", sources: []jwks.Source{{Issuer: issuer, URL: "https://u:p@example.com/jwks.json"}}, want: []at{{0, "URL", "jwks_url"}},
			wantErr: "source 0: URL: must not carry credentials"},
		{name: "duplicate issuer", sources: []jwks.Source{{Issuer: issuer}, {Issuer: issuer}}, want: []at{{1, "Issuer", "issuer"}}, wantErr: "is also the issuer of source 0"},
		{name: "negative cooldown", cfg: jwks.Config{Cooldown: -time.Second}, sources: []jwks.Source{{Issuer: issuer}},
			want: []at{{-1, "Cooldown", "jwks.cooldown"}}, wantErr: "jwks: config: Cooldown: -1s is negative"},
		{name: "interval below cooldown", cfg: jwks.Config{RefreshInterval: time.Second}, sources: []jwks.Source{{Issuer: issuer}},
			want: []at{{-1, "RefreshInterval", "jwks.refresh_interval"}}, wantErr: "RefreshInterval: 1s is shorter than Cooldown (10s)"},
		{name: "backoff below cooldown", cfg: jwks.Config{MaxBackoff: time.Second, Cooldown: time.Minute}, sources: []jwks.Source{{Issuer: issuer}},
			want: []at{{-1, "MaxBackoff", "jwks.max_backoff"}}, wantErr: "MaxBackoff: 1s is shorter than Cooldown (1m0s)"},
		{name: "negative body cap", cfg: jwks.Config{MaxResponseBytes: -1}, sources: []jwks.Source{{Issuer: issuer}},
			want: []at{{-1, "MaxResponseBytes", "jwks.max_response_bytes"}}, wantErr: "negative"},
		{name: "every timing negative", cfg: jwks.Config{FetchTimeout: -1, RefreshInterval: -1, Cooldown: -1, MaxBackoff: -1, MaxStaleness: -1, MaxResponseBytes: -1},
			sources: []jwks.Source{{Issuer: issuer}},
			want: []at{{-1, "FetchTimeout", "jwks.fetch_timeout"}, {-1, "MaxResponseBytes", "jwks.max_response_bytes"}, {-1, "RefreshInterval", "jwks.refresh_interval"},
				{-1, "Cooldown", "jwks.cooldown"}, {-1, "MaxBackoff", "jwks.max_backoff"}, {-1, "MaxStaleness", "jwks.max_staleness"}},
			wantErr: "MaxStaleness: -1ns is negative"},
		{name: "every problem at once", cfg: jwks.Config{Cooldown: -time.Second, MaxResponseBytes: -1},
			sources: []jwks.Source{
				{Issuer: "http://127.0.0.1:1/pool", URL: "https://u:p@127.0.0.1:1/jwks.json"},
				{}, {Issuer: "https://a.example/p"}, {Issuer: "https://a.example/p"}},
			want: []at{{-1, "MaxResponseBytes", "jwks.max_response_bytes"}, {-1, "Cooldown", "jwks.cooldown"},
				{0, "URL", "jwks_url"}, {0, "AllowHTTP", "allow_http"}, {1, "Issuer", "issuer"}, {3, "Issuer", "issuer"}},
			wantErr: "jwks: config: MaxResponseBytes: -1 is negative\n" +
				"jwks: config: Cooldown: -1s is negative\n" +
				"jwks: config: source 0: URL: must not carry credentials\n" +
				`jwks: config: source 0: AllowHTTP: issuer "http://127.0.0.1:1/pool" is plain http; set AllowHTTP for local development only` + "\n" +
				"jwks: config: source 1: Issuer: empty\n" +
				`jwks: config: source 3: Issuer: "https://a.example/p" is also the issuer of source 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verr := jwks.Validate(tt.cfg, tt.sources...)
			c, err := jwks.New(tt.cfg, tt.sources...)
			if err == nil {
				c.Close()
				t.Fatalf("New succeeded, want error containing %q", tt.wantErr)
			}
			if !errors.Is(err, jwks.ErrConfig) || !errors.Is(verr, jwks.ErrConfig) {
				t.Errorf("New: %v; Validate: %v; want both to match ErrConfig", err, verr)
			}
			if verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate = %v, New = %v; want the same problems", verr, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if got := configErrorsAt(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems at %v, want %v", got, tt.want)
			}
			for i, src := range tt.sources {
				serr := src.Validate()
				for _, e := range configErrors(t, serr) {
					if e.Source != 0 {
						t.Errorf("Source.Validate(%+v): source %d, want 0", src, e.Source)
					}
				}
				// Source.Validate reports what New reports of that source
				// (the duplicate aside, which needs the others).
				var want []at
				for _, w := range tt.want {
					if w.source == i && !strings.Contains(tt.name, "duplicate") && !(w.source == 3 && w.field == "Issuer") {
						want = append(want, at{0, w.field, w.key})
					}
				}
				if got := configErrorsAt(t, serr); !slices.Equal(got, want) {
					t.Errorf("Source.Validate(%+v) problems at %v, want %v", src, got, want)
				}
			}
			cerr := tt.cfg.Validate()
			var want []at
			for _, w := range tt.want {
				if w.source == -1 && w.field != "" {
					want = append(want, w)
				}
			}
			if got := configErrorsAt(t, cerr); !slices.Equal(got, want) {
				t.Errorf("Config.Validate problems at %v, want %v", got, want)
			}
		})
	}
	if err := jwks.Validate(jwks.Config{}, jwks.Source{Issuer: issuer}); err != nil {
		t.Errorf("Validate of a good configuration: %v", err)
	}
}

// configErrors returns the *jwks.ConfigErrors joined in err, and fails the
// test when err joins anything else.
func configErrors(t *testing.T, err error) []*jwks.ConfigError {
	t.Helper()
	if err == nil {
		return nil
	}
	var list []error
	var j interface{ Unwrap() []error }
	if errors.As(err, &j) {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []*jwks.ConfigError
	for _, e := range list {
		var ce *jwks.ConfigError
		if !errors.As(e, &ce) || !errors.Is(e, jwks.ErrConfig) {
			t.Fatalf("%T %v is no *jwks.ConfigError matching ErrConfig", e, e)
		}
		if ce.Problem == "" || strings.HasPrefix(ce.Problem, ce.Field) && ce.Field != "" {
			t.Errorf("problem %q of %s is empty or repeats the field", ce.Problem, ce.Field)
		}
		out = append(out, ce)
	}
	return out
}

// configErrorsAt returns where each ConfigError of err is.
func configErrorsAt(t *testing.T, err error) []at {
	t.Helper()
	var out []at
	for _, e := range configErrors(t, err) {
		out = append(out, at{e.Source, e.Field, e.Key})
	}
	return out
}
