package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

func TestCheckIdentity(t *testing.T) {
	const client, iss = "client1", "https://issuer"
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	good := []string{"X-Auth-Sub", "sub-bob", "X-Auth-Username", "bob", "X-Auth-Client-Id", client,
		"X-Auth-Token-Use", "access", "X-Auth-Issuer", iss, "X-Auth-Scopes", "a b"}
	tests := []struct {
		name string
		h    http.Header
		ok   bool
	}{
		{"no expectation", hdr(), false},
		{"anonymous, nothing", hdr(expectHeader, "-"), true},
		{"anonymous with a sub", hdr(expectHeader, "-", "X-Auth-Sub", "x"), false},
		{"anonymous with empty groups", hdr(expectHeader, "-", "X-Auth-Groups", ""), false},
		{"reader", hdr(append([]string{expectHeader, "bob|"}, good...)...), true},
		{"reader with groups", hdr(append([]string{expectHeader, "bob|", "X-Auth-Groups", "admin"}, good...)...), false},
		{"admin", hdr(append([]string{expectHeader, "bob|admin,ops", "X-Auth-Groups", "admin,ops"}, good...)...), true},
		{"admin, groups twice", hdr(append([]string{expectHeader, "bob|admin", "X-Auth-Groups", "admin", "X-Auth-Groups", "admin"}, good...)...), false},
		{"wrong user", hdr(append([]string{expectHeader, "carol|"}, good...)...), false},
		{"spoofed client", hdr(expectHeader, "bob|", "X-Auth-Sub", "sub-bob", "X-Auth-Username", "bob", "X-Auth-Client-Id", "spoofed",
			"X-Auth-Token-Use", "access", "X-Auth-Issuer", iss), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkIdentity(tt.h, client, iss)
			if (got == "ok") != tt.ok {
				t.Errorf("checkIdentity = %q, want ok %v", got, tt.ok)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	phases := func() []*phase {
		return []*phase{{share: 0.1, unavailable: true}, {share: 0.5}, {share: 0.2, set: 1}, {share: 0.2, set: 1, retired: true}}
	}
	p1, p2 := phases(), phases()
	a, coldA := schedule(p1, 10000, 7)
	b, coldB := schedule(p2, 10000, 7)
	if len(a) != 10000 || coldA != coldB {
		t.Fatalf("len %d, cold %v vs %v", len(a), coldA, coldB)
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("the schedule is not deterministic at %d", i)
		}
	}
	if c, _ := schedule(phases(), 10000, 8); c[0] == a[0] && c[1] == a[1] && c[2] == a[2] && c[3] == a[3] && c[4] == a[4] {
		t.Error("another seed gives the same schedule")
	}
	at := 0
	for _, ph := range p1 {
		if ph.start != at || ph.end <= ph.start {
			t.Fatalf("phase [%d,%d) after %d", ph.start, ph.end, at)
		}
		at = ph.end
	}
	if at != 10000 {
		t.Fatalf("phases end at %d", at)
	}
	// Cold tokens are numbered 0..n-1 per token set; retired-key requests
	// only come in the retired phase; every kind of the mix shows up at
	// about its weight.
	var next [2]int
	count := map[kind]int{}
	for _, ph := range p1 {
		for i := ph.start; i < ph.end; i++ {
			e := a[i]
			count[e.kind]++
			if e.kind == kindCold {
				if e.cold != next[ph.set] {
					t.Fatalf("request %d: cold %d, want %d", i, e.cold, next[ph.set])
				}
				next[ph.set]++
			}
			if e.kind == kindRetired && !ph.retired {
				t.Fatalf("request %d: a retired-key request outside the retired phase", i)
			}
		}
	}
	if next != coldA {
		t.Errorf("cold counts %v, want %v", coldA, next)
	}
	for k, w := range baseMix {
		if w == 0 {
			continue
		}
		share := float64(count[kind(k)]) / 10000 * 100
		if share < float64(w)*0.7 || share > float64(w)*1.3+1 {
			t.Errorf("%s: %.1f%% of requests, weight %d", kind(k), share, w)
		}
	}
}

func TestTokenSurgery(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	a, b := pool.AccessToken(), pool.AccessToken(cognitotest.WithUsername("bob"))
	if kidOf(a) != pool.KeyIDs()[0] {
		t.Errorf("kidOf = %q, want %q", kidOf(a), pool.KeyIDs()[0])
	}
	r := withKid(a, "made-up")
	if kidOf(r) != "made-up" || strings.SplitN(r, ".", 2)[1] != strings.SplitN(a, ".", 2)[1] {
		t.Errorf("withKid changed more than the header: %s", r)
	}
	s := withSignatureOf(a, b)
	if !strings.HasPrefix(s, a[:strings.LastIndexByte(a, '.')+1]) || !strings.HasSuffix(s, b[strings.LastIndexByte(b, '.'):]) {
		t.Errorf("withSignatureOf = %s", s)
	}
	if kidOf("not a token") != "" {
		t.Error("kidOf of garbage")
	}
}

// TestMixAgainstMiddleware sends one request of every kind through the
// real verifier, policy and middleware in front of the checking upstream
// (with a stand-in for the binary's identity headers), and checks the
// driver judges every answer right: the expected statuses, token surgery
// and identity checks agree with the gateway's code. With keys unavailable,
// every token gets 503.
func TestMixAgainstMiddleware(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{})
	up, err := startUpstream(true, pool.ClientID(), pool.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Close)
	upURL, _ := url.Parse(up.url)
	pol, err := policy.Parse([]byte(policyYAML), "policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gateway := func(t *testing.T, jwksURL string, hydrate bool) string {
		v, err := claims.New(claims.Config{Pools: []claims.Pool{{
			UserPoolID: pool.PoolID(), JWKSURL: jwksURL, AllowHTTP: true,
			ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken,
		}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { v.Close() })
		if hydrate {
			if err := v.Hydrate(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		mw, err := middleware.New(middleware.Config{Verifier: v, Policy: pol})
		if err != nil {
			t.Fatal(err)
		}
		rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upURL)
			for _, h := range identityHeaders {
				pr.Out.Header.Del(h)
			}
			if tok, ok := claims.FromContext(pr.In.Context()); ok {
				pr.Out.Header.Set("X-Auth-Sub", tok.Subject)
				pr.Out.Header.Set("X-Auth-Username", tok.Username)
				if len(tok.Groups) > 0 {
					pr.Out.Header.Set("X-Auth-Groups", strings.Join(tok.Groups, ","))
				}
				pr.Out.Header.Set("X-Auth-Client-Id", tok.ClientID)
				pr.Out.Header.Set("X-Auth-Token-Use", string(tok.Use))
				pr.Out.Header.Set("X-Auth-Issuer", tok.Issuer)
			}
		}}
		srv := httptest.NewServer(mw.Handler(rp))
		t.Cleanup(srv.Close)
		return srv.URL
	}

	old := mintSet(pool, "A", 2)
	pool.Rotate()
	d := &driver{client: http.DefaultClient, seed: 1, sets: [2]*tokenSet{old, mintSet(pool, "B", 2)}}
	pool.Retire(old.kid)
	for k := range numKinds {
		d.sched = append(d.sched, entry{kind: k})
	}

	// Dead is a key server that always fails: the verifier holds no keys.
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(dead.Close)
	tests := []struct {
		name string
		base string
		ph   phase
	}{
		{"keys loaded, new key", gateway(t, pool.JWKSURL(), true), phase{set: 1}},
		{"keys unavailable", gateway(t, dead.URL, false), phase{set: 1, unavailable: true}},
	}
	for _, tt := range tests {
		for i, e := range d.sched {
			t.Run(tt.name+"/"+e.kind.String(), func(t *testing.T) {
				req, want := d.request(context.Background(), tt.base, i, &tt.ph)
				if r := d.do(req, want, true); r.wrong != "" {
					t.Errorf("%s", r.wrong)
				}
			})
		}
	}
	if up.mismatches.Load() != 0 {
		t.Errorf("the upstream saw %d identity mismatches", up.mismatches.Load())
	}
}
