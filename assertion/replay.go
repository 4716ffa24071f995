package assertion

import (
	"sync"
	"time"
)

// replayCache remembers the jtis of accepted assertions until they
// expire. Entries leave in the order they came, once expired: assertions
// arrive roughly in the order they expire, and one that expires earlier
// than the entry before it merely stays a little longer than needed
// (never shorter, so a replay is always caught while the assertion is
// valid).
type replayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]struct{}
	queue []replayEntry // queue[head:] are in seen, oldest first
	head  int
}

type replayEntry struct {
	jti   string
	until time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[string]struct{})}
}

// add records jti, valid until until, at now: ErrReplayed if it is held,
// ErrReplayCacheFull if max unexpired jtis are.
func (c *replayCache) add(jti string, until, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head < len(c.queue) && !c.queue[c.head].until.After(now) {
		delete(c.seen, c.queue[c.head].jti)
		c.queue[c.head] = replayEntry{}
		c.head++
	}
	if c.head > len(c.queue)/2 {
		c.queue = append(c.queue[:0], c.queue[c.head:]...)
		c.head = 0
	}
	if _, ok := c.seen[jti]; ok {
		return errorf("jti %s: %w", quote(jti), ErrReplayed)
	}
	if len(c.seen) >= c.max {
		return errorf("%d assertions held: %w", c.max, ErrReplayCacheFull)
	}
	c.seen[jti] = struct{}{}
	c.queue = append(c.queue, replayEntry{jti: jti, until: until})
	return nil
}
