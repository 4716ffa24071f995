package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// roleEnv names the role a re-executed proxybench binary plays: the
// upstream or the bare reverse proxy, each in a process of its own so that
// its CPU time is its own.
const roleEnv = "PROXYBENCH_ROLE"

// upstreamBody is what the upstream answers to every request.
const upstreamBody = "upstream ok\n"

// subHeader is the upstream's echo of the identity it received: the gate's
// X-Auth-Sub, or oauth2-proxy's X-Forwarded-User, "-" for none. The smoke
// test checks it; the measured runs check status and body.
const subHeader = "X-Bench-Sub"

// runRole plays the role named by roleEnv, if any, and reports whether it
// did (then the process must exit with the returned code).
func runRole() (int, bool) {
	role := os.Getenv(roleEnv)
	if role == "" {
		return 0, false
	}
	var h http.Handler
	switch role {
	case "upstream":
		h = http.HandlerFunc(serveUpstream)
	case "bare":
		target, err := url.Parse(os.Getenv("PROXYBENCH_UPSTREAM"))
		if err != nil || target.Host == "" {
			fmt.Fprintln(os.Stderr, "proxybench bare: PROXYBENCH_UPSTREAM must be the upstream's URL")
			return 2, true
		}
		h = bareProxy(target)
	default:
		fmt.Fprintf(os.Stderr, "proxybench: unknown %s %q\n", roleEnv, role)
		return 2, true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		return 1, true
	}
	fmt.Printf("%s listening on %s\n", role, ln.Addr())
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(ln) // until the harness stops the process
	fmt.Fprintln(os.Stderr, "proxybench:", err)
	return 1, true
}

// serveUpstream answers every request with 200 and upstreamBody, and
// echoes the identity it received in subHeader.
func serveUpstream(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	sub := r.Header.Get("X-Auth-Sub")
	if sub == "" {
		sub = r.Header.Get("X-Forwarded-User")
	}
	if sub == "" {
		sub = "-"
	}
	w.Header().Set(subHeader, sub)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, upstreamBody)
}

// bareProxy is the Go proxy floor: httputil.ReverseProxy as its
// documentation shows it, with Rewrite, SetXForwarded and the default
// transport given enough idle connections for the benchmark's clients.
// No authentication, no header handling beyond ReverseProxy's own.
func bareProxy(target *url.URL) http.Handler {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
		},
		Transport: t,
	}
}
