package livecheck_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/livecheck"
)

// TestRevokedAtThePool: every way the test kit's pool ends a token, seen
// by the live check once the cached answer runs out — and not before,
// which is CacheTTL's promise.
func TestRevokedAtThePool(t *testing.T) {
	tests := []struct {
		name   string
		revoke func(t *testing.T, p *cognitotest.Pool, s cognitotest.Session) error
	}{
		{"RevokeToken", func(_ *testing.T, p *cognitotest.Pool, s cognitotest.Session) error {
			return p.RevokeToken(s.RefreshToken)
		}},
		{"GlobalSignOut", func(_ *testing.T, p *cognitotest.Pool, s cognitotest.Session) error {
			return p.GlobalSignOut(s.AccessToken)
		}},
		{"AdminUserGlobalSignOut", func(_ *testing.T, p *cognitotest.Pool, _ cognitotest.Session) error {
			return p.AdminUserGlobalSignOut("lc-user")
		}},
		{"AdminDisableUser", func(_ *testing.T, p *cognitotest.Pool, _ cognitotest.Session) error {
			return p.AdminDisableUser("lc-user")
		}},
		{"AdminDeleteUser", func(_ *testing.T, p *cognitotest.Pool, _ cognitotest.Session) error {
			return p.AdminDeleteUser("lc-user")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPoolEnv(t)
			ev := &events{}
			c := e.checker(t, ev, nil)
			ctx := context.Background()
			s, err := e.pool.SignIn(cognitotest.WithUsername("lc-user"))
			if err != nil {
				t.Fatal(err)
			}
			tok := e.verify(t, s.AccessToken)
			other := e.pool.AccessToken(cognitotest.WithUsername("lc-other"))
			otherTok := e.verify(t, other)
			if err := c.Check(ctx, tok, s.AccessToken); err != nil {
				t.Fatalf("before: %v", err)
			}

			e.clock.Advance(time.Second) // the sign-out comes after the sign-in's second
			if err := tt.revoke(t, e.pool, s); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(livecheck.DefaultCacheTTL - time.Second - time.Nanosecond)
			if err := c.Check(ctx, tok, s.AccessToken); err != nil || ev.last(t).Source != livecheck.SourceCache {
				t.Errorf("within CacheTTL: %v (%s), want the cached acceptance", err, ev.last(t).Source)
			}
			e.clock.Advance(time.Nanosecond)
			err = c.Check(ctx, tok, s.AccessToken)
			if !errors.Is(err, livecheck.ErrRevoked) || claims.ReasonOf(err) != claims.ReasonRevoked || ev.last(t).Source != livecheck.SourceCall {
				t.Errorf("after CacheTTL: %v (%+v), want revoked by a call", err, ev.last(t))
			}
			// The refusal is held until the token's exp.
			calls := e.pool.APIRequests("GetUser")
			e.clock.Advance(30 * time.Minute)
			if err := c.Check(ctx, tok, s.AccessToken); !errors.Is(err, livecheck.ErrRevoked) || e.pool.APIRequests("GetUser") != calls {
				t.Errorf("later: %v after %d requests, want the cached refusal", err, e.pool.APIRequests("GetUser")-calls)
			}
			// Another user is not affected.
			if err := c.Check(ctx, otherTok, other); err != nil {
				t.Errorf("another user: %v", err)
			}
		})
	}
}

// TestRefreshedTokenOfARevokedSignIn: RevokeToken ends the tokens
// refreshed before it as well.
func TestRefreshedTokenOfARevokedSignIn(t *testing.T) {
	e := newPoolEnv(t)
	c := e.checker(t, nil, nil)
	s, err := e.pool.SignIn(cognitotest.WithUsername("lc-refresh"))
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	r, err := e.pool.Refresh(s.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.pool.RevokeToken(s.RefreshToken); err != nil {
		t.Fatal(err)
	}
	for what, raw := range map[string]string{"signed in": s.AccessToken, "refreshed": r.AccessToken} {
		wantErr(t, what, c.Check(context.Background(), e.verify(t, raw), raw), livecheck.ErrRevoked)
	}
}

// TestPositiveAnswerEndsWithTheToken: a token accepted shortly before its
// exp is not believed past it, and is refused as expired without a call.
func TestPositiveAnswerEndsWithTheToken(t *testing.T) {
	e := newPoolEnv(t)
	c := e.checker(t, nil, nil)
	raw := e.pool.AccessToken(cognitotest.WithLifetime(10 * time.Second))
	tok := e.verify(t, raw)
	if err := c.Check(context.Background(), tok, raw); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Second)
	calls := e.pool.APIRequests("GetUser")
	wantErr(t, "at exp", c.Check(context.Background(), tok, raw), claims.ErrExpired)
	if e.pool.APIRequests("GetUser") != calls {
		t.Error("an expired token was sent to GetUser")
	}
}

// TestCacheBounded: at most MaxEntries answers, the least recently used
// forgotten first.
func TestCacheBounded(t *testing.T) {
	e := newPoolEnv(t)
	ev := &events{}
	c := e.checker(t, ev, func(cfg *livecheck.Config) { cfg.MaxEntries = 3 })
	ctx := context.Background()
	raws := make([]string, 4)
	for i := range raws {
		raws[i] = e.pool.AccessToken(cognitotest.WithUsername(fmt.Sprintf("lc-bound-%d", i)))
	}
	check := func(i int) livecheck.Source {
		if err := c.Check(ctx, e.verify(t, raws[i]), raws[i]); err != nil {
			t.Fatal(err)
		}
		return ev.last(t).Source
	}
	for i := range 3 {
		check(i)
	}
	check(0) // 0 is now the most recently used; 1 the least
	check(3) // forgets 1
	if n := c.Status().Entries; n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
	for i, want := range []livecheck.Source{livecheck.SourceCache, livecheck.SourceCall, livecheck.SourceCache} {
		if got := check([]int{0, 1, 3}[i]); got != want {
			t.Errorf("token %d: %s, want %s", []int{0, 1, 3}[i], got, want)
		}
	}
}

// TestSingleFlightAtThePool: concurrent checks of one token, one GetUser
// request at the pool.
func TestSingleFlightAtThePool(t *testing.T) {
	e := newPoolEnv(t)
	c := e.checker(t, nil, nil)
	raw := e.pool.AccessToken(cognitotest.WithUsername("lc-flight"))
	tok := e.verify(t, raw)
	errs := make(chan error, 20)
	for range 20 {
		go func() { errs <- c.Check(context.Background(), tok, raw) }()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := e.pool.APIRequests("GetUser"); n != 1 {
		t.Errorf("%d GetUser requests, want 1", n)
	}
}

// TestAnotherUsersAnswerAtThePool: a token whose sub is not its user's
// (as only a forger mints) gets the user's own sub back, and is refused.
func TestAnotherUsersAnswerAtThePool(t *testing.T) {
	e := newPoolEnv(t)
	c := e.checker(t, nil, nil)
	raw := e.pool.AccessToken(cognitotest.WithUsername("lc-victim"), cognitotest.WithSubject("00000000-0000-4000-8000-000000000000"))
	err := c.Check(context.Background(), e.verify(t, raw), raw)
	if !errors.Is(err, livecheck.ErrIdentityMismatch) || claims.ReasonOf(err) != claims.ReasonIdentityMismatch {
		t.Errorf("%v, want identity_mismatch", err)
	}
}

// TestEndpointFromTheIssuersRegion: the call goes to the region the
// token's verified issuer names — the pool's own, a replica's, the
// updated issuer's primary — through a client that reaches the pool's
// API only from Cognito's address, so the test fails if any other
// address is called.
func TestEndpointFromTheIssuersRegion(t *testing.T) {
	p := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Regions1", ReplicaRegions: []string{"us-west-2"}, UpdatedIssuer: true})
	var called []string
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		called = append(called, r.URL.String())
		local := r.Clone(r.Context())
		local.URL, local.Host = mustParse(t, p.APIURL()), ""
		return http.DefaultTransport.RoundTrip(local)
	})}
	c, err := livecheck.New(livecheck.Config{
		Pools:      []livecheck.Pool{{UserPoolID: p.PoolID(), Regions: []string{"us-west-2"}}},
		HTTPClient: client,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys := mustGet(t, p.JWKSURLOf(p.UpdatedIssuer())) // every region's keys
	var pools []claims.Pool
	for _, iss := range []string{p.OriginalIssuer(""), p.OriginalIssuer("us-west-2"), p.UpdatedIssuer()} {
		pools = append(pools, claims.Pool{Issuer: iss, Keys: keys, ClientIDs: []string{p.ClientID()}, TokenUse: claims.AccessToken})
	}
	v, err := claims.New(claims.Config{Pools: pools, Cache: claims.CacheConfig{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for _, tt := range []struct {
		name string
		opts []cognitotest.TokenOption
		want string
	}{
		{"own region", []cognitotest.TokenOption{cognitotest.WithIssuer(p.OriginalIssuer(""))}, "https://cognito-idp.eu-west-1.amazonaws.com/"},
		{"replica", []cognitotest.TokenOption{p.InRegion("us-west-2"), cognitotest.WithIssuer(p.OriginalIssuer("us-west-2"))}, "https://cognito-idp.us-west-2.amazonaws.com/"},
		{"updated issuer", nil, "https://cognito-idp.eu-west-1.amazonaws.com/"},
		{"updated issuer, from a replica", []cognitotest.TokenOption{p.InRegion("us-west-2")}, "https://cognito-idp.eu-west-1.amazonaws.com/"},
	} {
		called = nil
		raw := p.AccessToken(append(tt.opts, cognitotest.WithUsername("lc-region"))...)
		tok, err := v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if err := c.Check(context.Background(), tok, raw); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if len(called) != 1 || called[0] != tt.want {
			t.Errorf("%s: called %q, want %s", tt.name, called, tt.want)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// mustGet returns the body of a GET of url.
func mustGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return body
}
