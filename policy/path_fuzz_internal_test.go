package policy

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCleanPath holds checkPathClean to what its answers mean, each
// judged independently of its byte loop (whose fast path passes over the
// bytes it calls plain): a path it accepts starts with '/', has no
// backslash, semicolon or control character raw or escaped, no escaped
// '/', '.' or '%', and decodes to valid UTF-8 with the same slashes and
// dots; a path with any of those raw bytes is refused; a path it calls
// clean cleans to itself, and one it calls unclean has "//" or "/." in it.
func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "//", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/.", "/a/..",
		"/.well-known/x", "a/b", "/a/b.c/", "/a..b", "/a/.b/", "/a/b/../../..", "/%2e/", "///", "/%41/b", "/a%2F",
		"/a\\b", "/a;b", "/a\x7fb", "/a\x00", "/%5c", "/%3B", "/%25", "/%zz", "/caf%C3%A9", "/\xc3\xa9", "/%C3", "/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		why, clean := checkPathClean(p)
		if strings.ContainsAny(p, "\\;") || strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			if why == "" {
				t.Fatalf("checkPathClean(%q) accepts a backslash, semicolon or control character", p)
			}
			return
		}
		if why != "" {
			return
		}
		u, err := url.PathUnescape(p)
		switch {
		case p[0] != '/':
			t.Fatalf("checkPathClean(%q) accepts a path that does not start with /", p)
		case err != nil || !utf8.ValidString(u):
			t.Fatalf("checkPathClean(%q) accepts a path that does not decode to UTF-8 (%v)", p, err)
		case strings.ContainsAny(u, "\\;%") || strings.ContainsFunc(u, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			t.Fatalf("checkPathClean(%q) accepts an escaped backslash, semicolon, percent or control character: %q", p, u)
		case strings.Count(u, "/") != strings.Count(p, "/") || strings.Count(u, ".") != strings.Count(p, "."):
			t.Fatalf("checkPathClean(%q) accepts an escaped slash or dot: %q", p, u)
		}
		if got := cleanPath(p); clean && got != p {
			t.Fatalf("checkPathClean(%q) calls it clean, but it cleans to %q", p, got)
		} else if !clean && got == p && !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
			t.Fatalf("checkPathClean(%q) calls it unclean without a // or /.", p)
		}
	})
}
