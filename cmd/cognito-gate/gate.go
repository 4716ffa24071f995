package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/alb"
	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/livecheck"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// gate is the running verification stack built from a configuration: the
// verifier, the middleware with its policy, metrics and logger.
type gate struct {
	cfg      *gateConfig
	logger   *zap.Logger
	verifier *claims.Verifier
	alb      *alb.Verifier // tokens.alb, or nil
	mw       *middleware.Middleware
	reg      *prometheus.Registry
	// proxyErrors counts requests the proxy could not forward, by cause.
	proxyErrors *prometheus.CounterVec
	// revocation is the deny list (revocation.go), or nil.
	revocation *denyList
	// assert signs the assertion (assertion.go); nil without one.
	assert *gateAssertion
	// live is the live check (livecheck.go), or nil.
	live *livecheck.Checker
}

// newLogger builds the process logger from the log section.
func newLogger(lc logConfig) (*zap.Logger, error) {
	zc, err := loggerConfig(lc)
	if err != nil {
		return nil, err
	}
	return zc.Build()
}

// loggerConfig is the zap configuration of the log section, writing to
// stderr. The console format is zap's development encoder for humans,
// without its stack traces: an error of the gate (an upstream that does
// not answer, a key set that does not load) is the operator's to read,
// and a Go stack says nothing more about it.
func loggerConfig(lc logConfig) (zap.Config, error) {
	zc := zap.NewProductionConfig()
	if lc.Format == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.Development = false
		zc.DisableStacktrace = true
	}
	zc.Sampling = nil
	lvl := zapcore.InfoLevel
	if lc.Level != "" {
		if err := lvl.Set(lc.Level); err != nil {
			return zap.Config{}, err
		}
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	return zc, nil
}

// newGate starts the verifier (its key cache fetches in the background)
// and builds the middleware. Close it when done.
func newGate(cfg *gateConfig, logger *zap.Logger) (*gate, error) {
	g := &gate{cfg: cfg, logger: logger, reg: prometheus.NewRegistry()}
	cc := cfg.claims
	cc.JWKS.Observer = middleware.LogJWKS(logger)
	g.revocation = newDenyList(cfg.revocation, logger)
	cc.Denylist = g.revocation.denylist()
	v, err := claims.New(cc)
	if err != nil {
		return nil, err
	}
	g.verifier = v
	metrics, err := middleware.NewMetrics(g.reg, v)
	if err != nil {
		v.Close()
		return nil, err
	}
	g.proxyErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: middleware.Namespace, Subsystem: "proxy", Name: "errors_total",
		Help: "Allowed requests the proxy could not complete, by cause: upstream (502), client (a broken request body, 400), canceled (the client went away).",
	}, []string{"cause"})
	for _, c := range []string{causeUpstream, causeClient, causeCanceled} {
		g.proxyErrors.WithLabelValues(c)
	}
	g.reg.MustRegister(g.proxyErrors, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g.reg.MustRegister(g.revocation.collectors()...)
	if g.live, err = newLiveChecker(cfg, g.reg); err != nil {
		g.Close()
		return nil, err
	}
	if err := g.newMiddleware(metrics, g.live); err != nil {
		g.Close()
		return nil, err
	}
	g.revocation.start()
	return g, nil
}

// newMiddleware builds g's middleware from g.cfg: the token sources (or
// the load balancer's headers, tokens.alb), the RFC 9728 challenges of
// resource_metadata, the live check. It is the one place the middleware
// is built: by newGate (the demo) and by every generation of serve and
// forward-auth (instance.build). On an error, g.alb may be set: the
// caller closes it.
func (g *gate) newMiddleware(metrics *middleware.Metrics, live *livecheck.Checker) error {
	cfg := g.cfg
	mc := middleware.Config{
		Verifier:           g.verifier,
		Policy:             cfg.policy,
		TokenSources:       cfg.sources,
		Realm:              cfg.raw.Realm,
		AllowCORSPreflight: cfg.raw.CORSPreflight,
		Metrics:            metrics,
		Logger:             g.logger,
	}
	// With resource_metadata, 401 challenges name the RFC 9728 document
	// (resourcemeta.go) that serve publishes.
	if rm := g.resourceMetadata(); rm != nil {
		mc.ErrorHandler = rm.ErrorHandler(orDefault(cfg.raw.Realm, middleware.DefaultRealm))
	}
	if cfg.alb != nil {
		if err := g.albCredentials(&mc); err != nil {
			return err
		}
	}
	if live != nil {
		mc.LiveCheck = live
	}
	mw, err := middleware.New(mc)
	if err != nil {
		return err
	}
	g.mw = mw
	return nil
}

func (g *gate) Close() {
	g.closeLiveCheck()
	g.revocation.close()
	g.verifier.Close()
	if g.alb != nil {
		g.alb.Close()
	}
}

// hydrate loads every pool's keys, logging (not failing on) errors: the
// gateway answers 503 for a pool whose keys are missing and keeps retrying.
func (g *gate) hydrate(ctx context.Context) {
	if err := g.verifier.Hydrate(ctx); err != nil {
		g.logger.Warn("key sets not loaded at start-up; retrying in the background", zap.Error(err))
	}
}

// reload re-reads the configuration file and swaps in its policy. A broken
// file is logged and changes nothing.
func (g *gate) reload() {
	g.revocation.reload()
	next, err := loadConfig(g.cfg.file, nil)
	if err != nil {
		g.logger.Error("reload failed; keeping the current policy", zap.String("config", g.cfg.file), zap.Error(err))
		return
	}
	if err := g.mw.SetPolicy(next.policy); err != nil {
		g.logger.Error("reload failed; keeping the current policy", zap.String("config", g.cfg.file), zap.Error(err))
		return
	}
	for _, w := range next.policy.Warnings() {
		g.logger.Warn("policy: " + w)
	}
	g.logger.Info("policy reloaded", zap.String("config", g.cfg.file), zap.Strings("rules", next.policy.Rules()),
		zap.String("note", "only the policy is reloaded; restart to apply other changes"))
}

// adminHandler serves /metrics, /healthz and /readyz.
func (g *gate) adminHandler(needUpstream bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{Registry: g.reg}))
	g.assertionRoutes(mux)
	g.revocation.routes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var problems []string
		for _, s := range g.verifier.Keys().Sets() {
			if st := s.Status(); !st.Usable {
				msg := "no usable keys for " + st.Issuer
				if st.LastError != nil {
					msg += ": " + st.LastError.Error()
				}
				problems = append(problems, msg)
			}
		}
		if needUpstream && g.cfg.upstream == nil {
			problems = append(problems, "no upstream configured")
		}
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, p := range problems {
				fmt.Fprintln(w, p)
			}
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
