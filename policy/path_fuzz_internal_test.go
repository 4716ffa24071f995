package policy

import "testing"

// FuzzCleanPath holds cleanPath's shortcut for already clean paths to the
// full cleaning it skips.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..",
		"/.well-known/x", "a/b", "/a/b.c/", "/a..b", "/a/.b/", "/a/b/../../..", "/%2e/", "///"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, want := cleanPath(p), cleanPathSlow(p)
		if got != want {
			t.Fatalf("cleanPath(%q) = %q, full cleaning %q", p, got, want)
		}
		if isClean(p) && got != p {
			t.Fatalf("isClean(%q) but it cleans to %q", p, got)
		}
		if why, clean := checkPathClean(p); why == "" && clean != isClean(p) {
			t.Fatalf("checkPathClean(%q) says clean %v, isClean %v", p, clean, isClean(p))
		} else if why != checkPath(p) {
			t.Fatalf("checkPathClean(%q) says %q, checkPath %q", p, why, checkPath(p))
		}
	})
}
