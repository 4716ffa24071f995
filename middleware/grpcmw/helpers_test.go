package grpcmw_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
	"github.com/cognito-gate/cognito-gate/policy"
)

func TestMain(m *testing.M) {
	code := m.Run()
	adaptertest.CloseEnv()
	os.Exit(code)
}

// The test service, test.v1.Echo, is written by hand (no generated code):
// its unary methods answer who called and under which rule, its bidi
// stream Chat echoes each message prefixed with the caller.
const service = "test.v1.Echo"

// unaryMethods are the unary methods of the test service; testPolicy has
// a rule for each but Other.
var unaryMethods = []string{"Public", "Whoami", "Admin", "Write", "Access", "Get", "Other"}

// testPolicy judges the test service's methods.
func testPolicy(t testing.TB) *policy.Policy {
	t.Helper()
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "public", Route: "POST /test.v1.Echo/Public", Anonymous: true},
		{Name: "whoami", Route: "POST /test.v1.Echo/Whoami"},
		{Name: "admin", Route: "/test.v1.Echo/Admin", Requirement: policy.Requirement{GroupsAny: []string{"admin"}}},
		{Name: "write", Route: "POST /test.v1.Echo/Write", Requirement: policy.Requirement{ScopesAny: []string{"orders/write"}}},
		{Name: "access", Route: "POST /test.v1.Echo/Access", Requirement: policy.Requirement{TokenUse: claims.AccessToken}},
		// A GET pattern never matches a gRPC call: Get falls to the default.
		{Name: "get", Route: "GET /test.v1.Echo/Get", Anonymous: true},
		{Name: "chat", Route: "POST /test.v1.Echo/Chat"},
	}})
	if err != nil {
		t.Fatalf("policy.New: %v", err)
	}
	return p
}

// echoService is the test service's implementation: it records what its
// handlers saw.
type echoService struct {
	unaryCalls  atomic.Int64
	streamCalls atomic.Int64
}

// whoami answers "<user>|<rule>": the user of the token in ctx ("" for
// none) and the rule in ctx.
func whoami(ctx context.Context) string {
	user := ""
	if tok, ok := claims.FromContext(ctx); ok {
		user = tok.Username
	}
	rule, _ := middleware.RuleFromContext(ctx)
	return user + "|" + rule
}

func (s *echoService) unary(name string) grpc.MethodDesc {
	return grpc.MethodDesc{MethodName: name, Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(ctx context.Context, req any) (any, error) {
			s.unaryCalls.Add(1)
			return wrapperspb.String(whoami(ctx)), nil
		}
		if ic == nil {
			return h(ctx, in)
		}
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + service + "/" + name}, h)
	}}
}

// chat is the Chat stream's handler: each message comes back as
// "<whoami>:<message>".
func (s *echoService) chat(_ any, ss grpc.ServerStream) error {
	s.streamCalls.Add(1)
	who := whoami(ss.Context())
	for {
		in := new(wrapperspb.StringValue)
		if err := ss.RecvMsg(in); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := ss.SendMsg(wrapperspb.String(who + ":" + in.GetValue())); err != nil {
			return err
		}
	}
}

// chatDesc is the client's description of Chat.
var chatDesc = grpc.StreamDesc{StreamName: "Chat", ServerStreams: true, ClientStreams: true}

func (s *echoService) desc() *grpc.ServiceDesc {
	sd := &grpc.ServiceDesc{ServiceName: service, HandlerType: (*any)(nil),
		Streams: []grpc.StreamDesc{{StreamName: "Chat", Handler: s.chat, ServerStreams: true, ClientStreams: true}}}
	for _, m := range unaryMethods {
		sd.Methods = append(sd.Methods, s.unary(m))
	}
	return sd
}

// testServer is a grpc-go server on 127.0.0.1 with the interceptors of a
// middleware in front of the test service, and a plaintext client to it.
type testServer struct {
	m    *middleware.Middleware
	svc  *echoService
	reg  *prometheus.Registry
	logs *observer.ObservedLogs
	addr string
	conn *grpc.ClientConn
	// errs receives what the interceptors returned for each call (nil:
	// the handler ran), when the server was started with record.
	errs chan error
}

// serverOpts are the options of newServer.
type serverOpts struct {
	record  bool                // send each call's interceptor result to errs
	grpcOpt []grpc.ServerOption // after the interceptors
}

// newServer starts the test service behind the interceptors of a
// middleware built from cfg (Verifier defaults to the shared env's,
// Metrics and Logger are the server's).
func newServer(t *testing.T, cfg middleware.Config, o serverOpts) *testServer {
	t.Helper()
	ts := &testServer{svc: &echoService{}, reg: prometheus.NewRegistry(), errs: make(chan error, 64)}
	if cfg.Verifier == nil {
		cfg.Verifier = adaptertest.NewEnv(t).Verifier
	}
	v, _ := cfg.Verifier.(*claims.Verifier)
	metrics, err := middleware.NewMetrics(ts.reg, v)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Metrics = metrics
	core, logs := observer.New(zapcore.DebugLevel)
	cfg.Logger, ts.logs = zap.New(core), logs
	m, err := middleware.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.m = m
	ic, err := grpcmw.New(m)
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if o.record {
		opts = append(opts, grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			resp, err := h(ctx, req)
			ts.errs <- err
			return resp, err
		}), grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			err := h(srv, ss)
			ts.errs <- err
			return err
		}))
	}
	opts = append(opts, ic.ServerOptions()...)
	srv := grpc.NewServer(append(opts, o.grpcOpt...)...)
	srv.RegisterService(ts.svc.desc(), ts.svc)
	ts.addr = listen(t, srv)
	ts.conn = dial(t, ts.addr)
	return ts
}

// listen serves srv on a free port of 127.0.0.1 until the test ends and
// returns its address.
func listen(t *testing.T, srv *grpc.Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(lis) })
	t.Cleanup(func() {
		srv.Stop()
		wg.Wait()
	})
	return lis.Addr().String()
}

// dial returns a plaintext client of addr, closed when the test ends.
func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// call invokes the unary method of the test service with the metadata
// pairs md ("authorization", "Bearer ...") and returns the answer, the
// trailer and the error.
func call(t testing.TB, conn *grpc.ClientConn, method string, md ...string) (string, metadata.MD, error) {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(t.Context(), md...)
	out := new(wrapperspb.StringValue)
	var trailer metadata.MD
	err := conn.Invoke(ctx, "/"+service+"/"+method, wrapperspb.String("hi"), out, grpc.Trailer(&trailer))
	return out.GetValue(), trailer, err
}

// requests returns cognito_gate_requests_total{result, reason}.
func requests(t testing.TB, reg *prometheus.Registry, result, reason string) float64 {
	t.Helper()
	return adaptertest.Sample(t, reg, "cognito_gate_requests_total", map[string]string{"result": result, "reason": reason})
}

// sums returns the sum of every cognito_gate_requests_total series and
// the number of verification-time observations.
func sums(t testing.TB, reg *prometheus.Registry) (requests float64, verified uint64) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "cognito_gate_requests_total":
				requests += m.GetCounter().GetValue()
			case "cognito_gate_verify_duration_seconds":
				verified += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return requests, verified
}

// countingVerifier counts the tokens it verifies.
type countingVerifier struct {
	middleware.Verifier
	n atomic.Int64
}

func (c *countingVerifier) Verify(ctx context.Context, raw string) (*claims.Token, error) {
	c.n.Add(1)
	return c.Verifier.Verify(ctx, raw)
}

// bearer is the authorization metadata pair for tok.
func bearer(tok string) []string { return []string{"authorization", "Bearer " + tok} }
