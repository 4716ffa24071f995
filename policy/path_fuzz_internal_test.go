package policy

import (
	"strings"
	"testing"
)

// FuzzCleanPath holds checkPathClean's cleanliness, which lets Decide skip
// cleanPath, to cleanPath itself: a path it calls clean cleans to itself,
// and a path it calls unclean has "//" or "/." in it. Its reason is
// checkPath's.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..",
		"/.well-known/x", "a/b", "/a/b.c/", "/a..b", "/a/.b/", "/a/b/../../..", "/%2e/", "///", "/%41/b", "/a%2F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		why, clean := checkPathClean(p)
		if why != checkPath(p) {
			t.Fatalf("checkPathClean(%q) says %q, checkPath %q", p, why, checkPath(p))
		}
		if why != "" {
			return
		}
		if got := cleanPath(p); clean && got != p {
			t.Fatalf("checkPathClean(%q) calls it clean, but it cleans to %q", p, got)
		} else if !clean && got == p && !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
			t.Fatalf("checkPathClean(%q) calls it unclean without a // or /.", p)
		}
	})
}
