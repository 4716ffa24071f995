package main

import (
	"net/http"
	"sync/atomic"
)

// drainState is whether the process is draining: it got its stop signal
// and serves on for server.drain_delay before it closes its listeners, so
// that load balancers and Kubernetes endpoints, told by /readyz, stop
// sending it new requests first. It is safe for concurrent use.
type drainState struct {
	draining atomic.Bool
}

// start marks the process as draining.
func (d *drainState) start() { d.draining.Store(true) }

// readiness answers /readyz with 503 "draining" once draining started, and
// passes every other request (and /readyz before) to next: /healthz stays
// 200 while draining, so that the liveness probe does not restart a
// process that is stopping as asked.
func (d *drainState) readiness(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" && d.draining.Load() {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("draining\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// closeConnections asks, once draining started, that each HTTP/1
// connection be closed after its response (Connection: close), so that
// keep-alive clients open a new connection for their next request, which
// the load balancer sends to another replica once it has noticed. Idle
// connections are left alone until the shutdown: closing them now would
// race with requests their clients are sending. HTTP/2 connections get
// their GOAWAY at the shutdown.
func (d *drainState) closeConnections(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.draining.Load() && r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
