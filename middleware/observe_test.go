package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.v.Close()
		shared.pool.Close()
	}
	os.Exit(code)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, e.v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: e.v, Policy: testPolicy(t), Metrics: metrics,
		Skipper: func(r *http.Request) bool { return r.URL.Path == "/skip" }})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	admin := e.pool.AccessToken(cognitotest.WithGroups("admin"))
	reader := e.pool.AccessToken(cognitotest.WithGroups("readers"))
	send := func(n int, method, path, tok string) {
		for range n {
			h.ServeHTTP(httptest.NewRecorder(), bearerReq(method, path, tok))
		}
	}
	send(3, "GET", "/admin/x", admin)
	send(2, "GET", "/admin/x", reader)
	send(1, "GET", "/admin/x", "")
	send(4, "GET", "/me", "garbage")
	send(1, "GET", "/healthz", "")
	send(2, "GET", "/skip", "")

	if problems, err := testutil.CollectAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	want := `
# HELP cognito_gate_policy_decisions_total Policy decisions by rule and result (allow, deny).
# TYPE cognito_gate_policy_decisions_total counter
cognito_gate_policy_decisions_total{result="allow",rule="admin"} 3
cognito_gate_policy_decisions_total{result="allow",rule="default"} 0
cognito_gate_policy_decisions_total{result="allow",rule="health"} 1
cognito_gate_policy_decisions_total{result="allow",rule="non_canonical"} 0
cognito_gate_policy_decisions_total{result="allow",rule="orders-write"} 0
cognito_gate_policy_decisions_total{result="allow",rule="own-files"} 0
cognito_gate_policy_decisions_total{result="allow",rule="profile"} 0
cognito_gate_policy_decisions_total{result="allow",rule="public"} 0
cognito_gate_policy_decisions_total{result="deny",rule="admin"} 3
cognito_gate_policy_decisions_total{result="deny",rule="default"} 0
cognito_gate_policy_decisions_total{result="deny",rule="health"} 0
cognito_gate_policy_decisions_total{result="deny",rule="non_canonical"} 0
cognito_gate_policy_decisions_total{result="deny",rule="orders-write"} 0
cognito_gate_policy_decisions_total{result="deny",rule="own-files"} 0
cognito_gate_policy_decisions_total{result="deny",rule="profile"} 0
cognito_gate_policy_decisions_total{result="deny",rule="public"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "cognito_gate_policy_decisions_total"); err != nil {
		t.Error(err)
	}
	counts := map[[2]string]float64{
		{"allowed", "ok"}:                   4,
		{"denied", "group_denied"}:          2,
		{"denied", "missing_token"}:         1,
		{"denied", "malformed"}:             4,
		{"skipped", "ok"}:                   2,
		{"denied", "expired"}:               0,
		{"unavailable", "jwks_unavailable"}: 0,
	}
	for labels, want := range counts {
		got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": labels[0], "reason": labels[1]})
		if got != want {
			t.Errorf("requests_total{result=%q,reason=%q} = %v, want %v", labels[0], labels[1], got, want)
		}
	}
	// Nine tokens were presented (3 + 2 admin-route tokens, 4 garbage).
	if got := histogramCount(t, reg, "cognito_gate_verify_duration_seconds"); got != 9 {
		t.Errorf("verify histogram count = %d, want 9", got)
	}
	issuer := e.pool.Issuer()
	wantKeys := fmt.Sprintf(`
# HELP cognito_gate_jwks_keys Usable keys held for the issuer.
# TYPE cognito_gate_jwks_keys gauge
cognito_gate_jwks_keys{issuer=%q} 2
# HELP cognito_gate_jwks_usable 1 when usable keys are held for the issuer (fetched and not older than the maximum staleness), else 0.
# TYPE cognito_gate_jwks_usable gauge
cognito_gate_jwks_usable{issuer=%q} 1
`, issuer, issuer)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(wantKeys), "cognito_gate_jwks_keys", "cognito_gate_jwks_usable"); err != nil {
		t.Error(err)
	}
	if got := sample(t, reg, "cognito_gate_jwks_fetches_total", map[string]string{"issuer": issuer, "result": "ok"}); got < 1 {
		t.Errorf("jwks_fetches_total{ok} = %v", got)
	}
	// The same registry cannot take a second set of metrics.
	if _, err := middleware.NewMetrics(reg, e.v); err == nil {
		t.Error("registering twice succeeded")
	}
}

// sample returns the value of the counter or gauge sample of family name
// whose labels are exactly labels.
func sample(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}
