package main

// End-to-end tests of the issuers a pool configured by id accepts (both
// issuer formats, replica regions), through the real binary reaching
// Cognito's key endpoints at their real addresses (cognitoProxy).

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/cognitotest"
)

// writeByIDConfig is writeConfig for a pool configured by its id alone,
// as in production (no jwks_url: the key sets are the issuers' own), with
// poolLines added to the pool.
func writeByIDConfig(t *testing.T, pool *cognitotest.Pool, up, policyYAML, poolLines, extra string) string {
	t.Helper()
	path := writeConfig(t, pool, up, policyYAML, extra)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	local := "    jwks_url: " + pool.JWKSURL() + "\n    allow_http: true\n"
	if !strings.Contains(string(data), local) {
		t.Fatalf("writeConfig's pool has no %q", local)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), local, poolLines, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startThrough runs `cognito-gate serve` with cfg, reaching Cognito
// through proxy.
func startThrough(t *testing.T, proxy *cognitoProxy, cfg string) *proc {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Env = proxy.env()
	return startCmd(t, []string{"proxy", "admin"}, cmd)
}

// scrape returns the admin listener's /metrics.
func scrape(t *testing.T, p *proc) string {
	t.Helper()
	resp, err := http.Get(p.addr["admin"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hostOf is the host:port a CONNECT names for an issuer's key set.
func hostOf(iss string) string {
	u, err := url.Parse(iss)
	if err != nil {
		panic(err)
	}
	return u.Host + ":443"
}

const wrongIssuer = `cognito_gate_requests_total{reason="wrong_issuer",result="denied"}`

// TestBoundaryIssuersByPoolID guards the issuers of boundary 4 through the
// binary: a pool configured by id with one of its two replica regions
// listed accepts that region's tokens with that region's key set; a token
// of the unlisted replica region, of a region the pool is not in or of a
// host in no Cognito form is refused (401 wrong_issuer) without any
// connection; the updated issuer, whose endpoint answers 403 (the pool is
// on the original issuer), is asked once and refused, and neither makes
// /readyz fail nor adds a key set series an alert could fire on.
func TestBoundaryIssuersByPoolID(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Repl1", ReplicaRegions: []string{"us-west-2", "ap-south-1"}})
	proxy := newCognitoProxy(t, pool)
	up := newRawUpstream(t)
	p := startThrough(t, proxy, writeByIDConfig(t, pool, "http://"+up.addr, boundaryPolicy, "    regions: [us-west-2]\n", ""))
	primary, replica, unlisted, updated := pool.OriginalIssuer(""), pool.OriginalIssuer("us-west-2"), pool.OriginalIssuer("ap-south-1"), pool.UpdatedIssuer()

	if got, want := proxy.connected(), []string{hostOf(primary)}; !slices.Equal(slices.Compact(got), want) {
		t.Fatalf("connections at start-up: %q, want %q", got, want)
	}
	if resp := get(t, "GET", p.addr["admin"]+"/readyz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("/readyz %d with the primary key set loaded", resp.StatusCode)
	}

	for _, tc := range []struct {
		name, tok string
		status    int
		host      string // the connection the token needs, "" for none
	}{
		{"primary region", pool.AccessToken(), 200, ""},
		{"listed replica region", pool.AccessToken(pool.InRegion("us-west-2")), 200, hostOf(replica)},
		{"listed replica, again", pool.AccessToken(pool.InRegion("us-west-2"), cognitotest.WithUsername("bob")), 200, ""},
		{"unlisted replica region", pool.AccessToken(pool.InRegion("ap-south-1")), 401, ""},
		{"region the pool is not in", pool.AccessToken(cognitotest.WithIssuer(pool.OriginalIssuer("sa-east-1"))), 401, ""},
		{"updated host in a replica region", pool.AccessToken(cognitotest.WithIssuer("https://issuer-cognito-idp.us-west-2.amazonaws.com/eu-west-1_Repl1")), 401, ""},
		{"host in no Cognito form", pool.AccessToken(cognitotest.WithIssuer("https://cognito-idp.eu-west-1.amazonaws.com.evil.example/eu-west-1_Repl1")), 401, ""},
		{"updated issuer, its endpoint 403", pool.AccessToken(cognitotest.WithIssuer(updated)), 401, hostOf(updated)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, conns, refused := up.count(), len(proxy.connected()), metric(t, p, wrongIssuer)
			resp := rawDo(t, p.addr["proxy"], head("GET", "/me", "api.example.com", "Authorization: Bearer "+tc.tok))
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			got := slices.Compact(proxy.connected()[conns:])
			if want := []string{tc.host}; tc.host == "" && len(got) > 0 || tc.host != "" && !slices.Equal(got, want) {
				t.Errorf("connections %q, want %q", got, tc.host)
			}
			if tc.status != 200 {
				if up.count() != before {
					t.Error("a refused request reached the upstream")
				}
				if n := metric(t, p, wrongIssuer); n != refused+1 {
					t.Errorf("wrong_issuer count %v, want %v", n, refused+1)
				}
				return
			}
			want := primary
			if strings.Contains(tc.name, "replica") {
				want = replica
			}
			if iss := up.since(before)[0].values("X-Auth-Issuer"); len(iss) != 1 || iss[0] != want {
				t.Errorf("X-Auth-Issuer %q, want %q", iss, want)
			}
		})
	}
	for _, iss := range []string{unlisted, pool.OriginalIssuer("sa-east-1")} {
		if n := pool.FetchesOf(iss); n != 0 {
			t.Errorf("%s's key endpoint was asked %d times", iss, n)
		}
	}
	if n := pool.FetchesOf(updated); n < 1 {
		t.Errorf("the updated endpoint was asked %d times, want at least once", n)
	}

	// The 403 changes nothing about readiness, and adds no key set series:
	// the updated issuer shows only in the on-demand state.
	if resp := get(t, "GET", p.addr["admin"]+"/readyz", "", nil); resp.StatusCode != 200 {
		t.Errorf("/readyz %d after the updated endpoint's 403", resp.StatusCode)
	}
	m := scrape(t, p)
	for _, want := range []string{
		fmt.Sprintf(`cognito_gate_jwks_on_demand_state{issuer=%q,state="absent"} 1`, updated),
		fmt.Sprintf(`cognito_gate_jwks_on_demand_state{issuer=%q,state="live"} 1`, replica),
		fmt.Sprintf(`cognito_gate_jwks_usable{issuer=%q} 1`, replica),
		fmt.Sprintf(`cognito_gate_jwks_usable{issuer=%q} 1`, primary),
	} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(m, "\n") {
		if strings.HasPrefix(line, "cognito_gate_jwks_") && !strings.HasPrefix(line, "cognito_gate_jwks_on_demand_state") &&
			(strings.Contains(line, updated) || strings.Contains(line, unlisted)) {
			t.Errorf("a key set series of an issuer that never served keys: %s", line)
		}
	}
}

// TestBoundaryUpdatedIssuerPool: a pool switched to the updated issuer,
// configured with issuer_formats [updated], has that issuer as its primary
// one (fetched at start-up, its key set holding every region's keys) and
// refuses tokens of the original format without a connection.
func TestBoundaryUpdatedIssuerPool(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Upd1", UpdatedIssuer: true, ReplicaRegions: []string{"us-west-2"}})
	proxy := newCognitoProxy(t, pool)
	up := newRawUpstream(t)
	p := startThrough(t, proxy, writeByIDConfig(t, pool, "http://"+up.addr, boundaryPolicy, "    issuer_formats: [updated]\n", ""))
	if got, want := slices.Compact(proxy.connected()), []string{hostOf(pool.UpdatedIssuer())}; !slices.Equal(got, want) {
		t.Fatalf("connections at start-up: %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name, tok string
		status    int
	}{
		{"primary region", pool.AccessToken(), 200},
		{"replica region: the same issuer", pool.AccessToken(pool.InRegion("us-west-2")), 200},
		{"original format", pool.AccessToken(cognitotest.WithIssuer(pool.OriginalIssuer(""))), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns := len(proxy.connected())
			if resp := rawDo(t, p.addr["proxy"], head("GET", "/me", "api.example.com", "Authorization: Bearer "+tc.tok)); resp.status != tc.status {
				t.Errorf("status %d, want %d: %s", resp.status, tc.status, resp.body)
			}
			if got := proxy.connected()[conns:]; len(got) > 0 {
				t.Errorf("connections %q, want none", got)
			}
		})
	}
	if n := pool.FetchesOf(pool.OriginalIssuer("")); n != 0 {
		t.Errorf("the original endpoint was asked %d times", n)
	}
}
