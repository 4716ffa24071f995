package grpcmw_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
)

// denialMessage is the form of every denial's message.
var denialMessage = regexp.MustCompile(`^(invalid_request|unauthorized|invalid_token|insufficient_scope|server_error|temporarily_unavailable): ([a-z_]+)(; scope="[^"]+")?$`)

// FuzzUnary: whatever method name, authority and authorization values a
// caller sends, the interceptor does not panic, records the call exactly
// once, reaches the handler only for a name the policy judged as it is,
// and denies with a message of the fixed vocabulary (so never the
// credential).
func FuzzUnary(f *testing.F) {
	env := adaptertest.NewEnv(f)
	good := env.Pool.AccessToken(cognitotest.WithUsername("bob"))
	f.Add("/test.v1.Echo/Whoami", "", "Bearer "+good, "", uint8(1))
	f.Add("/test.v1.Echo/Public", "orders.internal", "", "", uint8(0))
	f.Add("/test.v1.Echo/Admin", "", "Bearer "+good, "Bearer "+good, uint8(2))
	f.Add("/test.v1.Echo//Whoami", "", "Bearer "+good, "", uint8(1))
	f.Add("/test.v1.Echo/../test.v1.Echo/Public", "", "", "", uint8(0))
	f.Add("/test.v1.Echo/Write", "", "Bearer\t"+good, "", uint8(1))
	f.Add("/test.v1.Echo/Pub%2Flic", "Orders.Internal", "bearer x", "", uint8(1))
	f.Add("test.v1.Echo/Public", "a,b", "Basic eDp5", "", uint8(1))

	reg := prometheus.NewRegistry()
	metrics, err := middleware.NewMetrics(reg, nil)
	if err != nil {
		f.Fatal(err)
	}
	m, err := middleware.New(middleware.Config{Verifier: env.Verifier, Policy: testPolicy(f), Metrics: metrics})
	if err != nil {
		f.Fatal(err)
	}
	ic, err := grpcmw.New(m)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, authority, auth1, auth2 string, n uint8) {
		md := metadata.MD{}
		if authority != "" {
			md[":authority"] = []string{authority}
		}
		if vals := []string{auth1, auth2}[:n%3]; len(vals) > 0 {
			md["authorization"] = vals
		}
		ctx := metadata.NewIncomingContext(t.Context(), md)
		before, _ := sums(t, reg)
		var handled bool
		_, err := ic.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(ctx context.Context, _ any) (any, error) {
			handled = true
			if tok, ok := claims.FromContext(ctx); ok && tok.Username != "bob" {
				t.Errorf("the handler got a token of %q", tok.Username)
			}
			return nil, nil
		})
		if after, _ := sums(t, reg); after-before != 1 {
			t.Fatalf("the call was recorded %v times", after-before)
		}
		if err == nil {
			if !handled {
				t.Fatal("allowed without reaching the handler")
			}
			if method == "" || method[0] != '/' {
				t.Fatalf("allowed a call of %q", method)
			}
			return
		}
		if handled {
			t.Fatalf("denied (%v) after the handler ran", err)
		}
		st := status.Convert(err)
		sub := denialMessage.FindStringSubmatch(st.Message())
		if sub == nil || !slices.Contains(claims.Reasons(), claims.Reason(sub[2])) {
			t.Fatalf("denial message %q is not of the vocabulary", st.Message())
		}
		if st.Code() == codes.OK || st.Code() == codes.Unknown {
			t.Fatalf("denial code %v", st.Code())
		}
	})
}
