package fakepool_test

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
)

// Pools with a replica, shared by the tests below (each replica costs two
// more keys); TestMain closes them. Tests that set faults clear them.
var (
	replicated = &lazyPool{cfg: fakepool.Config{PoolID: "eu-west-1_Repl1", ReplicaRegions: []string{"us-west-2"}}}
	updated    = &lazyPool{cfg: fakepool.Config{PoolID: "eu-west-1_Upd1", UpdatedIssuer: true, ReplicaRegions: []string{"us-west-2"}}}
)

// replicatedPool is a pool on the original issuer replicated to us-west-2.
func replicatedPool(t *testing.T) *fakepool.Pool { t.Helper(); return replicated.get(t) }

// updatedPool is a pool on the updated issuer replicated to us-west-2.
func updatedPool(t *testing.T) *fakepool.Pool { t.Helper(); return updated.get(t) }

func TestIssuerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  fakepool.Config
		want string
	}{
		{"replica not a region", fakepool.Config{ReplicaRegions: []string{"west"}}, `replica region "west"`},
		{"replica is the pool's region", fakepool.Config{Region: "eu-west-1", ReplicaRegions: []string{"eu-west-1"}}, "the pool's own region"},
		{"replica twice", fakepool.Config{ReplicaRegions: []string{"us-west-2", "us-west-2"}}, "listed twice"},
		{"local issuer, updated", fakepool.Config{LocalIssuer: true, UpdatedIssuer: true}, "LocalIssuer is one issuer"},
		{"local issuer, replicas", fakepool.Config{LocalIssuer: true, ReplicaRegions: []string{"us-west-2"}}, "LocalIssuer is one issuer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fakepool.New(tt.cfg)
			if err == nil {
				p.Close()
				t.Fatal("New succeeded")
			}
			if !errors.Is(err, fakepool.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want ErrInvalidConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestIssuersOfAPool(t *testing.T) {
	o, u := replicatedPool(t), updatedPool(t)
	tests := []struct{ name, got, want string }{
		{"original: Issuer", o.Issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1"},
		{"original: OriginalIssuer()", o.OriginalIssuer(""), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1"},
		{"original: replica", o.OriginalIssuer("us-west-2"), "https://cognito-idp.us-west-2.amazonaws.com/eu-west-1_Repl1"},
		{"original: UpdatedIssuer", o.UpdatedIssuer(), "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1"},
		{"updated: Issuer", u.Issuer(), "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Upd1"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if o.UsesUpdatedIssuer() || !u.UsesUpdatedIssuer() {
		t.Error("UsesUpdatedIssuer wrong")
	}
	if got := o.ReplicaRegions(); !slices.Equal(got, []string{"us-west-2"}) {
		t.Errorf("ReplicaRegions() = %q", got)
	}
}

// get fetches url with the pool's Cognito client and returns the status
// and, for a 200, the kids of the key set.
func get(t *testing.T, p *fakepool.Pool, url string) (int, []string) {
	t.Helper()
	resp, err := p.HTTPClient().Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, slices.Sorted(maps.Keys(parseKeys(t, body)))
}

// TestKeyEndpoints: each issuer of a pool answers at its Cognito address
// as Cognito does — its region's keys, 403 for the updated endpoint of a
// pool on the original issuer, 404 for a region the pool is not in.
func TestKeyEndpoints(t *testing.T) {
	o, u := replicatedPool(t), updatedPool(t)
	kidsOf := func(p *fakepool.Pool, region string) []string {
		var kids []string
		for _, use := range []string{"access", "id"} {
			var tok string
			if use == "access" {
				tok = p.AccessToken(p.InRegion(region))
			} else {
				tok = p.IDToken(p.InRegion(region))
			}
			kids = append(kids, decode(t, tok).header["kid"].(string))
		}
		return slices.Sorted(slices.Values(kids))
	}
	union := func(p *fakepool.Pool) []string {
		return slices.Sorted(slices.Values(append(kidsOf(p, ""), kidsOf(p, "us-west-2")...)))
	}
	jwks := func(iss string) string { return iss + "/.well-known/jwks.json" }
	tests := []struct {
		name     string
		pool     *fakepool.Pool
		url      string
		status   int
		wantKids []string
	}{
		{"original: own region", o, jwks(o.OriginalIssuer("")), 200, kidsOf(o, "")},
		{"original: replica region", o, jwks(o.OriginalIssuer("us-west-2")), 200, kidsOf(o, "us-west-2")},
		{"original: updated endpoint refused", o, jwks(o.UpdatedIssuer()), 403, nil},
		{"original: another region", o, jwks("https://cognito-idp.ap-south-1.amazonaws.com/eu-west-1_Repl1"), 404, nil},
		{"original: updated in a replica region", o, jwks("https://issuer-cognito-idp.us-west-2.amazonaws.com/eu-west-1_Repl1"), 404, nil},
		{"updated: updated endpoint holds every region's keys", u, jwks(u.UpdatedIssuer()), 200, union(u)},
		{"updated: original endpoint of the primary", u, jwks(u.OriginalIssuer("")), 200, kidsOf(u, "")},
		{"updated: original endpoint of the replica", u, jwks(u.OriginalIssuer("us-west-2")), 200, kidsOf(u, "us-west-2")},
		{"updated: JWKSURL is the updated key set", u, u.JWKSURL(), 200, union(u)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var kids []string
			if strings.HasPrefix(tt.url, "http://") {
				resp, err := http.Get(tt.url)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				status, kids = resp.StatusCode, slices.Sorted(maps.Keys(parseKeys(t, body)))
			} else {
				status, kids = get(t, tt.pool, tt.url)
			}
			if status != tt.status || !slices.Equal(kids, tt.wantKids) {
				t.Errorf("%s: %d %q, want %d %q", tt.url, status, kids, tt.status, tt.wantKids)
			}
		})
	}
	if slices.Equal(kidsOf(o, ""), kidsOf(o, "us-west-2")) {
		t.Error("the replica signs with the primary's keys")
	}
}

// TestHTTPClientReachesNothingElse: the Cognito client never sends a
// request anywhere but the pool's server, and only for key endpoints.
func TestHTTPClientReachesNothingElse(t *testing.T) {
	p := replicatedPool(t)
	for _, url := range []string{
		"https://example.com/eu-west-1_Repl1/.well-known/jwks.json",
		"http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json",
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other/.well-known/jwks.json",
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1/.well-known/openid-configuration",
		"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json?x=1",
		"https://u:p@cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json",
		"https://cognito-idp.eu-west-1.amazonaws.com.evil.example/eu-west-1_Repl1/.well-known/jwks.json",
		"https://cognito-idp.EU-WEST-1.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json",
		"https://cognito-idp.eu-west-1.amazonaws.com:8443/eu-west-1_Repl1/.well-known/jwks.json",
	} {
		before := p.Fetches()
		resp, err := p.HTTPClient().Get(url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("GET %s: %d, want an error", url, resp.StatusCode)
		}
		if p.Fetches() != before {
			t.Errorf("GET %s reached the server", url)
		}
	}
}

func TestInRegion(t *testing.T) {
	o, u := replicatedPool(t), updatedPool(t)
	tests := []struct {
		name    string
		pool    *fakepool.Pool
		region  string
		wantIss string
		keysAt  string // the key set that verifies it
	}{
		{"original, own region", o, "", o.OriginalIssuer(""), o.OriginalIssuer("")},
		{"original, own region named", o, "eu-west-1", o.OriginalIssuer(""), o.OriginalIssuer("")},
		{"original, replica", o, "us-west-2", o.OriginalIssuer("us-west-2"), o.OriginalIssuer("us-west-2")},
		{"updated, replica", u, "us-west-2", u.UpdatedIssuer(), u.UpdatedIssuer()},
		{"updated, own region", u, "", u.UpdatedIssuer(), u.UpdatedIssuer()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, tok := range []string{tt.pool.AccessToken(tt.pool.InRegion(tt.region)), tt.pool.IDToken(tt.pool.InRegion(tt.region)),
				tt.pool.ClientCredentialsToken(tt.pool.InRegion(tt.region))} {
				d := decode(t, tok)
				if d.claims["iss"] != tt.wantIss {
					t.Errorf("iss = %v, want %q", d.claims["iss"], tt.wantIss)
				}
				resp, err := tt.pool.HTTPClient().Get(tt.keysAt + "/.well-known/jwks.json")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err := verify(t, tok, parseKeys(t, body)); err != nil {
					t.Errorf("not verified by the key set of %s: %v", tt.keysAt, err)
				}
				kid := d.header["kid"].(string)
				if tt.pool.PublicKey(kid) == nil {
					t.Errorf("PublicKey(%q) = nil", kid)
				}
			}
		})
	}
	if msg := mustPanic(t, func() { o.AccessToken(o.InRegion("ap-south-1")) }); !strings.Contains(msg, "no replica there") {
		t.Errorf("panic %q", msg)
	}
	if msg := mustPanic(t, func() { o.AccessToken(u.InRegion("us-west-2")) }); !strings.Contains(msg, "used to mint a token of pool") {
		t.Errorf("panic %q", msg)
	}
	// WithIssuer still wins, and the region's key still signs.
	d := decode(t, o.AccessToken(o.InRegion("us-west-2"), fakepool.WithIssuer("https://other.example")))
	if d.claims["iss"] != "https://other.example" || d.header["kid"] == decode(t, o.AccessToken()).header["kid"] {
		t.Errorf("InRegion then WithIssuer: iss %v, kid %v", d.claims["iss"], d.header["kid"])
	}
}

// TestIssuerFaultsAndFetches: a fault of one endpoint leaves the others
// alone; the pool's fault does not turn a refusal into keys; every request
// is counted for its issuer.
func TestIssuerFaultsAndFetches(t *testing.T) {
	p := replicatedPool(t)
	primary, replica, upd := p.OriginalIssuer(""), p.OriginalIssuer("us-west-2"), p.UpdatedIssuer()
	status := func(iss string) int { s, _ := get(t, p, iss+"/.well-known/jwks.json"); return s }
	before := map[string]int{primary: p.FetchesOf(primary), replica: p.FetchesOf(replica), upd: p.FetchesOf(upd)}
	total := p.Fetches()

	p.SetIssuerFault(replica, fakepool.Fault{Status: http.StatusServiceUnavailable})
	p.SetIssuerFault(upd, fakepool.Fault{Status: http.StatusNotFound})
	if got := []int{status(primary), status(replica), status(upd)}; !slices.Equal(got, []int{200, 503, 404}) {
		t.Errorf("with issuer faults: %v, want [200 503 404]", got)
	}
	p.SetIssuerFault(replica, fakepool.Fault{})
	p.SetIssuerFault(upd, fakepool.Fault{})
	p.SetFault(fakepool.Fault{Status: http.StatusInternalServerError})
	if got := []int{status(primary), status(replica), status(upd)}; !slices.Equal(got, []int{500, 500, 403}) {
		t.Errorf("with the pool's fault: %v, want [500 500 403]", got)
	}
	p.ClearFault()
	if got := []int{status(primary), status(replica), status(upd)}; !slices.Equal(got, []int{200, 200, 403}) {
		t.Errorf("without faults: %v, want [200 200 403]", got)
	}
	for iss, n := range before {
		if got := p.FetchesOf(iss); got != n+3 {
			t.Errorf("FetchesOf(%s) = %d, want %d", iss, got, n+3)
		}
	}
	if got := p.Fetches(); got != total+9 {
		t.Errorf("Fetches() = %d, want %d", got, total+9)
	}
}

func TestJWKSURLOf(t *testing.T) {
	p := replicatedPool(t)
	base := strings.TrimSuffix(p.JWKSURL(), "/"+p.PoolID()+"/.well-known/jwks.json")
	tests := []struct{ iss, want string }{
		{p.Issuer(), p.JWKSURL()},
		{p.OriginalIssuer("us-west-2"), base + "/cognito-idp.us-west-2.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json"},
		{p.UpdatedIssuer(), base + "/issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Repl1/.well-known/jwks.json"},
		{"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other", ""},
		{"https://example.com/eu-west-1_Repl1", ""},
		{p.Issuer() + "/", ""},
	}
	for _, tt := range tests {
		if got := p.JWKSURLOf(tt.iss); got != tt.want {
			t.Errorf("JWKSURLOf(%q) = %q, want %q", tt.iss, got, tt.want)
		}
	}
	// The local address answers as the Cognito one does.
	resp, err := http.Get(p.JWKSURLOf(p.UpdatedIssuer()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("local updated endpoint: %d, want 403", resp.StatusCode)
	}
}

func TestClientCredentialsToken(t *testing.T) {
	p := fixedPool(t)
	want := []string{"auth_time", "client_id", "exp", "iat", "iss", "jti", "scope", "sub", "token_use", "version"}
	tests := []struct {
		name                string
		opts                []fakepool.TokenOption
		wantSub, wantClient string
		wantScope           string
	}{
		{"default", nil, p.ClientID(), p.ClientID(), "gate-test/read"},
		{"scopes", []fakepool.TokenOption{fakepool.WithScopes("orders/read", "orders/write")}, p.ClientID(), p.ClientID(), "orders/read orders/write"},
		{"another client", []fakepool.TokenOption{fakepool.WithClientID("m2mclient0000000000000000a")}, "m2mclient0000000000000000a", "m2mclient0000000000000000a", "gate-test/read"},
		{"subject set", []fakepool.TokenOption{fakepool.WithSubject("other")}, "other", p.ClientID(), "gate-test/read"},
		{"user options ignored", []fakepool.TokenOption{fakepool.WithUsername("bob"), fakepool.WithGroups("admin")}, p.ClientID(), p.ClientID(), "gate-test/read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, p.ClientCredentialsToken(tt.opts...))
			if got := names(d.claims); !slices.Equal(got, want) {
				t.Errorf("claims %q, want %q", got, want)
			}
			c := d.claims
			if c["sub"] != tt.wantSub || c["client_id"] != tt.wantClient || c["scope"] != tt.wantScope || c["token_use"] != "access" ||
				c["iss"] != p.Issuer() || c["version"].(interface{ String() string }).String() != "2" {
				t.Errorf("claims %v", c)
			}
			if c["iat"] != c["auth_time"] {
				t.Errorf("iat %v, auth_time %v", c["iat"], c["auth_time"])
			}
			if s, _ := c["jti"].(string); !uuidPattern.MatchString(s) {
				t.Errorf("jti %v", c["jti"])
			}
			if err := verify(t, p.ClientCredentialsToken(tt.opts...), fetchKeys(t, p.JWKSURL())); err != nil {
				t.Errorf("signature: %v", err)
			}
		})
	}
}
