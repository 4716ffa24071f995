package revocation

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/cognito-gate/cognito-gate/claims"
)

// noWatermark is the before of an entry without issued_before: every
// token's sign-in began before it.
const noWatermark = math.MaxInt64

// rule is one entry as a lookup holds it: 32 bytes besides its value,
// which is the map key.
type rule struct {
	before  int64 // unix seconds: the token's sign-in must have begun before it
	expires int64 // unix seconds: the rule matches while now < expires
	iss     int32 // index in snapshot.issuers; 0 (the empty issuer) matches every issuer
	next    *rule // another rule for the same value (another issuer or watermark), rare
}

// snapshot is one immutable deny list: built whole, published with an
// atomic store, never written again, so lookups need no lock.
type snapshot struct {
	// What every lookup reads comes first, in the struct's first cache
	// line; the maps are read only for the rare value the filter holds.
	filter   filter  // every (kind, value) of rules, asked first
	kinds    uint8   // bit k set: rules[k] is not empty
	expiries []int64 // every rule's expires, sorted, to count the expired

	rules   [len(kinds)]map[string]rule // per kind, by value
	issuers []string                    // pool keys (see poolKey); issuers[0] is "", for rules of every issuer
}

// size returns the number of rules held, expired or not.
func (s *snapshot) size() int { return len(s.expiries) }

// expiredAt returns the number of rules held that have expired at now.
func (s *snapshot) expiredAt(now int64) int {
	return sort.Search(len(s.expiries), func(i int) bool { return s.expiries[i] > now })
}

// builder makes a snapshot.
type builder struct {
	s      *snapshot
	issIdx map[string]int32
}

func newBuilder() *builder {
	b := &builder{s: &snapshot{issuers: []string{""}}, issIdx: map[string]int32{"": 0}}
	for i := range b.s.rules {
		b.s.rules[i] = make(map[string]rule)
	}
	return b
}

// kindIndex returns the index of k in kinds.
func kindIndex(k Kind) int { return slices.Index(kinds[:], k) }

// add adds one rule for value of kind k (an index in kinds). A rule with
// the same issuer and watermark as one held is merged into it, keeping the
// later expiry: appending the same revocation twice costs nothing.
func (b *builder) add(k int, value, issuer string, r rule) {
	issuer = poolKey(issuer)
	idx, ok := b.issIdx[issuer]
	if !ok {
		idx = int32(len(b.s.issuers))
		b.s.issuers = append(b.s.issuers, issuer)
		b.issIdx[issuer] = idx
	}
	r.iss, r.next = idx, nil
	m := b.s.rules[k]
	head, ok := m[value]
	if !ok {
		m[value] = r
		return
	}
	// Chained rules belong to this builder until the snapshot is
	// published: changing them here changes no list in use.
	for p := &head; ; p = p.next {
		if p.before == r.before && p.iss == r.iss {
			if r.expires > p.expires {
				p.expires = r.expires
			}
			break
		}
		if p.next == nil {
			p.next = &rule{before: r.before, expires: r.expires, iss: r.iss}
			break
		}
	}
	m[value] = head
}

// done returns the snapshot, with the expiries of its rules sorted and
// its filter filled.
func (b *builder) done() *snapshot {
	values := 0
	for _, m := range b.s.rules {
		values += len(m)
	}
	b.s.filter = newFilter(values)
	for k, m := range b.s.rules {
		if len(m) > 0 {
			b.s.kinds |= 1 << k
		}
		for v, head := range m {
			b.s.filter.add(k, v)
			for p := &head; p != nil; p = p.next {
				b.s.expiries = append(b.s.expiries, p.expires)
			}
		}
	}
	slices.Sort(b.s.expiries)
	return b.s
}

// build makes the snapshot of entries.
func build(entries []Entry) *snapshot {
	b := newBuilder()
	for _, e := range entries {
		r := rule{before: noWatermark, expires: e.Expires.Unix()}
		if !e.IssuedBefore.IsZero() {
			r.before = e.IssuedBefore.Unix()
		}
		b.add(kindIndex(e.Kind), e.Value, e.Issuer, r)
	}
	return b.done()
}

// without returns a new snapshot of the rules of s that have not expired
// at now. s is not changed: readers may still be using it.
func (s *snapshot) without(now int64) *snapshot {
	b := newBuilder()
	for k, m := range s.rules {
		for v, head := range m {
			for p := &head; p != nil; p = p.next {
				if now < p.expires {
					b.add(k, v, s.issuers[p.iss], *p)
				}
			}
		}
	}
	return b.done()
}

// revoked reports whether a rule of s matches t at now (unix seconds).
// It allocates nothing.
func (s *snapshot) revoked(t *claims.Token, now int64) bool {
	if s.kinds == 0 {
		return false
	}
	// Ask the filter about every claim before looking at any answer, so
	// that the (up to five) cache lines it reads are fetched at once
	// rather than one after the other: after a cold verification they
	// are rarely still cached.
	values := [len(kinds)]string{kindJTI: t.JTI, kindOriginJTI: t.OriginJTI, kindSubject: t.Subject, kindUsername: t.Username, kindClientID: t.ClientID}
	var blocks [len(kinds)]*[8]uint64
	var pos [len(kinds)][4]uint16
	for k, v := range values {
		// A token without the claim (an empty value) matches nothing: no
		// rule has an empty value.
		if v != "" && s.kinds&(1<<k) != 0 {
			blocks[k], pos[k] = s.filter.block(s.filter.hash(k, v))
		}
	}
	var maybe uint8
	for k, b := range blocks {
		if b != nil && test(b, pos[k]) {
			maybe |= 1 << k
		}
	}
	if maybe == 0 {
		return false
	}
	// The sign-in began at auth_time; iat is when this token of it was
	// minted. A token without auth_time is judged by its iat.
	start := t.IssuedAt.Unix()
	if !t.AuthTime.IsZero() {
		start = min(start, t.AuthTime.Unix())
	}
	iss := poolKey(t.Issuer)
	for k, v := range values {
		if maybe&(1<<k) != 0 && s.match(k, v, iss, start, now) {
			return true
		}
	}
	return false
}

// poolKey is what an entry's iss and a token's issuer are compared by:
// the user pool id of a Cognito issuer (claims.ParseIssuer), so that an
// entry names the pool whether its tokens carry the original or the
// updated issuer form, or a replica region's; any other issuer (an
// emulator's) as it is, exactly. A pool id has no "/" and no "=", so it
// never equals an issuer URL; any other issuer without a "/" (a bare pool
// id written as an entry's iss, say) is keyed with a leading "=", so that
// it equals no pool id either: such an entry is compared exactly, as the
// README says, and matches no token of the pool it spells. It allocates
// nothing for an issuer with a "/", which every token's has. The empty
// issuer (an entry without iss: every issuer) stays empty.
func poolKey(iss string) string {
	if info, ok := claims.ParseIssuer(iss); ok {
		return info.PoolID
	}
	if iss != "" && !strings.Contains(iss, "/") {
		return "=" + iss
	}
	return iss
}

// match reports whether a rule of kind k (an index in kinds) for value
// matches a token of pool key iss (see poolKey) whose sign-in began at
// start.
func (s *snapshot) match(k int, value, iss string, start, now int64) bool {
	head, ok := s.rules[k][value]
	if !ok {
		return false
	}
	for p := &head; p != nil; p = p.next {
		if now < p.expires && start < p.before && (p.iss == 0 || s.issuers[p.iss] == iss) {
			return true
		}
	}
	return false
}
