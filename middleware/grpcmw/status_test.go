package grpcmw_test

import (
	"errors"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
	"github.com/cognito-gate/cognito-gate/middleware/grpcmw"
)

// TestStatus: each denial's status, message and details.
func TestStatus(t *testing.T) {
	tests := []struct {
		e     middleware.Error
		code  codes.Code
		msg   string
		scope string
		retry bool
	}{
		{middleware.Error{Status: 400, Reason: claims.ReasonMalformed, TokenSent: true}, codes.InvalidArgument, "invalid_request: malformed", "", false},
		{middleware.Error{Status: 400, Reason: claims.ReasonNonCanonicalPath}, codes.InvalidArgument, "invalid_request: non_canonical_path", "", false},
		{middleware.Error{Status: 400, Reason: claims.ReasonBadRequest}, codes.InvalidArgument, "invalid_request: bad_request", "", false},
		{middleware.Error{Status: 401, Reason: claims.ReasonMissingToken}, codes.Unauthenticated, "unauthorized: missing_token", "", false},
		{middleware.Error{Status: 401, Reason: claims.ReasonBadSignature, TokenSent: true}, codes.Unauthenticated, "invalid_token: bad_signature", "", false},
		{middleware.Error{Status: 403, Reason: claims.ReasonGroupDenied, TokenSent: true, Rule: "admin"}, codes.PermissionDenied, "insufficient_scope: group_denied", "", false},
		{middleware.Error{Status: 403, Reason: claims.ReasonInsufficientScope, TokenSent: true, Scopes: []string{"a/read", "a/write"}}, codes.PermissionDenied,
			`insufficient_scope: insufficient_scope; scope="a/read a/write"`, "a/read a/write", false},
		{middleware.Error{Status: 500, Reason: claims.ReasonInternal, TokenSent: true, Err: errors.New("secret")}, codes.Internal, "server_error: internal_error", "", false},
		{middleware.Error{Status: 503, Reason: claims.ReasonJWKSUnavailable, TokenSent: true}, codes.Unavailable, "temporarily_unavailable: jwks_unavailable", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			st := grpcmw.Status(&tt.e)
			if st.Code() != tt.code || st.Message() != tt.msg {
				t.Errorf("status %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.msg)
			}
			var info *errdetails.ErrorInfo
			var retry *errdetails.RetryInfo
			for _, d := range st.Details() {
				switch d := d.(type) {
				case *errdetails.ErrorInfo:
					info = d
				case *errdetails.RetryInfo:
					retry = d
				default:
					t.Errorf("unexpected detail %T", d)
				}
			}
			members := 2 // error, reason
			if tt.scope != "" {
				members++
			}
			if info.GetMetadata()["scope"] != tt.scope || len(info.GetMetadata()) != members {
				t.Errorf("ErrorInfo metadata = %v, want error, reason and scope %q", info.GetMetadata(), tt.scope)
			}
			if (retry != nil) != tt.retry {
				t.Errorf("RetryInfo = %v, want one: %v", retry, tt.retry)
			}
		})
	}
}

// TestCode: every HTTP status maps to a code that is not OK.
func TestCode(t *testing.T) {
	tests := []struct {
		status int
		want   codes.Code
	}{
		{400, codes.InvalidArgument},
		{401, codes.Unauthenticated},
		{403, codes.PermissionDenied},
		{503, codes.Unavailable},
		{500, codes.Internal},
		{claims.StatusClientClosed, codes.Internal},
		{200, codes.Internal},
		{0, codes.Internal},
	}
	for _, tt := range tests {
		if got := grpcmw.Code(tt.status); got != tt.want {
			t.Errorf("Code(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}
