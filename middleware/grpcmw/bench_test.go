package grpcmw_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
)

// BenchmarkUnary is the interceptor's own cost per call, called directly
// (no transport), with the verified-token cache warm and the clock fixed
// (the shared env's): an allowed call and the main denials.
func BenchmarkUnary(b *testing.B) {
	env := adaptertest.NewEnv(b)
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: testPolicy(b)})
	if err != nil {
		b.Fatal(err)
	}
	ic, err := grpcmw.New(m)
	if err != nil {
		b.Fatal(err)
	}
	handler := func(context.Context, any) (any, error) { return nil, nil }
	tok := env.Pool.AccessToken()
	for _, bb := range []struct {
		name, method string
		md           metadata.MD
		ok           bool
	}{
		{"allowed", "/test.v1.Echo/Whoami", metadata.Pairs(":authority", "127.0.0.1:443", "authorization", "Bearer "+tok, "user-agent", "grpc-go/1.85.0"), true},
		{"missing_token", "/test.v1.Echo/Whoami", metadata.Pairs(":authority", "127.0.0.1:443", "user-agent", "grpc-go/1.85.0"), false},
		{"group_denied", "/test.v1.Echo/Admin", metadata.Pairs(":authority", "127.0.0.1:443", "authorization", "Bearer "+tok, "user-agent", "grpc-go/1.85.0"), false},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ctx := metadata.NewIncomingContext(b.Context(), bb.md)
			info := &grpc.UnaryServerInfo{FullMethod: bb.method}
			if _, err := ic.Unary(ctx, nil, info, handler); (err == nil) != bb.ok {
				b.Fatalf("Unary = %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ic.Unary(ctx, nil, info, handler)
			}
		})
	}
}
