package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// acceptor accepts the connections of one listening socket in one
// goroutine and hands each to the server that asks for it through a view,
// so that a reload can start a new server (new timeouts, which an
// http.Server reads unsynchronized and so cannot be changed while it
// serves) on the same socket while the old one finishes the connections
// it has: no connection is refused or dropped in between.
type acceptor struct {
	ln    net.Listener
	conns chan net.Conn
	done  chan struct{} // closed by close, or when accepting failed for good
	once  sync.Once
	err   error // why accepting failed for good; set before done closes
	// onError is told about accept errors other than the socket's close
	// (too many open files, say), after which the acceptor waits a little
	// and accepts again, as http.Server does.
	onError func(error)
}

func newAcceptor(ln net.Listener, onError func(error)) *acceptor {
	a := &acceptor{ln: ln, conns: make(chan net.Conn), done: make(chan struct{}), onError: onError}
	go a.loop()
	return a
}

func (a *acceptor) loop() {
	var backoff time.Duration
	for {
		c, err := a.ln.Accept()
		if err != nil {
			select {
			case <-a.done:
				return
			default:
			}
			var ne net.Error
			if errors.Is(err, net.ErrClosed) || !errors.As(err, &ne) {
				// The socket is gone: every view's Accept says why.
				a.once.Do(func() { a.err = err; close(a.done) })
				return
			}
			if a.onError != nil {
				a.onError(err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(backoff):
			case <-a.done:
				return
			}
			continue
		}
		backoff = 0
		a.hand(c)
	}
}

// hand gives c to the first view that accepts, or closes it when the
// acceptor closes first.
func (a *acceptor) hand(c net.Conn) {
	select {
	case a.conns <- c:
	case <-a.done:
		c.Close()
	}
}

// close stops accepting: the socket closes, so that new connections are
// refused, and every view's Accept returns net.ErrClosed.
func (a *acceptor) close() {
	a.once.Do(func() {
		close(a.done)
		a.ln.Close()
	})
}

// view is one server's net.Listener on an acceptor. Closing it (as
// http.Server.Shutdown does) stops that server's accepting only.
type view struct {
	a *acceptor
	// accepted, when set, is told of each connection Accept returns,
	// before Close can return: once Close returned, no connection the
	// server does not know of is on its way to it.
	accepted func()

	mu     sync.Mutex // orders Close against the hand-over of a connection
	closed chan struct{}
	shut   bool
}

func (a *acceptor) view() *view { return &view{a: a, closed: make(chan struct{})} }

func (v *view) Accept() (net.Conn, error) {
	select {
	case <-v.closed:
		return nil, net.ErrClosed
	case <-v.a.done:
		if v.a.err != nil {
			return nil, v.a.err
		}
		return nil, net.ErrClosed
	case c := <-v.a.conns:
		v.mu.Lock()
		defer v.mu.Unlock()
		if v.shut {
			// Closed while the connection came: it is the next server's.
			go v.a.hand(c)
			return nil, net.ErrClosed
		}
		if v.accepted != nil {
			v.accepted()
		}
		return c, nil
	}
}

func (v *view) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.shut {
		v.shut = true
		close(v.closed)
	}
	return nil
}

func (v *view) isClosed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.shut
}

func (v *view) Addr() net.Addr { return v.a.ln.Addr() }

// slot is one listener of the process: its socket (an acceptor), whether
// it speaks TLS, and the server that currently serves it. A reload may
// replace the server (serve again); the old one stops accepting at once
// and finishes its connections (see retire).
type slot struct {
	name string
	acc  *acceptor
	// tls, when set, makes the slot serve TLS with it; it is the same for
	// the slot's life (its GetConfigForClient may change what it returns).
	tls *tls.Config
	// drain is the slot's drain hook (see listener.drain).
	drain func()

	errc     chan error // the servers' failures, for the runner
	stopping atomic.Bool

	mu      sync.Mutex
	cur     *served
	retired sync.WaitGroup // replaced servers finishing their connections
}

// served is a server on its view of the slot's socket.
type served struct {
	srv   *http.Server
	view  *view
	conns *connTracker
}

// newSlot makes a slot of ln; errc receives its servers' failures.
func newSlot(name string, ln net.Listener, tc *tls.Config, drain func(), errc chan error, onError func(error)) *slot {
	return &slot{name: name, acc: newAcceptor(ln, onError), tls: tc, drain: drain, errc: errc}
}

// serve starts srv on the slot. It is how a slot starts and how a reload
// replaces its server: a previous server is retired, in the background,
// within grace.
func (s *slot) serve(srv *http.Server, grace time.Duration) {
	sv := &served{srv: srv, view: s.acc.view(), conns: trackConns(srv)}
	sv.view.accepted = sv.conns.accepted
	var ln net.Listener = sv.view
	if s.tls != nil {
		ln = tls.NewListener(sv.view, s.tls)
	}
	s.mu.Lock()
	old := s.cur
	s.cur = sv
	s.mu.Unlock()
	go func() {
		err := srv.Serve(ln)
		if err == nil || errors.Is(err, http.ErrServerClosed) || sv.view.isClosed() || s.stopping.Load() {
			return
		}
		select {
		case s.errc <- fmt.Errorf("%s: %w", s.name, err):
		default:
		}
	}()
	if old != nil {
		s.retire(old, grace)
	}
}

// handler is the handler of the slot's current server.
func (s *slot) handler() http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur.srv.Handler
}

// retire stops a replaced server without losing a request: it accepts no
// more connections, closes each of its connections after the response in
// progress (idle ones at once), and is closed once it has none left, or
// when grace is over. It is not shut down with http.Server.Shutdown,
// which drops unanswered a request it reads after the shutdown began: the
// first request of a connection it accepted just before the handoff.
//
// A server that speaks HTTP/2 only (the ext_authz listener's) is shut down
// with Shutdown, within grace: HTTP/2's GOAWAY tells each client which
// streams were taken, and it opens a new connection for the rest; with
// keep-alives off alone, an idle HTTP/2 connection would only be closed
// when grace is over, under a client that may be starting a call on it.
func (s *slot) retire(old *served, grace time.Duration) {
	old.view.Close()
	old.srv.SetKeepAlivesEnabled(false)
	s.retired.Add(1)
	go func() {
		defer s.retired.Done()
		if p := old.srv.Protocols; p != nil && !p.HTTP1() {
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			old.srv.Shutdown(ctx)
			old.srv.Close()
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		old.conns.waitNone(t.C)
		old.srv.Close()
	}()
}

// shutdown closes the socket (new connections are refused), then shuts
// the current server down gracefully within ctx and waits for replaced
// ones.
func (s *slot) shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	s.acc.close()
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	var err error
	if cur != nil {
		err = cur.srv.Shutdown(ctx)
	}
	s.retired.Wait()
	return err
}

// connTracker counts a server's open connections: accepted but not yet
// known to the server, then known (through its ConnState hook) until
// closed or hijacked.
type connTracker struct {
	mu      sync.Mutex
	pending int // accepted, not yet StateNew
	open    map[net.Conn]bool
	changed chan struct{} // a token after each change
}

// accepted counts a connection the server's listener handed it.
func (t *connTracker) accepted() {
	t.mu.Lock()
	t.pending++
	t.mu.Unlock()
}

// trackConns hooks a tracker into srv's ConnState (keeping a hook set
// before).
func trackConns(srv *http.Server) *connTracker {
	t := &connTracker{open: map[net.Conn]bool{}, changed: make(chan struct{}, 1)}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		t.mu.Lock()
		switch st {
		case http.StateNew:
			t.pending = max(t.pending-1, 0)
			t.open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(t.open, c)
		}
		t.mu.Unlock()
		select {
		case t.changed <- struct{}{}:
		default:
		}
		if prev != nil {
			prev(c, st)
		}
	}
	return t
}

// waitNone waits until the server has no connection left, or until stop.
func (t *connTracker) waitNone(stop <-chan time.Time) {
	for {
		t.mu.Lock()
		n := t.pending + len(t.open)
		t.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-t.changed:
		case <-stop:
			return
		}
	}
}
