package revocation

import "testing"

// TestFilter: the filter never says "no" for what it holds, and says
// "maybe" for few of the values it does not (the figure of its doc: about
// 0.3% at 16 bits an entry).
func TestFilter(t *testing.T) {
	const n = 100_000
	f := newFilter(n)
	for i := range n {
		f.add(i%len(kinds), uuid(i%len(kinds), i))
	}
	for i := range n {
		if !f.has(i%len(kinds), uuid(i%len(kinds), i)) {
			t.Fatalf("value %d added but not found", i)
		}
	}
	fp := 0
	for i := n; i < 3*n; i++ {
		if f.has(i%len(kinds), uuid(i%len(kinds), i)) {
			fp++
		}
	}
	// The same value of another kind is another pair.
	for i := range n {
		if f.has((i+1)%len(kinds), uuid(i%len(kinds), i)) {
			fp++
		}
	}
	rate := float64(fp) / (3 * n)
	t.Logf("false positives: %d of %d (%.3f%%)", fp, 3*n, 100*rate)
	if rate > 0.005 {
		t.Errorf("false positive rate %.3f%%, want at most 0.5%%", 100*rate)
	}
}
