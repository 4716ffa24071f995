package middleware_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestMetricsOnDemand: the issuers fetched on demand are in
// cognito_gate_jwks_on_demand_state from the start, and in the key set
// families only once they have served keys. Tokens naming them (any
// client can send such a token) whose endpoint refuses (403) or fails
// (503) add no key set series: none shows unusable, stale or failing for
// the key set alerts to fire on.
func TestMetricsOnDemand(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_OnDem1", ReplicaRegions: []string{"us-west-2", "ap-south-1"}})
	primary, good, failing, updated := pool.OriginalIssuer(""), pool.OriginalIssuer("us-west-2"), pool.OriginalIssuer("ap-south-1"), pool.UpdatedIssuer()
	pool.SetIssuerFault(failing, cognitotest.Fault{Status: http.StatusServiceUnavailable})
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), Regions: []string{"us-west-2", "ap-south-1"}, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		JWKS:  jwks.Config{HTTPClient: pool.HTTPClient()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Hydrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if _, err := middleware.NewMetrics(reg, v); err != nil {
		t.Fatal(err)
	}

	check := func(step string, states map[string]claims.OnDemandState, keySets ...string) {
		t.Helper()
		if problems, err := testutil.CollectAndLint(reg); err != nil || len(problems) > 0 {
			t.Fatalf("%s: lint: %v %+v", step, err, problems)
		}
		var want strings.Builder
		want.WriteString("# HELP cognito_gate_jwks_on_demand_state 1 for the current state of an issuer whose key set is fetched on demand (idle: no token of it yet; live: fetched; absent: its key endpoint answered 403 or 404), 0 for the others.\n# TYPE cognito_gate_jwks_on_demand_state gauge\n")
		for _, iss := range []string{failing, good, updated} { // label order
			for _, s := range []claims.OnDemandState{claims.OnDemandAbsent, claims.OnDemandIdle, claims.OnDemandLive} {
				n := 0
				if states[iss] == s {
					n = 1
				}
				fmt.Fprintf(&want, "cognito_gate_jwks_on_demand_state{issuer=%q,state=%q} %d\n", iss, s, n)
			}
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want.String()), "cognito_gate_jwks_on_demand_state"); err != nil {
			t.Errorf("%s: %v", step, err)
		}
		// Every key set family names exactly keySets.
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			name := mf.GetName()
			if !strings.HasPrefix(name, "cognito_gate_jwks_") || name == "cognito_gate_jwks_on_demand_state" {
				continue
			}
			got := map[string]bool{}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "issuer" {
						got[l.GetValue()] = true
					}
				}
			}
			if len(got) != len(keySets) {
				t.Errorf("%s: %s has the issuers %v, want %q", step, name, got, keySets)
			}
			for _, iss := range keySets {
				if !got[iss] {
					t.Errorf("%s: %s lacks %s", step, name, iss)
				}
			}
		}
		for _, iss := range keySets {
			if got := sample(t, reg, "cognito_gate_jwks_usable", map[string]string{"issuer": iss}); got != 1 {
				t.Errorf("%s: jwks_usable{%s} = %v, want 1", step, iss, got)
			}
		}
	}
	verify := func(tok string, want error) {
		t.Helper()
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, want) || want == nil && err != nil {
			t.Fatalf("Verify: %v, want %v", err, want)
		}
	}

	idle := map[string]claims.OnDemandState{good: claims.OnDemandIdle, failing: claims.OnDemandIdle, updated: claims.OnDemandIdle}
	check("start", idle, primary)

	// The updated endpoint answers 403: absent, no key set series.
	verify(pool.AccessToken(cognitotest.WithIssuer(updated)), claims.ErrWrongIssuer)
	idle[updated] = claims.OnDemandAbsent
	check("updated issuer refused", idle, primary)

	// A replica whose endpoint fails: live, fetching, never served keys.
	verify(pool.AccessToken(pool.InRegion("ap-south-1")), claims.ErrJWKSUnavailable)
	idle[failing] = claims.OnDemandLive
	check("failing replica", idle, primary)

	// A replica that serves its keys joins the key set families.
	verify(pool.AccessToken(pool.InRegion("us-west-2")), nil)
	idle[good] = claims.OnDemandLive
	check("serving replica", idle, primary, good)
	if got := sample(t, reg, "cognito_gate_jwks_fetches_total", map[string]string{"issuer": good, "result": "ok"}); got != 1 {
		t.Errorf("jwks_fetches_total{%s, ok} = %v, want 1", good, got)
	}
}
