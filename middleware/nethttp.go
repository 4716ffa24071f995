package middleware

import "net/http"

// Handler wraps next: requests the policy allows reach it with the verified
// token in their context (claims.FromContext) and the deciding rule
// (RuleFromContext); the others get the ErrorHandler's answer (by default
// WriteError: 400, 401, 403 or 503 with an RFC 6750 challenge). An allowed
// request whose path needed cleaning ("//x", "/a/../b") is redirected (308)
// to the cleaned path the policy judged instead of being served.
//
// A request whose client went away while it was checked (its context
// ended: reason canceled) is counted and logged, and its response aborted
// with panic(http.ErrAbortHandler), which net/http takes as "answer
// nothing" without logging a panic: neither the ErrorHandler nor the next
// handler is called. (A test that calls ServeHTTP directly sees the
// panic.)
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := m.authorize(r)
		abortIfCanceled(&o)
		if !o.allowed() {
			if m.cfg.ErrorHandler != nil {
				m.cfg.ErrorHandler(w, r, o.asError())
				return
			}
			WriteError(w, m.cfg.Realm, o.asError())
			return
		}
		if to := redirectTarget(r, &o); to != "" {
			http.Redirect(w, r, to, http.StatusPermanentRedirect)
			return
		}
		r = admit(r, &o)
		if m.cfg.OnSuccess != nil {
			m.cfg.OnSuccess(w, r, o.token)
		}
		next.ServeHTTP(w, r)
	})
}
