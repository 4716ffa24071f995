package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Headers between the load tool and its upstream.
const (
	// expectHeader carries the identity the upstream must receive:
	// "user|groups", or "-" for none.
	expectHeader = "X-Loadtest-Expect"
	// pathHeader carries the path the client sent.
	pathHeader = "X-Loadtest-Path"
	// checkHeader is the upstream's verdict: "ok" or what was wrong.
	checkHeader = "X-Loadtest-Check"
)

// identityHeaders are the gateway's default identity header names.
var identityHeaders = []string{
	"X-Auth-Sub", "X-Auth-Username", "X-Auth-Groups", "X-Auth-Scopes",
	"X-Auth-Client-Id", "X-Auth-Token-Use", "X-Auth-Issuer",
}

// checkIdentity compares the identity headers of a request the upstream
// received with the identity the client expected, and returns "ok" or
// what differs. clientID and issuer are the pool's.
func checkIdentity(h http.Header, clientID, issuer string) string {
	expect := h.Get(expectHeader)
	if expect == "" {
		return "no " + expectHeader
	}
	if expect == "-" {
		for _, name := range identityHeaders {
			if v := h.Values(name); len(v) > 0 {
				return "anonymous request carried " + name
			}
		}
		return "ok"
	}
	user, groups, _ := strings.Cut(expect, "|")
	want := map[string]string{
		"X-Auth-Sub": "sub-" + user, "X-Auth-Username": user, "X-Auth-Groups": groups,
		"X-Auth-Client-Id": clientID, "X-Auth-Token-Use": "access", "X-Auth-Issuer": issuer,
	}
	for name, w := range want {
		got := h.Values(name)
		switch {
		case w == "" && len(got) != 0:
			return name + " present, want none"
		case w != "" && (len(got) != 1 || got[0] != w):
			return name + " wrong"
		}
	}
	return "ok"
}

// upstream is the server behind the gateway (or, for the direct run, in
// its place). It answers every request with 200 and, when checking, its
// verdict on the identity headers and path in checkHeader.
type upstream struct {
	srv              *http.Server
	url              string
	check            bool
	clientID, issuer string

	requests   atomic.Int64
	mismatches atomic.Int64
}

// startUpstream listens on 127.0.0.1. Idle connections are closed after a
// second, so that the gateway's idle upstream connections (and their
// goroutines) are gone by the time the tool measures it at rest.
func startUpstream(check bool, clientID, issuer string) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{url: "http://" + ln.Addr().String(), check: check, clientID: clientID, issuer: issuer}
	u.srv = &http.Server{Handler: u, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Second}
	go u.srv.Serve(ln)
	return u, nil
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	verdict := "ok"
	if u.check {
		verdict = checkIdentity(r.Header, u.clientID, u.issuer)
		if p := r.Header.Get(pathHeader); verdict == "ok" && p != r.URL.EscapedPath() {
			verdict = "path " + r.URL.EscapedPath() + ", sent " + p
		}
	}
	if verdict != "ok" {
		u.mismatches.Add(1)
	}
	io.Copy(io.Discard, r.Body)
	w.Header().Set(checkHeader, verdict)
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "upstream ok\n")
}

func (u *upstream) Close() { u.srv.Close() }
