package grpcmw

import (
	"context"
	"net"
	"net/http"
	"reflect"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/cognito-gate/cognito-gate/claims"
)

type ctxKey struct{}

// TestRequest: the request a call is judged as.
func TestRequest(t *testing.T) {
	base := context.WithValue(t.Context(), ctxKey{}, "call")
	base = peer.NewContext(base, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}})
	tests := []struct {
		name       string
		md         metadata.MD
		method     string
		wantHost   string
		wantHeader http.Header
		wantReason claims.Reason
	}{
		{"metadata as sent by grpc-go", metadata.MD{
			":authority":    {"orders.internal:443"},
			"authorization": {"Bearer x"},
			"x-request-id":  {"r1"},
			"user-agent":    {"grpc-go/1.85.0"},
			"trace-bin":     {"\x00\x01"},
			"content-type":  {"application/grpc"},
		}, "/orders.v1.Orders/Get", "orders.internal:443", http.Header{
			"Authorization": {"Bearer x"}, "X-Request-Id": {"r1"}, "User-Agent": {"grpc-go/1.85.0"},
			"Trace-Bin": {"\x00\x01"}, "Content-Type": {"application/grpc"},
		}, ""},
		{"no metadata", nil, "/a.B/C", "", http.Header{}, ""},
		{"every value kept", metadata.MD{"authorization": {"Bearer x", "Bearer y"}}, "/a.B/C", "", http.Header{"Authorization": {"Bearer x", "Bearer y"}}, ""},
		{"other pseudo-headers dropped", metadata.MD{":path": {"/other.v1.S/M"}, ":method": {"GET"}, "": {"x"}}, "/a.B/C", "", http.Header{}, ""},
		{"two authorities", metadata.MD{":authority": {"a", "b"}}, "/a.B/C", "", http.Header{}, claims.ReasonBadRequest},
		{"unclean method name", nil, "/a.B//C", "", http.Header{}, claims.ReasonNonCanonicalPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := base
			if tt.md != nil {
				ctx = metadata.NewIncomingContext(ctx, tt.md)
			}
			r, reason, err := request(ctx, tt.method)
			if reason != tt.wantReason || (err != nil) != (reason != "") {
				t.Fatalf("reason %q, err %v; want reason %q", reason, err, tt.wantReason)
			}
			if r.Method != "POST" || r.URL.Path != tt.method || r.RequestURI != tt.method || r.Host != tt.wantHost || r.ProtoMajor != 2 {
				t.Errorf("request %s %s (%s) Host %q HTTP/%d, want POST %s Host %q HTTP/2", r.Method, r.URL.Path, r.RequestURI, r.Host, r.ProtoMajor, tt.method, tt.wantHost)
			}
			if !reflect.DeepEqual(r.Header, tt.wantHeader) {
				t.Errorf("header = %q, want %q", r.Header, tt.wantHeader)
			}
			if r.RemoteAddr != "127.0.0.1:4242" || r.Context().Value(ctxKey{}) != "call" || r.Body != http.NoBody {
				t.Errorf("RemoteAddr %q, context %v, body %v: not the call's", r.RemoteAddr, r.Context().Value(ctxKey{}), r.Body)
			}
		})
	}
}

// TestJudgedAsSent: the method names the policy judges as they are.
func TestJudgedAsSent(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/orders.v1.Orders/Get", true},
		{"/orders.v1.Orders/", true},
		{"/", true},
		{"/a/b/c", true},
		{"/...", true},  // a name, not a dot segment
		{"/a/.b", true}, // likewise
		{"a.B/C", true}, // left to the policy, which refuses it
		{"", false},
		{"//a.B/C", false},
		{"/a.B//C", false},
		{"/a.B/C//", false},
		{"/a.B/./C", false},
		{"/a.B/../C", false},
		{"/a.B/C/..", false},
		{"/a.B/C/.", false},
		{"/.", false},
		{"/..", false},
	}
	for _, tt := range tests {
		if got := judgedAsSent(tt.path); got != tt.want {
			t.Errorf("judgedAsSent(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
