package jwks

import (
	"context"
	"errors"
	"time"
)

// Trigger says why a fetch ran.
type Trigger string

// Fetch triggers.
const (
	// TriggerInitial is the first fetch of a set (hydration or the
	// background loop's first run).
	TriggerInitial Trigger = "initial"
	// TriggerInterval is the periodic background refresh.
	TriggerInterval Trigger = "interval"
	// TriggerRetry is a background retry after a failure.
	TriggerRetry Trigger = "retry"
	// TriggerUnknownKID is a refresh caused by a token whose kid the set
	// did not hold.
	TriggerUnknownKID Trigger = "unknown_kid"
	// TriggerStale is a refresh caused by a request while the set was older
	// than MaxStaleness.
	TriggerStale Trigger = "stale"
)

// FetchEvent describes one finished fetch.
type FetchEvent struct {
	Issuer   string
	URL      string
	Trigger  Trigger
	Start    time.Time
	Duration time.Duration
	// Err is nil on success.
	Err error
	// Keys is the number of usable keys now held (after a failure, the
	// number still served from the last good set).
	Keys int
	// Skipped lists entries of the fetched set that were not accepted.
	Skipped []SkippedKey
	// Added and Removed list the kids that appeared and disappeared
	// compared with the previous set (key rotation). Empty after a failure.
	Added, Removed []string
	// LastSuccess is when the set now served was fetched (zero if none).
	LastSuccess time.Time
}

// fetchResults is every value FetchEvent.Result can take.
var fetchResults = [...]string{"ok", "network", "timeout", "status", "too_large", "malformed", "no_usable_keys", "error"}

// FetchResults yields every value FetchEvent.Result can take, in a fixed
// order, with its position, e.g. to initialise metric label values:
//
//	for _, result := range jwks.FetchResults { ... }
//
// It is a function (an iter.Seq2), not a slice, so that no caller can
// change the list.
func FetchResults(yield func(int, string) bool) {
	for i, r := range fetchResults {
		if !yield(i, r) {
			return
		}
	}
}

// Result classifies the fetch into a small fixed set of snake_case words,
// suitable as a metric label: one of FetchResults.
func (e FetchEvent) Result() string {
	return fetchResult(e.Err)
}

func fetchResult(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrStatus):
		return "status"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrNoUsableKeys):
		return "no_usable_keys"
	case errors.Is(err, ErrFetch):
		return "network"
	default:
		return "error"
	}
}

// Observer receives fetch events, e.g. to turn them into metrics and logs.
// ObserveFetch is called from the cache's goroutines, one call at a time per
// issuer, before the callers waiting for that fetch go on; it must not block
// for long.
type Observer interface {
	ObserveFetch(FetchEvent)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(FetchEvent)

// ObserveFetch calls f(e).
func (f ObserverFunc) ObserveFetch(e FetchEvent) { f(e) }
