package livecheck

import (
	"container/list"
	"time"
)

// key identifies a token in the cache and among the calls under way: the
// SHA-256 of the raw token. The token itself is never held, so a heap dump
// of the gate holds no token of the cache's.
type key [32]byte

// entry is one cached answer: err nil means Cognito accepts the token.
type entry struct {
	key   key
	until time.Time // the answer holds before until
	err   error     // ErrRevoked-wrapping, or nil
}

// cache holds answers, at most max, the one used least recently forgotten
// first, and none after its until. It is not safe for concurrent use (the
// Checker's mu guards it).
type cache struct {
	max   int
	byKey map[key]*list.Element // of *entry
	order *list.List            // most recently used first
}

func newCache(max int) *cache {
	return &cache{max: max, byKey: make(map[key]*list.Element), order: list.New()}
}

// get returns the answer for k that holds at now.
func (c *cache) get(k key, now time.Time) (*entry, bool) {
	el, ok := c.byKey[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if !now.Before(e.until) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e, true
}

// put holds the answer err for k until until, unless it has run out at now.
func (c *cache) put(k key, err error, until, now time.Time) {
	if !now.Before(until) {
		return
	}
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	for c.order.Len() >= c.max {
		c.remove(c.order.Back())
	}
	c.byKey[k] = c.order.PushFront(&entry{key: k, until: until, err: err})
}

func (c *cache) remove(el *list.Element) {
	delete(c.byKey, el.Value.(*entry).key)
	c.order.Remove(el)
}

// len returns the number of answers held, some of which may have run out.
func (c *cache) len() int { return c.order.Len() }
