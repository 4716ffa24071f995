package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// TestDenialFloodHidesNothing is the attacker's test of denial log
// sampling: a flood of bad tokens cannot hide a denial of another reason
// from the log (its reason has its own count), and every denial the log
// leaves out is in cognito_gate_log_denials_sampled_total, so that the
// lines logged plus those sampled are the denials counted.
func TestDenialFloodHidesNothing(t *testing.T) {
	now := t0
	h, reg, logs := sampledHandler(t, zapcore.InfoLevel, &middleware.LogSampling{First: 5, Thereafter: 100, Now: func() time.Time { return now }})
	send := func(tok string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, bearerReq(http.MethodGet, "http://api.example.com/me", tok))
		return rec.Code
	}
	const flood = 1000
	for i := range flood {
		if code := send("garbage" + strings.Repeat("x", i%7)); code != http.StatusUnauthorized {
			t.Fatalf("flood request %d: status %d", i, code)
		}
	}
	// In the same second, one token from another pool: wrong_issuer.
	other := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_FloodOther", Now: func() time.Time { return t0 }})
	if code := send(other.AccessToken()); code != http.StatusUnauthorized {
		t.Fatalf("the other pool's token: status %d", code)
	}

	lines := func(reason string) int {
		n := 0
		for _, e := range logs.FilterMessage("request denied").All() {
			if e.ContextMap()["reason"] == reason {
				n++
			}
		}
		return n
	}
	if got := lines("wrong_issuer"); got != 1 {
		t.Errorf("%d log lines of the wrong_issuer denial after the flood, want 1", got)
	}
	for _, reason := range []string{"malformed", "wrong_issuer"} {
		logged := float64(lines(reason))
		sampled := sample(t, reg, "cognito_gate_log_denials_sampled_total", map[string]string{"reason": reason})
		denied := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "denied", "reason": reason})
		if logged+sampled != denied {
			t.Errorf("%s: %v lines logged + %v sampled, want the %v denials counted", reason, logged, sampled, denied)
		}
	}
	if got, want := lines("malformed"), 5+(flood-5)/100; got != want {
		t.Errorf("%d lines of the flood logged, want %d (5, then 1 in 100)", got, want)
	}
	// A new second: the flood's reason is logged again from the start.
	now = now.Add(time.Second)
	before := lines("malformed")
	send("garbage")
	if lines("malformed") != before+1 {
		t.Error("the first denial of a new second was not logged")
	}
}

// TestDenialLogSamplingNeedsMetrics: sampling without Metrics would drop
// denial lines that nothing counts: refused.
func TestDenialLogSamplingNeedsMetrics(t *testing.T) {
	env := newEnv(t)
	_, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: testPolicy(t), DenialLogSampling: &middleware.LogSampling{First: 1}})
	if err == nil || !strings.Contains(err.Error(), "DenialLogSampling needs Metrics") {
		t.Fatalf("New without Metrics: %v, want the refusal", err)
	}
}

// TestDenialSamplingQuietLogger: with the log at warn, denial lines are
// not written anyway, so none counts as left out by the sampling.
func TestDenialSamplingQuietLogger(t *testing.T) {
	h, reg, logs := sampledHandler(t, zapcore.WarnLevel, &middleware.LogSampling{First: 1})
	for range 5 {
		h.ServeHTTP(httptest.NewRecorder(), bearerReq(http.MethodGet, "http://api.example.com/me", "garbage"))
	}
	if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "denied", "reason": "malformed"}); got != 5 {
		t.Fatalf("%v denials counted, want 5", got)
	}
	if got := sample(t, reg, "cognito_gate_log_denials_sampled_total", map[string]string{"reason": "malformed"}); got != 0 {
		t.Errorf("%v denials counted as sampled with the log at warn, want 0", got)
	}
	if logs.Len() != 0 {
		t.Errorf("%d lines logged at warn", logs.Len())
	}
}

// sampledHandler is the middleware with metrics in reg, logging at level
// to logs, sampling denial lines as ls says, in front of a handler that
// does nothing.
func sampledHandler(t *testing.T, level zapcore.Level, ls *middleware.LogSampling) (http.Handler, *prometheus.Registry, *observer.ObservedLogs) {
	t.Helper()
	env := newEnv(t)
	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, env.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(level)
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Metrics: metrics, Logger: zap.New(core),
		Policy: testPolicy(t), DenialLogSampling: ls})
	if err != nil {
		t.Fatal(err)
	}
	return m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), reg, logs
}
