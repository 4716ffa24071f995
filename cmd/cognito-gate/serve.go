package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	// drain, when set, is called when draining starts (see runner.drain):
	// the admin listener's turns /readyz to 503.
	drain func()
	// tls, when set, makes the listener speak TLS with this configuration
	// (see tls.go); nil for plain HTTP.
	tls *tls.Config
}

// closeListeners closes the sockets of listeners that never served, on
// a start-up that fails after they were opened.
func closeListeners(lns []listener) {
	for _, l := range lns {
		l.ln.Close()
	}
}

// runner runs a set of listeners through their life: serve, reload on
// SIGHUP, drain, shut down.
type runner struct {
	logger *zap.Logger
	lns    []listener
	out    io.Writer // where "<name> listening on <addr>" lines go; nil for nowhere
	reload func()    // called on SIGHUP and on each trigger

	// triggers, when set, asks for a reload, as SIGHUP does (the file
	// watch, see watch.go).
	triggers <-chan struct{}

	// drainDelay is how long every listener keeps serving after the stop
	// signal, /readyz answering 503 all the while, so that load balancers
	// and Kubernetes endpoints stop sending before the listeners close.
	drainDelay time.Duration
	// shutdownTimeout bounds the graceful shutdown after the drain (and
	// the one of a server a reload replaced).
	shutdownTimeout time.Duration

	// after is the drain's timer; nil means time.After. Tests set it.
	after func(time.Duration) <-chan time.Time
	// signals, when set, replaces the process's SIGINT, SIGTERM and SIGHUP
	// (tests send on it).
	signals chan os.Signal

	// slots are the listeners being served, from the start of run on (in
	// the order of lns); reload may replace their servers.
	slots []*slot
}

// run serves until SIGINT or SIGTERM (or until ctx ends, or a listener
// fails), calling reload on each SIGHUP. Then it drains: every listener's
// drain hook runs at once (see drainState: /readyz answers 503, the main
// listener closes connections after their response), and the listeners
// keep accepting and serving for drainDelay — a second SIGINT or SIGTERM
// cuts it short. Last, the graceful shutdown: the listeners close (new
// connections are refused), idle connections are closed, and requests in
// flight get up to shutdownTimeout to finish.
func (r *runner) run(ctx context.Context) error {
	sigs := r.signals
	if sigs == nil {
		sigs = make(chan os.Signal, 4)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer signal.Stop(sigs)
	}
	errc := make(chan error, 2*len(r.lns))
	for _, l := range r.lns {
		r.logger.Info("listening", zap.String("listener", l.name), zap.String("addr", l.ln.Addr().String()), zap.Bool("tls", l.tls != nil))
		name := l.name
		s := newSlot(l.name, l.ln, l.tls, l.drain, errc, func(err error) {
			r.logger.Error("accept failed; retrying", zap.String("listener", name), zap.Error(err))
		})
		s.serve(l.srv, r.shutdownTimeout)
		r.slots = append(r.slots, s)
	}
	if r.out != nil {
		for _, l := range r.lns {
			fmt.Fprintf(r.out, "%s listening on %s\n", l.name, l.ln.Addr())
		}
	}
	runErr := r.wait(ctx, sigs, errc)
	if runErr == nil {
		r.drain(sigs, errc)
	}
	r.logger.Info("shutting down", zap.Duration("timeout", r.shutdownTimeout))
	sctx, cancel := context.WithTimeout(context.Background(), r.shutdownTimeout)
	defer cancel()
	for _, s := range r.slots {
		if err := s.shutdown(sctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("%s: shutdown: %w", s.name, err)
		}
	}
	return runErr
}

// wait serves until a stop signal or the end of ctx (nil), or the
// failure of a listener (its error), reloading on SIGHUP and triggers.
func (r *runner) wait(ctx context.Context, sigs <-chan os.Signal, errc <-chan error) error {
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				r.reload()
				continue
			}
			r.logger.Info("stop signal", zap.String("signal", sig.String()))
			return nil
		case <-r.triggers:
			r.reload()
		case err := <-errc:
			return err
		case <-ctx.Done():
			return nil
		}
	}
}

// drain runs every listener's drain hook and waits drainDelay, less if a
// second stop signal comes or a listener fails meanwhile. A SIGHUP while
// draining is ignored: the process is going away.
func (r *runner) drain(sigs <-chan os.Signal, errc <-chan error) {
	r.logger.Info("draining: /readyz answers 503 while the listeners keep serving", zap.Duration("drain_delay", r.drainDelay))
	for _, s := range r.slots {
		if s.drain != nil {
			s.drain()
		}
	}
	if r.drainDelay <= 0 {
		return
	}
	after := r.after
	if after == nil {
		after = time.After
	}
	timer := after(r.drainDelay)
	for {
		select {
		case <-timer:
			return
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				r.logger.Info("SIGHUP while draining: not reloaded")
				continue
			}
			r.logger.Info("second stop signal: ending the drain early", zap.String("signal", sig.String()))
			return
		case err := <-errc:
			r.logger.Error("listener failed while draining", zap.Error(err))
			return
		}
	}
}
