package grpcmw_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// chat opens the Chat stream with the metadata pairs md, sends msgs, closes
// its side and returns the answers and the error that ended the stream
// (nil for a clean end), with the trailer.
func chat(t testing.TB, conn *grpc.ClientConn, msgs []string, md ...string) ([]string, metadata.MD, error) {
	t.Helper()
	return bidi(t, conn, "/"+service+"/Chat", msgs, md...)
}

// bidi is chat for any method name.
func bidi(t testing.TB, conn *grpc.ClientConn, method string, msgs []string, md ...string) ([]string, metadata.MD, error) {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(t.Context(), md...)
	s, err := conn.NewStream(ctx, &chatDesc, method)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		// A denied stream may end before the messages are sent: the
		// error then comes from RecvMsg.
		if err := s.SendMsg(wrapperspb.String(m)); err != nil {
			break
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		out := new(wrapperspb.StringValue)
		if err := s.RecvMsg(out); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return got, s.Trailer(), err
		}
		got = append(got, out.GetValue())
	}
}

// TestStreams: a stream is checked once, before its handler, whatever the
// number of messages; its handler sees the token and rule in
// stream.Context(); a denied stream never reaches its handler.
func TestStreams(t *testing.T) {
	env := adaptertest.NewEnv(t)
	bob := env.Pool.AccessToken(cognitotest.WithUsername("bob"))
	cv := &countingVerifier{Verifier: env.Verifier}
	ts := newServer(t, middleware.Config{Verifier: cv, Policy: testPolicy(t)}, serverOpts{})

	got, _, err := chat(t, ts.conn, []string{"a", "b", "c"}, bearer(bob)...)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bob|chat:a", "bob|chat:b", "bob|chat:c"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers = %q, want %q", got, want)
	}
	calls, verified := sums(t, ts.reg)
	if cv.n.Load() != 1 || calls != 1 || verified != 1 || requests(t, ts.reg, "allowed", "ok") != 1 {
		t.Errorf("a stream of 3 messages was verified %d times, recorded %v times (%d verifications); want once",
			cv.n.Load(), calls, verified)
	}

	tests := []struct {
		name         string
		md           []string
		code         codes.Code
		msg, reason  string
		wantTrailers bool
	}{
		{"no token", nil, codes.Unauthenticated, "unauthorized: missing_token", "missing_token", true},
		{"bad token", bearer("abc.def.ghi"), codes.Unauthenticated, "invalid_token: malformed", "malformed", true},
		{"empty bearer", []string{"authorization", "Bearer"}, codes.InvalidArgument, "invalid_request: malformed", "malformed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := sums(t, ts.reg)
			got, trailer, err := chat(t, ts.conn, []string{"a", "b"}, tt.md...)
			st := status.Convert(err)
			if st.Code() != tt.code || len(got) != 0 {
				t.Fatalf("stream = %q, %v; want %v and no answers", got, err, tt.code)
			}
			checkDenial(t, st, tt.msg, tt.reason)
			if c := strings.Join(trailer.Get("www-authenticate"), ""); !strings.HasPrefix(c, `Bearer realm="cognito-gate"`) {
				t.Errorf("www-authenticate trailer = %q", c)
			}
			if after, _ := sums(t, ts.reg); after-before != 1 {
				t.Errorf("recorded %v times, want once", after-before)
			}
		})
	}
	if n := ts.svc.streamCalls.Load(); n != 1 {
		t.Errorf("the stream handler ran %d times, want once (for the allowed stream)", n)
	}
}

// TestConcurrentCalls: many calls and streams at once on one connection,
// under -race: each gets its own answer, and each is recorded exactly
// once.
func TestConcurrentCalls(t *testing.T) {
	env := adaptertest.NewEnv(t)
	ts := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{})
	const workers, rounds = 16, 10
	users := make([]string, workers)
	tokens := make([]string, workers)
	for i := range users {
		users[i] = fmt.Sprintf("user%d", i)
		tokens[i] = env.Pool.AccessToken(cognitotest.WithUsername(users[i]))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for i := range workers {
		wg.Go(func() {
			for range rounds {
				if got, _, err := call(t, ts.conn, "Whoami", bearer(tokens[i])...); err != nil || got != users[i]+"|whoami" {
					errs <- fmt.Errorf("%s: Whoami = %q, %v", users[i], got, err)
				}
				if _, _, err := call(t, ts.conn, "Admin", bearer(tokens[i])...); status.Code(err) != codes.PermissionDenied {
					errs <- fmt.Errorf("%s: Admin = %v, want PermissionDenied", users[i], err)
				}
				got, _, err := chat(t, ts.conn, []string{"x"}, bearer(tokens[i])...)
				if err != nil || len(got) != 1 || got[0] != users[i]+"|chat:x" {
					errs <- fmt.Errorf("%s: Chat = %q, %v", users[i], got, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	const n = workers * rounds
	calls, verified := sums(t, ts.reg)
	// Each worker's token is verified once in full and answered by the
	// token cache after that: the verify histogram times the first only.
	if calls != 3*n || verified != workers || requests(t, ts.reg, "allowed", "ok") != 2*n || requests(t, ts.reg, "denied", "group_denied") != n {
		t.Errorf("recorded %v calls (%d timed verifications), %v allowed, %v group_denied; want %d, %d, %d, %d",
			calls, verified, requests(t, ts.reg, "allowed", "ok"), requests(t, ts.reg, "denied", "group_denied"), 3*n, workers, 2*n, n)
	}
	if ts.svc.unaryCalls.Load() != n || ts.svc.streamCalls.Load() != n {
		t.Errorf("handlers ran %d unary, %d stream; want %d each", ts.svc.unaryCalls.Load(), ts.svc.streamCalls.Load(), n)
	}
}
