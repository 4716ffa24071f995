package livecheck

import "time"

// endpoint is one GetUser endpoint (one region's, or a configured one)
// with its rate limit and cooldown. Its fields other than url are under
// the Checker's mu.
type endpoint struct {
	url string

	tokens float64   // the bucket's calls left; valid from filled
	filled time.Time // when tokens was last brought up to date; zero: full

	failures int       // failed calls in a row
	retryAt  time.Time // no call before it (zero: none pending)
}

// take reports whether a call may start at now under the token bucket of
// rate calls a second and burst, and counts it. A clock that goes back
// refills nothing.
func (e *endpoint) take(now time.Time, rate float64, burst int) bool {
	switch {
	case e.filled.IsZero():
		e.tokens = float64(burst)
	case now.After(e.filled):
		e.tokens = min(float64(burst), e.tokens+now.Sub(e.filled).Seconds()*rate)
	}
	if now.After(e.filled) {
		e.filled = now
	}
	if e.tokens < 1 {
		return false
	}
	e.tokens--
	return true
}

// coolingDown reports whether the endpoint must not be called at now.
func (e *endpoint) coolingDown(now time.Time) bool { return now.Before(e.retryAt) }

// record takes note of the result of a call that ended at now: a failure
// (the endpoint did not answer usefully) starts a cooldown of cooldown,
// doubled for each earlier failure in a row, at most maxBackoff; an answer
// ends the run of failures.
func (e *endpoint) record(r Result, now time.Time, cooldown, maxBackoff time.Duration) {
	switch r {
	case ResultAccepted, ResultRevoked, ResultMismatch:
		e.failures, e.retryAt = 0, time.Time{}
	case ResultUnexpected, ResultThrottled, ResultUnavailable, ResultTimeout:
		wait := cooldown
		for i := 0; i < e.failures && wait < maxBackoff; i++ {
			wait *= 2
		}
		e.failures++
		e.retryAt = now.Add(min(wait, maxBackoff))
	}
	// Busy, canceled and closed calls say nothing of the endpoint.
}
