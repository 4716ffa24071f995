package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// proxyHandler is the reverse proxy: requests the middleware allowed go to
// the upstream with identity headers set from the verified token (and any
// such headers the client sent removed).
func (g *gate) proxyHandler() http.Handler {
	upstream := g.cfg.upstream
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.SetXForwarded()
			tok, _ := claims.FromContext(pr.In.Context())
			g.cfg.headers.setIdentity(pr.Out.Header, tok)
			if !g.cfg.forwardAuthorization {
				pr.Out.Header.Del("Authorization")
			}
		},
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   128,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client went away
			}
			g.logger.Warn("upstream request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Error(err))
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, `{"error":"bad_gateway","reason":"upstream_unavailable"}`+"\n")
		},
		ErrorLog: zap.NewStdLog(g.logger.Named("proxy")),
	}
	return g.mw.Handler(rp)
}

// forwardAuthHandler answers auth subrequests of nginx (auth_request),
// Traefik (ForwardAuth) and Envoy (ext_authz, HTTP service). The original
// request's method, URI and host come from the configured headers when
// present (X-Forwarded-Method, X-Forwarded-Uri or X-Original-URI,
// X-Forwarded-Host); otherwise the subrequest itself is taken as the
// original, as Envoy sends it. Allowed: 200 with the identity headers.
// Denied: 401 or 403 with the WWW-Authenticate challenge (or 503).
//
// Trust boundary: these headers say which request is being authorized, so
// only the gateway may reach this endpoint; clients must not be able to
// call it directly with headers of their choosing.
func (g *gate) forwardAuthHandler() http.Handler {
	fa := g.cfg.raw.ForwardAuth
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orig, err := originalRequest(r, fa)
		if err != nil {
			g.logger.Info("forward-auth request without a usable original URI", zap.Error(err))
			http.Error(w, "bad forward-auth request: "+err.Error(), http.StatusBadRequest)
			return
		}
		// The gateway forwards the path as the client wrote it, which its
		// router may match differently from a cleaned path the policy
		// judged: such requests are refused.
		res := g.mw.AuthorizeExact(orig)
		if !res.Allowed {
			middleware.WriteError(w, g.mw.Realm(), res.Err)
			return
		}
		g.cfg.headers.setIdentity(w.Header(), res.Token)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})
}

// originalRequest rebuilds the request being authorized from a forward-auth
// subrequest.
func originalRequest(r *http.Request, fa forwardAuthConfig) (*http.Request, error) {
	uri := r.Header.Get(fa.URIHeader)
	if uri == "" {
		uri = r.Header.Get("X-Original-Uri")
	}
	method := r.Header.Get(fa.MethodHeader)
	if method == "" {
		method = r.Header.Get("X-Original-Method")
	}
	orig := r.Clone(r.Context())
	if uri == "" {
		return orig, nil // Envoy ext_authz: the subrequest is the original
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return nil, fmt.Errorf("original URI %q is not a path", truncate(uri, 64))
	}
	if method != "" {
		orig.Method = method
	}
	orig.URL = u
	orig.RequestURI = uri
	if h := r.Header.Get(fa.HostHeader); h != "" {
		orig.Host = h
	}
	return orig, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// server builds an http.Server with the configured limits.
func (g *gate) server(h http.Handler) *http.Server {
	s := g.cfg.raw.Server
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          zap.NewStdLog(g.logger.Named("http")),
	}
}

// listener pairs a server with where it listens.
type listener struct {
	name string
	srv  *http.Server
	ln   net.Listener
}

// run serves on every listener until SIGINT/SIGTERM (or ctx ends), reloading
// the policy on SIGHUP, then shuts down gracefully: listeners close at once,
// requests in flight get up to server.shutdown_timeout to finish.
func (g *gate) run(ctx context.Context, lns []listener, out io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	errc := make(chan error, len(lns))
	for _, l := range lns {
		g.logger.Info("listening", zap.String("listener", l.name), zap.String("addr", l.ln.Addr().String()))
		go func() {
			if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", l.name, err)
			}
		}()
	}
	if out != nil {
		for _, l := range lns {
			fmt.Fprintf(out, "%s listening on %s\n", l.name, l.ln.Addr())
		}
	}
	var runErr error
loop:
	for {
		select {
		case <-hup:
			g.reload()
		case err := <-errc:
			runErr = err
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	g.logger.Info("shutting down", zap.Duration("timeout", g.cfg.raw.Server.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), g.cfg.raw.Server.ShutdownTimeout)
	defer cancel()
	for _, l := range lns {
		if err := l.srv.Shutdown(sctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("%s: shutdown: %w", l.name, err)
		}
	}
	return runErr
}

// listen opens the main and admin listeners.
func (g *gate) listen(mainName string, main http.Handler, needUpstream bool) ([]listener, error) {
	mln, err := net.Listen("tcp", g.cfg.raw.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	aln, err := net.Listen("tcp", g.cfg.raw.AdminListen)
	if err != nil {
		mln.Close()
		return nil, fmt.Errorf("admin_listen: %w", err)
	}
	return []listener{
		{name: mainName, srv: g.server(main), ln: mln},
		{name: "admin", srv: g.server(g.adminHandler(needUpstream)), ln: aln},
	}, nil
}
