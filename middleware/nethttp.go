package middleware

import (
	"net/http"
	"time"

	"github.com/cognito-gate/cognito-gate/claims"
)

// bodyDrainGrace is how long, after a denial or redirect of a request
// with an unread body, the server may still read (and discard) that body
// before the connection is closed: long enough for a client that is
// sending a small body to finish, so that closing the socket with its data
// unread does not reset the connection and lose the answer (the same
// reasoning as net/http's own 500 ms rstAvoidanceDelay), short enough that
// a client that never sends its body cannot hold the connection.
const bodyDrainGrace = 500 * time.Millisecond

// CloseIfBodyUnread sets "Connection: close" on h, the header of the
// response to r, when r is an HTTP/1 request with a body (Content-Length
// other than 0, or any Transfer-Encoding), and reports whether it did.
// Call it before answering a request without reading its body — a denial
// or a redirect — and before anything writes the answer; once it is
// certain that no handler will read the body, call BoundUnreadBody. Handler
// does both; adapters that answer in their own idiom must too.
//
// The security reason: after a handler returns without reading a body it
// was promised, net/http's server reads and discards up to 256 KiB of it
// (maxPostHandlerReadBytes) so that the connection can be reused: first in
// writeHeader, before it sends the buffered answer, then again when it
// closes the request body in finishRequest — with no deadline but the
// server's ReadTimeout. A client that announces "Content-Length: 1000" and
// sends nothing holds the connection and its goroutine, and never gets its
// 401. "Connection: close" in the handler's header makes the server skip
// the first discard (closeAfterReply), so the answer is written at once;
// the second is bounded by BoundUnreadBody. HTTP/2 needs neither (and
// would read the header as a GOAWAY for every stream on the connection).
func CloseIfBodyUnread(h http.Header, r *http.Request) bool {
	if r.ProtoMajor < 2 && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) {
		h.Set("Connection", "close")
		return true
	}
	return false
}

// BoundUnreadBody bounds, by bodyDrainGrace (500 ms), the server's reading
// of the unread body of a request answered after CloseIfBodyUnread, so
// that the connection closes soon after the answer. Writers that cannot
// set deadlines (a ResponseRecorder) are left alone; w may wrap the
// server's writer if it has an Unwrap method (see
// http.NewResponseController).
func BoundUnreadBody(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyDrainGrace))
}

// Handler wraps next: requests the policy allows reach it with the verified
// token in their context (claims.FromContext) and the deciding rule
// (RuleFromContext); the others get the ErrorHandler's answer (by default
// WriteError: 400, 401, 403 or 503 with an RFC 6750 challenge). An allowed
// request whose path needed cleaning ("//x", "/a/../b") is redirected (308)
// to the cleaned path the policy judged instead of being served.
//
// A denied or redirected HTTP/1 request that came with a body (which the
// middleware never reads) is answered with "Connection: close", so that
// the server writes the answer at once instead of first waiting to read
// and discard up to 256 KiB of a body the client may never send, and the
// connection is closed at most bodyDrainGrace (500 ms) later.
//
// A request whose client went away while it was checked (its context
// ended: reason canceled) is counted and logged, and its response aborted
// with panic(http.ErrAbortHandler), which net/http takes as "answer
// nothing" without logging a panic: neither the ErrorHandler nor the next
// handler is called. (A test that calls ServeHTTP directly sees the
// panic.)
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not Check: the token stays shared (see internal/tokenshare)
		// until claims.FromContext or OnSuccess asks for it.
		o := Outcome{o: m.authorize(r), r: r, m: m}
		if o.Canceled() {
			// Answer nothing: returning without writing would not do, the
			// server would send an empty 200 to a client that may still
			// be there (a request context can also end through
			// Server.BaseContext or a wrapping handler), and a
			// forward-auth caller (nginx auth_request, say) reads a 200 as
			// "allow". The abort closes the connection (HTTP/1) or resets
			// the stream (HTTP/2).
			panic(http.ErrAbortHandler)
		}
		if !o.Allowed() {
			if CloseIfBodyUnread(w.Header(), r) {
				defer BoundUnreadBody(w)
			}
			if m.cfg.ErrorHandler != nil {
				m.cfg.ErrorHandler(w, r, o.Err())
				return
			}
			WriteError(w, m.cfg.Realm, o.Err())
			return
		}
		if to := o.Redirect(); to != "" {
			if CloseIfBodyUnread(w.Header(), r) {
				defer BoundUnreadBody(w)
			}
			http.Redirect(w, r, to, http.StatusPermanentRedirect)
			return
		}
		r, c := admitted(r, &o.o)
		if m.cfg.OnSuccess != nil {
			var tok *claims.Token
			if c != nil && c.tok != nil {
				tok = c.token() // the handler's claims.FromContext gets the same
			}
			m.cfg.OnSuccess(w, r, tok)
		}
		next.ServeHTTP(w, r)
	})
}
