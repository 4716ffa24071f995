package observability_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	prom "github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/proctest"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestForgedIssuersFireNoAlert: tokens any client can send — naming the
// updated issuer of a pool still on the original one (its endpoint answers
// 403) or a listed replica region whose endpoint fails — leave a verifier
// whose metrics fire none of the alerts of alerts.yml: promtool evaluates
// every alert over an hour of exactly those series (the key set families,
// the on-demand state, the token cache, the configuration gauges) and
// finds none firing. The same series with one unusable key set of the
// updated issuer added do fire CognitoGateJWKSUnusable, so the check can
// fail.
func TestForgedIssuersFireNoAlert(t *testing.T) {
	promtool := proctest.Tool(t, "promtool", "apt-get install prometheus", "/usr/bin")
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Forged1", ReplicaRegions: []string{"us-west-2"}})
	replica, updated := pool.OriginalIssuer("us-west-2"), pool.UpdatedIssuer()
	pool.SetIssuerFault(replica, cognitotest.Fault{Status: http.StatusServiceUnavailable})
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), Regions: []string{"us-west-2"}, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		JWKS:  jwks.Config{HTTPClient: pool.HTTPClient()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if err := v.Hydrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	reg := prom.NewRegistry()
	if _, err := middleware.NewMetrics(reg, v); err != nil {
		t.Fatal(err)
	}
	// Tokens naming the issuers fetched on demand, signed with their
	// region's key or one no key set publishes, each several times.
	for range 3 {
		for _, tok := range []string{
			pool.AccessToken(cognitotest.WithIssuer(updated)),
			pool.AccessToken(cognitotest.WithIssuer(updated), cognitotest.WithUnpublishedKey()),
			pool.AccessToken(pool.InRegion("us-west-2")),
			pool.AccessToken(pool.InRegion("us-west-2"), cognitotest.WithUnpublishedKey()),
		} {
			if _, err := v.Verify(t.Context(), tok); err == nil {
				t.Fatal("a forged token verified")
			}
		}
	}
	series := verifierSeries(t, reg)
	for _, s := range series {
		if strings.HasPrefix(s.Series, "cognito_gate_jwks_") && !strings.HasPrefix(s.Series, "cognito_gate_jwks_on_demand_state") &&
			(strings.Contains(s.Series, updated) || strings.Contains(s.Series, replica)) {
			t.Errorf("a key set series of an issuer that never served keys: %s", s.Series)
		}
	}

	if out, err := promtoolAlerts(t, promtool, series); err != nil {
		t.Errorf("an alert fires on the series forged tokens leave: %v\n%s", err, out)
	}
	unusable := append(slices.Clone(series), promSeries{fmt.Sprintf(`cognito_gate_jwks_usable{instance="gw:8081",issuer=%q,job=%q}`, updated, jobName), "0x60"})
	out, err := promtoolAlerts(t, promtool, unusable)
	if err == nil || !strings.Contains(out, "CognitoGateJWKSUnusable") {
		t.Errorf("an unusable key set of the updated issuer fired no CognitoGateJWKSUnusable (promtool: %v)\n%s", err, out)
	}
}

// promSeries is one input series of a promtool test.
type promSeries struct {
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

// verifierSeries returns what reg exports of the verifier (the key set
// families, the on-demand state and the token cache) as promtool input
// series of an hour, as one gateway (job cognito-gate, instance gw:8081)
// would be scraped, with the configuration gauges the alerts join on at
// their defaults. A last success is put at minute 1 of that hour.
func verifierSeries(t *testing.T, reg *prom.Registry) []promSeries {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := []promSeries{
		{`cognito_gate_config_jwks_refresh_interval_seconds{instance="gw:8081",job="cognito-gate"}`, "3600x60"},
		{`cognito_gate_config_jwks_max_staleness_seconds{instance="gw:8081",job="cognito-gate"}`, "86400x60"},
		{`cognito_gate_config_jwks_max_backoff_seconds{instance="gw:8081",job="cognito-gate"}`, "300x60"},
	}
	for _, mf := range mfs {
		name := mf.GetName()
		if !strings.HasPrefix(name, "cognito_gate_jwks_") && !strings.HasPrefix(name, "cognito_gate_token_cache_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := []string{`instance="gw:8081"`, fmt.Sprintf("job=%q", jobName)}
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			var val float64
			switch {
			case m.GetCounter() != nil:
				val = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				val = m.GetGauge().GetValue()
			}
			if name == "cognito_gate_jwks_last_success_timestamp_seconds" && val > 0 {
				val = 60
			}
			out = append(out, promSeries{fmt.Sprintf("%s{%s}", name, strings.Join(labels, ",")), strconv.FormatFloat(val, 'f', -1, 64) + "x60"})
		}
	}
	return out
}

// promtoolAlerts runs `promtool test rules` on alerts.yml with series as
// input, expecting no alert of alerts.yml to fire at any of the hour's
// quarters; err is promtool's failure.
func promtoolAlerts(t *testing.T, promtool string, series []promSeries) (string, error) {
	t.Helper()
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	type alertTest struct {
		Alertname string     `yaml:"alertname"`
		EvalTime  string     `yaml:"eval_time"`
		ExpAlerts []struct{} `yaml:"exp_alerts"`
	}
	var tests []alertTest
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			for _, at := range []string{"15m", "30m", "45m", "60m"} {
				if r.Alert != "" {
					tests = append(tests, alertTest{Alertname: r.Alert, EvalTime: at, ExpAlerts: []struct{}{}})
				}
			}
		}
	}
	if len(tests) == 0 {
		t.Fatal("alerts.yml has no alert")
	}
	doc := map[string]any{
		"rule_files":          []string{rules},
		"evaluation_interval": "1m",
		"tests":               []map[string]any{{"interval": "1m", "input_series": series, "alert_rule_test": tests}},
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "forged_test.yml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "test", "rules", file).CombinedOutput()
	return string(out), err
}
