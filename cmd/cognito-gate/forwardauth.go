package main

import (
	"github.com/cognito-gate/cognito-gate/internal/msg"

	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/tokenshare"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/policy"
)

// errBadRequest marks a request the gate refuses before judging it: it
// cannot tell which request is being authorized, or the request carries
// headers with which the client could override the answer. Such requests
// are answered 400 and recorded with reason bad_request.
var errBadRequest = errors.New("bad request")

// forwardAuthHandler answers auth subrequests of nginx (auth_request),
// Traefik (ForwardAuth), Caddy (forward_auth) and Envoy (ext_authz, HTTP
// service). Allowed: 200 with the identity headers and, with a token and
// an assertion section, the assertion signed for the original request
// (500 when it cannot be). Denied: 401 or 403
// with the WWW-Authenticate challenge, 503 when keys are unavailable, 400
// when the subrequest cannot be judged (see originalRequest) or carries a
// spelling of an identity header or a routing override, which the proxy
// would pass on to the upstream beside the real answer.
//
// Trust boundary: the method, URI and host headers say which request is
// being authorized, so only the proxy may reach this endpoint, and the
// proxy must set each of them itself (docs/security.md).
func (g *gate) forwardAuthHandler() http.Handler {
	fa := g.cfg.raw.ForwardAuth
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := g.cfg.filter.smuggled(r.Header); name != "" {
			// The value is the client's and is not logged; the name is
			// clipped.
			g.refuse(w, r, fmt.Errorf("forward-auth: the subrequest carries %q, a spelling of an identity header or a routing override: %w", msg.Clip(name, 64), errBadRequest))
			return
		}
		orig, err := originalRequest(r, fa)
		if err != nil {
			g.refuse(w, r, err)
			return
		}
		if k := methodOverride(orig.URL.RawQuery); k != "" {
			g.refuse(w, r, fmt.Errorf("forward-auth: the URI's query carries %q, a method override the upstream may obey: %w", msg.Clip(k, 64), errBadRequest))
			return
		}
		// The gateway forwards the path as the client wrote it, which its
		// router may match differently from a cleaned path the policy
		// judged: such requests are refused.
		res := g.authorizeExact(orig)
		if !res.Allowed && res.Err.Reason == claims.ReasonCanceled {
			// The proxy went away: answer nothing. Returning would send an
			// empty 200, which an auth_request caller reads as "allow".
			panic(http.ErrAbortHandler)
		}
		if !res.Allowed {
			deny(w, r, g.mw.Realm(), res.Err)
			return
		}
		raw, err := g.assertionFor(orig, res.Token)
		if err != nil {
			g.assertionFailed(w, r, err)
			return
		}
		g.cfg.headers.setIdentity(w.Header(), res.Token)
		g.setAssertion(w.Header(), raw)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
	})
}

// authorizeExact is the middleware's AuthorizeExact with Result.Token as
// the middleware holds it: when the verifier's cache answered, the cache's
// own token, uncopied (see internal/tokenshare and verifiedToken). The
// forward-auth and ext_authz answers only read it — identity headers, the
// assertion — and must never write into it or hand it to code that might.
func (g *gate) authorizeExact(r *http.Request) middleware.Result {
	return authorizeExactShared(g.mw, r)
}

// authorizeExactShared is set by package middleware, initialised before
// this one.
var authorizeExactShared = tokenshare.AuthorizeExact.(func(*middleware.Middleware, *http.Request) middleware.Result)

// refuse records r as a bad request (reason bad_request, counted and
// logged like every outcome) and answers 400 at once.
func (g *gate) refuse(w http.ResponseWriter, r *http.Request, err error) {
	e := g.mw.Refuse(r, claims.ReasonBadRequest, err)
	deny(w, r, g.mw.Realm(), e)
}

// deny writes the denial e at once, closing the connection of a request
// with a body the gate will not read, as middleware.Handler does for its
// denials (see middleware.CloseIfBodyUnread).
func deny(w http.ResponseWriter, r *http.Request, realm string, e *middleware.Error) {
	unread := middleware.CloseIfBodyUnread(w.Header(), r)
	middleware.WriteError(w, realm, e)
	if unread {
		middleware.BoundUnreadBody(w)
	}
}

// originalRequest rebuilds the request being authorized from a forward-auth
// subrequest.
//
// In mode headers (the default) the method, URI and host come from exactly
// one header each, named in the configuration; nothing else is consulted,
// so a client-sent header of another spelling (X-Original-URI beside
// X-Forwarded-Uri, say) cannot choose what is judged. A missing, repeated
// or malformed header is a bad request: judging the subrequest itself
// instead would make every request look like GET /auth.
//
// In mode envoy the subrequest is the original request, less
// forward_auth.path_prefix.
//
// The request returned is a shallow copy of r: it shares r's header map,
// which nothing on the forward-auth path writes (the middleware and the
// assertion only read it); a deep copy (Request.Clone) was a quarter of
// a cached subrequest's cost.
func originalRequest(r *http.Request, fa forwardAuthConfig) (*http.Request, error) {
	orig := r.WithContext(r.Context())
	if fa.Mode == modeEnvoy {
		if err := policy.CheckHost(r.Host); err != nil {
			return nil, fmt.Errorf("forward-auth: Host: %w: %w", err, errBadRequest)
		}
		if fa.PathPrefix == "" {
			return orig, nil
		}
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), fa.PathPrefix)
		if !ok || !strings.HasPrefix(rest, "/") {
			return nil, fmt.Errorf("forward-auth: path %q is not under path_prefix %s: %w", msg.Clip(r.URL.EscapedPath(), 64), fa.PathPrefix, errBadRequest)
		}
		u, err := url.ParseRequestURI(rest + queryPart(r.URL))
		if err != nil {
			return nil, fmt.Errorf("forward-auth: path %q: %w", msg.Clip(rest, 64), errBadRequest)
		}
		orig.URL, orig.RequestURI = u, u.RequestURI()
		return orig, nil
	}

	one := func(name string) (string, error) {
		vals := r.Header.Values(name)
		switch {
		case len(vals) == 0:
			return "", fmt.Errorf("forward-auth: no %s header; the proxy must set it (forward_auth.mode %s): %w", name, modeHeaders, errBadRequest)
		case len(vals) > 1:
			return "", fmt.Errorf("forward-auth: %d %s headers: %w", len(vals), name, errBadRequest)
		case vals[0] == "":
			return "", fmt.Errorf("forward-auth: empty %s header: %w", name, errBadRequest)
		}
		return vals[0], nil
	}
	method, err := one(fa.MethodHeader)
	if err != nil {
		return nil, err
	}
	if !validHeaderName(method) {
		return nil, fmt.Errorf("forward-auth: %s %q is not a method: %w", fa.MethodHeader, msg.Clip(method, 32), errBadRequest)
	}
	uri, err := one(fa.URIHeader)
	if err != nil {
		return nil, err
	}
	u, err := url.ParseRequestURI(uri)
	// A '#' stays in the path url.ParseRequestURI gives the policy, while
	// an upstream behind the proxy may cut the path there ("/admin#/public/x"):
	// no client sends one, so it is refused.
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(uri, "/") || strings.Contains(uri, "#") {
		return nil, fmt.Errorf("forward-auth: %s %q is not a path: %w", fa.URIHeader, msg.Clip(uri, 64), errBadRequest)
	}
	host, err := one(fa.HostHeader)
	if err != nil {
		return nil, err
	}
	if err := policy.CheckHost(host); err != nil {
		return nil, fmt.Errorf("forward-auth: %s: %w: %w", fa.HostHeader, err, errBadRequest)
	}
	orig.Method, orig.URL, orig.RequestURI, orig.Host = method, u, uri, host
	return orig, nil
}

// queryPart is "?" and the raw query of u, or "".
func queryPart(u *url.URL) string {
	if u.RawQuery == "" && !u.ForceQuery {
		return ""
	}
	return "?" + u.RawQuery
}
