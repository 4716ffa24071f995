package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
)

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
