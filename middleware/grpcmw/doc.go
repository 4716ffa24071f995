// Package grpcmw protects grpc-go services with Cognito tokens: unary and
// stream server interceptors that run the middleware package's checks —
// token extraction, verification, policy, metrics and logs — on every call,
// and answer denials with gRPC status codes. It is a package of its own so
// that net/http programs and the cognito-gate binary do not link grpc-go.
//
//	m, err := middleware.New(middleware.Config{Verifier: v, Policy: p, Metrics: metrics, Logger: logger})
//	ic, err := grpcmw.New(m)
//	srv := grpc.NewServer(ic.ServerOptions()...)
//
// Handlers read the verified token with claims.FromContext(ctx) and the
// rule that allowed the call with middleware.RuleFromContext(ctx); in a
// stream handler ctx is stream.Context().
//
// # How a call is judged
//
// The interceptors judge each call as the HTTP request it is on the wire,
// built from the call and given to middleware.Middleware.Check, so that
// the same Verifier, policy, TokenSources and Skipper apply as to HTTP:
//
//   - the method is POST (gRPC calls are always POST);
//   - the path is the full method name, "/<package>.<Service>/<Method>",
//     as grpc-go dispatches it (UnaryServerInfo.FullMethod);
//   - the Host is the call's :authority (what the client dialed, or set
//     with grpc.WithAuthority), which the client chooses;
//   - the header is the call's metadata: "authorization" becomes
//     Authorization, "x-request-id" X-Request-Id (logged), and so on, every
//     value kept;
//   - RemoteAddr is the peer's address, and the context is the call's
//     (peer.FromContext and metadata.FromIncomingContext work on it).
//
// The token is read by Config.TokenSources, by default
// middleware.AuthorizationHeader: "authorization: Bearer <token>", with the
// same strictness as for HTTP. The authorization metadata sent twice, an
// empty bearer, "Bearer" followed by anything but spaces and a token
// without spaces or tabs, leading or trailing whitespace: each is
// InvalidArgument (invalid_request: malformed), never "no token".
// Metadata is not trimmed as net/http trims header values.
//
// # Policy patterns for gRPC methods
//
// Rules are written in the policy's ServeMux pattern syntax over that
// request:
//
//	POST /orders.v1.Orders/          every method of the service
//	/orders.v1.Orders/               the same (a pattern without a method matches any)
//	POST /orders.v1.Orders/Get       one method
//	POST /orders.v1.Orders/{method}  every method, the name bound to {method}
//	POST /grpc.health.v1.Health/     the health service (anonymous: true, say)
//	orders.internal/orders.v1.Orders/  calls whose :authority is orders.internal (any port)
//
// A pattern for another method ("GET /orders.v1.Orders/") never matches a
// gRPC call. Method names are case-sensitive, as grpc-go's dispatch is.
// Host patterns compare the :authority without its port, and once some rule
// names a host, every call's :authority must be one canonical host name
// (policy.CheckHost; lower case, no trailing dot) or the call is refused
// with InvalidArgument. The :authority is the client's to choose, like
// the HTTP Host: a host pattern selects a rule, it proves nothing.
//
// grpc-go dispatches a call by its exact method name, and the interceptors
// see only calls to registered methods — unless the server has a
// grpc.UnknownServiceHandler (a gRPC proxy, say), which gets every name.
// A name that the policy would judge only in cleaned form ("/a//b",
// "/x/../orders.v1.Orders/Get") is then refused, InvalidArgument with
// reason non_canonical_path, counted and logged once (no policy decision
// is counted: the policy never judged it), because a handler that forwards
// the name as it is would serve another method than the one judged. Names
// that the policy refuses as non-canonical (encoded slashes or percent
// signs, control characters, ...) are refused likewise, by the policy.
//
// # Answers
//
// A denial ends the call with the status of Status: its code by the HTTP
// status the middleware decided,
//
//	400 InvalidArgument    invalid_request: malformed, non_canonical_path, bad_request
//	401 Unauthenticated    unauthorized: missing_token, or invalid_token: <reason>
//	403 PermissionDenied   insufficient_scope: <reason> (group_denied, no_rule, ...)
//	500 Internal           server_error: internal_error
//	503 Unavailable        temporarily_unavailable: jwks_unavailable (the keys could not be had),
//	                       live_check_unavailable (Cognito could not be asked about the token)
//
// with that text as its message, a google.rpc.ErrorInfo detail (Domain
// ErrorDomain, Reason the reason in upper case, Metadata "error", "reason"
// and "scope"), a google.rpc.RetryInfo detail on Unavailable, and the RFC
// 6750 challenge of the HTTP answer as the www-authenticate trailer (for
// gateways that turn gRPC into HTTP). The token, its claims and the
// verification error's text are never in the answer; the error is logged,
// never the token.
//
// A call whose client went away while it was checked (its context ended,
// e.g. while keys were fetched) is recorded as canceled, never as a 503,
// and ended with Canceled, or DeadlineExceeded when its deadline passed.
//
// # Streams
//
// A stream is checked once, when it starts: before the handler runs and
// before any message is read. A denied stream never reaches its handler;
// an allowed one runs to its end even when its token expires meanwhile —
// keep streams shorter than tokens, or end them in the handler at the
// token's Expires.
//
// # What is read before the check
//
// grpc-go receives and decodes a unary call's request message before any
// interceptor runs (up to grpc.MaxRecvMsgSize, 4 MiB by default), so a
// caller without a token can still make the server read that much per
// call: set MaxRecvMsgSize to what the service needs. A stream is checked
// before its handler reads any message. (A tap.ServerInHandle would run
// earlier, but in the connection's I/O goroutine, where a key fetch would
// stall every call of the connection: the interceptors do not use one.)
//
// # Metrics and logs
//
// Each call is recorded exactly once, as an HTTP request is: the
// cognito_gate_requests_total counter by result and reason, the
// verification histogram, the policy decision counter by rule, and one
// log line whose method is POST and path the full method name. Share one
// middleware.Metrics between the HTTP and gRPC middlewares of a program.
//
// # The middleware's configuration
//
// Config.Skipper is given the request above (r.URL.Path is the full
// method name). Config.AllowCORSPreflight never applies (calls are POST).
// Config.Realm is the challenge's realm. Config.ErrorHandler and
// Config.OnSuccess write HTTP responses, so New refuses a middleware that
// has them. A skipped call reaches its handler with its metadata as sent
// and no token in its context; any call's handler should take the
// caller's identity from claims.FromContext, never from the metadata.
//
// Chain the interceptors first, so that no interceptor before them acts on
// an unchecked call (recovery and tracing interceptors may come before).
//
// # Clients
//
// PerRPCCredentials sends a token from a TokenFunc with every call of a
// client, and only over TLS (RequireTransportSecurity is true):
//
//	creds, err := grpcmw.PerRPCCredentials(tokens.Get)
//	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)), grpc.WithPerRPCCredentials(creds))
//
// InsecurePerRPCCredentials also sends it in the clear, for tests.
package grpcmw
