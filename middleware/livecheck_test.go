package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/livecheck"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// *livecheck.Checker is what Config.LiveCheck is for.
var _ middleware.LiveChecker = (*livecheck.Checker)(nil)

// fakeChecker answers every live check with err, after calling before
// (with the request's context), and records what it was given.
type fakeChecker struct {
	err    error
	before func(ctx context.Context)
	mu     sync.Mutex
	raws   []string
	subs   []string
}

func (f *fakeChecker) Check(ctx context.Context, tok *claims.Token, raw string) error {
	f.mu.Lock()
	f.raws, f.subs = append(f.raws, raw), append(f.subs, tok.Subject)
	f.mu.Unlock()
	if f.before != nil {
		f.before(ctx)
	}
	return f.err
}

// livePolicy has rules with live_check (pay, admin-pay) beside one
// without (profile) and an anonymous one (health).
func livePolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "health", Route: "GET /healthz", Anonymous: true},
		{Name: "profile", Route: "GET /me"},
		{Name: "pay", Route: "POST /pay", LiveCheck: true},
		{Name: "admin-pay", Route: "/admin/pay", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}, LiveCheck: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// requestTotals sums cognito_gate_requests_total over every series.
func requestTotals(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "cognito_gate_requests_total" {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestLiveCheckOutcomes: the checker runs only for requests a live_check
// rule allowed, with the token as presented; its refusal is the request's
// outcome (status, challenge, reason), attributed to the rule and recorded
// once; the token is never logged.
func TestLiveCheckOutcomes(t *testing.T) {
	env := newEnv(t)
	raw := env.Pool.AccessToken(cognitotest.WithUsername("lc-mw"), cognitotest.WithGroups("users"))
	tests := []struct {
		name, method, target string
		err                  error
		cancel               bool
		wantCalls            int
		wantStatus           int // 0: canceled, nothing answered
		wantResult, wantRule string
		wantReason           claims.Reason
		wantChallenge        string
	}{
		{"accepted", "POST", "/pay", nil, false, 1, 200, "allowed", "pay", claims.ReasonOK, ""},
		{"revoked", "POST", "/pay", fmt.Errorf("livecheck: %w", claims.ErrRevoked), false, 1, 401, "denied", "pay", claims.ReasonRevoked, `error="invalid_token"`},
		{"another user's answer", "POST", "/pay", claims.ErrIdentityMismatch, false, 1, 401, "denied", "pay", claims.ReasonIdentityMismatch, `error="invalid_token"`},
		{"no admin scope", "POST", "/pay", &claims.ScopeError{AnyOf: []string{"aws.cognito.signin.user.admin"}}, false, 1, 403, "denied", "pay", claims.ReasonInsufficientScope, `scope="aws.cognito.signin.user.admin"`},
		{"ID token", "POST", "/pay", claims.ErrWrongTokenUse, false, 1, 401, "denied", "pay", claims.ReasonWrongTokenUse, `error="invalid_token"`},
		{"cognito unavailable", "POST", "/pay", fmt.Errorf("livecheck: %w", claims.ErrLiveCheckUnavailable), false, 1, 503, "unavailable", "pay", claims.ReasonLiveCheckUnavailable, ""},
		{"checker fails otherwise", "POST", "/pay", errors.New("boom"), false, 1, 500, "unavailable", "pay", claims.ReasonInternal, ""},
		{"client gone during the check", "POST", "/pay", fmt.Errorf("%w: %w", claims.ErrCanceled, context.Canceled), true, 1, 0, "canceled", "pay", claims.ReasonCanceled, ""},
		{"unavailable, client gone", "POST", "/pay", claims.ErrLiveCheckUnavailable, true, 1, 0, "canceled", "pay", claims.ReasonCanceled, ""},
		{"canceled while the client is there", "POST", "/pay", claims.ErrCanceled, false, 1, 500, "unavailable", "pay", claims.ReasonInternal, ""},
		{"policy denies first: no call", "POST", "/admin/pay", nil, false, 0, 403, "denied", "admin-pay", claims.ReasonGroupDenied, `error_description="group_denied"`},
		{"rule without live_check: no call", "GET", "/me", claims.ErrRevoked, false, 0, 200, "allowed", "profile", claims.ReasonOK, ""},
		{"anonymous rule: no call", "GET", "/healthz", claims.ErrRevoked, false, 0, 200, "allowed", "health", claims.ReasonOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fc := &fakeChecker{err: tt.err}
			if tt.cancel {
				fc.before = func(context.Context) { cancel() }
			}
			reg := prometheus.NewRegistry()
			metrics, err := middleware.NewMetrics(reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zapcore.DebugLevel)
			m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: livePolicy(t), LiveCheck: fc, Metrics: metrics, Logger: zap.New(core)})
			if err != nil {
				t.Fatal(err)
			}
			called := false
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
			rec := httptest.NewRecorder()
			var panicked any
			func() {
				defer func() { panicked = recover() }()
				h.ServeHTTP(rec, bearerReq(tt.method, tt.target, raw).WithContext(ctx))
			}()
			switch {
			case tt.wantStatus == 0 && panicked != http.ErrAbortHandler:
				t.Errorf("panic = %v, want http.ErrAbortHandler", panicked)
			case tt.wantStatus != 0 && (panicked != nil || rec.Code != tt.wantStatus):
				t.Errorf("status %d, panic %v; want %d", rec.Code, panicked, tt.wantStatus)
			}
			if called != (tt.wantStatus == 200) {
				t.Errorf("handler called %v, want %v", called, tt.wantStatus == 200)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, tt.wantChallenge) {
				t.Errorf("WWW-Authenticate %q lacks %q", got, tt.wantChallenge)
			}
			if len(fc.raws) != tt.wantCalls || tt.wantCalls > 0 && (fc.raws[0] != raw || fc.subs[0] == "") {
				t.Errorf("checker called %d times (with the token presented: %v); want %d", len(fc.raws), len(fc.raws) > 0 && fc.raws[0] == raw, tt.wantCalls)
			}
			if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": tt.wantResult, "reason": string(tt.wantReason)}); got != 1 || requestTotals(t, reg) != 1 {
				t.Errorf("requests_total{%s,%s} = %v of %v; want 1 of 1", tt.wantResult, tt.wantReason, got, requestTotals(t, reg))
			}
			decision := "deny"
			if tt.wantResult == "allowed" {
				decision = "allow"
			}
			if got := sample(t, reg, "cognito_gate_policy_decisions_total", map[string]string{"rule": tt.wantRule, "result": decision}); got != 1 {
				t.Errorf("policy_decisions_total{%s,%s} = %v, want 1", tt.wantRule, decision, got)
			}
			if logs.Len() != 1 {
				t.Errorf("%d log lines, want 1", logs.Len())
			}
			for _, e := range logs.All() {
				if line := fmt.Sprint(e.Message, e.ContextMap()); strings.Contains(line, raw) || strings.Contains(line, strings.Split(raw, ".")[2]) {
					t.Errorf("the token is in the log: %s", line)
				}
				if got := e.ContextMap()["reason"]; got != string(tt.wantReason) {
					t.Errorf("logged reason %v, want %s", got, tt.wantReason)
				}
			}
		})
	}
}

// TestLiveCheckRequired: a policy with live_check rules is refused without
// a checker (New and SetPolicy, which keeps the policy in force), with a
// typed nil one, and with Headers, which has no raw token to check.
func TestLiveCheckRequired(t *testing.T) {
	env := newEnv(t)
	live := livePolicy(t)
	for _, tt := range []struct {
		name string
		cfg  middleware.Config
		want string
	}{
		{"no checker", middleware.Config{Verifier: env.Verifier, Policy: live}, "LiveCheck is not set"},
		{"typed nil checker", middleware.Config{Verifier: env.Verifier, Policy: live, LiveCheck: (*livecheck.Checker)(nil)}, "LiveCheck is a nil *livecheck.Checker"},
		{"typed nil checker, no live_check rule", middleware.Config{Verifier: env.Verifier, LiveCheck: (*fakeChecker)(nil)}, "LiveCheck is a nil"},
		{"headers", middleware.Config{Headers: &alb.Headers{}, Policy: live, LiveCheck: &fakeChecker{}}, "Headers has no raw access token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := middleware.New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want an error with %q", err, tt.want)
			}
		})
	}

	plain := testPolicy(t)
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: plain})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetPolicy(live); err == nil || !strings.Contains(err.Error(), "LiveCheck is not set") || m.Policy() != plain {
		t.Errorf("SetPolicy(live) without a checker: %v, policy replaced %v; want refused, kept", err, m.Policy() != plain)
	}
	if err := m.SetPolicy(nil); err != nil || m.Policy() != plain {
		t.Errorf("SetPolicy(nil): %v", err)
	}
	withChecker, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: plain, LiveCheck: &fakeChecker{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := withChecker.SetPolicy(live); err != nil || withChecker.Policy() != live {
		t.Errorf("SetPolicy(live) with a checker: %v", err)
	}
}

// TestLiveCheckAtThePool: the middleware with a real livecheck.Checker
// calling the test kit's pool. A token Cognito ends (RevokeToken,
// GlobalSignOut, AdminDisableUser) passes while the positive answer is
// cached and is refused 401 revoked once it expires (CacheTTL, on the
// injected clock); routes without live_check never call GetUser.
func TestLiveCheckAtThePool(t *testing.T) {
	tests := []struct {
		name   string
		revoke func(p *cognitotest.Pool, s cognitotest.Session) error
	}{
		{"RevokeToken", func(p *cognitotest.Pool, s cognitotest.Session) error { return p.RevokeToken(s.RefreshToken) }},
		{"GlobalSignOut", func(p *cognitotest.Pool, s cognitotest.Session) error { return p.GlobalSignOut(s.AccessToken) }},
		{"AdminDisableUser", func(p *cognitotest.Pool, _ cognitotest.Session) error { return p.AdminDisableUser("lc-pool") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var now atomic.Int64
			now.Store(t0.UnixNano())
			clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
			advance := func(d time.Duration) { now.Add(int64(d)) }
			pool := cognitotest.New(t, cognitotest.Config{Now: clock})
			v, err := claims.New(claims.Config{
				Pools: []claims.Pool{{Issuer: pool.Issuer(), Keys: pool.JWKS(), ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AnyToken}},
				Now:   clock,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			lc, err := livecheck.New(livecheck.Config{
				Pools:    []livecheck.Pool{{Issuer: pool.Issuer(), Endpoint: pool.APIURL(), AllowHTTP: true}},
				CacheTTL: 10 * time.Second,
				Now:      clock,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer lc.Close()
			reg := prometheus.NewRegistry()
			metrics, err := middleware.NewMetrics(reg, nil)
			if err != nil {
				t.Fatal(err)
			}
			m, err := middleware.New(middleware.Config{Verifier: v, Policy: livePolicy(t), LiveCheck: lc, Metrics: metrics})
			if err != nil {
				t.Fatal(err)
			}
			h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			do := func(method, target, raw string) int {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, bearerReq(method, target, raw))
				return rec.Code
			}

			s, err := pool.SignIn(cognitotest.WithUsername("lc-pool"))
			if err != nil {
				t.Fatal(err)
			}
			if got := do("GET", "/me", s.AccessToken); got != 200 || pool.APIRequests("GetUser") != 0 {
				t.Fatalf("GET /me: %d after %d GetUser calls; want 200 after none", got, pool.APIRequests("GetUser"))
			}
			if got := do("POST", "/pay", s.AccessToken); got != 200 || pool.APIRequests("GetUser") != 1 {
				t.Fatalf("POST /pay: %d after %d GetUser calls; want 200 after one", got, pool.APIRequests("GetUser"))
			}
			if got := do("POST", "/pay", pool.IDToken(cognitotest.WithUsername("lc-pool"))); got != 401 {
				t.Errorf("POST /pay with an ID token: %d, want 401", got)
			}

			advance(time.Second)
			if err := tt.revoke(pool, s); err != nil {
				t.Fatal(err)
			}
			advance(9*time.Second - time.Nanosecond)
			if got := do("POST", "/pay", s.AccessToken); got != 200 {
				t.Errorf("within CacheTTL of the answer: %d, want 200 (cached)", got)
			}
			advance(time.Nanosecond)
			if got := do("POST", "/pay", s.AccessToken); got != 401 {
				t.Errorf("once the answer expired: %d, want 401", got)
			}
			if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "denied", "reason": "revoked"}); got != 1 {
				t.Errorf("denied/revoked = %v, want 1", got)
			}
			if got := sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": "denied", "reason": "wrong_token_use"}); got != 1 {
				t.Errorf("denied/wrong_token_use = %v, want 1", got)
			}
			// The routes without live_check still take the token: the
			// deny list, not the live check, is for those.
			if got := do("GET", "/me", s.AccessToken); got != 200 {
				t.Errorf("GET /me after the revocation: %d, want 200", got)
			}
		})
	}
}
