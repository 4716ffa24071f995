package fakealb

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault makes the key endpoint misbehave, for tests of how a verifier
// copes: set it with SetFault; it applies to every key request until
// ClearFault. The zero Fault is no fault.
type Fault struct {
	// Status, when non-zero, is the status code of every answer, whose
	// body is then Body (possibly empty) instead of the key.
	Status int
	// Body, when non-nil, is served instead of the key: garbage, a huge
	// answer, several PEM blocks, an RSA key. With Status 0 it is served
	// with 200 OK.
	Body []byte
	// Delay is how long to wait before answering. The wait ends early,
	// without an answer, when the client goes away or the ALB closes.
	Delay time.Duration
}

// SetFault makes every later key request misbehave as f says, until
// ClearFault or another SetFault. f.Body is copied.
func (a *ALB) SetFault(f Fault) {
	f.Body = slices.Clone(f.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fault = f
}

// ClearFault makes the key endpoint answer normally again.
func (a *ALB) ClearFault() { a.SetFault(Fault{}) }

// Fetches returns the number of key requests the endpoint has received,
// faulted ones and ones for kids it does not serve included.
func (a *ALB) Fetches() int { return int(a.fetches.Load()) }

// serveHTTP answers GET (and HEAD) keyPath/<kid> with the PEM key of a
// served kid and 404 for any other kid, or as the fault says; any other
// path is 404 and not counted.
func (a *ALB) serveHTTP(w http.ResponseWriter, r *http.Request) {
	kid, ok := strings.CutPrefix(r.URL.Path, a.keyPath+"/")
	if !ok || kid == "" || strings.Contains(kid, "/") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a.fetches.Add(1)

	a.mu.RLock()
	f, key, served := a.fault, a.keys[kid], a.published[kid]
	a.mu.RUnlock()
	if !a.delay(r, f.Delay) {
		return
	}
	status, body := http.StatusOK, []byte(nil)
	switch {
	case f.Status != 0:
		status, body = f.Status, f.Body
	case f.Body != nil:
		body = f.Body
	case served:
		body = encodePEM(&key.PublicKey)
	default:
		status, body = http.StatusNotFound, []byte("no such key\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-pem-file")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// delay waits d and reports whether to answer: not when the client went
// away first; when the ALB closes first, the connection is closed without
// an answer.
func (a *ALB) delay(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-a.closing:
		panic(http.ErrAbortHandler)
	}
}
