package revocation

import (
	"hash/maphash"
	"math/bits"
)

// filter is a blocked Bloom filter of the (kind, value) pairs of a
// snapshot, asked before its maps. Almost every token is on no deny list,
// and a lookup in maps of 100,000 entries (about 15 MB) misses the CPU
// caches on every probe: after a cold verification, five of them cost
// more than 2% of it. The filter holds 16 bits an entry (200 KB for
// 100,000), and each pair's bits lie in one 64-byte block, so that asking
// it costs one seeded hash and one cache line per kind; it says "no" for
// all but about 0.3% of the pairs it does not hold, which then go on to
// the map.
type filter struct {
	seed   maphash.Seed
	blocks [][8]uint64 // 512 bits, one cache line, each
}

// filterBitsPerEntry sizes the filter.
const filterBitsPerEntry = 16

// newFilter returns an empty filter sized for n pairs.
func newFilter(n int) filter {
	return filter{seed: maphash.MakeSeed(), blocks: make([][8]uint64, max(1, (n*filterBitsPerEntry+511)/512))}
}

// hash returns the hash of value of kind k.
func (f *filter) hash(k int, value string) uint64 {
	return maphash.String(f.seed, value) ^ uint64(k+1)*0x9e3779b97f4a7c15
}

// block returns the block of h and its four bits in it.
func (f *filter) block(h uint64) (*[8]uint64, [4]uint16) {
	hi, _ := bits.Mul64(h, uint64(len(f.blocks))) // h's place in [0, len) without a division
	g := h * 0xff51afd7ed558ccd                   // other bits for the positions
	return &f.blocks[hi], [4]uint16{uint16(g >> 55), uint16(g>>46) & 511, uint16(g>>37) & 511, uint16(g>>28) & 511}
}

// add adds value of kind k.
func (f *filter) add(k int, value string) {
	b, pos := f.block(f.hash(k, value))
	for _, p := range pos {
		b[p>>6] |= 1 << (p & 63)
	}
}

// has reports whether value of kind k may have been added; false means it
// was not.
func (f *filter) has(k int, value string) bool {
	return test(f.block(f.hash(k, value)))
}

// test reports whether the four bits pos of block b are set.
func test(b *[8]uint64, pos [4]uint16) bool {
	for _, p := range pos {
		if b[p>>6]&(1<<(p&63)) == 0 {
			return false
		}
	}
	return true
}
