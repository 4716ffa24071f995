package grpcmw_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
)

// blockingVerifier waits, in Verify, until the call's context ends, and
// tells entered when it starts waiting.
type blockingVerifier struct{ entered chan struct{} }

func (b blockingVerifier) Verify(ctx context.Context, _ string) (*claims.Token, error) {
	b.entered <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestCanceledCall: a client that goes away while its token is checked
// ends the call with Canceled, recorded as canceled (never unavailable),
// without reaching the handler.
func TestCanceledCall(t *testing.T) {
	bv := blockingVerifier{entered: make(chan struct{}, 2)}
	ts := newServer(t, middleware.Config{Verifier: bv, Policy: testPolicy(t)}, serverOpts{record: true})
	tests := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"unary", func(ctx context.Context) error {
			return ts.conn.Invoke(ctx, "/test.v1.Echo/Whoami", wrapperspb.String("hi"), new(wrapperspb.StringValue))
		}},
		{"stream", func(ctx context.Context) error {
			s, err := ts.conn.NewStream(ctx, &chatDesc, "/test.v1.Echo/Chat")
			if err != nil {
				return err
			}
			return s.RecvMsg(new(wrapperspb.StringValue))
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(t.Context(), bearer("a.b.c")...))
			done := make(chan error, 1)
			go func() { done <- tt.run(ctx) }()
			<-bv.entered
			cancel()
			if err := <-done; status.Code(err) != codes.Canceled {
				t.Errorf("the client got %v, want Canceled", err)
			}
			if err := <-ts.errs; status.Code(err) != codes.Canceled {
				t.Errorf("the interceptor returned %v, want Canceled", err)
			}
			if got := requests(t, ts.reg, "canceled", "canceled"); got != float64(i+1) {
				t.Errorf("canceled = %v, want %d", got, i+1)
			}
		})
	}
	if n := requests(t, ts.reg, "unavailable", "jwks_unavailable") + requests(t, ts.reg, "unavailable", "internal_error"); n != 0 {
		t.Errorf("%v canceled calls recorded as unavailable", n)
	}
	if ts.svc.unaryCalls.Load()+ts.svc.streamCalls.Load() != 0 {
		t.Error("a handler ran for a canceled call")
	}
}

// TestDeadlineExceeded: a call whose deadline passed while its token was
// checked ends with DeadlineExceeded, recorded as canceled. (The
// interceptor is called directly, with a deadline already past, so that no
// clock has to run.)
func TestDeadlineExceeded(t *testing.T) {
	bv := blockingVerifier{entered: make(chan struct{}, 1)}
	m, err := middleware.New(middleware.Config{Verifier: bv})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := grpcmw.New(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer a.b.c")), time.Unix(0, 0))
	defer cancel()
	handler := func(context.Context, any) (any, error) {
		t.Error("the handler ran")
		return nil, nil
	}
	_, err = ic.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/test.v1.Echo/Whoami"}, handler)
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("Unary = %v, want DeadlineExceeded", err)
	}
}
