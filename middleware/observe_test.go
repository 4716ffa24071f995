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
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

func TestMain(m *testing.M) {
	code := m.Run()
	adaptertest.CloseEnv()
	os.Exit(code)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, e.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), Metrics: metrics,
		Skipper: func(r *http.Request) bool { return r.URL.Path == "/skip" }})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	admin := e.Pool.AccessToken(cognitotest.WithGroups("admin"))
	reader := e.Pool.AccessToken(cognitotest.WithGroups("readers"))
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
	// Nine tokens were presented (3 + 2 admin-route tokens, 4 garbage);
	// the histogram times the six that the token cache did not answer
	// alone (the first of each valid token, the four garbage ones), not
	// the three hits.
	if got := histogramCount(t, reg, "cognito_gate_verify_duration_seconds"); got != 6 {
		t.Errorf("verify histogram count = %d, want 6", got)
	}
	issuer := e.Pool.Issuer()
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
	if _, err := middleware.NewMetrics(reg, e.Verifier); err == nil {
		t.Error("registering twice succeeded")
	}
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
