package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"go.uber.org/zap"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/msg"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
	"github.com/cognito-gate/cognito-gate/policy"
)

// extAuthzListener is the name of the ext_authz gRPC listener, in logs and
// in the "<name> listening on <addr>" line.
const extAuthzListener = "ext-authz"

// maxCheckRequestBytes bounds a CheckRequest message (grpc-go's default
// receive limit, made explicit). Envoy sends the original request's
// headers, bounded by its max_request_headers_kb (60 KiB by default), and
// the body only with with_request_body, which the gate does not read. A
// larger message fails the call with RESOURCE_EXHAUSTED, which Envoy
// treats as an error of the authorization service: denied with
// status_on_error, or allowed when failure_mode_allow is set, one more
// reason to leave it unset (README).
const maxCheckRequestBytes = 4 << 20

// Context extensions (attributes.context_extensions), set per route in
// Envoy's configuration (ExtAuthzPerRoute.check_settings), never by a
// client.
const (
	// contextExtensionPrefix marks the keys that are the gate's: one it
	// does not know is a misconfiguration (a typo would otherwise drop a
	// restriction silently), refused as internal_error (500). Other keys
	// belong to other consumers of the filter and are ignored.
	contextExtensionPrefix = "cognito_gate_"
	// contextExtensionRule names the policy rule that must judge every
	// request of the route: the rule whose route pattern the policy picks
	// for the request's path (policy.Explanation's first Match). A request
	// the policy would judge by another rule, or by the default, is denied
	// with no_rule (403) before its token is looked at, so that a
	// disagreement between Envoy's route matching and the policy's
	// (case-insensitive routes, regex routes, prefixes without a slash)
	// never lets a request through under another rule. A name that is not
	// a rule of the policy is internal_error (500).
	contextExtensionRule = contextExtensionPrefix + "rule"
)

// extAuthz serves Envoy's external authorization API over gRPC
// (envoy.service.auth.v3.Authorization/Check), for Envoy's ext_authz HTTP
// filter with a grpc_service and for Istio's envoyExtAuthzGrpc provider.
// It judges the request a CheckRequest describes as the HTTP forward-auth
// endpoint judges a subrequest (forwardAuthHandler): the same checks, the
// same middleware (so the same metrics and log lines, each call recorded
// once), the same answers, translated:
//
//   - allowed: status OK and an OkHttpResponse whose headers set the
//     identity headers (append_action OVERWRITE_IF_EXISTS_OR_ADD, so a
//     client's value is replaced) and whose headers_to_remove lists every
//     other identity header name and the credentials the gate did not
//     verify (see extAuthzOK);
//   - denied: a non-OK status (grpcmw.Status: Unauthenticated,
//     PermissionDenied, InvalidArgument, Unavailable, Internal) and a
//     DeniedHttpResponse with the HTTP status, headers and JSON body
//     WriteError writes: 401/403 with the RFC 6750 challenge, 400 for a
//     request that cannot be judged as sent, 503 with Retry-After when the
//     keys are unavailable, 500 for a misconfigured route;
//   - canceled (Envoy gave up on the call, or its deadline passed):
//     a bare Canceled or DeadlineExceeded error, recorded canceled.
//
// Every outcome but a canceled call is a CheckResponse, never a gRPC
// error: Envoy treats a gRPC error (and an error_response) as a failure
// of the authorization service, which failure_mode_allow turns into an
// allow. A key outage in particular is an explicit denial with 503.
type extAuthz struct {
	authv3.UnimplementedAuthorizationServer
	// current returns the gate that judges a call: the one running when
	// the call starts (a reload may replace it).
	current func() *gate
}

// Check implements authv3.AuthorizationServer.
func (s *extAuthz) Check(ctx context.Context, req *authv3.CheckRequest) (resp *authv3.CheckResponse, err error) {
	g := s.current()
	defer g.recoverCheck(&resp, &err)
	resp = g.extAuthzCheck(ctx, req)
	return resp, canceledErr(ctx, resp)
}

// extAuthzCheck answers one CheckRequest (see extAuthz); nil means the
// call was canceled.
func (g *gate) extAuthzCheck(ctx context.Context, req *authv3.CheckRequest) *authv3.CheckResponse {
	r, err := checkRequest(ctx, req, g.cfg.raw.Server.MaxHeaderBytes)
	if err != nil {
		return g.extAuthzRefuse(r, claims.ReasonBadRequest, err)
	}
	if name := g.cfg.filter.smuggled(r.Header); name != "" {
		// As in forwardAuthHandler: Envoy would pass the header on to the
		// upstream beside the real answer. Its value is not logged.
		return g.extAuthzRefuse(r, claims.ReasonBadRequest, fmt.Errorf("ext-authz: the request carries %q, a spelling of an identity header or a routing override: %w", msg.Clip(name, 64), errBadRequest))
	}
	if k := methodOverride(r.URL.RawQuery); k != "" {
		return g.extAuthzRefuse(r, claims.ReasonBadRequest, fmt.Errorf("ext-authz: the query carries %q, a method override the upstream may obey: %w", msg.Clip(k, 64), errBadRequest))
	}
	rule, refusal := g.routeRule(r, req.GetAttributes().GetContextExtensions())
	if refusal != nil {
		return refusal
	}
	// Envoy forwards the path it sent: a path the policy allowed only in
	// cleaned form is refused (AuthorizeExact).
	res := g.authorizeExact(r)
	switch {
	case !res.Allowed && res.Err.Reason == claims.ReasonCanceled:
		return nil
	case !res.Allowed:
		return g.extAuthzDenied(res.Err)
	case rule != "" && res.Rule != "" && res.Rule != rule:
		// The policy was reloaded between routeRule and the decision, and
		// the new one judged the path by another rule: the route's
		// contract stands. (Recorded as allowed by the middleware.)
		g.logger.Warn("ext-authz: the policy was reloaded during a check and the request was judged by another rule than its route's; denied",
			zap.String("rule", res.Rule), zap.String("route_rule", rule))
		return g.extAuthzDenied(&middleware.Error{Status: http.StatusForbidden, Reason: claims.ReasonNoRule, Rule: res.Rule, TokenSent: res.Token != nil})
	}
	return g.extAuthzOK(r, res)
}

// routeRule reads the gate's context extensions: the rule the route
// requires (contextExtensionRule), "" for none. A request the policy
// would judge by another rule is refused (no_rule, 403), and so is every
// request of a route whose extensions are wrong (internal_error, 500):
// the refusal is returned, recorded.
func (g *gate) routeRule(r *http.Request, ext map[string]string) (string, *authv3.CheckResponse) {
	rule, set := "", false
	for k, v := range ext {
		switch {
		case k == contextExtensionRule:
			rule, set = v, true
		case strings.HasPrefix(k, contextExtensionPrefix):
			return "", g.extAuthzRefuse(r, claims.ReasonInternal, fmt.Errorf("ext-authz: unknown context extension %q (the route's ext_authz check_settings); want %s", msg.Clip(k, 64), contextExtensionRule))
		}
	}
	if !set {
		return "", nil
	}
	p := g.mw.Policy()
	if !slices.Contains(p.Rules(), rule) {
		return "", g.extAuthzRefuse(r, claims.ReasonInternal, fmt.Errorf("ext-authz: context extension %s names %q, which is not a rule of the policy", contextExtensionRule, msg.Clip(rule, 64)))
	}
	ex := p.Explain(r, nil)
	if ex.Refused != "" {
		// Non-canonical or a malformed Host: the middleware refuses it
		// (400) whatever the route says.
		return rule, nil
	}
	judge := policy.RuleDefault
	if len(ex.Matches) > 0 {
		judge = ex.Matches[0].Rule
	}
	if judge != rule {
		return "", g.extAuthzRefuse(r, claims.ReasonNoRule, fmt.Errorf("ext-authz: the route requires rule %q, the policy judges the path by %q", rule, judge))
	}
	return rule, nil
}

// extAuthzRefuse records r as refused before it was judged
// (middleware.Refuse: counted and logged like every outcome) and returns
// the denial.
func (g *gate) extAuthzRefuse(r *http.Request, reason claims.Reason, err error) *authv3.CheckResponse {
	return g.extAuthzDenied(g.mw.Refuse(r, reason, err))
}

// extAuthzDenied is the CheckResponse of the denial e: its gRPC status
// (grpcmw.Status) and a DeniedHttpResponse with what WriteError answers
// over HTTP — status, headers (WWW-Authenticate, Cache-Control,
// X-Content-Type-Options, Retry-After on a 503, Content-Type) and the JSON
// body — less Content-Length, which Envoy computes for its local reply.
func (g *gate) extAuthzDenied(e *middleware.Error) *authv3.CheckResponse {
	rec := &responseRecorder{header: http.Header{}}
	middleware.WriteError(rec, g.mw.Realm(), e)
	rec.header.Del("Content-Length")
	return &authv3.CheckResponse{
		Status: grpcmw.Status(e).Proto(),
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(rec.status)},
			Headers: headerOptions(rec.header),
			Body:    rec.body.String(),
		}},
	}
}

// extAuthzOK is the CheckResponse allowing r, judged with res. The
// upstream request Envoy builds from it has:
//
//   - the identity headers of res.Token, set (headers, append_action
//     OVERWRITE_IF_EXISTS_OR_ADD); none for an anonymous request;
//   - every other identity header name removed (headers_to_remove, which
//     Envoy applies after headers), the built-in ones included: a client's
//     copy cannot reach the upstream even when Envoy's allowed_headers kept
//     it from the CheckRequest (any spelling the gate sees is refused
//     before);
//   - the credentials the gate did not verify removed, as serve removes
//     them (see credentialEdits).
func (g *gate) extAuthzOK(r *http.Request, res middleware.Result) *authv3.CheckResponse {
	set, remove := g.credentialEdits(r, res.Token != nil)
	g.cfg.headers.setIdentity(set, res.Token)
	remove = append(remove, g.cfg.headers.names...)
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
			Headers:         headerOptions(set),
			HeadersToRemove: removals(remove, set),
		}},
	}
}

// credentialEdits returns the headers to set and to remove so that the
// upstream request carries only the credential the gate verified, as
// credentials.strip leaves serve's: with no verified token (an anonymous
// route) Authorization, tokens.header (every spelling) and the
// tokens.cookie cookie (every spelling PHP reads as its name) go; with
// one, the other carriers go, and its own stays only with
// forward_authorization (a token cookie's look-alikes go beside it).
// Authorization and tokens.header are removed whether or not the
// CheckRequest showed them (Envoy's allowed_headers may hide them); the
// Cookie header is set to the cookies that remain, or removed. A
// tokens.query parameter is left in the query: Envoy rewrites a query
// only by re-encoding it whole. (tokens.alb and
// tokens.websocket_subprotocol are refused with grpc_listen: see
// validator.extAuthz.)
func (g *gate) credentialEdits(r *http.Request, verified bool) (set http.Header, remove []string) {
	c := &g.cfg.credentials
	keep := carrierNone
	if verified && g.cfg.forwardAuthorization {
		keep = g.carrier(r)
	}
	set = http.Header{}
	if keep != carrierAuthorization {
		remove = append(remove, "Authorization")
	}
	if c.header != "" && keep != carrierHeader {
		remove = append(remove, c.header)
		for name := range r.Header {
			if sameHeader(name, c.header) {
				remove = append(remove, name)
			}
		}
	}
	if c.cookie != "" && len(r.Header["Cookie"]) > 0 {
		cookies := http.Header{"Cookie": slices.Clone(r.Header["Cookie"])}
		if keep == carrierCookie {
			filterCookies(cookies, func(n string) bool { return n != c.cookie && sameParam(n, c.cookie) }, func(n string) bool { return sameParam(n, c.cookie) })
		} else {
			removeCookie(cookies, c.cookie)
		}
		switch v := cookies.Get("Cookie"); {
		case v == "":
			remove = append(remove, "Cookie")
		case keep != carrierCookie || v != strings.Join(r.Header["Cookie"], "; "):
			set.Set("Cookie", v)
		}
	}
	return set, remove
}

// carrier returns where the token the middleware verified for r
// travelled: the first configured token source that holds a token, as
// the middleware tried them (the sources read r alone, which has not
// changed since). middleware.Result does not say which source it was.
func (g *gate) carrier(r *http.Request) carrier {
	for _, src := range g.cfg.sources {
		tok, err := src.Token(r)
		if err != nil {
			return carrierNone
		}
		if tok != "" {
			return g.cfg.credentials.carriers[src]
		}
	}
	return carrierNone
}

// headerOptions turns h into Envoy header mutations, lower-case names in
// sorted order, each replacing any header of its name
// (OVERWRITE_IF_EXISTS_OR_ADD; the deprecated append field is left unset,
// and Envoy versions before append_action default it to false here).
func headerOptions(h http.Header) []*corev3.HeaderValueOption {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	opts := make([]*corev3.HeaderValueOption, 0, len(names))
	for _, name := range names {
		opts = append(opts, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: strings.ToLower(name), Value: h.Get(name)},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	return opts
}

// removals returns names lower-cased, sorted and without repeats, less
// those set: Envoy removes headers after it sets them, so a name in both
// lists would remove the header just set.
func removals(names []string, set http.Header) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := set[http.CanonicalHeaderKey(n)]; !ok {
			out = append(out, strings.ToLower(n))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// canceledErr is the error of a Check whose answer is resp: nil unless
// resp is nil (the call was canceled), then DeadlineExceeded when the
// call's deadline passed (Envoy's ext_authz timeout), else Canceled. Envoy
// has stopped waiting; nothing of the request is in it.
func canceledErr(ctx context.Context, resp *authv3.CheckResponse) error {
	switch {
	case resp != nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return grpcstatus.Error(codes.DeadlineExceeded, string(claims.ReasonCanceled))
	}
	return grpcstatus.Error(codes.Canceled, string(claims.ReasonCanceled))
}

// recoverCheck turns a panic in Check into a denial (500), logged: grpc-go
// runs handlers on goroutines of its own, where a panic would end the
// process, and Envoy would then treat every check as failed — allowed,
// with failure_mode_allow.
func (g *gate) recoverCheck(resp **authv3.CheckResponse, err *error) {
	p := recover()
	if p == nil {
		return
	}
	g.logger.Error("ext-authz: panic in Check; denied", zap.String("panic", msg.Clip(fmt.Sprint(p), 256)), zap.Stack("stack"))
	*resp, *err = g.extAuthzDenied(&middleware.Error{Status: http.StatusInternalServerError, Reason: claims.ReasonInternal}), nil
}

// responseRecorder is the http.ResponseWriter that denied writes a denial
// into, to answer it as HTTP forward-auth does, byte for byte.
type responseRecorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (w *responseRecorder) Header() http.Header { return w.header }

func (w *responseRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// openExtAuthz opens forward_auth.grpc_listen of the current gate, when
// it is set, and returns lns with the ext_authz listener added; otherwise
// lns as they are. On failure it closes lns. Each call is judged by the
// gate current returns when it starts, so that a reload that replaces
// the gate (policy, verifier, identity headers) applies to the next call;
// the listen address is that of the gate at opening (a change needs a
// restart), the server settings follow reloads like the other listeners'.
//
// The gRPC server runs behind net/http's server (grpc.Server.ServeHTTP
// on cleartext HTTP/2 with prior knowledge, as Envoy's and grpc-go's
// clients speak it; no HTTP/1), so that it is one more listener of the
// runner: the configured server limits and timeouts apply, it keeps
// serving while the process drains, and its calls in flight finish within
// server.shutdown_timeout.
func openExtAuthz(lns []listener, current func() *gate) ([]listener, error) {
	g := current()
	addr := g.cfg.raw.ForwardAuth.GRPCListen
	if addr == "" {
		return lns, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		closeListeners(lns)
		return nil, fmt.Errorf("forward_auth.grpc_listen: %w", err)
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(maxCheckRequestBytes))
	authv3.RegisterAuthorizationServer(gs, &extAuthz{current: current})
	return append(lns, listener{name: extAuthzListener, srv: g.extAuthzServer(gs), ln: ln}), nil
}

// extAuthzServer is the server of the ext_authz listener, with g's server
// settings, serving h (the gRPC server): cleartext HTTP/2 only. A reload
// that changes the server settings hands the listener a new one (see
// instance.replaceServers).
func (g *gate) extAuthzServer(h http.Handler) *http.Server {
	srv := g.server(h)
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetUnencryptedHTTP2(true)
	return srv
}
