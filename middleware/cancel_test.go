package middleware_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/jwks"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// cancelEnv is a middleware in front of a verifier whose key endpoint
// blocks, built inside a synctest bubble.
type cancelEnv struct {
	handler, errorHandler bool // what was called
	errStatus             int  // the status the ErrorHandler was given
	reg                   *prometheus.Registry
	logs                  *observer.ObservedLogs
	h                     http.Handler
	v                     *claims.Verifier
}

func newCancelEnv(t *testing.T, pool *cognitotest.Pool, fetchTimeout time.Duration) *cancelEnv {
	t.Helper()
	v, err := claims.New(claims.Config{
		Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true, ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}},
		JWKS:  jwks.Config{HTTPClient: &http.Client{Transport: adaptertest.BlockingKeys{}}, FetchTimeout: fetchTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	ce := &cancelEnv{reg: prometheus.NewRegistry(), v: v}
	metrics, err := middleware.NewMetrics(ce.reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	ce.logs = logs
	m, err := middleware.New(middleware.Config{Verifier: v, Policy: adaptertest.Policy(t), Metrics: metrics, Logger: zap.New(core),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			ce.errorHandler = true
			var me *middleware.Error
			if errors.As(err, &me) {
				ce.errStatus = me.Status
			}
			w.WriteHeader(http.StatusTeapot)
		}})
	if err != nil {
		t.Fatal(err)
	}
	ce.h = m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ce.handler = true }))
	return ce
}

// TestCanceledRequestIsItsOwnOutcome guards finding 18 in Handler: a
// client that disconnected while keys were fetched was answered 503. The
// Echo adapters run the same suite (adaptertest.Canceled).
func TestCanceledRequestIsItsOwnOutcome(t *testing.T) {
	adaptertest.Canceled(t, adaptertest.NetHTTP)
}

// TestKeyFetchTimeoutStillUnavailable: a fetch that times out on its own
// while the client waits is still a 503, counted and logged as
// unavailable.
func TestKeyFetchTimeoutStillUnavailable(t *testing.T) {
	pool := cognitotest.New(t, cognitotest.Config{PoolID: "eu-west-1_Timeout", Now: func() time.Time { return time.Now() }})
	synctest.Test(t, func(t *testing.T) {
		ce := newCancelEnv(t, pool, 2*time.Second)
		defer ce.v.Close()
		rec := httptest.NewRecorder()
		start := time.Now()
		ce.h.ServeHTTP(rec, bearerReq("GET", "/me", pool.AccessToken()))
		// The ErrorHandler answers the denial (418 here), after the fetch
		// timeout.
		if ce.errStatus != http.StatusServiceUnavailable || rec.Code != http.StatusTeapot || time.Since(start) != 2*time.Second {
			t.Fatalf("error handler given %d, status %d after %s; want 503 after the fetch timeout", ce.errStatus, rec.Code, time.Since(start))
		}
		if got := sample(t, ce.reg, "cognito_gate_requests_total", map[string]string{"result": "unavailable", "reason": "jwks_unavailable"}); got != 1 {
			t.Errorf("unavailable/jwks_unavailable = %v, want 1", got)
		}
		if got := sample(t, ce.reg, "cognito_gate_requests_total", map[string]string{"result": "canceled", "reason": "canceled"}); got != 0 {
			t.Errorf("canceled = %v, want 0", got)
		}
	})
}

// TestVerifierContextErrors: for a Verifier other than claims', a context
// error means canceled only when the request's context has ended; on a
// live request it is an internal error, answered 500, never the silence of
// a canceled request.
func TestVerifierContextErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		cancel     bool
		wantStatus int
		wantResult string
		wantReason string
	}{
		{"canceled on a live request", context.Canceled, false, 500, "unavailable", "internal_error"},
		{"ErrCanceled on a live request", claims.ErrCanceled, false, 500, "unavailable", "internal_error"},
		{"keys unavailable, client gone", claims.ErrJWKSUnavailable, true, 0, "canceled", "canceled"},
		{"live check unavailable", claims.ErrLiveCheckUnavailable, false, 503, "unavailable", "live_check_unavailable"},
		{"live check unavailable, client gone", claims.ErrLiveCheckUnavailable, true, 0, "canceled", "canceled"},
		{"internal error, client gone", errors.New("boom"), true, 0, "canceled", "canceled"},
		{"bad signature, client gone", claims.ErrBadSignature, true, 401, "denied", "bad_signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			metrics, err := middleware.NewMetrics(reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := middleware.New(middleware.Config{Verifier: adaptertest.LyingVerifier{Err: tt.err}, Metrics: metrics})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			}
			defer cancel()
			rec := httptest.NewRecorder()
			var panicked any
			func() {
				defer func() { panicked = recover() }()
				m.Handler(http.NotFoundHandler()).ServeHTTP(rec, bearerReq("GET", "/", "x.y.z").WithContext(ctx))
			}()
			switch {
			case tt.wantStatus == 0 && panicked != http.ErrAbortHandler:
				t.Errorf("panic = %v, want http.ErrAbortHandler", panicked)
			case tt.wantStatus != 0 && (panicked != nil || rec.Code != tt.wantStatus):
				t.Errorf("status %d, panic %v; want %d", rec.Code, panicked, tt.wantStatus)
			}
			if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": tt.wantResult, "reason": tt.wantReason}); got != 1 {
				t.Errorf("requests_total{%s,%s} = %v, want 1", tt.wantResult, tt.wantReason, got)
			}
		})
	}
}

// TestMetricSeriesStartAtZero: every (result, reason) series a request can
// produce exists before the first such request; bad_request is a denial,
// canceled its own result (never a denial or unavailable).
func TestMetricSeriesStartAtZero(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := middleware.NewMetrics(reg, nil); err != nil {
		t.Fatal(err)
	}
	series := map[[2]string]bool{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cognito_gate_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var l [2]string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "result":
					l[0] = lp.GetValue()
				case "reason":
					l[1] = lp.GetValue()
				}
			}
			if m.GetCounter().GetValue() != 0 {
				t.Errorf("%v starts at %v", l, m.GetCounter().GetValue())
			}
			series[l] = true
		}
	}
	for _, want := range [][2]string{{"allowed", "ok"}, {"denied", "bad_request"}, {"denied", "malformed"}, {"canceled", "canceled"},
		{"unavailable", "jwks_unavailable"}, {"unavailable", "live_check_unavailable"}, {"unavailable", "internal_error"}} {
		if !series[want] {
			t.Errorf("no series %v", want)
		}
	}
	for _, unwanted := range [][2]string{{"denied", "canceled"}, {"unavailable", "canceled"}, {"denied", "jwks_unavailable"}, {"denied", "live_check_unavailable"}} {
		if series[unwanted] {
			t.Errorf("series %v exists", unwanted)
		}
	}
	if len(series) != len(claims.Reasons()) {
		t.Errorf("%d series, want one per reason (%d)", len(series), len(claims.Reasons()))
	}
}
