package policy

import "net/http"

// lookup returns the route ServeMux picks for r's method and host and the
// escaped, clean path. own says that path is r's own escaped path, so that
// r itself can be asked about; otherwise a pooled scratch request carries
// path.
//
// When ServeMux would redirect path to path + "/" (a request for "/admin"
// when only "/admin/" is registered), the route of "/admin/" is returned:
// the policy judges the request as ServeMux would route it after the
// redirect, and the upstream serves the same subtree either way.
func (p *Policy) lookup(r *http.Request, path string, own bool) *route {
	// Without host patterns ServeMux's answer does not depend on the host,
	// so the memo keys on none: distinct Host headers do not crowd it.
	host := ""
	if p.hasHosts {
		host = r.Host
	}
	h := p.memo.hash(r.Method, host, path)
	if rt := p.memo.get(h, r.Method, host, path); rt != nil {
		return rt
	}
	rt := p.muxLookup(r, path, own)
	p.memo.put(h, r.Method, host, path, rt)
	return rt
}

// muxLookup is lookup without the memo.
func (p *Policy) muxLookup(r *http.Request, path string, own bool) *route {
	var h http.Handler
	var pat string
	if own {
		h, pat = p.mux.Handler(r)
	} else {
		s := p.scratch.Get().(*scratch)
		s.r.Method, s.r.Host = r.Method, r.Host
		s.u.Path, s.u.RawPath = pathUnescape(path), path
		h, pat = p.mux.Handler(&s.r)
		s.r.Method, s.r.Host, s.u.Path, s.u.RawPath = "", "", "", ""
		p.scratch.Put(s)
	}
	if rt, ok := h.(*route); ok {
		return rt
	}
	// A redirect: pat is the pattern of the redirect target. Every request
	// matches some route (a rule's or the catch-all), so pat is never "".
	return p.routes[pat]
}

// vars fills vals with the values of rt's rule's variables in path,
// unescaped as ServeMux's Request.PathValue would give them, and returns
// them.
func (rt *route) vars(path string, vals *[maxVars]string) []string {
	v := vals[:len(rt.idx)]
	rt.pat.extract(path, rt.idx, v)
	for k := range v {
		v[k] = pathUnescape(v[k])
	}
	return v
}
