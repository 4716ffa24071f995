package middleware_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/middleware"
)

func TestAuthorizeExact(t *testing.T) {
	e := newEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: e.Verifier, Policy: testPolicy(t), Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	reader := e.Pool.AccessToken()
	tests := []struct {
		name, path, token string
		exact             bool
		wantAllowed       bool
		wantStatus        int
		wantRule          string
	}{
		{"clean path", "/public/x", "", true, true, 0, "public"},
		{"cleaned path, Authorize", "/admin/../public/x", "", false, true, 0, "public"},
		{"cleaned path, AuthorizeExact", "/admin/../public/x", "", true, false, 400, "non_canonical"},
		{"cleaned path with a token", "/admin/../me", reader, true, false, 400, "non_canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bearerReq("GET", tt.path, tt.token)
			var res middleware.Result
			if tt.exact {
				res = m.AuthorizeExact(r)
			} else {
				res = m.Authorize(r)
			}
			if res.Allowed != tt.wantAllowed || res.Rule != tt.wantRule {
				t.Fatalf("result = %+v", res)
			}
			if !tt.wantAllowed && (res.Err == nil || res.Err.Status != tt.wantStatus) {
				t.Fatalf("error = %+v, want status %d", res.Err, tt.wantStatus)
			}
		})
	}
	// The refusals are recorded as denials, not as the allow the policy gave.
	if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "denied", "reason": "non_canonical_path"}); got != 2 {
		t.Errorf("denied/non_canonical_path = %v, want 2", got)
	}
	if got := sample(t, reg, "cognito_gate_policy_decisions_total", map[string]string{"rule": "non_canonical", "result": "deny"}); got != 2 {
		t.Errorf("non_canonical denials = %v, want 2", got)
	}
}
