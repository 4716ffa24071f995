package grpcmw_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest/fakepool"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
	"github.com/cognito-gate/cognito-gate/policy"
)

// A gRPC server whose health service only members of the group "ops" may
// call, and a client that calls it without a token, with a token of
// another user, and with a token of an operator sent by
// InsecurePerRPCCredentials (plaintext: over TLS, use PerRPCCredentials).
// The lines between the README markers are the proposed README snippet.
func Example() {
	pool, err := fakepool.New(fakepool.Config{})
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	v, err := claims.New(claims.Config{Pools: []claims.Pool{{UserPoolID: pool.PoolID(), JWKSURL: pool.JWKSURL(), AllowHTTP: true,
		ClientIDs: []string{pool.ClientID()}, TokenUse: claims.AccessToken}}})
	if err != nil {
		panic(err)
	}
	defer v.Close()

	// README: begin
	p, err := policy.New(policy.Config{Rules: []policy.Rule{
		{Name: "health", Route: "POST /grpc.health.v1.Health/", Requirement: policy.Requirement{GroupsAny: []string{"ops"}}},
	}})
	if err != nil {
		panic(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: v, Policy: p})
	if err != nil {
		panic(err)
	}
	ic, err := grpcmw.New(m)
	if err != nil {
		panic(err)
	}
	whoCalls := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		tok, _ := claims.FromContext(ctx) // the verified token, in every handler's context
		fmt.Println(info.FullMethod, "called by", tok.Username)
		return handler(ctx, req)
	}
	srv := grpc.NewServer(append(ic.ServerOptions(), grpc.ChainUnaryInterceptor(whoCalls))...)
	// README: end
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)
	operator, err := grpcmw.InsecurePerRPCCredentials(func(context.Context) (string, error) {
		return pool.AccessToken(fakepool.WithUsername("olga"), fakepool.WithGroups("ops")), nil
	})
	if err != nil {
		panic(err)
	}
	calls := []struct {
		ctx  context.Context
		opts []grpc.CallOption
	}{
		{context.Background(), nil},
		{metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+pool.AccessToken(fakepool.WithUsername("bob"))), nil},
		{context.Background(), []grpc.CallOption{grpc.PerRPCCredentials(operator)}},
	}
	for _, c := range calls {
		resp, err := client.Check(c.ctx, &healthpb.HealthCheckRequest{}, c.opts...)
		if err != nil {
			fmt.Println(status.Code(err), status.Convert(err).Message())
			continue
		}
		fmt.Println(resp.GetStatus())
	}
	// Output:
	// Unauthenticated unauthorized: missing_token
	// PermissionDenied insufficient_scope: group_denied
	// /grpc.health.v1.Health/Check called by olga
	// SERVING
}
