package policy

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
)

// memoSlots is the number of entries of a policy's route memo (a power of
// two), and memoMaxKey the longest method+host+path it keeps: at most
// memoSlots × (memoMaxKey + an entry) bytes, about 330 KiB, per policy.
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
// entry goes stale. It is direct-mapped: a slot holds the last key hashed
// to it, so requests for many distinct paths (an attacker's, or IDs in
// paths) only make it miss, and a miss is the lookup without the memo plus
// two allocations. Keys are copied, so an entry does not keep a request's
// memory alive, and long ones are not kept at all.
type routeMemo struct {
	seed  maphash.Seed
	slots [memoSlots]atomic.Pointer[memoEntry]
}

type memoEntry struct {
	method, host, path string
	rt                 *route
}

func newRouteMemo() *routeMemo {
	return &routeMemo{seed: maphash.MakeSeed()}
}

func (m *routeMemo) slot(method, host, path string) *atomic.Pointer[memoEntry] {
	h := maphash.String(m.seed, path)
	h ^= maphash.String(m.seed, host) * 0x9e3779b97f4a7c15
	h ^= maphash.String(m.seed, method) * 0xc2b2ae3d27d4eb4f
	return &m.slots[h&(memoSlots-1)]
}

// get returns the route remembered for method, host and path, or nil.
func (m *routeMemo) get(method, host, path string) *route {
	if method == "CONNECT" {
		return nil
	}
	e := m.slot(method, host, path).Load()
	if e == nil || e.path != path || e.host != host || e.method != method {
		return nil
	}
	return e.rt
}

// put remembers rt as the route of method, host and path.
func (m *routeMemo) put(method, host, path string, rt *route) {
	if method == "CONNECT" || rt == nil || len(method)+len(host)+len(path) > memoMaxKey {
		return
	}
	var b strings.Builder
	b.Grow(len(method) + len(host) + len(path))
	b.WriteString(method)
	b.WriteString(host)
	b.WriteString(path)
	k, h := b.String(), len(method)+len(host)
	m.slot(method, host, path).Store(&memoEntry{
		method: k[:len(method)],
		host:   k[len(method):h],
		path:   k[h:],
		rt:     rt,
	})
}
