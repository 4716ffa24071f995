package livecheck

import "time"

// Result classifies what one Check found, in a small fixed set of
// snake_case words fit for a metric label: one of Results.
type Result string

// The results.
const (
	// ResultAccepted: Cognito accepts the token (GetUser answered its
	// user), now or within Config.CacheTTL.
	ResultAccepted Result = "accepted"
	// ResultRevoked: Cognito no longer accepts the token (ErrRevoked).
	ResultRevoked Result = "revoked"
	// ResultMismatch: GetUser answered another user (ErrIdentityMismatch),
	// or raw was not the token's.
	ResultMismatch Result = "mismatch"
	// ResultUnexpected: an answer GetUser never gives
	// (ErrUnexpectedAnswer).
	ResultUnexpected Result = "unexpected"
	// ResultThrottled: Cognito throttled the call
	// (TooManyRequestsException, 429).
	ResultThrottled Result = "throttled"
	// ResultUnavailable: a network error or a 5xx.
	ResultUnavailable Result = "unavailable"
	// ResultTimeout: no answer within Config.Timeout.
	ResultTimeout Result = "timeout"
	// ResultBusy: Config.MaxConcurrent calls were under way for all of
	// Config.Timeout, so this one never started.
	ResultBusy Result = "busy"
	// ResultRateLimited: the call would have gone over Config.Rate (and
	// Burst), so it was not made.
	ResultRateLimited Result = "rate_limited"
	// ResultCooldown: the endpoint failed recently and is not asked again
	// before its cooldown ends (Config.Cooldown, Config.MaxBackoff).
	ResultCooldown Result = "cooldown"
	// ResultRefused: the token cannot be live-checked and was refused
	// without a call: an ID token, an issuer of no pool, no
	// aws.cognito.signin.user.admin scope, expired, a raw token that is
	// not the token, no token.
	ResultRefused Result = "refused"
	// ResultCanceled: the caller's context ended first.
	ResultCanceled Result = "canceled"
	// ResultClosed: the Checker was closed (ErrClosed).
	ResultClosed Result = "closed"
)

// results is every Result, in a fixed order.
var results = [...]Result{
	ResultAccepted, ResultRevoked, ResultMismatch, ResultUnexpected, ResultThrottled,
	ResultUnavailable, ResultTimeout, ResultBusy, ResultRateLimited, ResultCooldown,
	ResultRefused, ResultCanceled, ResultClosed,
}

// Results yields every Result in a fixed order with its position, e.g. to
// initialise metric label values. It is a function (an iter.Seq2), not a
// slice, so that no caller can change the list.
func Results(yield func(int, Result) bool) {
	for i, r := range results {
		if !yield(i, r) {
			return
		}
	}
}

// FailsOpen reports whether Config.FailOpen accepts a token whose check
// had result r: Cognito could not be asked (throttled, unavailable,
// timeout, busy, rate_limited, cooldown). An unexpected answer and a
// closed Checker are not among them: they are misconfiguration or attack,
// which never fail open.
func (r Result) FailsOpen() bool {
	switch r {
	case ResultThrottled, ResultUnavailable, ResultTimeout, ResultBusy, ResultRateLimited, ResultCooldown:
		return true
	}
	return false
}

// Source says where the answer of one Check came from.
type Source string

// The sources.
const (
	// SourceCall: this Check asked Cognito (it started the GetUser
	// request).
	SourceCall Source = "call"
	// SourceShared: the answer of a request another Check of the same
	// token had started (one request for concurrent checks of one token).
	SourceShared Source = "shared"
	// SourceCache: a cached answer (a positive one within
	// Config.CacheTTL, a negative one until the token's exp).
	SourceCache Source = "cache"
	// SourceLocal: decided without a request: the token cannot be
	// checked, the Checker's bounds or cooldown, a closed Checker.
	SourceLocal Source = "local"
)

// Event describes one finished Check.
type Event struct {
	// Issuer is the token's issuer ("" for a nil token).
	Issuer string
	// Endpoint is the GetUser endpoint of the issuer's pool, "" when the
	// issuer is no configured pool's.
	Endpoint string
	// Result is what the check found; Source where it came from.
	Result Result
	Source Source
	// FailOpen reports that Cognito could not be asked and
	// Config.FailOpen accepted the token (Check returned nil; Err says
	// why it could not be asked).
	FailOpen bool
	// Start is when Check began, by Config.Now; Duration how long it
	// took.
	Start    time.Time
	Duration time.Duration
	// Err is the reason the token was refused or could not be checked,
	// nil when Cognito accepted it. It never holds the token.
	Err error
}

// Observer receives one Event per Check, e.g. to turn them into metrics
// and logs. ObserveCheck is called in the goroutine of Check, after the
// answer is known and before Check returns; it must be safe for
// concurrent use and must not block for long.
type Observer interface {
	ObserveCheck(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// ObserveCheck calls f(e).
func (f ObserverFunc) ObserveCheck(e Event) { f(e) }
