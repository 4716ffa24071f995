package grpcmw_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/cognito-gate/cognito-gate/cognitotest"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/adaptertest"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// rawCall sends one gRPC call of the test service's method over plain
// HTTP/2, with the authorization header values given as they are (grpc-go's
// client refuses to send some), and returns the grpc-status and
// grpc-message of the answer.
func rawCall(t *testing.T, addr, method string, auth ...string) (codes.Code, string) {
	t.Helper()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	// One empty message: no compression, length 0.
	req, err := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/"+service+"/"+method, bytes.NewReader([]byte{0, 0, 0, 0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	req.Header["Authorization"] = auth
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	h := resp.Trailer
	if h.Get("Grpc-Status") == "" {
		h = resp.Header // a trailers-only answer
	}
	code, err := strconv.Atoi(h.Get("Grpc-Status"))
	if err != nil {
		t.Fatalf("no grpc-status in %v, %v", resp.Header, resp.Trailer)
	}
	return codes.Code(code), h.Get("Grpc-Message")
}

// TestRawCredentials: what an attacker can send over HTTP/2 but grpc-go's
// client cannot — tabs, bytes outside printable ASCII — is judged with
// the HTTP extractor's strictness.
func TestRawCredentials(t *testing.T) {
	bob := adaptertest.NewEnv(t).Pool.AccessToken(cognitotest.WithUsername("bob"))
	ts := newServer(t, middleware.Config{Policy: testPolicy(t)}, serverOpts{})
	tests := []struct {
		name string
		auth []string
		code codes.Code
		msg  string
	}{
		{"well-formed", []string{"Bearer " + bob}, codes.OK, ""},
		{"tab after the scheme", []string{"Bearer\t" + bob}, codes.InvalidArgument, "invalid_request: malformed"},
		{"tab inside", []string{"Bearer " + bob[:10] + "\t" + bob[10:]}, codes.InvalidArgument, "invalid_request: malformed"},
		{"leading tab", []string{"\tBearer " + bob}, codes.InvalidArgument, "invalid_request: malformed"},
		{"trailing tab", []string{"Bearer " + bob + "\t"}, codes.InvalidArgument, "invalid_request: malformed"},
		{"obs-text after the scheme", []string{"Bearer\xa0" + bob}, codes.InvalidArgument, "invalid_request: malformed"},
		{"obs-text token", []string{"Bearer \xff\xfe"}, codes.Unauthenticated, "invalid_token: malformed"},
		{"two header fields", []string{"Bearer " + bob, "Bearer " + bob}, codes.InvalidArgument, "invalid_request: malformed"},
		{"one empty, one good", []string{"", "Bearer " + bob}, codes.InvalidArgument, "invalid_request: malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handled := ts.svc.unaryCalls.Load()
			code, msg := rawCall(t, ts.addr, "Whoami", tt.auth...)
			if code != tt.code || msg != tt.msg {
				t.Errorf("status %v %q, want %v %q", code, msg, tt.code, tt.msg)
			}
			if ran := ts.svc.unaryCalls.Load() - handled; (ran == 1) != (tt.code == codes.OK) {
				t.Errorf("the handler ran %d times", ran)
			}
		})
	}
}
