package policy

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// memoSlots is the number of entries of a policy's route memo (a power of
// two), and memoMaxKey the longest method+host+path it keeps: at most
// memoSlots × (memoMaxKey + an entry + a hash) bytes, about 340 KiB, per
// policy.
const (
	memoSlots  = 1024
	memoMaxKey = 256
)

// routeMemo remembers ServeMux's answers. ServeMux's lookup allocates on
// every request that does not match a pattern exactly (the trailing-slash
// probe builds path+"/") and for every wildcard match, and walks its tree;
// the memo answers a method, host and path it has seen before with three
// hashes and three string comparisons.
//
// It is exact: an entry is the route ServeMux returned for that very
// method, host and path, which are everything ServeMux's answer depends on
// for the requests that reach the lookup (CONNECT, whose answer also
// depends on the URL's host, never does: checkMethod refuses it, and the
// memo leaves it alone anyway). The policy never changes after New, so no
// entry goes stale.
//
// It is direct-mapped, and a key is stored only when it comes back: the
// first time a key misses, only its hash is written to the slot's
// doorkeeper (no allocation); if the next miss of that slot has the same
// hash, the entry is stored (two allocations: the entry and its copied
// key). So requests for many distinct paths (an attacker's, or IDs in
// paths) cost the lookup without the memo plus a hash and an atomic store,
// and do not push out the paths that repeat unless they repeat too. A
// doorkeeper collision only stores an entry early; the entry is still
// compared whole. Keys are copied, so an entry does not keep a request's
// memory alive, and long ones are not kept at all.
type routeMemo struct {
	seed  maphash.Seed
	slots [memoSlots]atomic.Pointer[memoEntry]
	seen  [memoSlots]atomic.Uint64 // per slot, the hash of the last key that missed
}

type memoEntry struct {
	method, host, path string
	rt                 *route
}

func newRouteMemo() *routeMemo {
	return &routeMemo{seed: maphash.MakeSeed()}
}

// hash is the hash of a key; its low bits pick the slot.
func (m *routeMemo) hash(method, host, path string) uint64 {
	h := maphash.String(m.seed, path)
	h ^= maphash.String(m.seed, host) * 0x9e3779b97f4a7c15
	h ^= maphash.String(m.seed, method) * 0xc2b2ae3d27d4eb4f
	return h
}

// get returns the route remembered for method, host and path, whose hash
// is h, or nil.
func (m *routeMemo) get(h uint64, method, host, path string) *route {
	if method == "CONNECT" {
		return nil
	}
	e := m.slots[h&(memoSlots-1)].Load()
	if e == nil || e.path != path || e.host != host || e.method != method {
		return nil
	}
	return e.rt
}

// put records that method, host and path (hash h) missed and that
// ServeMux routes them to rt, and remembers rt when the same key missed
// last in its slot.
func (m *routeMemo) put(h uint64, method, host, path string, rt *route) {
	if method == "CONNECT" || rt == nil || len(method)+len(host)+len(path) > memoMaxKey {
		return
	}
	i := h & (memoSlots - 1)
	if m.seen[i].Swap(h) != h {
		return // the first time in a while: remember only that it came
	}
	var b strings.Builder
	b.Grow(len(method) + len(host) + len(path))
	b.WriteString(method)
	b.WriteString(host)
	b.WriteString(path)
	k, hl := b.String(), len(method)+len(host)
	m.slots[i].Store(&memoEntry{
		method: k[:len(method)],
		host:   k[len(method):hl],
		path:   k[hl:],
		rt:     rt,
	})
}
