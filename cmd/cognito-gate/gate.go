package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
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

// newMiddleware builds g's middleware from g.cfg: the token sources (or
// the load balancer's headers, tokens.alb), the RFC 9728 challenges of
// resource_metadata, the live check. It is the one place the middleware
// is built: by every generation of serve, forward-auth and the demo
// (instance.build). On an error, g.alb may be set: the
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
		DenialLogSampling:  cfg.denialSampling, // log.denial_sampling
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
