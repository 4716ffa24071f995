package claims_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
)

// countingTransport counts the requests that pass through it, by URL.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	urls map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.urls == nil {
		c.urls = make(map[string]int)
	}
	c.urls[r.URL.String()]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

// of returns the number of requests for the key set of iss.
func (c *countingTransport) of(iss string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.urls[iss+"/.well-known/jwks.json"]
}

// total returns the number of requests.
func (c *countingTransport) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, k := range c.urls {
		n += k
	}
	return n
}

// cognitoVerifier returns a verifier of pool's access tokens configured as
// in production, by pool id alone (mutate may change the configuration,
// its one pool Pools[0]), whose key fetches reach the pool at its Cognito
// addresses through a counting transport; it is closed when the test
// ends. It does not hydrate.
func cognitoVerifier(t *testing.T, pool *cognitotest.Pool, clk *clock, mutate func(*claims.Config)) (*claims.Verifier, *countingTransport) {
	t.Helper()
	ct := &countingTransport{next: pool.HTTPClient().Transport}
	cfg := claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   clk.Now, JWKS: jwks.Config{HTTPClient: &http.Client{Transport: ct}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	v, err := claims.New(cfg)
	if err != nil {
		t.Fatalf("claims.New: %v", err)
	}
	t.Cleanup(func() { v.Close() })
	return v, ct
}

// primaryIssuers returns the issuers of the key sets fetched from the
// start.
func primaryIssuers(v *claims.Verifier) []string {
	var out []string
	for _, s := range v.Keys().Sets() {
		out = append(out, s.Issuer())
	}
	return out
}

// onDemandIssuers returns the issuers fetched on demand.
func onDemandIssuers(v *claims.Verifier) []string {
	var out []string
	for _, st := range v.OnDemand() {
		out = append(out, st.Issuer)
	}
	return out
}

func TestPoolIssuers(t *testing.T) {
	const (
		id   = "eu-west-1_AbC123"
		orig = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
		upd  = "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
		usw2 = "https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123"
		aps1 = "https://cognito-idp.ap-south-1.amazonaws.com/eu-west-1_AbC123"
	)
	keys := cognitotest.New(t, cognitotest.Config{}).JWKS()
	base := func(f func(*claims.Pool)) claims.Pool {
		p := claims.Pool{UserPoolID: id, ClientIDs: []string{"c"}, TokenUse: claims.AccessToken}
		if f != nil {
			f(&p)
		}
		return p
	}
	tests := []struct {
		name                       string
		pools                      []claims.Pool
		issuers, primary, onDemand []string
		primaryURL                 string // of the first primary issuer; "" for the default
	}{
		{name: "pool id: both formats, original first", pools: []claims.Pool{base(nil)},
			issuers: []string{orig, upd}, primary: []string{orig}, onDemand: []string{upd}},
		{name: "replica regions", pools: []claims.Pool{base(func(p *claims.Pool) { p.Regions = []string{"us-west-2", "ap-south-1"} })},
			issuers: []string{orig, usw2, aps1, upd}, primary: []string{orig}, onDemand: []string{usw2, aps1, upd}},
		{name: "original only", pools: []claims.Pool{base(func(p *claims.Pool) { p.IssuerFormats = []claims.IssuerFormat{claims.IssuerOriginal} })},
			issuers: []string{orig}, primary: []string{orig}},
		{name: "updated only: the primary issuer", pools: []claims.Pool{base(func(p *claims.Pool) { p.IssuerFormats = []claims.IssuerFormat{claims.IssuerUpdated} })},
			issuers: []string{upd}, primary: []string{upd}},
		{name: "order of the list does not matter", pools: []claims.Pool{base(func(p *claims.Pool) {
			p.IssuerFormats = []claims.IssuerFormat{claims.IssuerUpdated, claims.IssuerOriginal}
		})}, issuers: []string{orig, upd}, primary: []string{orig}, onDemand: []string{upd}},
		{name: "original and replicas only", pools: []claims.Pool{base(func(p *claims.Pool) {
			p.IssuerFormats, p.Regions = []claims.IssuerFormat{claims.IssuerOriginal}, []string{"us-west-2"}
		})}, issuers: []string{orig, usw2}, primary: []string{orig}, onDemand: []string{usw2}},
		{name: "jwks url: one key set, the original issuer's", pools: []claims.Pool{base(func(p *claims.Pool) { p.JWKSURL = "https://keys.example.com/jwks.json" })},
			issuers: []string{orig}, primary: []string{orig}, primaryURL: "https://keys.example.com/jwks.json"},
		{name: "keys: one key set", pools: []claims.Pool{base(func(p *claims.Pool) { p.Keys = keys })},
			issuers: []string{orig}, primary: []string{orig}, primaryURL: "-"},
		{name: "updated with jwks url", pools: []claims.Pool{base(func(p *claims.Pool) {
			p.IssuerFormats, p.JWKSURL = []claims.IssuerFormat{claims.IssuerUpdated}, "https://keys.example.com/jwks.json"
		})}, issuers: []string{upd}, primary: []string{upd}, primaryURL: "https://keys.example.com/jwks.json"},
		{name: "an issuer: the only one", pools: []claims.Pool{base(func(p *claims.Pool) { p.Issuer = upd })},
			issuers: []string{upd}, primary: []string{upd}},
		{name: "pool listed twice, once per format: the named issuer wins", pools: []claims.Pool{
			base(nil), base(func(p *claims.Pool) { p.UserPoolID, p.Issuer, p.ClientIDs = "", upd, []string{"other"} })},
			issuers: []string{orig, upd}, primary: []string{orig, upd}},
		{name: "pool listed twice, the second with its id and the updated issuer", pools: []claims.Pool{
			base(nil), base(func(p *claims.Pool) { p.Issuer, p.ClientIDs = upd, []string{"other"} })},
			issuers: []string{orig, upd}, primary: []string{orig, upd}},
		{name: "named before the default pool", pools: []claims.Pool{
			base(func(p *claims.Pool) {
				p.IssuerFormats, p.ClientIDs = []claims.IssuerFormat{claims.IssuerUpdated}, []string{"other"}
			}),
			base(func(p *claims.Pool) { p.IssuerFormats = []claims.IssuerFormat{claims.IssuerOriginal} })},
			issuers: []string{upd, orig}, primary: []string{upd, orig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := claims.Config{Pools: tt.pools, JWKS: jwksConfig(0)}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			v, err := claims.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer v.Close()
			if got := v.Issuers(); !slices.Equal(got, tt.issuers) {
				t.Errorf("Issuers() = %q, want %q", got, tt.issuers)
			}
			if got := primaryIssuers(v); !slices.Equal(got, tt.primary) {
				t.Errorf("fetched from the start: %q, want %q", got, tt.primary)
			}
			if got := onDemandIssuers(v); !slices.Equal(got, tt.onDemand) {
				t.Errorf("on demand: %q, want %q", got, tt.onDemand)
			}
			for _, st := range v.OnDemand() {
				if st.State != claims.OnDemandIdle || st.URL != st.Issuer+"/.well-known/jwks.json" {
					t.Errorf("on demand %+v: want idle, at <issuer>/.well-known/jwks.json", st)
				}
			}
			want := tt.primaryURL
			switch want {
			case "":
				want = tt.primary[0] + "/.well-known/jwks.json"
			case "-":
				want = "" // static keys
			}
			if got := v.Keys().Sets()[0].URL(); got != want {
				t.Errorf("primary key set URL = %q, want %q", got, want)
			}
		})
	}
}

// goodPoolWith is the one pool goodPool after f.
func goodPoolWith(f func(*claims.Pool)) []claims.Pool {
	p := goodPool()
	f(&p)
	return []claims.Pool{p}
}

// atPool0 is a problem of pool 0 alone.
func atPool0(field, key string) []at { return []at{{0, field, key}} }

func TestPoolIssuerErrors(t *testing.T) {
	good := goodPool()
	with, pool0 := goodPoolWith, atPool0
	formats := func(f ...claims.IssuerFormat) []claims.IssuerFormat { return append([]claims.IssuerFormat{}, f...) }
	keys := cognitotest.New(t, cognitotest.Config{}).JWKS()
	tests := []struct {
		name    string
		pools   []claims.Pool
		want    []at
		wantErr string
	}{
		{"empty formats", with(func(p *claims.Pool) { p.IssuerFormats = formats() }), pool0("IssuerFormats", "issuer_formats"),
			"claims: config: pool 0: IssuerFormats: empty; leave it unset for both formats"},
		{"unknown format", with(func(p *claims.Pool) { p.IssuerFormats = formats("ORIGINAL") }), pool0("IssuerFormats", "issuer_formats"),
			`entry 0, "ORIGINAL": want "original" or "updated"`},
		{"format twice", with(func(p *claims.Pool) { p.IssuerFormats = formats(claims.IssuerUpdated, claims.IssuerUpdated) }), pool0("IssuerFormats", "issuer_formats"),
			`entry 1, "updated", is listed twice`},
		{"formats with an issuer", with(func(p *claims.Pool) {
			p.Issuer, p.IssuerFormats = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", formats(claims.IssuerOriginal)
		}), pool0("IssuerFormats", "issuer_formats"), "set together with issuer"},
		{"formats without a pool id", with(func(p *claims.Pool) {
			p.UserPoolID, p.Issuer, p.IssuerFormats = "", "https://idp.example/x", formats(claims.IssuerOriginal)
		}), pool0("IssuerFormats", "issuer_formats"), "IssuerFormats: needs UserPoolID"},
		{"both formats with one jwks url", with(func(p *claims.Pool) {
			p.IssuerFormats, p.JWKSURL = formats(claims.IssuerOriginal, claims.IssuerUpdated), "https://keys.example.com/jwks.json"
		}), pool0("IssuerFormats", "issuer_formats"), "each format has its own; list one format"},
		{"both formats with static keys", with(func(p *claims.Pool) {
			p.IssuerFormats, p.Keys = formats(claims.IssuerOriginal, claims.IssuerUpdated), keys
		}), pool0("IssuerFormats", "issuer_formats"), "each format has its own"},
		{"empty regions", with(func(p *claims.Pool) { p.Regions = []string{} }), pool0("Regions", "regions"), "Regions: empty"},
		{"region not a region", with(func(p *claims.Pool) { p.Regions = []string{"us-west-2", "US-WEST-1"} }), pool0("Regions", "regions"),
			`entry 1, "US-WEST-1", is not an AWS region`},
		{"region with a path", with(func(p *claims.Pool) { p.Regions = []string{"us-west-2.amazonaws.com/x/.."} }), pool0("Regions", "regions"), "is not an AWS region"},
		{"the pool's own region", with(func(p *claims.Pool) { p.Regions = []string{"us-east-1"} }), pool0("Regions", "regions"), "is the pool's own region"},
		{"region twice", with(func(p *claims.Pool) { p.Regions = []string{"us-west-2", "us-west-2"} }), pool0("Regions", "regions"), "listed twice"},
		{"regions with the updated format only", with(func(p *claims.Pool) {
			p.Regions, p.IssuerFormats = []string{"us-west-2"}, formats(claims.IssuerUpdated)
		}), pool0("Regions", "regions"), "needs the original issuer format"},
		{"regions with a jwks url", with(func(p *claims.Pool) {
			p.Regions, p.JWKSURL = []string{"us-west-2"}, "https://keys.example.com/jwks.json"
		}), pool0("Regions", "regions"), "each region has its own"},
		{"regions with an issuer", with(func(p *claims.Pool) {
			p.UserPoolID, p.Issuer, p.Regions = "", "https://idp.example/x", []string{"us-west-2"}
		}), pool0("Regions", "regions"), "Regions: needs UserPoolID"},
		{"formats and regions without a pool id", with(func(p *claims.Pool) {
			p.UserPoolID, p.Issuer, p.IssuerFormats, p.Regions = "", "https://idp.example/x", formats(claims.IssuerOriginal), []string{"us-west-2"}
		}), []at{{0, "Regions", "regions"}, {0, "IssuerFormats", "issuer_formats"}}, "Regions: needs UserPoolID"},
		{"a replica's issuer named by another pool", []claims.Pool{
			func() claims.Pool { p := good; p.Regions = []string{"us-west-2"}; return p }(),
			{Issuer: "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_AbC123", SkipClientIDCheck: true, TokenUse: claims.AccessToken}},
			[]at{{1, "Issuer", "issuer"}}, "is also the issuer of pool 0"},
		{"two pools name the updated issuer", []claims.Pool{
			func() claims.Pool {
				p := good
				p.IssuerFormats = formats(claims.IssuerOriginal, claims.IssuerUpdated)
				return p
			}(),
			{Issuer: "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", SkipClientIDCheck: true, TokenUse: claims.AccessToken}},
			[]at{{1, "Issuer", "issuer"}}, "is also the issuer of pool 0"},
		{"the updated issuer named by a later pool twice", []claims.Pool{
			{Issuer: "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", SkipClientIDCheck: true, TokenUse: claims.AccessToken},
			func() claims.Pool {
				p := good
				p.IssuerFormats = formats(claims.IssuerOriginal, claims.IssuerUpdated)
				return p
			}()},
			[]at{{1, "IssuerFormats", "issuer_formats"}}, `issuer "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123" is also accepted by pool 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMisconfiguration(t, claims.Config{Pools: tt.pools, JWKS: jwksConfig(0)}, tt.want, tt.wantErr, false)
		})
	}
}

func TestParseIssuer(t *testing.T) {
	tests := []struct {
		iss  string
		want claims.IssuerInfo
		ok   bool
	}{
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{claims.IssuerOriginal, "eu-west-1", "eu-west-1_AbC123"}, true},
		{"https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{claims.IssuerOriginal, "us-west-2", "eu-west-1_AbC123"}, true},
		{"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{claims.IssuerUpdated, "eu-west-1", "eu-west-1_AbC123"}, true},
		{"https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_X", claims.IssuerInfo{claims.IssuerOriginal, "us-gov-west-1", "us-gov-west-1_X"}, true},
		// The updated issuer always names the primary region.
		{"https://issuer-cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/x", claims.IssuerInfo{}, false},
		{"https://cognito-idp.EU-WEST-1.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://Cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.amazonaws.com:443/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.amazonaws.com.evil.example/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.evil.example/x.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"https://cognito-idp.eu-west-1.amazonaws.com/local_5x1A", claims.IssuerInfo{}, false},
		{"https://cognito-idp.amazonaws.com/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"http://127.0.0.1:9229/eu-west-1_AbC123", claims.IssuerInfo{}, false},
		{"", claims.IssuerInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := claims.ParseIssuer(tt.iss)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseIssuer(%q) = %+v, %v; want %+v, %v", tt.iss, got, ok, tt.want, tt.ok)
		}
		if pid := (&claims.Token{Issuer: tt.iss}).UserPoolID(); pid != tt.want.PoolID {
			t.Errorf("UserPoolID of %q = %q, want %q", tt.iss, pid, tt.want.PoolID)
		}
	}
	for _, id := range []string{"eu-west-1_AbC123", "us-east-1_x"} {
		o, _ := claims.CognitoIssuer(id)
		u, _ := claims.UpdatedIssuer(id)
		if oi, ok := claims.ParseIssuer(o); !ok || oi.Format != claims.IssuerOriginal || oi.PoolID != id {
			t.Errorf("ParseIssuer(CognitoIssuer(%q)) = %+v, %v", id, oi, ok)
		}
		if ui, ok := claims.ParseIssuer(u); !ok || ui.Format != claims.IssuerUpdated || ui.PoolID != id {
			t.Errorf("ParseIssuer(UpdatedIssuer(%q)) = %+v, %v", id, ui, ok)
		}
	}
	if _, err := claims.UpdatedIssuer("AbC"); err == nil {
		t.Error("UpdatedIssuer of a bad id: no error")
	}
}

// FuzzParseIssuer: whatever ParseIssuer accepts is exactly the issuer its
// parts make again, in the form it names, with a valid region and pool id.
func FuzzParseIssuer(f *testing.F) {
	for _, s := range []string{
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
		"https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
		"https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123",
		"https://issuer-cognito-idp.us-west-2.amazonaws.com/eu-west-1_AbC123",
		"https://cognito-idp.eu-west-1.amazonaws.com.amazonaws.com/eu-west-1_A",
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, iss string) {
		info, ok := claims.ParseIssuer(iss)
		if !ok {
			if info != (claims.IssuerInfo{}) {
				t.Fatalf("%q: not an issuer, but info %+v", iss, info)
			}
			return
		}
		host := "cognito-idp."
		if info.Format == claims.IssuerUpdated {
			host = "issuer-cognito-idp."
			if primary, _ := claims.UpdatedIssuer(info.PoolID); primary != iss {
				t.Fatalf("%q: updated issuer not in the primary region (%q)", iss, primary)
			}
		}
		if again := "https://" + host + info.Region + ".amazonaws.com/" + info.PoolID; again != iss {
			t.Fatalf("%q parsed as %+v, which makes %q", iss, info, again)
		}
		if _, err := claims.CognitoIssuer(info.PoolID); err != nil || strings.ContainsAny(info.Region, "./:_") {
			t.Fatalf("%q: pool id %q, region %q", iss, info.PoolID, info.Region)
		}
	})
}

// TestBothIssuerFormatsAndReplicas runs a verifier configured by pool id,
// with a replica region, against a pool on the original issuer whose
// updated endpoint answers 403, as Cognito's does (aws-jwt-verify 5.2.0's
// hydrate() failed there, its issue 279).
func TestBothIssuerFormatsAndReplicas(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Both1", ReplicaRegions: []string{"us-west-2"}, Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, func(c *claims.Config) { c.Pools[0].Regions = []string{"us-west-2"} })
	ctx := context.Background()
	primary, replica, upd := pool.OriginalIssuer(""), pool.OriginalIssuer("us-west-2"), pool.UpdatedIssuer()

	if err := v.Hydrate(ctx); err != nil {
		t.Fatalf("Hydrate: %v", err)
	}
	if !v.Ready() {
		t.Fatal("not Ready after Hydrate")
	}
	if got := ct.total(); got != ct.of(primary) || got < 1 {
		t.Fatalf("Hydrate fetched %v, want the primary key set only", ct.urls)
	}
	for _, st := range v.OnDemand() {
		if st.State != claims.OnDemandIdle {
			t.Errorf("%s is %s before any token, want idle", st.Issuer, st.State)
		}
	}

	// The primary's and the replica's tokens verify, each with its own
	// region's keys; the replica's set is fetched at its first token.
	tok, err := v.Verify(ctx, pool.AccessToken())
	if err != nil || tok.Issuer != primary {
		t.Fatalf("primary token: %v, %v", tok, err)
	}
	if got := ct.of(replica); got != 0 {
		t.Errorf("replica key set fetched %d times before its first token", got)
	}
	tok, err = v.Verify(ctx, pool.AccessToken(pool.InRegion("us-west-2")))
	if err != nil || tok.Issuer != replica || tok.UserPoolID() != pool.PoolID() {
		t.Fatalf("replica token: %+v, %v", tok, err)
	}
	if got := ct.of(replica); got != 1 {
		t.Errorf("replica key set fetched %d times, want 1", got)
	}
	for range 5 {
		if _, err := v.Verify(ctx, pool.AccessToken(pool.InRegion("us-west-2"), cognitotest.WithUsername("bob"))); err != nil {
			t.Fatalf("replica token: %v", err)
		}
	}
	if got := ct.of(replica); got != 1 {
		t.Errorf("replica key set fetched %d times after more tokens, want 1", got)
	}
	// A replica's key is not the primary's: signed by the replica's key but
	// claiming the primary's issuer, the token is refused.
	if _, err := v.Verify(ctx, pool.AccessToken(pool.InRegion("us-west-2"), cognitotest.WithIssuer(primary))); !errors.Is(err, claims.ErrUnknownKID) {
		t.Errorf("replica-signed token with the primary's iss: %v, want ErrUnknownKID", err)
	}

	// A token with the updated issuer: the pool never issues one, its
	// endpoint answers 403, the token is wrong_issuer, and nothing about
	// the verifier's readiness changes.
	_, err = v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd)))
	if claims.ReasonOf(err) != claims.ReasonWrongIssuer {
		t.Fatalf("updated-issuer token of an original pool: %v (reason %s), want wrong_issuer", err, claims.ReasonOf(err))
	}
	checkNoStutter(t, err)
	if got := ct.of(upd); got != 1 {
		t.Errorf("updated key set fetched %d times, want 1", got)
	}
	if err := v.Hydrate(ctx); err != nil || !v.Ready() {
		t.Errorf("after a 403 of the updated endpoint: Hydrate %v, Ready %v", err, v.Ready())
	}
	if got := primaryIssuers(v); !slices.Equal(got, []string{primary}) {
		t.Errorf("Keys() holds %q, want the primary issuer only", got)
	}
	states := map[string]claims.OnDemandState{}
	for _, st := range v.OnDemand() {
		states[st.Issuer] = st.State
	}
	if states[replica] != claims.OnDemandLive || states[upd] != claims.OnDemandAbsent {
		t.Errorf("on-demand states %v, want the replica live and the updated issuer absent", states)
	}
}

// TestUpdatedIssuerPool: a pool switched to the updated issuer, whose
// tokens of every region carry the updated issuer and whose key set holds
// every region's keys.
func TestUpdatedIssuerPool(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Upd2", UpdatedIssuer: true, ReplicaRegions: []string{"us-west-2"}, Now: clk.Now})
	ctx := context.Background()

	t.Run("default formats: the updated issuer on demand", func(t *testing.T) {
		v, ct := cognitoVerifier(t, pool, clk, nil)
		if err := v.Hydrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, region := range []string{"", "us-west-2"} {
			tok, err := v.Verify(ctx, pool.AccessToken(pool.InRegion(region)))
			if err != nil || tok.Issuer != pool.UpdatedIssuer() {
				t.Fatalf("token of region %q: %v, %v", region, tok, err)
			}
		}
		if got := ct.of(pool.UpdatedIssuer()); got != 1 {
			t.Errorf("updated key set fetched %d times, want 1", got)
		}
		st := v.OnDemand()[0]
		if st.State != claims.OnDemandLive || st.Keys.Keys != 4 || !st.Keys.Usable {
			t.Errorf("on-demand status %+v, want live with the 4 keys of both regions", st)
		}
	})
	t.Run("updated only: the primary issuer, fetched from the start", func(t *testing.T) {
		v, ct := cognitoVerifier(t, pool, clk, func(c *claims.Config) { c.Pools[0].IssuerFormats = []claims.IssuerFormat{claims.IssuerUpdated} })
		if err := v.Hydrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ct.of(pool.UpdatedIssuer()); got < 1 {
			t.Error("Hydrate did not fetch the updated key set")
		}
		if _, err := v.Verify(ctx, pool.AccessToken(pool.InRegion("us-west-2"))); err != nil {
			t.Errorf("replica token: %v", err)
		}
		before := ct.total()
		if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(pool.OriginalIssuer("")))); !errors.Is(err, claims.ErrWrongIssuer) {
			t.Errorf("original-issuer token: %v, want ErrWrongIssuer", err)
		}
		if ct.total() != before {
			t.Error("an original-issuer token made the verifier fetch")
		}
	})
}

// TestUnconfiguredIssuersNeverFetched is the attacker's test: tokens whose
// iss names the pool in another form than a configured one — another
// region, the updated format in a replica region, another spelling — are
// refused before any request, however many arrive.
func TestUnconfiguredIssuersNeverFetched(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Att1", ReplicaRegions: []string{"us-west-2"}, Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, func(c *claims.Config) { c.Pools[0].Regions = []string{"us-west-2"} })
	ctx := context.Background()
	if err := v.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	before := ct.total()
	id := pool.PoolID()
	for _, iss := range []string{
		"https://cognito-idp.ap-south-1.amazonaws.com/" + id,
		"https://cognito-idp.us-east-1.amazonaws.com/" + id,
		"https://issuer-cognito-idp.us-west-2.amazonaws.com/" + id,
		"https://issuer-cognito-idp.ap-south-1.amazonaws.com/" + id,
		"https://cognito-idp.US-WEST-2.amazonaws.com/" + id,
		"https://cognito-idp.us-west-2.amazonaws.com/" + id + "/",
		"https://cognito-idp.us-west-2.amazonaws.com:443/" + id,
		"http://cognito-idp.us-west-2.amazonaws.com/" + id,
		"https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Other",
		"https://cognito-idp.us-west-2.amazonaws.com.evil.example/" + id,
		"https://evil.example/cognito-idp.us-west-2.amazonaws.com/" + id,
		"https://cognito-idp.us-west-2.amazonaws.com/" + id + "/../eu-west-1_Other",
	} {
		for range 3 {
			_, err := v.Verify(ctx, pool.AccessToken(pool.InRegion("us-west-2"), cognitotest.WithIssuer(iss)))
			if !errors.Is(err, claims.ErrWrongIssuer) {
				t.Errorf("iss %q: %v, want ErrWrongIssuer", iss, err)
			}
		}
	}
	if got := ct.total(); got != before {
		t.Errorf("unconfigured issuers made %d requests: %v", got-before, ct.urls)
	}
	for _, st := range v.OnDemand() {
		if st.State != claims.OnDemandIdle {
			t.Errorf("%s is %s, want idle", st.Issuer, st.State)
		}
	}
}

// TestAbsentIssuerBackoff: a flood of tokens naming an issuer whose
// endpoint answers 403 costs one fetch per back-off step (Cooldown,
// doubling), never one per token.
func TestAbsentIssuerBackoff(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Flood1", Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, nil)
	ctx := context.Background()
	upd := pool.UpdatedIssuer()
	flood := func() {
		t.Helper()
		for range 20 {
			if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd))); !errors.Is(err, claims.ErrWrongIssuer) {
				t.Fatalf("updated-issuer token: %v, want ErrWrongIssuer", err)
			}
		}
	}
	steps := []struct {
		advance     time.Duration
		wantFetches int
	}{
		{0, 1},
		{9 * time.Second, 1},  // inside the first back-off (Cooldown, 10 s)
		{time.Second, 2},      // 10 s: asked again, next back-off 20 s
		{19 * time.Second, 2}, //
		{time.Second, 3},      // next 40 s
		{40 * time.Second, 4}, // next 80 s
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		flood()
		if got := ct.of(upd); got != s.wantFetches {
			t.Fatalf("step %d: %d fetches, want %d", i, got, s.wantFetches)
		}
	}
	st := v.OnDemand()[0]
	if st.State != claims.OnDemandAbsent || st.Absences != 4 || !st.RetryAt.Equal(clk.Now().Add(80*time.Second)) {
		t.Errorf("status %+v, want absent 4 times, retry in 80s", st)
	}
	if err := v.Hydrate(ctx); err != nil || !v.Ready() {
		t.Errorf("Hydrate %v, Ready %v", err, v.Ready())
	}
}

// TestAbsentIssuerAppears: a pool switched to the updated issuer after
// its endpoint answered 404 is picked up at the next token after the
// back-off, without a restart.
func TestAbsentIssuerAppears(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Mig1", Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, nil)
	ctx := context.Background()
	upd := pool.UpdatedIssuer()
	pool.SetIssuerFault(upd, cognitotest.Fault{Status: http.StatusNotFound})
	if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd))); claims.ReasonOf(err) != claims.ReasonWrongIssuer {
		t.Fatalf("404: %v, want wrong_issuer", err)
	}
	// The switch: the endpoint serves the pool's keys.
	pool.SetIssuerFault(upd, cognitotest.Fault{Body: pool.JWKS()})
	if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd))); !errors.Is(err, claims.ErrWrongIssuer) {
		t.Fatalf("inside the back-off: %v, want ErrWrongIssuer", err)
	}
	clk.Advance(10 * time.Second)
	tok, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd)))
	if err != nil || tok.Issuer != upd {
		t.Fatalf("after the back-off: %v, %v", tok, err)
	}
	if got := ct.of(upd); got != 2 {
		t.Errorf("%d fetches, want 2", got)
	}
	if st := v.OnDemand()[0]; st.State != claims.OnDemandLive || st.Absences != 0 {
		t.Errorf("status %+v, want live", st)
	}
	// From now on the keys are served as any set's: a 404 later is an
	// outage of a real issuer, whose last good keys are still served.
	pool.SetIssuerFault(upd, cognitotest.Fault{Status: http.StatusNotFound})
	clk.Advance(time.Minute)
	if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd), cognitotest.WithUnpublishedKey())); !errors.Is(err, claims.ErrUnknownKID) {
		t.Errorf("unknown kid after keys were served, endpoint now 404: %v, want ErrUnknownKID", err)
	}
	if _, err := v.Verify(ctx, pool.AccessToken(cognitotest.WithIssuer(upd))); err != nil {
		t.Errorf("known kid, endpoint now 404: %v", err)
	}
}

// TestOnDemandOutage: an on-demand endpoint that fails otherwise than
// 403/404 is an outage (503 jwks_unavailable), retried as any key set's,
// and still no reason to be unready.
func TestOnDemandOutage(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Out1", UpdatedIssuer: true, Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, nil)
	ctx := context.Background()
	upd := pool.UpdatedIssuer()
	if err := v.Hydrate(ctx); err != nil {
		t.Fatal(err)
	}
	pool.SetIssuerFault(upd, cognitotest.Fault{Status: http.StatusInternalServerError})
	for range 3 {
		if _, err := v.Verify(ctx, pool.AccessToken()); claims.ReasonOf(err) != claims.ReasonJWKSUnavailable {
			t.Fatalf("500: %v (reason %s), want jwks_unavailable", err, claims.ReasonOf(err))
		}
	}
	if got := ct.of(upd); got != 1 {
		t.Errorf("%d fetches inside the cooldown, want 1", got)
	}
	if st := v.OnDemand()[0]; st.State != claims.OnDemandLive || st.Keys.Failures != 1 {
		t.Errorf("status %+v, want live with one failure", st)
	}
	if !v.Ready() {
		t.Error("an on-demand outage made the verifier unready")
	}
	pool.SetIssuerFault(upd, cognitotest.Fault{})
	clk.Advance(10 * time.Second)
	if _, err := v.Verify(ctx, pool.AccessToken()); err != nil {
		t.Errorf("after the outage: %v", err)
	}
}

// TestOnDemandFirstTokensAtOnce: many first tokens of an on-demand issuer
// at once cost one fetch. Run with -race.
func TestOnDemandFirstTokensAtOnce(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Conc1", UpdatedIssuer: true, Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, nil)
	toks := make([]string, 32)
	for i := range toks {
		toks[i] = pool.AccessToken()
	}
	var wg sync.WaitGroup
	errs := make([]error, len(toks))
	for i, tok := range toks {
		wg.Go(func() { _, errs[i] = v.Verify(context.Background(), tok) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("token %d: %v", i, err)
		}
	}
	if got := ct.of(pool.UpdatedIssuer()); got != 1 {
		t.Errorf("%d fetches, want 1", got)
	}
	_ = v.OnDemand() // concurrently safe; read once more under -race
}

// TestOnDemandAfterClose: after Close, an on-demand issuer is not fetched.
func TestOnDemandAfterClose(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Cls1", UpdatedIssuer: true, Now: clk.Now})
	v, ct := cognitoVerifier(t, pool, clk, nil)
	if _, err := v.Verify(context.Background(), pool.AccessToken()); err != nil {
		t.Fatal(err)
	}
	v.Close()
	before := ct.total()
	_, err := v.Verify(context.Background(), pool.AccessToken(cognitotest.WithUsername("bob")))
	if claims.ReasonOf(err) != claims.ReasonJWKSUnavailable || ct.total() != before {
		t.Errorf("after Close: %v (%d more requests), want jwks_unavailable and none", err, ct.total()-before)
	}
	if st := v.OnDemand()[0]; st.State != claims.OnDemandIdle {
		t.Errorf("after Close: %s, want idle", st.State)
	}
}

// TestOnDemandObserved: on-demand fetches are reported to the key cache's
// Observer like the primary's.
func TestOnDemandObserved(t *testing.T) {
	clk := newClock(t0)
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Obs1", Now: clk.Now})
	var mu sync.Mutex
	var seen []string
	obs := jwks.ObserverFunc(func(e jwks.FetchEvent) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, e.Issuer+" "+e.Result())
	})
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		Now:   clk.Now, JWKS: jwks.Config{HTTPClient: pool.HTTPClient(), Observer: obs},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Hydrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, _ = v.Verify(context.Background(), pool.AccessToken(cognitotest.WithIssuer(pool.UpdatedIssuer())))
	mu.Lock()
	defer mu.Unlock()
	if want := pool.UpdatedIssuer() + " status"; !slices.Contains(seen, want) || !slices.Contains(seen, pool.Issuer()+" ok") {
		t.Errorf("observed %q, want %q and the primary's ok", seen, want)
	}
}
