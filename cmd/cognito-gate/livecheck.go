package main

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cognito-gate/cognito-gate/livecheck"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// liveCheckConfig is the live_check section: the settings of the live
// check (package livecheck) that rules with live_check: true require.
// Zero values are the package's defaults.
type liveCheckConfig struct {
	// FailureMode is fail_closed (the default: a token Cognito could not
	// be asked about is refused, 503 live_check_unavailable) or
	// fail_open (accepted, counted and warned about).
	FailureMode string        `yaml:"failure_mode"`
	CacheTTL    time.Duration `yaml:"cache_ttl"`
	Timeout     time.Duration `yaml:"timeout"`
	Rate        int           `yaml:"rate"` // calls a second per region

	Burst            int           `yaml:"burst"`
	MaxConcurrent    int           `yaml:"max_concurrent"`
	MaxEntries       int           `yaml:"max_entries"`
	Cooldown         time.Duration `yaml:"cooldown"`
	MaxBackoff       time.Duration `yaml:"max_backoff"`
	MaxResponseBytes int64         `yaml:"max_response_bytes"`
}

// liveCheckSetup is a validated live_check configuration.
type liveCheckSetup struct {
	cfg livecheck.Config
}

// The failure modes of live_check.failure_mode.
const (
	failClosed = "fail_closed"
	failOpen   = "fail_open"
)

// liveCheck checks the live_check section and the pools'
// live_check_endpoint, and builds the checker's configuration when the
// policy has live_check rules or the section is set (so that a reload
// may add such rules). Every problem is reported at its key. It runs
// after pools, tokens.alb and the policy.
func (v *validator) liveCheck() {
	lc := v.fc.LiveCheck
	needed := v.gc.policy != nil && v.gc.policy.LiveCheck()
	for i, p := range v.fc.Pools {
		if p.LiveCheckEndpoint != "" && lc == nil && !needed {
			v.bad(fmt.Sprintf("pools[%d].live_check_endpoint", i), "set only with a live_check section or rules with live_check")
		}
	}
	if lc == nil && !needed {
		return
	}
	if needed && v.fc.Tokens.ALB != nil {
		v.bad("tokens.alb", "the policy has rules with live_check, which need the access token as sent: not with tokens.alb")
	}
	cfg := livecheck.Config{}
	if lc != nil {
		cfg = livecheck.Config{
			Timeout: lc.Timeout, MaxResponseBytes: lc.MaxResponseBytes, CacheTTL: lc.CacheTTL, MaxEntries: lc.MaxEntries,
			MaxConcurrent: lc.MaxConcurrent, Rate: float64(lc.Rate), Burst: lc.Burst, Cooldown: lc.Cooldown, MaxBackoff: lc.MaxBackoff,
		}
		switch lc.FailureMode {
		case "", failClosed:
		case failOpen:
			cfg.FailOpen = true
		default:
			v.bad("live_check.failure_mode", "%q: want %s (the default: refuse, 503) or %s (accept tokens Cognito could not be asked about)", lc.FailureMode, failClosed, failOpen)
		}
	}
	for _, p := range v.fc.Pools {
		lp := livecheck.Pool{Endpoint: p.LiveCheckEndpoint, AllowHTTP: p.AllowHTTP}
		if p.Issuer != "" {
			lp.Issuer = p.Issuer
		} else {
			lp.UserPoolID = p.UserPoolID
		}
		cfg.Pools = append(cfg.Pools, lp)
	}
	ok := true
	for _, e := range joined(cfg.Validate()) {
		var ce *livecheck.ConfigError
		switch {
		case e == nil:
		case !errors.As(e, &ce):
			ok = false
			v.bad("live_check", "%v", e)
		case ce.Pool >= 0:
			ok = false
			v.bad(fmt.Sprintf("pools[%d].%s", ce.Pool, ce.Key), "%s", ce.Problem)
		default:
			ok = false
			v.bad(ce.Key, "%s", ce.Problem)
		}
	}
	if ok {
		v.gc.liveCheck = &liveCheckSetup{cfg: cfg}
	}
}

// liveCheckWarnings are the live check's footguns, for the start-up log
// and check.
func (gc *gateConfig) liveCheckWarnings() []string {
	if gc.liveCheck == nil {
		return nil
	}
	lc := &gc.liveCheck.cfg
	var ws []string
	if gc.policy != nil && !gc.policy.LiveCheck() {
		ws = append(ws, "live_check is configured but no rule has live_check: true")
	}
	if lc.FailOpen {
		ws = append(ws, "live_check.failure_mode is fail_open: tokens Cognito could not be asked about (throttled, unreachable, the gate's own rate and concurrency bounds) are accepted, revoked ones among them; whoever can make Cognito unreachable for the gate gets them through")
	}
	for i, p := range lc.Pools {
		if u, err := url.Parse(p.Endpoint); err == nil && u.Scheme == "http" {
			ws = append(ws, fmt.Sprintf("pools[%d].live_check_endpoint %s is plain http: access tokens are sent to it in the clear (emulators only)", i, p.Endpoint))
		}
	}
	return ws
}

// newLiveChecker builds the checker of cfg's live_check configuration,
// with its metrics on reg; nil without one.
func newLiveChecker(cfg *gateConfig, reg prometheus.Registerer) (*livecheck.Checker, error) {
	if cfg.liveCheck == nil {
		return nil, nil
	}
	lm := newLiveCheckMetrics()
	c := cfg.liveCheck.cfg
	c.Observer = lm
	lc, err := livecheck.New(c)
	if err != nil {
		return nil, err
	}
	if err := reg.Register(lm); err != nil {
		lc.Close()
		return nil, err
	}
	return lc, nil
}

// liveCheckRestart refuses a reload that changes the live check's
// settings (the live_check section, the pools it checks, whether there
// is one): the checker is the process's, built at start-up.
func liveCheckRestart(a, b *gateConfig) error {
	if reflect.DeepEqual(a.liveCheck, b.liveCheck) {
		return nil
	}
	return fmt.Errorf("live_check: changed (or the pools it checks): %w", errRestart)
}

// liveCheckMetrics counts the live checks by result and source, and the
// tokens accepted by fail_open, as a livecheck.Observer.
type liveCheckMetrics struct {
	checks   *prometheus.CounterVec
	failOpen *prometheus.CounterVec
}

var liveCheckSources = []livecheck.Source{livecheck.SourceCall, livecheck.SourceShared, livecheck.SourceCache, livecheck.SourceLocal}

func newLiveCheckMetrics() *liveCheckMetrics {
	m := &liveCheckMetrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: middleware.Namespace, Subsystem: "live_check", Name: "checks_total",
			Help: "Live checks of tokens at Cognito (GetUser) by result and by source of the answer (call, shared, cache, local).",
		}, []string{"result", "source"}),
		failOpen: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: middleware.Namespace, Subsystem: "live_check", Name: "fail_open_total",
			Help: "Tokens accepted by live_check.failure_mode fail_open although Cognito could not be asked, by result.",
		}, []string{"result"}),
	}
	for _, r := range livecheck.Results {
		for _, s := range liveCheckSources {
			m.checks.WithLabelValues(string(r), string(s))
		}
		if r.FailsOpen() {
			m.failOpen.WithLabelValues(string(r))
		}
	}
	return m
}

// ObserveCheck counts one check.
func (m *liveCheckMetrics) ObserveCheck(e livecheck.Event) {
	m.checks.WithLabelValues(string(e.Result), string(e.Source)).Inc()
	if e.FailOpen {
		m.failOpen.WithLabelValues(string(e.Result)).Inc()
	}
}

func (m *liveCheckMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.checks.Describe(ch)
	m.failOpen.Describe(ch)
}

func (m *liveCheckMetrics) Collect(ch chan<- prometheus.Metric) {
	m.checks.Collect(ch)
	m.failOpen.Collect(ch)
}
