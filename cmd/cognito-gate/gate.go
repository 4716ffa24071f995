package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// gate is the running verification stack built from a configuration: the
// verifier, the middleware with its policy, metrics and logger.
type gate struct {
	cfg      *gateConfig
	logger   *zap.Logger
	verifier *claims.Verifier
	mw       *middleware.Middleware
	reg      *prometheus.Registry
}

// newLogger builds the process logger from the log section.
func newLogger(lc logConfig) (*zap.Logger, error) {
	zc := zap.NewProductionConfig()
	if lc.Format == "console" {
		zc = zap.NewDevelopmentConfig()
		zc.Development = false
	}
	zc.Sampling = nil
	lvl := zapcore.InfoLevel
	if lc.Level != "" {
		if err := lvl.Set(lc.Level); err != nil {
			return nil, err
		}
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	return zc.Build()
}

// newGate starts the verifier (its key cache fetches in the background)
// and builds the middleware. Close it when done.
func newGate(cfg *gateConfig, logger *zap.Logger) (*gate, error) {
	g := &gate{cfg: cfg, logger: logger, reg: prometheus.NewRegistry()}
	cc := cfg.claims
	cc.JWKS.Observer = middleware.LogJWKS(logger)
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
	g.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g.mw, err = middleware.New(middleware.Config{
		Verifier:           v,
		Policy:             cfg.policy,
		TokenSources:       cfg.sources,
		Realm:              cfg.raw.Realm,
		AllowCORSPreflight: cfg.raw.CORSPreflight,
		Metrics:            metrics,
		Logger:             logger,
	})
	if err != nil {
		v.Close()
		return nil, err
	}
	for _, w := range cfg.policy.Warnings() {
		logger.Warn("policy: " + w)
	}
	return g, nil
}

func (g *gate) Close() { g.verifier.Close() }

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
	next, err := loadConfig(g.cfg.file, nil)
	if err != nil {
		g.logger.Error("reload failed; keeping the current policy", zap.String("config", g.cfg.file), zap.Error(err))
		return
	}
	g.mw.SetPolicy(next.policy)
	for _, w := range next.policy.Warnings() {
		g.logger.Warn("policy: " + w)
	}
	g.logger.Info("policy reloaded", zap.String("config", g.cfg.file), zap.Strings("rules", next.policy.Rules()),
		zap.String("note", "only the policy is reloaded; restart to apply other changes"))
}

// setIdentity removes from h every header that could pass for a configured
// identity header — any case, and with '_' for '-', since CGI, WSGI, PHP
// and Rack upstreams read X_Auth_Sub as X-Auth-Sub — and sets the real ones
// from tok (nil: anonymous, none set). Values that cannot travel in a header
// (control characters) are left out.
func (ih identityHeaders) setIdentity(h http.Header, tok *claims.Token) {
	for name := range h {
		if ih.isIdentity(name) {
			delete(h, name)
		}
	}
	if tok == nil {
		return
	}
	set := func(name, v string) {
		if name == "" || v == "" || strings.ContainsFunc(v, unicode.IsControl) {
			return
		}
		h.Set(name, v)
	}
	set(ih.sub, tok.Subject)
	set(ih.username, tok.Username)
	set(ih.groups, strings.Join(tok.Groups, ","))
	set(ih.scopes, strings.Join(tok.Scopes, " "))
	set(ih.clientID, tok.ClientID)
	set(ih.tokenUse, string(tok.Use))
	set(ih.issuer, tok.Issuer)
	for claim, name := range ih.claims {
		if s, ok := tok.StringClaim(claim); ok {
			set(name, s)
		} else if raw, ok := tok.Claim(claim); ok {
			set(name, string(raw))
		}
	}
}

// isIdentity reports whether a header name is, or would be read as, one of
// the identity headers.
func (ih identityHeaders) isIdentity(name string) bool {
	for _, n := range ih.names {
		if sameHeader(name, n) {
			return true
		}
	}
	return false
}

// sameHeader compares header names ignoring case and reading '_' as '-'.
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '_' {
			x = '-'
		}
		if y == '_' {
			y = '-'
		}
		if x == y {
			continue
		}
		// Letters differing only in case.
		if lx := x | 0x20; lx != y|0x20 || lx < 'a' || lx > 'z' {
			return false
		}
	}
	return true
}

// adminHandler serves /metrics, /healthz and /readyz.
func (g *gate) adminHandler(needUpstream bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{Registry: g.reg}))
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
