package fakepool

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Fault makes the JWKS endpoint misbehave, for tests of how a verifier
// copes with a failing key server. Set it with Pool.SetFault; it applies to
// every JWKS request until ClearFault. The zero Fault is no fault.
//
// The fields combine in this order: Delay, then Hang, then the answer
// (Status and Body), written whole or, with CloseMidBody, in part.
type Fault struct {
	// Status, when non-zero, is the status code of the answer, whose body
	// is then Body (possibly empty) instead of the JWKS.
	Status int
	// Body, when non-nil, is served instead of the JWKS: garbage, a huge
	// document, a key set with bad keys. With Status 0 it is served with
	// 200 OK and Content-Type application/json.
	Body []byte
	// Delay is how long to wait before answering. The wait ends early,
	// without an answer, when the client goes away or the pool closes.
	Delay time.Duration
	// Hang means never answer: the request is held until the client goes
	// away or the pool closes.
	Hang bool
	// CloseMidBody means announce the full Content-Length, write the first
	// half of the body, then close the connection.
	CloseMidBody bool
}

// SetFault makes every later JWKS request misbehave as f says, until
// ClearFault or another SetFault: the requests of every key endpoint that
// serves keys, Issuer's and the replicas' (SetIssuerFault sets one
// endpoint's). Requests already being answered keep the fault they
// started with. f.Body is copied.
func (p *Pool) SetFault(f Fault) {
	f.Body = slices.Clone(f.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// ClearFault makes the JWKS endpoint answer normally again.
func (p *Pool) ClearFault() { p.SetFault(Fault{}) }

// Fetches returns the number of JWKS requests the server has received,
// faulted ones included, for every key endpoint of the pool (see
// FetchesOf).
func (p *Pool) Fetches() int { return int(p.fetches.Load()) }

// serveHTTP serves the key endpoints of the pool's issuers (see
// Pool.endpoint and answerLocked) with the current faults, the user pool
// API (POST "/", APIURL), and 404 for every other path.
func (p *Pool) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p.handlersMu.Lock()
	if p.handlersClosed {
		p.handlersMu.Unlock()
		http.Error(w, "pool closed", http.StatusServiceUnavailable)
		return
	}
	p.handlers.Add(1)
	p.handlersMu.Unlock()
	defer p.handlers.Done()

	if r.URL.Path == "/" && r.Method == http.MethodPost {
		p.serveAPI(w, r) // the user pool API (api.go)
		return
	}
	iss := p.endpoint(r.URL.Path)
	if iss == "" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p.countFetch(iss)
	p.inflight.Add(1)
	defer p.inflight.Add(-1)

	p.mu.RLock()
	served, body := p.answerLocked(iss)
	f, own := p.issuerFaults[iss]
	if !own && served == http.StatusOK {
		f = p.fault
	}
	p.mu.RUnlock()
	if served != http.StatusOK && f.Status == 0 && f.Body == nil {
		// A refusing endpoint answers its refusal, after its own fault's
		// delay or hang (a Body of its own fault is served with 200).
		f.Status, f.Body = served, []byte(http.StatusText(served)+"\n")
	}

	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-p.closing:
			panic(http.ErrAbortHandler) // close the connection without an answer
		}
	}
	if f.Hang {
		select {
		case <-r.Context().Done():
			return
		case <-p.closing:
			panic(http.ErrAbortHandler)
		}
	}

	status, contentType := http.StatusOK, "application/json"
	switch {
	case f.Status != 0:
		status, body, contentType = f.Status, f.Body, "text/plain; charset=utf-8"
	case f.Body != nil:
		body = f.Body
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if !f.CloseMidBody {
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}
