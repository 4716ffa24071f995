package grpcmw

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/middleware"
)

// Interceptor holds the unary and stream server interceptors of one
// middleware. It is safe for concurrent use; the middleware's SetPolicy
// applies to calls that start after it.
type Interceptor struct {
	m *middleware.Middleware
}

// Compile-time guards: the methods are grpc-go's interceptor types.
var (
	_ grpc.UnaryServerInterceptor  = (*Interceptor)(nil).Unary
	_ grpc.StreamServerInterceptor = (*Interceptor)(nil).Stream
)

// New returns the interceptors of m, which may also serve HTTP
// (m.Handler) with the same policy, metrics and logger. It returns an
// error wrapping ErrConfig when m is nil or has an ErrorHandler or
// OnSuccess hook: those write to an http.ResponseWriter, which a gRPC call
// has not, and the interceptors never ignore a hook they were given. Build
// a middleware without them for gRPC (it may share the Verifier and the
// Metrics with the HTTP one).
func New(m *middleware.Middleware) (*Interceptor, error) {
	switch {
	case m == nil:
		return nil, fmt.Errorf("%w: the Middleware is nil", ErrConfig)
	case m.ErrorHandler() != nil:
		return nil, fmt.Errorf("%w: Config.ErrorHandler is set, but it answers HTTP requests; build the Middleware for gRPC without it", ErrConfig)
	case m.OnSuccess() != nil:
		return nil, fmt.Errorf("%w: Config.OnSuccess is set, but it is given an HTTP response writer; build the Middleware for gRPC without it", ErrConfig)
	}
	return &Interceptor{m: m}, nil
}

// ServerOptions returns the options that install both interceptors:
// grpc.ChainUnaryInterceptor(i.Unary) and
// grpc.ChainStreamInterceptor(i.Stream). Interceptors chained before them
// (in earlier options) run before the check, with no token in their
// context; those after them run only for allowed calls.
func (i *Interceptor) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.ChainUnaryInterceptor(i.Unary), grpc.ChainStreamInterceptor(i.Stream)}
}

// Unary is the unary server interceptor: it checks the call (see the
// package documentation) and calls handler with the verified token
// (claims.FromContext) and the deciding rule (middleware.RuleFromContext)
// in its context, or returns the denial's status (Status) without calling
// it.
func (i *Interceptor) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := i.check(ctx, info.FullMethod, grpc.SetTrailer)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

// Stream is the stream server interceptor: it checks the stream once,
// before handler and before any message is read, and calls handler with a
// stream whose Context carries the verified token (claims.FromContext) and
// the deciding rule (middleware.RuleFromContext), or returns the denial's
// status (Status) without calling it.
func (i *Interceptor) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	orig := ss.Context()
	ctx, err := i.check(orig, info.FullMethod, func(_ context.Context, md metadata.MD) error {
		ss.SetTrailer(md)
		return nil
	})
	if err != nil {
		return err
	}
	if ctx != orig {
		ss = &serverStream{ServerStream: ss, ctx: ctx}
	}
	return handler(srv, ss)
}

// check judges one call and returns the context for its handler, or the
// error to end it with; a denial's challenge goes to setTrailer.
func (i *Interceptor) check(ctx context.Context, fullMethod string, setTrailer func(context.Context, metadata.MD) error) (context.Context, error) {
	r, reason, err := request(ctx, fullMethod)
	if err != nil {
		return nil, i.deny(ctx, i.m.Refuse(r, reason, err), setTrailer)
	}
	o := i.m.Check(r)
	switch {
	case o.Canceled():
		return nil, canceled(ctx)
	case !o.Allowed():
		return nil, i.deny(ctx, o.Err(), setTrailer)
	case o.Redirect() != "":
		// Unreachable: request refused every name the policy would judge
		// in cleaned form. Never serve a call judged under another name.
		return nil, status.Error(codes.Internal, "internal_error")
	}
	return o.Request().Context(), nil
}

// deny returns the status of e, after setting its challenge trailer.
func (i *Interceptor) deny(ctx context.Context, e *middleware.Error, setTrailer func(context.Context, metadata.MD) error) error {
	if md := challenge(i.m.Realm(), e); md != nil {
		// Outside a server call (a direct call in a test) there is no
		// trailer to set; the status is the answer either way.
		_ = setTrailer(ctx, md)
	}
	return Status(e).Err()
}

// serverStream is a grpc.ServerStream whose Context is the checked one.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

// Context returns the stream's context with the token and the rule.
func (s *serverStream) Context() context.Context { return s.ctx }
