package middleware

import (
	"net/http"

	"github.com/cognito-gate/cognito-gate/claims"
)

// Refuse records r as refused before it could be judged — a forward-auth
// subrequest that does not say which request it authorizes, a Host that is
// not a host name — with reason (claims.ReasonBadRequest, say) and err for
// the log, counted and logged like every other outcome, and returns the
// *Error to answer with (WriteError). It is for integrations that check
// the request themselves before Authorize.
func (m *Middleware) Refuse(r *http.Request, reason claims.Reason, err error) *Error {
	o := m.record(r, outcome{result: ResultDenied, reason: reason, status: reason.Status(), err: err})
	return o.asError()
}
