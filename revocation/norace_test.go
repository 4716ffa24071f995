//go:build !race

package revocation

import (
	"runtime"
	"strings"
	"testing"

	"github.com/cognito-gate/cognito-gate/claims"
	"github.com/cognito-gate/cognito-gate/internal/testhelpers/fakeclock"
)

// The tests of this file count allocations and bytes, which the race
// detector changes.

// TestLookupAllocs: Revoked allocates nothing, whether an entry matches
// or not, with 100,000 entries.
func TestLookupAllocs(t *testing.T) {
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	entries := bigEntries(100_000)
	l.snap.Store(build(entries))
	tests := []struct {
		name string
		tok  *claims.Token
		want bool
	}{
		{"miss", token(nil), false},
		{"jti", token(func(t *claims.Token) { t.JTI = entries[5].Value }), true},
		{"origin_jti", token(func(t *claims.Token) { t.OriginJTI = entries[1].Value }), true},
		{"sub", token(func(t *claims.Token) { t.Subject = entries[2].Value }), true},
		{"username", token(func(t *claims.Token) { t.Username = entries[3].Value }), true},
		{"client", token(func(t *claims.Token) { t.ClientID = entries[9].Value }), true},
		{"bare token", token(func(t *claims.Token) { t.JTI, t.OriginJTI, t.Username = "", "", "" }), false},
	}
	for _, tt := range tests {
		if got := l.Revoked(tt.tok, t0); got != tt.want {
			t.Fatalf("%s: Revoked = %v, want %v", tt.name, got, tt.want)
		}
		if n := testing.AllocsPerRun(1000, func() { l.Revoked(tt.tok, t0) }); n != 0 {
			t.Errorf("%s: %v allocations per lookup, want 0", tt.name, n)
		}
	}
}

// maxBytesPerEntry is the documented memory figure (package doc: about
// 150 bytes an entry, 15 MB for 100,000), which TestMemoryPerEntry holds
// the list to.
const maxBytesPerEntry = 160

// TestMemoryPerEntry measures what a list of 100,000 entries holds, once
// loaded from a file, per entry: the figure of the package documentation.
func TestMemoryPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and loads a 10 MB file")
	}
	const n = 100_000
	var b strings.Builder
	for _, e := range bigEntries(n) {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	path := writeFile(t, t.TempDir(), "big.jsonl", b.String())
	c := fakeclock.New(t0)
	l, err := New(Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	before := liveHeap()
	if err := l.Load(path); err != nil {
		t.Fatal(err)
	}
	after := liveHeap()
	runtime.KeepAlive(l)
	per := float64(after-before) / n
	t.Logf("%d entries (36-byte values, every kind, some with watermarks or issuers): %.1f MB held, %.0f bytes an entry; file %.1f MB",
		n, float64(after-before)/1e6, per, float64(b.Len())/1e6)
	if per > maxBytesPerEntry {
		t.Errorf("%.0f bytes an entry, more than the documented %d", per, maxBytesPerEntry)
	}
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
