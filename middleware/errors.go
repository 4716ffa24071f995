package middleware

import (
	"errors"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// errInvalidRequest marks a request whose token cannot be read at all
// (repeated Authorization headers, an empty bearer token): RFC 6750's
// invalid_request, answered 400.
var errInvalidRequest = errors.New("middleware: invalid request")

// Error is the error the middleware hands to an ErrorHandler when it denies
// a request. Use errors.As to get it; Err holds the verification error, whose
// text is for logs only and must not be sent to clients.
type Error struct {
	// Status is the HTTP status to answer: 400, 401, 403, 500 or 503; or
	// claims.StatusClientClosed (499) with Reason claims.ReasonCanceled
	// when the client went away, which must not be answered at all (see
	// Result).
	Status int
	// Reason is the reason from the fixed vocabulary.
	Reason claims.Reason
	// Rule is the policy rule that decided, when the policy decided.
	Rule string
	// Scopes lists the scopes of which one would have allowed the request,
	// for insufficient_scope.
	Scopes []string
	// TokenSent reports whether the request carried a token.
	TokenSent bool
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("middleware: ")
	b.WriteString(string(e.Reason))
	if e.Rule != "" {
		b.WriteString(" (rule ")
		b.WriteString(e.Rule)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
