package grpcmw

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/middleware"
)

// ErrorDomain is the Domain of the google.rpc.ErrorInfo detail of every
// denial.
const ErrorDomain = "cognito-gate"

// retryAfter is the RetryInfo delay of an Unavailable denial, the
// Retry-After of the HTTP 503.
const retryAfter = 5 * time.Second

// Code returns the gRPC code of a denial of HTTP status httpStatus: 400
// InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 503
// Unavailable, and Internal for anything else (500), never OK. (A canceled
// call is Canceled or DeadlineExceeded, whatever its recorded status.)
func Code(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Internal
}

// Status returns the gRPC status of the denial e, as the interceptors
// answer it: the code of Code(e.Status); the message "<error>: <reason>"
// — the two members of the HTTP denial's JSON body, e.g. "invalid_token:
// expired" or "unauthorized: missing_token" — followed, when scopes would
// help, by `; scope="<scopes>"`; and a google.rpc.ErrorInfo detail whose
// Reason is the reason in upper case ("EXPIRED"), whose Domain is
// ErrorDomain and whose Metadata holds "error", "reason" and, when set,
// "scope". An Unavailable status also has a google.rpc.RetryInfo detail
// (5 s, the HTTP Retry-After). Nothing of the token or of the
// verification error's text is in it.
func Status(e *middleware.Error) *status.Status {
	code, reason := e.ErrorCode(), string(e.Reason)
	msg := code + ": " + reason
	info := &errdetails.ErrorInfo{Reason: strings.ToUpper(reason), Domain: ErrorDomain,
		Metadata: map[string]string{"error": code, "reason": reason}}
	if len(e.Scopes) > 0 {
		scope := strings.Join(e.Scopes, " ")
		msg += `; scope="` + scope + `"`
		info.Metadata["scope"] = scope
	}
	st := status.New(Code(e.Status), msg)
	details := []protoadapt.MessageV1{info}
	if st.Code() == codes.Unavailable {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(retryAfter)})
	}
	// WithDetails fails only for a status of code OK, which Code never
	// returns, or a detail that does not marshal; both details here do.
	if withDetails, err := st.WithDetails(details...); err == nil {
		st = withDetails
	}
	return st
}

// canceled is the answer to a call whose client went away while it was
// checked: DeadlineExceeded when its deadline passed, else Canceled. The
// client has stopped listening; the answer is for the server's own
// interceptors and stats handlers.
func canceled(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, string(claims.ReasonCanceled))
	}
	return status.Error(codes.Canceled, string(claims.ReasonCanceled))
}

// challenge returns the trailer of a denial: the RFC 6750 challenge the
// HTTP answer would carry in WWW-Authenticate, under www-authenticate, so
// that gateways that turn gRPC into HTTP (gRPC-Web, JSON transcoding) can
// pass it on. It is nil for statuses without a challenge (500, 503).
func challenge(realm string, e *middleware.Error) metadata.MD {
	c := middleware.Challenge(realm, e)
	if c == "" {
		return nil
	}
	return metadata.Pairs("www-authenticate", c)
}
